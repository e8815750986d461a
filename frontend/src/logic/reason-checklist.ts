/**
 * The failure view's words (issue 11, protocol.md §3 `Failed { code; message; checks }`, §5–§8): for every
 * canister reason code a plain-words explanation and the next step, and the canister's per-step `checks` turned
 * into the six things a person can follow: signature, key in DNS, DNSSEC chain, alignment, Subject signed, From
 * matches.
 *
 * Both are data tables keyed on the canister's own names: the codes come from src/challenge/types.ts
 * (`CHALLENGE_CODES`, so a new code without copy fails to type-check and its test fails), the check names from
 * src/challenge/flow.ts, candidates.ts and src/dkim (`flow`, `message`, `headers`, `from`, `address`, `subject`,
 * `dkim`, `dkim[N] candidate`, `dkim[N] key`, `dkim[N] body-hash`, `dkim[N]`, `dkim[N] signature`, `proof`,
 * `dns`, `dns <name>`, `dmarc`, `accept`).
 */
import type { Check } from '../../../canister/declarations/waxseal.did.ts';
import { type ChallengeCode, isChallengeCode } from '../../../src/challenge/types.ts';

export type { Check };

/** The six lines of the checklist, in the order the page shows them. */
export const CHECKLIST_ITEMS = ['signature', 'key', 'dnssec', 'alignment', 'subject', 'from'] as const;
export type ChecklistItem = (typeof CHECKLIST_ITEMS)[number];

export const CHECKLIST_LABELS: { readonly [I in ChecklistItem]: string } = {
  signature: 'Your email provider signed the email',
  key: "The signing key is published in your domain's DNS",
  dnssec: 'The DNS answer is protected by DNSSEC',
  alignment: 'The signature belongs to your domain',
  subject: 'The Subject line holds the code and is signed',
  from: 'The email came from the address you entered',
};

/**
 * `not-needed`: only for the DNSSEC line when the canister read the key over DoH from several independent
 * resolvers instead (protocol.md §8), so "not reached" would be wrong.
 */
export type ItemState = 'passed' | 'failed' | 'not-reached' | 'not-needed';

export interface ChecklistLine {
  readonly item: ChecklistItem;
  readonly label: string;
  readonly state: ItemState;
  /** The canister's technical detail behind the line, for a "details" disclosure; null when none. */
  readonly detail: string | null;
}

/** How each state reads next to its line. */
export const ITEM_STATE_WORDS: { readonly [S in ItemState]: string } = {
  passed: 'passed',
  failed: 'failed',
  'not-reached': 'not checked',
  'not-needed': 'not needed',
};

/** What the page knows when it explains a failure: the address the person entered. */
export interface ReasonContext {
  readonly address: string;
}

interface ReasonCopy {
  /** The checklist line this code fails; null when the failure is about something outside the six. */
  readonly item: ChecklistItem | null;
  readonly explanation: (c: ReasonContext) => string;
  readonly nextStep: (c: ReasonContext) => string;
}

const domainOf = (c: ReasonContext): string => c.address.slice(c.address.lastIndexOf('@') + 1);
const START_AGAIN = 'Start again to get a new code, and send the new email within 30 minutes.';

/** One entry per canister code: the type makes a missing one a compile error. */
export const REASONS: { readonly [C in ChallengeCode]: ReasonCopy } = {
  AddressMismatch: {
    item: 'from',
    explanation: (c) => `The email came from a different address than the one you entered (${c.address}).`,
    nextStep: (c) =>
      `Send it again from exactly ${c.address}, or start again with the address you sent from.`,
  },
  SubjectNotSigned: {
    item: 'subject',
    explanation: () =>
      "Your email provider's signature does not cover the Subject line, so the code in it cannot be trusted.",
    nextStep: () =>
      "Send it again from your provider's own web or phone app; some forwarding services and mailing tools drop the Subject from the signature.",
  },
  NonceMismatch: {
    item: 'subject',
    explanation: () =>
      'The Subject line does not hold the code of this request, or holds more than one code.',
    nextStep: () =>
      'Send a new email whose Subject is exactly the code shown on this page, nothing else changed.',
  },
  WrongFlow: {
    item: null,
    explanation: () =>
      'The email went to the wrong mailbox: register@ is for adding a recovery email, recover@ for recovering.',
    nextStep: () => 'Start again and send the email to the address shown on this page.',
  },
  Expired: {
    item: null,
    explanation: () => 'This request expired: the email has to arrive within 30 minutes.',
    nextStep: () => START_AGAIN,
  },
  AlreadyFinished: {
    item: null,
    explanation: () => 'This request is already finished; a second email changes nothing.',
    nextStep: () => 'Look at the result above, or start again if you need a new code.',
  },
  AddressAlreadyRegistered: {
    item: null,
    explanation: (c) => `${c.address} is already the recovery email of another identity.`,
    nextStep: () =>
      'Use a different address, or remove it from the other identity first (sign in to that identity).',
  },
  AddressNotRegistered: {
    item: null,
    explanation: (c) => `${c.address} is not the recovery email of any identity.`,
    nextStep: () => 'Check for a typo, or try another address you may have used.',
  },
  DomainNotSupported: {
    item: 'dnssec',
    explanation: (c) =>
      `Waxseal cannot check emails from ${domainOf(c)}. An email provider signs each email it sends and publishes ` +
      `the key to check that signature in DNS, the internet's public directory. ${domainOf(c)}'s DNS is not ` +
      `protected by DNSSEC (or its protection is broken), and ${domainOf(c)} is not on Waxseal's list of ` +
      'providers it checks another way, so Waxseal cannot trust the key, nor the signature.',
    nextStep: () => 'Use an address at another email provider.',
  },
  ProofInvalid: {
    item: 'dnssec',
    explanation: (c) => `The DNSSEC proof for ${domainOf(c)} could not be confirmed.`,
    nextStep: () =>
      'Try again in a few minutes (DNS changes take a while to settle); if it keeps failing, use another address.',
  },
  DnsLookupFailed: {
    item: 'key',
    explanation: (c) => `The signing key of ${domainOf(c)} could not be read reliably from DNS.`,
    nextStep: () => 'Try again in a few minutes; this is usually a passing network problem.',
  },
  DkimFailed: {
    item: 'signature',
    explanation: () =>
      "The email's signature does not check out: the email was changed on the way, or the key does not match.",
    nextStep: () =>
      'Send it again directly from your provider, without forwarding, and without a signature or footer added by another tool.',
  },
  NoSignature: {
    item: 'signature',
    explanation: () =>
      'The email has no signature from your email provider, so Waxseal cannot tell it is from you.',
    nextStep: () =>
      'Send it from a provider that signs outgoing mail (most large ones do), not through a forwarder.',
  },
  DmarcNotAligned: {
    item: 'alignment',
    explanation: (c) =>
      `The email was signed, but by a domain that is not ${domainOf(c)}, so the signature does not prove the address.`,
    nextStep: (c) =>
      `Send it from ${c.address} through your provider's own servers, not through a service that sends on your behalf.`,
  },
  PublicSuffixAlignment: {
    item: 'alignment',
    explanation: (c) =>
      `The email was signed by a domain that shares only a public suffix with ${domainOf(c)} (a name like co.uk or a hosting service's domain under which different customers get their own names), so the signature does not prove the address.`,
    nextStep: (c) =>
      `Use an address whose domain your provider signs for directly, or ask the owner of ${domainOf(c)} to sign mail with that exact domain.`,
  },
  MalformedFromHeader: {
    item: 'from',
    explanation: () => 'The sender line of the email could not be read as one single address.',
    nextStep: (c) => `Send a plain email from ${c.address} with your mail app.`,
  },
  HeaderOccurrence: {
    item: null,
    explanation: () =>
      'The email has a header line twice (for example two Subject lines), so it is ambiguous.',
    nextStep: () => 'Send a new, plain email with your mail app instead of a script or tool.',
  },
  MessageTooLarge: {
    item: null,
    explanation: () => 'The email is too large (more than 64 KiB).',
    nextStep: () => 'Send it again without attachments, images or a long quoted conversation.',
  },
  TooManyHeaderFields: {
    item: null,
    explanation: () => 'The email has too many header lines.',
    nextStep: () => 'Send a new email instead of forwarding or replying to an old one.',
  },
  HeaderLineTooLong: {
    item: null,
    explanation: () => 'One header line of the email is too long.',
    nextStep: () => 'Send a new email with only the code as its Subject.',
  },
  MalformedMessage: {
    item: null,
    explanation: () => 'The email could not be read: it is not a well-formed message.',
    nextStep: () => 'Send a new email with your usual mail app.',
  },
  UnknownNonce: {
    item: null,
    explanation: () => 'Waxseal does not know this code: it has expired or was never issued.',
    nextStep: () => START_AGAIN,
  },
  InProgress: {
    item: null,
    explanation: () => 'An email for this code has already arrived and is being checked.',
    nextStep: () => 'Wait a moment; this page updates by itself.',
  },
  NotAwaitingProof: {
    item: null,
    explanation: () => 'This request is not waiting for a DNS proof any more.',
    nextStep: () => 'Wait a moment; this page updates by itself.',
  },
  MessageMismatch: {
    item: null,
    explanation: () => 'The proof was sent for a different email than the one Waxseal received.',
    nextStep: () => 'Reload the page; it will pick up the current state of your request.',
  },
};

export interface ReasonExplanation {
  readonly code: string;
  /** False for a code this page does not know (a newer canister): the generic copy and the canister's message. */
  readonly known: boolean;
  readonly explanation: string;
  readonly nextStep: string;
}

/** The words for a canister code; `message` is the canister's own sentence, used only for an unknown code. */
export function explainReason(code: string, message: string, context: ReasonContext): ReasonExplanation {
  if (!isChallengeCode(code)) {
    return {
      code,
      known: false,
      explanation: message.length > 0 ? `Verification failed: ${message}` : 'Verification failed.',
      nextStep: START_AGAIN,
    };
  }
  const copy = REASONS[code];
  return { code, known: true, explanation: copy.explanation(context), nextStep: copy.nextStep(context) };
}

type Status = 'Pass' | 'Fail' | 'Skipped';

/** A canister check that speaks for one checklist line: name (and detail) pattern, status, what it shows. */
interface Evidence {
  readonly item: ChecklistItem;
  readonly name: RegExp;
  readonly status: Status;
  readonly detail?: RegExp;
  readonly shows: Exclude<ItemState, 'not-reached'>;
}

const SIG = String.raw`dkim\[\d+\]`;

/**
 * Which checks decide which line. Only steps that really settle a line count: a body hash that matches before
 * the key is known (NeedProof) proves no signature yet, and the generic `dkim` selection failure is said by the
 * code instead.
 */
export const EVIDENCE: readonly Evidence[] = [
  { item: 'signature', name: new RegExp(`^${SIG}$`), status: 'Pass', shows: 'passed' },
  { item: 'signature', name: new RegExp(`^${SIG} (body-hash|signature)$`), status: 'Fail', shows: 'failed' },
  { item: 'key', name: new RegExp(`^${SIG} key$`), status: 'Pass', shows: 'passed' },
  { item: 'key', name: new RegExp(`^${SIG} key$`), status: 'Fail', shows: 'failed' },
  { item: 'dnssec', name: /^dns \S+$/, status: 'Pass', detail: /^DNSSEC secure/, shows: 'passed' },
  { item: 'dnssec', name: /^dns \S+$/, status: 'Fail', detail: /^DNSSEC /, shows: 'failed' },
  { item: 'dnssec', name: /^proof$/, status: 'Fail', shows: 'failed' },
  { item: 'dnssec', name: /^dns$/, status: 'Pass', detail: /^DoH quorum$/, shows: 'not-needed' },
  { item: 'alignment', name: /^dmarc$/, status: 'Pass', shows: 'passed' },
  { item: 'alignment', name: /^accept$/, status: 'Pass', shows: 'passed' },
  { item: 'alignment', name: /^dmarc$/, status: 'Fail', shows: 'failed' },
  { item: 'subject', name: new RegExp(`^${SIG} candidate$`), status: 'Pass', shows: 'passed' },
  { item: 'subject', name: /^subject$/, status: 'Fail', shows: 'failed' },
  { item: 'from', name: /^address$/, status: 'Pass', shows: 'passed' },
  { item: 'from', name: /^(address|from)$/, status: 'Fail', shows: 'failed' },
];

/** When several checks speak for one line: one passing signature (or key) is enough, as the verifier says. */
const PRECEDENCE: readonly Exclude<ItemState, 'not-reached'>[] = ['passed', 'not-needed', 'failed'];

/** The status word of a Candid `Check`. */
export function checkStatus(check: Check): Status {
  if ('Pass' in check.status) return 'Pass';
  if ('Fail' in check.status) return 'Fail';
  return 'Skipped';
}

/**
 * The six-line checklist of a challenge's `checks`, for a failure with `code` (null for a success). The line the
 * code names is failed whatever the checks say: the code is the canister's final word (e.g. `SubjectNotSigned`
 * after a candidate covering Subject failed to verify). A line no check speaks for was not reached.
 */
export function checklist(code: string | null, checks: readonly Check[]): ChecklistLine[] {
  const failedItem = code !== null && isChallengeCode(code) ? REASONS[code].item : null;
  return CHECKLIST_ITEMS.map((item) => {
    const found = new Map<ItemState, string>();
    for (const check of checks) {
      const status = checkStatus(check);
      for (const e of EVIDENCE) {
        if (e.item !== item || e.status !== status || !e.name.test(check.name)) continue;
        if (e.detail && !e.detail.test(check.detail)) continue;
        if (!found.has(e.shows)) found.set(e.shows, check.detail);
      }
    }
    const label = CHECKLIST_LABELS[item];
    if (item === failedItem) return { item, label, state: 'failed', detail: found.get('failed') ?? null };
    const state = PRECEDENCE.find((s) => found.has(s)) ?? 'not-reached';
    return { item, label, state, detail: found.get(state) ?? null };
  });
}

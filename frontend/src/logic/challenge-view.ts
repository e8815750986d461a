/**
 * Which view the setup and recovery wizards show for a challenge (issue 11, protocol.md §3
 * `email_challenge_status`, §8 `Resolving`): the Candid `ChallengeStatus` exactly as the generated actor returns
 * it, turned into a view descriptor with a title, plain-words body, a short aria-live announcement and whether
 * polling is over. One view per state; the failure and expired views carry the reason copy and the checklist
 * (reason-checklist.ts), and so does the refusal of an unsupported domain before anything is prepared.
 */
import type { ChallengeStatus } from '../../../canister/declarations/waxseal.did.ts';
import {
  type Check,
  type ChecklistLine,
  checklist,
  explainReason,
  type ReasonExplanation,
} from './reason-checklist.ts';

export type { ChallengeStatus };

/** The variant names of `ChallengeStatus` (`Pending`, `NeedProof`, …). */
export type StatusTag = ChallengeStatus extends infer S ? (S extends unknown ? keyof S : never) : never;

export type ViewKind =
  | 'waiting'
  | 'checking'
  | 'need-proof'
  | 'resolving'
  | 'done-setup'
  | 'done-recovery'
  | 'failed'
  | 'expired';

export interface FailureView {
  readonly reason: ReasonExplanation;
  readonly checklist: readonly ChecklistLine[];
  /** The canister's own sentence (or the pre-check's finding), for a "technical details" disclosure. */
  readonly message: string;
}

export interface ChallengeView {
  readonly kind: ViewKind;
  readonly title: string;
  readonly body: string;
  /** What a screen reader hears when the view changes (aria-live). */
  readonly live: string;
  /** The challenge will never change again: stop polling. */
  readonly terminal: boolean;
  /** For `failed` and `expired`: what the failure view shows beyond the title. */
  readonly failure: FailureView | null;
}

/**
 * The page's own part of `NeedProof` (protocol.md §3): the canister waits for the page to fetch the DNS records
 * over DoH, build the RFC 9102 proof (src/proof) and submit it. While it does, the person sees `checking`.
 */
export type ProofProgress = 'idle' | 'building' | 'submitting';

/** The name of the variant a status value holds. */
export function statusTag(status: ChallengeStatus): StatusTag {
  return Object.keys(status)[0] as StatusTag;
}

/**
 * The view of `status`. `address` is the one the person entered (for the failure copy); `proof` is how far the
 * page got with a NeedProof challenge.
 */
export function challengeView(
  status: ChallengeStatus,
  address: string,
  proof: ProofProgress = 'idle',
): ChallengeView {
  const view = (kind: ViewKind, title: string, body: string, live: string, terminal: boolean) => ({
    kind,
    title,
    body,
    live,
    terminal,
    failure: null,
  });
  if ('Pending' in status) {
    return view(
      'waiting',
      'Waiting for your email',
      'Send the email as shown above. This page notices by itself when it arrives; you can keep it open.',
      'Waiting for your email',
      false,
    );
  }
  if ('NeedProof' in status) {
    if (proof !== 'idle') {
      return view(
        'checking',
        'Checking your email',
        proof === 'building'
          ? `Your email arrived. This page is looking up ${status.NeedProof.domain}'s signing key to confirm it.`
          : 'Your email arrived. The signing key was found; Waxseal is checking the email with it.',
        'Email received, checking it',
        false,
      );
    }
    return view(
      'need-proof',
      'Email received',
      `Your email arrived. To confirm it really comes from ${status.NeedProof.domain}, this page will look up the domain's signing key.`,
      'Email received',
      false,
    );
  }
  if ('Resolving' in status) {
    return view(
      'resolving',
      'Checking your email',
      "Your email arrived. Waxseal is asking several independent DNS services for your provider's signing key.",
      'Email received, checking it',
      false,
    );
  }
  if ('SetupComplete' in status) {
    return view(
      'done-setup',
      'Recovery email added',
      `${status.SetupComplete.address} is now your recovery email. If you lose your passkey, you can get back in by sending one email from it.`,
      'Recovery email added',
      true,
    );
  }
  if ('RecoveryReady' in status) {
    return view(
      'done-recovery',
      'Email confirmed',
      `Your email proved you own identity ${status.RecoveryReady.anchor}. Signing you in…`,
      'Email confirmed, signing you in',
      true,
    );
  }
  if ('Failed' in status) {
    const { code, message, checks } = status.Failed;
    return failureView('failed', 'That did not work', 'Verification failed', code, message, checks, address);
  }
  if ('Expired' in status) {
    // The canister says nothing more about an expired challenge (an unknown nonce reads the same), so no line of
    // the checklist was reached as far as the page can tell.
    return failureView('expired', 'This request expired', 'Request expired', 'Expired', '', [], address);
  }
  return unreachable(status);
}

/**
 * The view when the address's domain is refused before anything is prepared (logic/domain-decision.ts): the
 * canister's own `DomainNotSupported` words and checklist, as if it had been sent, which is what would happen.
 * `detail` is the technical reason (unsigned zone, broken chain).
 */
export function unsupportedDomainView(address: string, detail: string): ChallengeView {
  return failureView(
    'failed',
    'This address cannot be used',
    'This address cannot be used',
    'DomainNotSupported',
    detail,
    [],
    address,
  );
}

function failureView(
  kind: 'failed' | 'expired',
  title: string,
  live: string,
  code: string,
  message: string,
  checks: readonly Check[],
  address: string,
): ChallengeView {
  const reason = explainReason(code, message, { address });
  return {
    kind,
    title,
    body: reason.explanation,
    live,
    terminal: true,
    failure: { reason, checklist: checklist(code, checks), message },
  };
}

/** Compile-time exhaustiveness: a new ChallengeStatus variant makes the call above a type error. */
function unreachable(status: never): never {
  throw new TypeError(`unknown challenge status ${JSON.stringify(Object.keys(status as object))}`);
}

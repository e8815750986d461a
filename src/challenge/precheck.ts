/**
 * What an email is checked for before any DNS answer is needed (protocol.md §4, §6, §5 steps 1–6): message bounds
 * and syntax (RFC 5322 §2.1–§2.2), header occurrence (RFC 5322 §3.6), one From mailbox equal to the claimed
 * address (`AddressMismatch`: exact lowercase comparison, no provider-specific normalization), the challenge
 * nonce alone in the Subject (nonce.ts, `NonceMismatch`), and at least one candidate signature (candidates.ts:
 * tags parse, d= could align with the From domain, h= covers Subject). Each step is recorded as a Check.
 *
 * The message is parsed once per event: the canister parses it to find the nonce (`nonceOfMessage`) and hands
 * the parsed message on; the precheck and the verdict read that same parse. `keptEmail` starts the events of a
 * challenge that waits with the message it kept (a submitted proof, a finished DoH fetch).
 */
import { defaultCrypto } from '#crypto-default';
import { type BodyHashes, bodyHashes } from '../dkim/body-hash.ts';
import { type SignatureParses, signatureParses } from '../dkim/signature.ts';
import type { Address } from '../mail/address.ts';
import { parseFrom } from '../mail/from.ts';
import { fieldsNamed, type Message, parsedMessage } from '../mail/message.ts';
import { checkOccurrences } from '../mail/occurrence.ts';
import { UNMETERED } from '../meter.ts';
import { type Candidate, selectCandidates } from './candidates.ts';
import { fail, pass } from './checks.ts';
import type { FlowContext } from './flow.ts';
import { findNonceInSubject } from './nonce.ts';
import { type Decision, fails, gate, keptMessageMatches, unchanged } from './transitions.ts';
import { type Challenge, type ChallengeCode, type Check, toSeconds } from './types.ts';

/** An email that passed the precheck: what the later steps of the same event read. */
export interface ReadEmail {
  readonly ok: true;
  readonly message: Message;
  readonly from: Address;
  readonly candidates: readonly Candidate[];
  /** The checks so far, `prior` first. */
  readonly checks: readonly Check[];
  /** The body hashes of `message`, made at most once per (c=, l=) for the whole event. */
  readonly hashes: BodyHashes;
  /** Its DKIM-Signature fields parsed at the event's `now`, each once for the whole event. */
  readonly signatures: SignatureParses;
}

export type Precheck =
  | ReadEmail
  | { readonly ok: false; readonly code: ChallengeCode; readonly detail: string; readonly checks: Check[] };

/** `input` is the raw message (parsed here) or the message parseMessage made of it. */
export function precheck(
  input: Uint8Array | Message,
  challenge: Challenge,
  prior: readonly Check[],
  ctx: FlowContext,
): Precheck {
  const meter = ctx.meter ?? UNMETERED;
  const now = toSeconds(ctx.now);
  const checks = [...prior];
  const stop = (code: ChallengeCode, name: string, detail: string): Precheck => {
    checks.push(fail(name, detail));
    return { ok: false, code, detail, checks };
  };
  const parsed = parsedMessage(input, meter);
  if (!parsed.ok) return stop(parsed.error.code, 'message', parsed.error.detail);
  const { message } = parsed;
  return meter.sync('precheck', () => {
    checks.push(pass('message', `${message.bytes.length} bytes, ${message.headers.length} header fields`));

    const occurrence = checkOccurrences(message);
    if (occurrence) return stop(occurrence.code, 'headers', occurrence.detail);
    checks.push(pass('headers', 'From and Date once; Subject, To, Cc, … at most once'));

    const from = parseFrom(fieldsNamed(message, 'from')[0]!.value);
    if (!from.ok) return stop('MalformedFromHeader', 'from', from.detail);
    checks.push(pass('from', from.value.address));
    if (from.value.address !== challenge.address) {
      return stop(
        'AddressMismatch',
        'address',
        `the email is from ${from.value.address}, the challenge is for ${challenge.address}`,
      );
    }
    checks.push(pass('address', 'From is the claimed address'));

    const subject = fieldsNamed(message, 'subject')[0];
    const found = subject ? findNonceInSubject(subject.value) : { kind: 'none' as const };
    if (found.kind !== 'one' || found.nonce !== challenge.nonce) {
      const detail = !subject
        ? 'the email has no Subject'
        : found.kind === 'none'
          ? 'no nonce in the Subject'
          : found.kind === 'ambiguous'
            ? `${found.nonces.length} different nonces in the Subject`
            : 'the Subject holds another nonce';
      return stop('NonceMismatch', 'subject', detail);
    }
    checks.push(pass('subject', `the Subject holds ${challenge.nonce}`));

    const signatures = signatureParses(now);
    const selected = selectCandidates(message, from.value.domain, now, signatures, ctx.suffixes);
    checks.push(...selected.checks);
    if (!selected.ok) return { ok: false, code: selected.code, detail: selected.detail, checks };
    const hashes = bodyHashes(message.body, ctx.crypto ?? defaultCrypto);
    const { candidates } = selected;
    return { ok: true, message, from: from.value, candidates, checks, hashes, signatures };
  });
}

/**
 * The nonce an incoming message addresses, before any verification; null when none or several. When the message
 * has several Subject fields that together name one nonce, that challenge is still the one addressed, so it ends
 * `Failed{HeaderOccurrence}` (protocol.md §4) instead of waiting on in silence.
 */
export function nonceOfMessage(input: Uint8Array | Message): string | null {
  const parsed = parsedMessage(input);
  if (!parsed.ok) return null;
  const nonces = new Set<string>();
  for (const subject of fieldsNamed(parsed.message, 'subject')) {
    const found = findNonceInSubject(subject.value);
    if (found.kind === 'ambiguous') return null;
    if (found.kind === 'one') nonces.add(found.nonce);
  }
  return nonces.size === 1 ? [...nonces][0]! : null;
}

/**
 * The start of an event for a challenge that waits in `want` (NeedProof or Resolving) with its kept message: the
 * gate (transitions.ts), the kept-message check, then the precheck of that message. Either the email to judge
 * or the decision that ends the event.
 */
export async function keptEmail(
  challenge: Challenge | null,
  message: Uint8Array,
  want: 'NeedProof' | 'Resolving',
  ctx: FlowContext,
): Promise<{ email: ReadEmail; challenge: Challenge } | { decision: Decision }> {
  const closed = gate(challenge, ctx.now, want);
  if (closed || !challenge) return { decision: closed! };
  if (!(await keptMessageMatches(challenge.state, message, ctx.crypto ?? defaultCrypto))) {
    return {
      decision: unchanged('MessageMismatch', 'this is not the message the challenge is waiting with'),
    };
  }
  const pre = precheck(message, challenge, [pass('flow', `${challenge.flow} mailbox`)], ctx);
  return pre.ok ? { email: pre, challenge } : { decision: fails(pre.code, pre.detail, pre.checks) };
}

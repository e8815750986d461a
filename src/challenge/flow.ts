/**
 * What one received email, one submitted proof, or one finished DoH fetch does to a challenge (protocol.md §3,
 * §4, §6, §8): pure async functions from (challenge, bytes, context) to a Decision the canister applies with
 * store.ts. Nothing here reads a clock, draws randomness or touches Azle.
 *
 * Order for an email (`receiveEmail`), each step recorded as a Check for the UI:
 * 1. gate: unknown nonce, expired, or not Pending → `unchanged` (a second email for a finished nonce changes
 *    nothing; replays are inert);
 * 2. flow: the mailbox (register@ / recover@) must match the challenge's flow → `WrongFlow`;
 * 3. without DNS: message bounds and syntax, header occurrence (§4), From (§6), From == the claimed address
 *    (`AddressMismatch`, exact lowercase comparison, no provider-specific normalization), the challenge nonce
 *    alone in the Subject (nonce.ts; `NonceMismatch`), at least one DKIM-Signature whose tags parse, whose d=
 *    could align with the From domain (relaxed, the loosest rule: otherwise `DmarcNotAligned`) and whose h=
 *    covers Subject (`SubjectNotSigned`): candidates.ts, which the gateway's proof builder shares;
 * 4. DNS path (§8): a proof attached → DNSSEC (proof-lookup.ts) and the full verifyEmail; else DoH answers given
 *    and the From domain allowed → verifyEmail over them; else, with the body hash of the candidate signatures
 *    checked first (a body that already fails is `DkimFailed` without asking for keys, its key check reported
 *    `Skipped`): domain allowed → `Resolving`; two-phase (default) → `NeedProof`; else `DomainNotSupported`.
 *    An attached proof that is not valid (`ProofInvalid`) is not fatal on this path: the challenge falls back to
 *    Resolving / NeedProof, because the proof's builder (the gateway) is untrusted and may be stale;
 * 5. verdict: accepted (a passing signature that aligns under DMARC and covers Subject, src/verify-email.ts),
 *    then From and the nonce again from the verified message → `verified` (the canister binds the address or
 *    prepares the delegation: setupComplete / recoveryReady below). Not accepted → `Failed` with the verdict's
 *    reason mapped to a ChallengeCode (`mapVerdict`).
 *
 * `submitProof` is accepted only in NeedProof and only for the kept message (its SHA-256 is on the state); a proof
 * that does not validate leaves the challenge waiting (`unchanged`, code ProofInvalid), so whoever holds the nonce
 * cannot end it with junk. A valid proof under which the email fails ends it (`Failed`).
 */

import { defaultCrypto } from '#crypto-default';
import type { CryptoBackend } from '../crypto/backend.ts';
import { canonicalizeBody } from '../dkim/canonicalize.ts';
import { keyRecordName } from '../dkim/key.ts';
import type { SignatureResult } from '../dkim/result.ts';
import type { TxtAnswer, TxtLookup } from '../dns/lookup.ts';
import type { ZoneKeyCache } from '../dnssec/chain.ts';
import type { TrustAnchor } from '../dnssec/dnskey.ts';
import { bytesEqual } from '../encoding/bytes.ts';
import type { Address } from '../mail/address.ts';
import { parseFrom } from '../mail/from.ts';
import { fieldsNamed, type Message, parseMessage } from '../mail/message.ts';
import { checkOccurrences } from '../mail/occurrence.ts';
import { type EmailVerdict, verifyEmail } from '../verify-email.ts';
import { type Candidate, couldAlign, MAX_DNS_NAME, selectCandidates, sigLabel } from './candidates.ts';
import { CODEC_LIMITS, clampText } from './codec.ts';
import { findNonceInSubject } from './nonce.ts';
import { type NameVerdict, proofLookup } from './proof-lookup.ts';
import {
  type Challenge,
  type ChallengeCode,
  type ChallengeState,
  type Check,
  type Flow,
  isExpired,
  isTerminal,
  type Time,
  toSeconds,
} from './types.ts';

export interface FlowContext {
  readonly now: Time;
  readonly anchors: readonly TrustAnchor[];
  readonly crypto?: CryptoBackend;
  /** Zone keys verified by earlier proofs, reused until their RRSIGs expire (the canister keeps one in heap). */
  readonly keyCache?: ZoneKeyCache;
  /** The DoH allowlist (doh-quorum.ts isAllowedName) applied to the From domain; default: nothing allowed. */
  readonly dohAllowed?: (domain: string) => boolean;
  /** DoH answers the canister already holds (quorumLookup), used when the From domain is allowed. */
  readonly dohLookup?: TxtLookup | null;
  /** Without proof or DoH: wait for a proof (`NeedProof`, default true) or fail (`DomainNotSupported`). */
  readonly twoPhase?: boolean;
  /**
   * Bind the kept message to NeedProof / Resolving by its SHA-256 (default true). Hashing 64 KiB costs about
   * 1.6 B instructions in QuickJS (ic-notes.md); a canister that trusts its own message map may turn it off.
   */
  readonly hashKeptMessage?: boolean;
}

export interface ReceivedEmail {
  /** The raw message as received (CRLF). */
  readonly message: Uint8Array;
  /** From the envelope (envelope.ts validateEnvelope). */
  readonly flow: Flow;
  /** RFC 9102 chain attached by the gateway. */
  readonly proof?: Uint8Array | null;
}

export type Decision =
  /** Nothing to store; `code` says why (also what submit_proof reports). */
  | {
      readonly kind: 'unchanged';
      readonly code: ChallengeCode;
      readonly message: string;
      readonly checks: readonly Check[];
    }
  /** Store `state` (NeedProof, Resolving or Failed); keep the message beside it when `keepMessage`. */
  | {
      readonly kind: 'update';
      readonly state: ChallengeState;
      readonly keepMessage: boolean;
      readonly checks: readonly Check[];
      readonly note: string | null;
    }
  /** The email proves control of the address; the canister completes the flow (setupComplete / recoveryReady). */
  | {
      readonly kind: 'verified';
      readonly flow: Flow;
      readonly address: string;
      readonly domain: string;
      readonly selector: string;
      readonly checks: readonly Check[];
    };

// ---------------------------------------------------------------------------------------------------------------
// States

/** A Failed state within the codec bounds. */
export function failed(code: ChallengeCode, message: string, checks: readonly Check[] = []): ChallengeState {
  return {
    kind: 'Failed',
    code,
    message: clampText(message, CODEC_LIMITS.messageBytes),
    checks: checks.slice(0, CODEC_LIMITS.checks).map((c) => ({
      name: clampText(c.name, 255),
      status: c.status,
      detail: clampText(c.detail, CODEC_LIMITS.detailBytes),
    })),
  };
}

export function setupComplete(challenge: Challenge): ChallengeState {
  return { kind: 'SetupComplete', address: challenge.address };
}

export function recoveryReady(anchor: bigint, userKey: Uint8Array, expiration: Time): ChallengeState {
  return { kind: 'RecoveryReady', anchor, userKey, expiration };
}

/** protocol.md §3 `email_recovery_get_delegation`: RecoveryReady, live, and the same key and expiration. */
export function recoveryDelegationAllowed(
  challenge: Challenge | null,
  sessionKey: Uint8Array,
  expiration: Time,
  now: Time,
): boolean {
  return (
    challenge !== null &&
    !isExpired(challenge, now) &&
    challenge.flow === 'recovery' &&
    challenge.state.kind === 'RecoveryReady' &&
    challenge.state.expiration === expiration &&
    challenge.sessionKey !== null &&
    bytesEqual(challenge.sessionKey, sessionKey)
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Checks

const pass = (name: string, detail: string): Check => ({ name, status: 'Pass', detail });
const fail = (name: string, detail: string): Check => ({ name, status: 'Fail', detail });
const skipped = (name: string, detail: string): Check => ({ name, status: 'Skipped', detail });

function fails(code: ChallengeCode, message: string, checks: readonly Check[]): Decision {
  return { kind: 'update', state: failed(code, message, checks), keepMessage: false, checks, note: null };
}

function unchanged(code: ChallengeCode, message: string, checks: readonly Check[] = []): Decision {
  return { kind: 'unchanged', code, message, checks };
}

/** The per-signature checks of the verdict, flattened: a summary line, then each step. */
export function signatureChecks(signatures: readonly SignatureResult[]): Check[] {
  const out: Check[] = [];
  for (const s of signatures) {
    const label = sigLabel(s.index);
    const who = `d=${s.domain ?? '?'} s=${s.selector ?? '?'} a=${s.algorithm ?? '?'}`;
    const result = s.reason === null ? s.result : `${s.result} (${s.reason})`;
    out.push({ name: label, status: s.result === 'pass' ? 'Pass' : 'Fail', detail: `${who}: ${result}` });
    for (const c of s.checks) out.push({ name: `${label} ${c.name}`, status: c.status, detail: c.detail });
  }
  return out;
}

function dnsChecks(log: readonly DnsRecord[]): Check[] {
  return log.map((r) => {
    const name = `dns ${r.name}`;
    if (r.answer.kind === 'txt') return pass(name, r.detail);
    if (r.answer.kind === 'nxdomain') return skipped(name, r.detail);
    return fail(name, r.detail);
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Step 3: everything that needs no DNS

type Precheck =
  | {
      readonly ok: true;
      readonly message: Message;
      readonly from: Address;
      readonly candidates: readonly Candidate[];
      readonly checks: readonly Check[];
    }
  | { readonly ok: false; readonly code: ChallengeCode; readonly detail: string; readonly checks: Check[] };

function precheck(bytes: Uint8Array, challenge: Challenge, now: number, prior: readonly Check[]): Precheck {
  const checks = [...prior];
  const stop = (code: ChallengeCode, name: string, detail: string): Precheck => {
    checks.push(fail(name, detail));
    return { ok: false, code, detail, checks };
  };
  const parsed = parseMessage(bytes);
  if (!parsed.ok) return stop(parsed.error.code, 'message', parsed.error.detail);
  const message = parsed.message;
  checks.push(pass('message', `${bytes.length} bytes, ${message.headers.length} header fields`));

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

  const selected = selectCandidates(message, from.value.domain, now);
  checks.push(...selected.checks);
  if (!selected.ok) return { ok: false, code: selected.code, detail: selected.detail, checks };
  return { ok: true, message, from: from.value, candidates: selected.candidates, checks };
}

/** RFC 6376 §3.7 body hash of each candidate, before any key is known; keeps those that match. */
async function bodyHashes(
  pre: Extract<Precheck, { ok: true }>,
  crypto: CryptoBackend,
): Promise<{ passing: Candidate[]; checks: Check[] }> {
  const checks: Check[] = [];
  const passing: Candidate[] = [];
  for (const c of pre.candidates) {
    const label = sigLabel(c.index);
    const canonical = canonicalizeBody(pre.message.body, c.sig.bodyCanon);
    const length = c.sig.bodyLength;
    if (length !== null && length > canonical.length) {
      checks.push(skipped(`${label} key`, 'not fetched: the body is shorter than l='));
      checks.push(fail(`${label} body-hash`, `l=${length} exceeds the canonical body`));
      continue;
    }
    const hash = await crypto.sha256(length === null ? canonical : canonical.subarray(0, length));
    if (!bytesEqual(hash, c.sig.bodyHash)) {
      checks.push(skipped(`${label} key`, 'not fetched: the body hash already fails'));
      checks.push(fail(`${label} body-hash`, 'the body does not match bh='));
      continue;
    }
    checks.push(pass(`${label} body-hash`, 'matches bh= (the key is checked next)'));
    passing.push(c);
  }
  return { passing, checks };
}

// ---------------------------------------------------------------------------------------------------------------
// Step 5: the full verdict over some DNS source

interface DnsRecord {
  readonly name: string;
  readonly answer: TxtAnswer;
  readonly detail: string;
}

function recording(lookup: TxtLookup, describe: (name: string, a: TxtAnswer) => string) {
  const log: DnsRecord[] = [];
  const seen = new Set<string>();
  const wrapped: TxtLookup = async (name) => {
    const answer = await lookup(name);
    const key = name.toLowerCase();
    if (!seen.has(key)) {
      seen.add(key);
      log.push({ name: key, answer, detail: describe(key, answer) });
    }
    return answer;
  };
  return { lookup: wrapped, log };
}

function describeAnswer(a: TxtAnswer): string {
  if (a.kind === 'txt') return `${a.records.length} TXT record(s)`;
  if (a.kind === 'nxdomain') return 'no record';
  return a.detail;
}

type Source = 'proof' | 'doh';

/** Maps a rejected verdict to the challenge code (every EmailVerdict reason has one). */
export function mapVerdict(
  verdict: EmailVerdict,
  source: Source,
  dnsTrouble: (name: string) => string | null,
): { code: ChallengeCode; message: string } {
  const dnsCode: ChallengeCode = source === 'proof' ? 'ProofInvalid' : 'DnsLookupFailed';
  const fromDomain = verdict.from?.split('@')[1] ?? null;
  switch (verdict.reason) {
    case 'Accepted':
      throw new TypeError('mapVerdict needs a rejected verdict');
    case 'MessageTooLarge':
    case 'TooManyHeaderFields':
    case 'HeaderLineTooLong':
    case 'MalformedMessage':
    case 'MalformedFromHeader':
    case 'HeaderOccurrence':
    case 'NoSignature':
    case 'SubjectNotSigned':
      return { code: verdict.reason, message: verdict.detail };
    case 'NoPassingSignature': {
      const relevant = verdict.signatures.filter(
        (s) => s.domain !== null && fromDomain !== null && couldAlign(s.domain, fromDomain),
      );
      for (const s of relevant) {
        if (s.reason !== 'KeyLookupFailed' || s.selector === null || s.domain === null) continue;
        const trouble = dnsTrouble(keyRecordName(s.selector, s.domain));
        if (trouble) return { code: dnsCode, message: trouble };
      }
      const first = relevant[0] ?? verdict.signatures[0];
      const why = first ? `: ${first.reason ?? first.result}: ${first.detail}` : '';
      return { code: 'DkimFailed', message: `no DKIM signature verifies${why}` };
    }
    case 'DmarcNotAligned': {
      const trouble = fromDomain ? dnsTrouble(`_dmarc.${fromDomain}`) : null;
      if (trouble) return { code: dnsCode, message: `${trouble} (so d= had to equal the From domain)` };
      return { code: 'DmarcNotAligned', message: verdict.detail };
    }
  }
}

async function judge(
  bytes: Uint8Array,
  challenge: Challenge,
  lookup: TxtLookup,
  source: Source,
  ctx: FlowContext,
  prior: readonly Check[],
  proofVerdicts: () => readonly NameVerdict[] = () => [],
): Promise<Decision> {
  const crypto = ctx.crypto ?? defaultCrypto;
  const rec = recording(lookup, (name, answer) => {
    const v = proofVerdicts().find((x) => x.name === name);
    if (!v) return describeAnswer(answer);
    if (v.verdict === 'secure') return `DNSSEC secure: ${v.detail}`;
    if (v.verdict === 'absent') return answer.kind === 'nxdomain' ? 'not in the proof: no record' : v.detail;
    return `DNSSEC ${v.verdict}${v.reason ? ` (${v.reason})` : ''}: ${v.detail}`;
  });
  const verdict = await verifyEmail(bytes, rec.lookup, toSeconds(ctx.now), { crypto });
  const checks: Check[] = [...prior, ...dnsChecks(rec.log), ...signatureChecks(verdict.signatures)];
  if (verdict.from !== null) {
    const d = verdict.dmarc;
    const status = d.result === 'pass' ? 'Pass' : d.result === 'fail' ? 'Fail' : 'Skipped';
    checks.push({ name: 'dmarc', status, detail: d.detail });
  }
  if (!verdict.accepted) {
    const trouble = (name: string): string | null => {
      const r = rec.log.find((x) => x.name === name);
      return r && r.answer.kind === 'temperror' ? `${name}: ${r.detail}` : null;
    };
    const mapped = mapVerdict(verdict, source, trouble);
    // A proof that validates to "insecure" is a verified statement that the domain does not sign its DNS: without
    // the DoH fallback for it, no email from it can ever verify (protocol.md §8: DomainNotSupported).
    const fromDomain = verdict.from?.split('@')[1];
    const unsigned = proofVerdicts().some((v) => v.verdict === 'insecure');
    const { code, message } =
      mapped.code === 'ProofInvalid' && unsigned && fromDomain && !ctx.dohAllowed?.(fromDomain)
        ? {
            code: 'DomainNotSupported' as const,
            message: `${fromDomain} does not sign its DNS (DNSSEC insecure) and is not on the DoH allowlist`,
          }
        : mapped;
    checks.push(fail('accept', verdict.detail));
    return fails(code, message, checks);
  }
  // Accepted: re-read From and the nonce from the message the verdict covered.
  if (verdict.from !== challenge.address) {
    checks.push(fail('address', `the email is from ${verdict.from}`));
    return fails('AddressMismatch', `the email is from ${verdict.from}, not ${challenge.address}`, checks);
  }
  const subject = verdict.message ? fieldsNamed(verdict.message, 'subject')[0] : undefined;
  const found = subject ? findNonceInSubject(subject.value) : null;
  if (found?.kind !== 'one' || found.nonce !== challenge.nonce) {
    checks.push(fail('subject', 'the signed Subject does not hold the nonce'));
    return fails('NonceMismatch', 'the signed Subject does not hold the challenge nonce', checks);
  }
  const chosen = verdict.signatures[verdict.acceptedSignature!]!;
  checks.push(pass('accept', verdict.detail));
  return {
    kind: 'verified',
    flow: challenge.flow,
    address: challenge.address,
    domain: chosen.domain!,
    selector: chosen.selector!,
    checks,
  };
}

async function judgeWithProof(
  bytes: Uint8Array,
  challenge: Challenge,
  proof: Uint8Array,
  ctx: FlowContext,
  prior: readonly Check[],
): Promise<Decision> {
  const crypto = ctx.crypto ?? defaultCrypto;
  const pl = proofLookup(proof, {
    anchors: ctx.anchors,
    now: toSeconds(ctx.now),
    crypto,
    ...(ctx.keyCache ? { keyCache: ctx.keyCache } : {}),
  });
  if (!pl.ok) {
    const checks = [...prior, fail('proof', pl.detail)];
    return fails('ProofInvalid', `the DNSSEC proof is malformed: ${pl.detail}`, checks);
  }
  return judge(
    bytes,
    challenge,
    pl.lookup,
    'proof',
    ctx,
    [...prior, pass('proof', `${proof.length} bytes`)],
    pl.verdicts,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Entry points

function gate(challenge: Challenge | null, now: Time, want: ChallengeState['kind']): Decision | null {
  if (!challenge) return unchanged('UnknownNonce', 'no challenge has this nonce');
  if (isExpired(challenge, now)) return unchanged('Expired', 'the challenge has expired');
  if (isTerminal(challenge.state))
    return unchanged('AlreadyFinished', `the challenge is ${challenge.state.kind}`);
  if (challenge.state.kind !== want) {
    return want === 'Pending'
      ? unchanged('InProgress', `an email was already received (${challenge.state.kind})`)
      : unchanged('NotAwaitingProof', `the challenge is ${challenge.state.kind}, not ${want}`);
  }
  return null;
}

async function keptMessageMatches(
  state: ChallengeState,
  bytes: Uint8Array,
  crypto: CryptoBackend,
): Promise<boolean> {
  if (state.kind !== 'NeedProof' && state.kind !== 'Resolving') return false;
  if (state.pendingMessageHash === null) return true;
  return bytesEqual(await crypto.sha256(bytes), state.pendingMessageHash);
}

/** No DNS answers yet: check the body hashes, then wait (Resolving / NeedProof) or give up. */
async function awaitDns(
  bytes: Uint8Array,
  pre: Extract<Precheck, { ok: true }>,
  ctx: FlowContext,
  note: string | null,
): Promise<Decision> {
  const crypto = ctx.crypto ?? defaultCrypto;
  const domain = pre.from.domain;
  const allowed = ctx.dohAllowed?.(domain) ?? false;
  if (!allowed && ctx.twoPhase === false) {
    const checks = [
      ...pre.checks,
      fail('dns', `${domain} is not on the DoH allowlist and no proof was given`),
    ];
    const why = note ? `; ${note}` : '';
    return fails('DomainNotSupported', `${domain} needs a DNSSEC proof${why}`, checks);
  }
  const hashed = await bodyHashes(pre, crypto);
  const checks = [...pre.checks, ...hashed.checks];
  if (hashed.passing.length === 0) {
    return fails('DkimFailed', 'the body does not match the hash of any aligned signature', checks);
  }
  const keyNames = [...new Set(hashed.passing.map((c) => c.keyName))];
  const pendingMessageHash = ctx.hashKeptMessage === false ? null : await crypto.sha256(bytes);
  const dmarcName = `_dmarc.${domain}`;
  const state: ChallengeState = allowed
    ? {
        kind: 'Resolving',
        names: dmarcName.length <= MAX_DNS_NAME ? [...keyNames, dmarcName] : keyNames,
        pendingMessageHash,
      }
    : {
        kind: 'NeedProof',
        domain,
        selectors: [
          ...new Set(
            hashed.passing.filter((c) => c.sig.domain === domain).map((c) => c.sig.selector.toLowerCase()),
          ),
        ],
        keyNames,
        pendingMessageHash,
      };
  checks.push(
    skipped('dns', allowed ? 'fetching over DoH' : `waiting for a DNSSEC proof of ${keyNames.join(', ')}`),
  );
  return { kind: 'update', state, keepMessage: true, checks, note };
}

/** One email received for `challenge` (null when its Subject's nonce is unknown). */
export async function receiveEmail(
  challenge: Challenge | null,
  email: ReceivedEmail,
  ctx: FlowContext,
): Promise<Decision> {
  const closed = gate(challenge, ctx.now, 'Pending');
  if (closed || !challenge) return closed!;
  if (email.flow !== challenge.flow) {
    const mailbox = email.flow === 'setup' ? 'register@' : 'recover@';
    const detail = `sent to ${mailbox}, but this is a ${challenge.flow} challenge`;
    return fails('WrongFlow', detail, [fail('flow', detail)]);
  }
  const prior = [pass('flow', `${challenge.flow} mailbox`)];
  const pre = precheck(email.message, challenge, toSeconds(ctx.now), prior);
  if (!pre.ok) return fails(pre.code, pre.detail, pre.checks);

  if (email.proof) {
    const d = await judgeWithProof(email.message, challenge, email.proof, ctx, pre.checks);
    if (d.kind === 'update' && d.state.kind === 'Failed' && d.state.code === 'ProofInvalid') {
      const note = `the attached proof was refused: ${d.state.message}`;
      if (ctx.twoPhase !== false || ctx.dohAllowed?.(pre.from.domain))
        return awaitDns(email.message, pre, ctx, note);
    }
    return d;
  }
  if (ctx.dohLookup && ctx.dohAllowed?.(pre.from.domain)) {
    return judge(email.message, challenge, ctx.dohLookup, 'doh', ctx, [
      ...pre.checks,
      pass('dns', 'DoH quorum'),
    ]);
  }
  return awaitDns(email.message, pre, ctx, null);
}

/** `email_challenge_submit_proof`: the kept message of a NeedProof challenge, with a proof. */
export async function submitProof(
  challenge: Challenge | null,
  message: Uint8Array,
  proof: Uint8Array,
  ctx: FlowContext,
): Promise<Decision> {
  const closed = gate(challenge, ctx.now, 'NeedProof');
  if (closed || !challenge) return closed!;
  if (!(await keptMessageMatches(challenge.state, message, ctx.crypto ?? defaultCrypto))) {
    return unchanged('MessageMismatch', 'this is not the message the challenge is waiting with');
  }
  const pre = precheck(message, challenge, toSeconds(ctx.now), [pass('flow', `${challenge.flow} mailbox`)]);
  if (!pre.ok) return fails(pre.code, pre.detail, pre.checks);
  const d = await judgeWithProof(message, challenge, proof, ctx, pre.checks);
  if (d.kind === 'update' && d.state.kind === 'Failed' && d.state.code === 'ProofInvalid') {
    return unchanged('ProofInvalid', d.state.message, d.checks);
  }
  return d;
}

/** The canister's DoH fetch for a Resolving challenge finished; `lookup` answers from the quorum results. */
export async function completeResolving(
  challenge: Challenge | null,
  message: Uint8Array,
  lookup: TxtLookup,
  ctx: FlowContext,
): Promise<Decision> {
  const closed = gate(challenge, ctx.now, 'Resolving');
  if (closed || !challenge) return closed!;
  if (!(await keptMessageMatches(challenge.state, message, ctx.crypto ?? defaultCrypto))) {
    return unchanged('MessageMismatch', 'this is not the message the challenge is waiting with');
  }
  const pre = precheck(message, challenge, toSeconds(ctx.now), [pass('flow', `${challenge.flow} mailbox`)]);
  if (!pre.ok) return fails(pre.code, pre.detail, pre.checks);
  return judge(message, challenge, lookup, 'doh', ctx, [...pre.checks, pass('dns', 'DoH quorum')]);
}

/**
 * The nonce an incoming message addresses, before any verification; null when none or several. When the message
 * has several Subject fields that together name one nonce, that challenge is still the one addressed, so it ends
 * `Failed{HeaderOccurrence}` (protocol.md §4) instead of waiting on in silence.
 */
export function nonceOfMessage(bytes: Uint8Array): string | null {
  const parsed = parseMessage(bytes);
  if (!parsed.ok) return null;
  const nonces = new Set<string>();
  for (const subject of fieldsNamed(parsed.message, 'subject')) {
    const found = findNonceInSubject(subject.value);
    if (found.kind === 'ambiguous') return null;
    if (found.kind === 'one') nonces.add(found.nonce);
  }
  return nonces.size === 1 ? [...nonces][0]! : null;
}

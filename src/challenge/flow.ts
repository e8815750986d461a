/**
 * What one received email does to a challenge (protocol.md §3, §4, §6, §8): `receiveEmail`, a pure async function
 * from (challenge, email, context) to a Decision the canister applies with store.ts. Nothing here reads a clock,
 * draws randomness or touches Azle. The other events and steps live beside it: transitions.ts (the state machine
 * and `gate`), precheck.ts (step 3), proof-submission.ts (the DNSSEC path and `submitProof`), doh-path.ts (the
 * DoH path and `completeResolving`), verdict.ts (step 5).
 *
 * Order for an email, each step recorded as a Check for the UI:
 * 1. gate: unknown nonce, expired, or not Pending → `unchanged` (a second email for a finished nonce changes
 *    nothing; replays are inert);
 * 2. flow: the mailbox (register@ / recover@) must match the challenge's flow → `WrongFlow`;
 * 3. without DNS (precheck.ts): message bounds and syntax, header occurrence, From == the claimed address, the
 *    nonce alone in the Subject, at least one candidate signature (candidates.ts, shared with the gateway's proof
 *    builder);
 * 4. DNS path (§8): a proof attached → DNSSEC and the full verifyEmail; else DoH answers given and the From domain
 *    allowed → verifyEmail over them; else, with the body hash of the candidate signatures checked first (a body
 *    that already fails is `DkimFailed` without asking for keys, its key check reported `Skipped`): domain
 *    allowed → `Resolving`; two-phase (default) → `NeedProof`; else `DomainNotSupported`. An attached proof that
 *    is not valid (`ProofInvalid`) is not fatal on this path: the challenge falls back to Resolving / NeedProof,
 *    because the proof's builder (the gateway) is untrusted and may be stale;
 * 5. verdict (verdict.ts): accepted (a passing signature that aligns under DMARC and covers Subject), then From
 *    and the nonce again from the verified message → `verified` (the canister binds the address or prepares the
 *    delegation). Not accepted → `Failed` with the verdict's reason mapped to a ChallengeCode.
 *
 * The message is parsed once per event and its body hashed once per (c=, l=) (precheck.ts `ReadEmail`).
 */

import { defaultCrypto } from '#crypto-default';
import type { CryptoBackend } from '../crypto/backend.ts';
import { dmarcNameList, dmarcNames } from '../dmarc/discovery.ts';
import type { PublicSuffixes } from '../dmarc/public-suffix-list.ts';
import type { TxtLookup } from '../dns/lookup.ts';
import type { ZoneKeyCache } from '../dnssec/chain.ts';
import type { TrustAnchor } from '../dnssec/dnskey.ts';
import { bytesEqual } from '../encoding/bytes.ts';
import type { Message } from '../mail/message.ts';
import { type Meter, UNMETERED } from '../meter.ts';
import { type Candidate, sigLabel } from './candidates.ts';
import { fail, pass, skipped } from './checks.ts';
import { judgeWithDoh } from './doh-path.ts';
import { precheck, type ReadEmail } from './precheck.ts';
import { judgeWithProof } from './proof-submission.ts';
import { type Decision, fails, gate } from './transitions.ts';
import type { Challenge, ChallengeState, Check, Flow, Time } from './types.ts';

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
   * Bind the kept message to NeedProof / Resolving by its SHA-256 (default true). Hashing 64 KiB costs the
   * canister about 0.6 B instructions (BENCHMARKS.md); a canister that trusts its own message map turns it off.
   */
  readonly hashKeptMessage?: boolean;
  /** Charges each phase's work (src/meter.ts); the canister's counts instructions. */
  readonly meter?: Meter;
  /** The Public Suffix List for organizational domains (default: the shipped snapshot; the canister's config). */
  readonly suffixes?: PublicSuffixes;
}

export interface ReceivedEmail {
  /** The raw message as received (CRLF), or what parseMessage made of it (the canister parses it once). */
  readonly message: Uint8Array | Message;
  /** From the envelope (envelope.ts validateEnvelope). */
  readonly flow: Flow;
  /** RFC 9102 chain attached by the gateway. */
  readonly proof?: Uint8Array | null;
}

/** RFC 6376 §3.7 body hash of each candidate, before any key is known; keeps those that match. */
async function candidateBodies(
  email: ReadEmail,
  meter: Meter,
): Promise<{ passing: Candidate[]; checks: Check[] }> {
  const checks: Check[] = [];
  const passing: Candidate[] = [];
  for (const c of email.candidates) {
    const label = sigLabel(c.index);
    const body = await meter.sync('body_hash', () => email.hashes(c.sig));
    if (body === null) {
      checks.push(skipped(`${label} key`, 'not fetched: the body is shorter than l='));
      checks.push(fail(`${label} body-hash`, `l=${c.sig.bodyLength} exceeds the canonical body`));
      continue;
    }
    if (!bytesEqual(body.hash, c.sig.bodyHash)) {
      checks.push(skipped(`${label} key`, 'not fetched: the body hash already fails'));
      checks.push(fail(`${label} body-hash`, 'the body does not match bh='));
      continue;
    }
    checks.push(pass(`${label} body-hash`, 'matches bh= (the key is checked next)'));
    passing.push(c);
  }
  return { passing, checks };
}

/** No DNS answers yet: check the body hashes, then wait (Resolving / NeedProof) or give up. */
async function awaitDns(email: ReadEmail, ctx: FlowContext, note: string | null): Promise<Decision> {
  const crypto = ctx.crypto ?? defaultCrypto;
  const domain = email.from.domain;
  const allowed = ctx.dohAllowed?.(domain) ?? false;
  if (!allowed && ctx.twoPhase === false) {
    const checks = [
      ...email.checks,
      fail('dns', `${domain} is not on the DoH allowlist and no proof was given`),
    ];
    const why = note ? `; ${note}` : '';
    return fails('DomainNotSupported', `${domain} needs a DNSSEC proof${why}`, checks);
  }
  const hashed = await candidateBodies(email, ctx.meter ?? UNMETERED);
  const checks = [...email.checks, ...hashed.checks];
  if (hashed.passing.length === 0) {
    return fails('DkimFailed', 'the body does not match the hash of any aligned signature', checks);
  }
  const keyNames = [...new Set(hashed.passing.map((c) => c.keyName))];
  const pendingMessageHash = ctx.hashKeptMessage === false ? null : await crypto.sha256(email.message.bytes);
  const state: ChallengeState = allowed
    ? {
        kind: 'Resolving',
        names: [...keyNames, ...dmarcNameList(dmarcNames(domain, ctx.suffixes))],
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
  const pre = precheck(email.message, challenge, [pass('flow', `${challenge.flow} mailbox`)], ctx);
  if (!pre.ok) return fails(pre.code, pre.detail, pre.checks);

  if (email.proof) {
    const d = await judgeWithProof(pre, challenge, email.proof, ctx);
    if (d.kind === 'update' && d.state.kind === 'Failed' && d.state.code === 'ProofInvalid') {
      const note = `the attached proof was refused: ${d.state.message}`;
      if (ctx.twoPhase !== false || ctx.dohAllowed?.(pre.from.domain)) return awaitDns(pre, ctx, note);
    }
    return d;
  }
  if (ctx.dohLookup && ctx.dohAllowed?.(pre.from.domain)) {
    return judgeWithDoh(pre, challenge, ctx.dohLookup, ctx);
  }
  return awaitDns(pre, ctx, null);
}

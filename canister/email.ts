/**
 * Email setup and recovery (protocol.md §2–§4): challenges in stable memory, the SMTP interface, proof
 * submission, and completing a verified flow. The decisions themselves are the pure functions of
 * src/challenge/flow.ts; this module stores their results, binds addresses and prepares delegations.
 */
import { call, canisterSelf, IDL, time as icNow, type Principal, setTimer } from 'azle';
import { completeResolving } from '../src/challenge/doh-path.ts';
import { quorumLookup } from '../src/challenge/doh-quorum.ts';
import {
  checkRequestBounds,
  mailboxFor,
  validateEnvelope,
  validateRequest,
} from '../src/challenge/envelope.ts';
import { type FlowContext, receiveEmail } from '../src/challenge/flow.ts';
import { isNonce, makeNonce, NONCE_RANDOM_BYTES } from '../src/challenge/nonce.ts';
import { nonceOfMessage } from '../src/challenge/precheck.ts';
import { submitProof } from '../src/challenge/proof-submission.ts';
import { ChallengeStore } from '../src/challenge/store.ts';
import { type Decision, failed, recoveryReady, setupComplete } from '../src/challenge/transitions.ts';
import type { Challenge, ChallengeState } from '../src/challenge/types.ts';
import { pureCrypto } from '../src/crypto/pure.ts';
import type { TxtAnswer } from '../src/dns/lookup.ts';
import { zoneKeyCache } from '../src/dnssec/chain.ts';
import { parseAnchors, type TrustAnchor } from '../src/dnssec/dnskey.ts';
import { parseAddress } from '../src/mail/address.ts';
import { parseMessage } from '../src/mail/message.ts';
import { currentConfig } from './config.ts';
import { addSignature, certifySignatures, checkSessionKey, prepareDelegation } from './delegations.ts';
import { dohAllowed, resolveTxt } from './doh.ts';
import { anchorForAddress, bindAddress, boundAddressCount, markRecovered } from './identities.ts';
import { CallMeter } from './metering.ts';
import { registerMetric } from './metrics.ts';
import { ApiRefusal } from './refusal.ts';
import { salt } from './salt.ts';
import { incrementLabeled, labeledCounters, MEMORY, stableKv } from './state.ts';
import { currentSuffixes } from './suffix-list.ts';

/** Verified zone keys (root, TLD, …) shared by every proof until their RRSIGs expire; heap, so reset by upgrades. */
const keyCache = zoneKeyCache();

const challengesKv = stableKv(MEMORY.challenges);
const store = new ChallengeStore({
  challenges: challengesKv,
  byAge: stableKv(MEMORY.challengeAge),
  messages: stableKv(MEMORY.challengeMessages),
});

export function pendingChallenges(): number {
  return store.size();
}

/** 13 bytes for a nonce, from the management canister's `raw_rand` (never Azle's zero-seeded CSPRNG). */
async function randomNonce(): Promise<string> {
  const bytes = await call<undefined, Uint8Array>('aaaaa-aa', 'raw_rand', {
    returnIdlType: IDL.Vec(IDL.Nat8),
  });
  return makeNonce(bytes.slice(0, NONCE_RANDOM_BYTES));
}

function firstMailHost(): string {
  const host = currentConfig().mail_hosts[0];
  if (!host) throw new ApiRefusal('MailNotConfigured', 'no mail host is configured');
  return host;
}

function normalizedAddress(address: string): string {
  const parsed = parseAddress(address);
  if (!parsed.ok) throw new ApiRefusal('InvalidAddress', parsed.detail);
  return parsed.value.address;
}

export interface PreparedChallenge {
  nonce: string;
  expiresAt: bigint;
  mailbox: string;
}

async function prepare(
  input: { flow: 'setup'; anchor: bigint } | { flow: 'recovery'; sessionKey: Uint8Array },
  address: string,
  now: () => bigint,
): Promise<PreparedChallenge> {
  const host = firstMailHost();
  const normalized = normalizedAddress(address);
  const nonce = await randomNonce();
  const inserted = store.insert(
    input.flow === 'setup'
      ? { nonce, flow: 'setup', address: normalized, anchor: input.anchor }
      : { nonce, flow: 'recovery', address: normalized, sessionKey: input.sessionKey },
    now(),
  );
  if (!inserted.ok) throw new ApiRefusal(inserted.code, inserted.detail);
  incrementLabeled('challenge_states', 'Pending');
  return { nonce, expiresAt: inserted.challenge.expiresAt, mailbox: mailboxFor(input.flow, host) };
}

export function prepareSetup(anchor: bigint, address: string, now: () => bigint): Promise<PreparedChallenge> {
  return prepare({ flow: 'setup', anchor }, address, now);
}

/**
 * Recovery prepare never looks the address up: registered and unknown addresses get the same answer at the same
 * cost (protocol.md §3). An unknown address simply never completes.
 */
export function prepareRecovery(
  address: string,
  sessionKey: Uint8Array,
  now: () => bigint,
): Promise<PreparedChallenge> {
  checkSessionKey(sessionKey);
  return prepare({ flow: 'recovery', sessionKey }, address, now);
}

export function challengeStatus(nonce: string, now: bigint): ChallengeState {
  return store.status(nonce, now);
}

/** The configured anchors, parsed once per configuration (config.ts replaces the array on install and upgrade). */
let anchorsParsed: { from: readonly string[]; anchors: readonly TrustAnchor[] } | undefined;

function flowContext(now: bigint, meter: CallMeter): FlowContext {
  const configured = currentConfig().root_anchors;
  if (anchorsParsed?.from !== configured) {
    anchorsParsed = { from: configured, anchors: parseAnchors(configured.join('\n')) };
  }
  return {
    now,
    anchors: anchorsParsed.anchors,
    crypto: meter.crypto(pureCrypto),
    meter,
    keyCache,
    dohAllowed,
    twoPhase: true,
    hashKeptMessage: false,
    suffixes: currentSuffixes(),
  };
}

export interface CompletionContext {
  canisterId: Uint8Array;
  salt: Uint8Array | undefined;
  caller: Principal;
}

/** Stores a new state and counts it for /metrics (states entered, and failures by code). */
function setState(nonce: string, state: ChallengeState, now: bigint): void {
  if (!store.setState(nonce, state, now)) return;
  incrementLabeled('challenge_states', state.kind);
  if (state.kind === 'Failed') incrementLabeled('challenge_failures', state.code);
}

/** Stores what a decision says; a verified email completes the flow (binding, or a recovery delegation). */
function apply(
  challenge: Challenge,
  message: Uint8Array,
  decision: Decision,
  now: bigint,
  ctx: CompletionContext,
) {
  if (decision.kind === 'unchanged') return;
  if (decision.kind === 'update') {
    setState(challenge.nonce, decision.state, now);
    if (decision.keepMessage) store.putMessage(challenge.nonce, message, now);
    // The canister drives DoH itself (protocol.md §8); the status reads Resolving meanwhile.
    if (decision.state.kind === 'Resolving') setTimer(0, () => resolveChallenge(challenge.nonce, ctx));
    return;
  }
  setState(challenge.nonce, complete(challenge, decision.address, now, ctx), now);
}

function complete(
  challenge: Challenge,
  address: string,
  now: bigint,
  ctx: CompletionContext,
): ChallengeState {
  if (challenge.flow === 'setup') {
    try {
      bindAddress(challenge.anchor!, address, ctx.caller, now);
      return setupComplete(challenge);
    } catch (e) {
      if (e instanceof ApiRefusal && e.code === 'AddressAlreadyRegistered') {
        return failed('AddressAlreadyRegistered', e.message);
      }
      throw e;
    }
  }
  const anchor = anchorForAddress(address);
  const origin = currentConfig().app_origin;
  // Prepare answered alike for every address (protocol.md §3); only a verified email from the address itself
  // learns that it is not registered, which tells its owner nothing new.
  if (anchor === undefined)
    return failed('AddressNotRegistered', 'this address is not the recovery address of any identity');
  if (!origin || !ctx.salt) return challenge.state;
  const prepared = prepareDelegation(
    { canisterId: ctx.canisterId, salt: ctx.salt, anchor, origin },
    challenge.sessionKey!,
    undefined,
    now,
    challenge.expiresAt - now,
  );
  markRecovered(anchor, ctx.caller, now);
  return recoveryReady(anchor, prepared.userKey, prepared.expiration);
}

export interface SmtpOutcome {
  code: number;
  message: string;
}

/** `smtp_request_validate`: the envelope rules of protocol.md §4. */
export function validateSmtpEnvelope(envelope: { mail_from: string; rcpt_to: string[] }): SmtpOutcome | null {
  const r = validateEnvelope(envelope, currentConfig().mail_hosts);
  return r.ok ? null : { code: r.code, message: r.message };
}

/**
 * `smtp_request`: envelope and bounds, then the email is judged against the challenge its Subject names. Every
 * verification outcome, an unknown nonce included, is `Ok`: the gateway learns nothing; the outcome is stored.
 * The message is parsed here once, for the nonce, and the parse is handed to the flow.
 */
export async function receiveSmtp(
  request: {
    envelope: { mail_from: string; rcpt_to: string[] };
    message: Uint8Array;
    dns_proof: Uint8Array | null;
  },
  now: bigint,
  ctx: CompletionContext,
  meter: CallMeter,
): Promise<SmtpOutcome | null> {
  const checked = validateRequest(request, currentConfig().mail_hosts);
  if (!checked.ok) return { code: checked.code, message: checked.message };
  const parsed = meter.sync('parse', () => parseMessage(request.message));
  // An unparsable message names no challenge: it cannot be attributed, so nothing is stored.
  const nonce = parsed.ok ? nonceOfMessage(parsed.message) : null;
  const challenge = nonce === null ? null : meter.sync('store', () => store.get(nonce, now));
  if (!parsed.ok || !challenge) return null;
  const decision = await receiveEmail(
    challenge,
    { message: parsed.message, flow: checked.flow, proof: request.dns_proof },
    flowContext(now, meter),
  );
  meter.sync('store', () => apply(challenge, request.message, decision, now, ctx));
  if (decision.kind !== 'unchanged') meter.finish();
  return null;
}

/** `email_challenge_submit_proof`: accepted only in NeedProof; returns the new status or why nothing changed. */
export async function submitChallengeProof(
  nonce: string,
  proof: Uint8Array,
  now: bigint,
  ctx: CompletionContext,
  meter: CallMeter,
): Promise<ChallengeState> {
  const bounds = checkRequestBounds({ message: new Uint8Array(0), dns_proof: proof });
  if (bounds) throw new ApiRefusal('ProofTooLarge', bounds.message);
  const challenge = meter.sync('store', () => store.get(nonce, now));
  if (challenge?.state.kind !== 'NeedProof') {
    throw new ApiRefusal('NotAwaitingProof', 'this challenge is not waiting for a proof');
  }
  const message = meter.sync('store', () => store.message(nonce, now));
  if (!message) throw new ApiRefusal('NotAwaitingProof', 'the message of this challenge is gone');
  const decision = await submitProof(challenge, message, proof, flowContext(now, meter));
  if (decision.kind === 'unchanged') throw new ApiRefusal(decision.code, decision.message);
  meter.sync('store', () => apply(challenge, message, decision, now, ctx));
  meter.finish();
  return store.status(nonce, now);
}

/** The recovery delegation of a RecoveryReady challenge, when the key and expiration are the challenge's. */
export function recoveryChallenge(nonce: string, sessionKey: Uint8Array, expiration: bigint, now: bigint) {
  const challenge = store.get(nonce, now);
  const state = challenge?.state;
  if (!challenge || state?.kind !== 'RecoveryReady') {
    throw new ApiRefusal('NotReady', 'this challenge has no recovery delegation');
  }
  const key = challenge.sessionKey!;
  if (
    key.length !== sessionKey.length ||
    key.some((b, i) => b !== sessionKey[i]) ||
    state.expiration !== expiration
  ) {
    throw new ApiRefusal('NoSuchDelegation', 'the session key or expiration differs from the prepared ones');
  }
  return { anchor: state.anchor, sessionKey: key };
}

/** Fetches the names a Resolving challenge waits for over DoH, then finishes its verification. */
async function resolveChallenge(nonce: string, ctx: CompletionContext): Promise<void> {
  const start = store.get(nonce, icNow());
  if (start?.state.kind !== 'Resolving') return;
  const names = start.state.names;
  const answers = await Promise.all(names.map((n) => resolveTxt(n, icNow)));
  const results = new Map<string, TxtAnswer>(names.map((n, i) => [n, answers[i]!]));
  const meter = new CallMeter('doh_completion', false);
  const now = icNow();
  const challenge = store.get(nonce, now);
  const message = store.message(nonce, now);
  if (!challenge || !message) return;
  const decision = await completeResolving(
    challenge,
    message,
    quorumLookup(results),
    flowContext(now, meter),
  );
  apply(challenge, message, decision, now, ctx);
  if (decision.kind !== 'unchanged') meter.finish();
}

registerMetric({
  name: 'waxseal_pending_challenges',
  help: 'Challenges stored (live or expired and not yet purged; capped at 10,000).',
  type: 'gauge',
  value: () => store.size(),
});
registerMetric({
  name: 'waxseal_bound_addresses',
  help: 'Recovery addresses bound to identities.',
  type: 'gauge',
  value: () => boundAddressCount(),
});

registerMetric({
  name: 'waxseal_challenge_transitions_total',
  help: 'Challenges that entered each state (Pending is counted at prepare time).',
  type: 'counter',
  value: () => labeledCounters('challenge_states').map(([state, n]) => [{ state }, n] as const),
});
registerMetric({
  name: 'waxseal_challenge_failures_total',
  help: 'Challenges that ended Failed, by reason code.',
  type: 'counter',
  value: () => labeledCounters('challenge_failures').map(([code, n]) => [{ code }, n] as const),
});

/**
 * At most this many RecoveryReady delegations are re-signed after an upgrade, the latest-expiring first. Each
 * costs about 31 M instructions (measured: mostly SHA-256 for the seed, the delegation hash and the tree), so the
 * cap keeps that part of post_upgrade near 31 B of its 300 B limit even when an attacker has filled the store with
 * recoveries of their own address; the older ones must be re-done.
 */
const MAX_RESIGNED_AFTER_UPGRADE = 1000;

/**
 * Called from post_upgrade for what lives in heap and is lost by an upgrade: challenges waiting for their DoH fetch
 * (Resolving) get it again, since timers do not survive; and RecoveryReady challenges get their delegation back
 * in the signature map (see MAX_RESIGNED_AFTER_UPGRADE), so the person can still fetch it. The canister itself is
 * the caller recorded in the audit log of a recovery it completes.
 */
export function resumeChallenges(): void {
  const now = icNow();
  const ctx: CompletionContext = {
    canisterId: canisterSelf().toUint8Array(),
    salt: salt(),
    caller: canisterSelf(),
  };
  const ready: { challenge: Challenge; state: Extract<ChallengeState, { kind: 'RecoveryReady' }> }[] = [];
  for (const [key] of challengesKv.range(0, challengesKv.size())) {
    const nonce = String.fromCharCode(...key);
    const challenge = isNonce(nonce) ? store.get(nonce, now) : undefined;
    const state = challenge?.state;
    if (state?.kind === 'Resolving') setTimer(0, () => resolveChallenge(nonce, ctx));
    if (state?.kind === 'RecoveryReady') ready.push({ challenge: challenge!, state });
  }
  const origin = currentConfig().app_origin;
  if (ctx.salt && origin) {
    const later = (a: bigint, b: bigint) => (a > b ? -1 : a < b ? 1 : 0);
    ready.sort((a, b) => later(a.challenge.expiresAt, b.challenge.expiresAt));
    for (const { challenge, state } of ready.slice(0, MAX_RESIGNED_AFTER_UPGRADE)) {
      addSignature(
        { canisterId: ctx.canisterId, salt: ctx.salt, anchor: state.anchor, origin },
        challenge.sessionKey!,
        state.expiration,
        challenge.expiresAt,
      );
    }
  }
  certifySignatures();
}

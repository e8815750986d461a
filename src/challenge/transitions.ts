/**
 * The challenge's state machine (protocol.md §3): which event each state accepts, the Decision an event yields,
 * and the states a decision stores, kept within the codec's bounds (codec.ts).
 *
 *   Pending ──email──▶ NeedProof ──proof──▶ SetupComplete | RecoveryReady | Failed
 *      │                   └─ a proof that does not validate: unchanged, still NeedProof
 *      ├──email──▶ Resolving ──DoH answers──▶ SetupComplete | RecoveryReady | Failed
 *      └──email──▶ SetupComplete | RecoveryReady | Failed
 *   Any state past its TTL reads as Expired, and so does an unknown nonce.
 *
 * Events for NeedProof and Resolving carry the message kept at the first email, which must be that message
 * (`keptMessageMatches`). The flow's files decide; the canister applies decisions with store.ts.
 */
import type { CryptoBackend } from '../crypto/backend.ts';
import { bytesEqual } from '../encoding/bytes.ts';
import { CODEC_LIMITS, clampText } from './codec.ts';
import {
  type Challenge,
  type ChallengeCode,
  type ChallengeState,
  type Check,
  type Flow,
  isExpired,
  isTerminal,
  type Time,
} from './types.ts';

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

/** The decision to store a Failed state (the message is not kept). */
export function fails(code: ChallengeCode, message: string, checks: readonly Check[]): Decision {
  return { kind: 'update', state: failed(code, message, checks), keepMessage: false, checks, note: null };
}

export function unchanged(code: ChallengeCode, message: string, checks: readonly Check[] = []): Decision {
  return { kind: 'unchanged', code, message, checks };
}

/** null when `challenge` is live and in state `want`; otherwise the `unchanged` decision saying why not. */
export function gate(challenge: Challenge | null, now: Time, want: ChallengeState['kind']): Decision | null {
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

/**
 * Whether `bytes` is the message a NeedProof or Resolving state waits with: the SHA-256 on the state when it has
 * one (a canister that trusts its own message map stores none, FlowContext.hashKeptMessage).
 */
export async function keptMessageMatches(
  state: ChallengeState,
  bytes: Uint8Array,
  crypto: CryptoBackend,
): Promise<boolean> {
  if (state.kind !== 'NeedProof' && state.kind !== 'Resolving') return false;
  if (state.pendingMessageHash === null) return true;
  return bytesEqual(await crypto.sha256(bytes), state.pendingMessageHash);
}

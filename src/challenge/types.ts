/**
 * The challenge model of protocol.md §3: one entry per prepare call, keyed by its nonce, with the states that
 * `email_challenge_status` reports, and the stable machine codes of every outcome (protocol.md §4–§8).
 *
 * Times are `bigint` nanoseconds since the Unix epoch, as the IC's `time()` gives them and as Candid `nat64`
 * carries them; the DKIM and DNSSEC verifiers take whole seconds, derived with `toSeconds`.
 */

export type Flow = 'setup' | 'recovery';

/** Nanoseconds since the Unix epoch. */
export type Time = bigint;

export const NS_PER_SECOND = 1_000_000_000n;

/** Whole Unix seconds (rounded down) for the verifiers. */
export function toSeconds(t: Time): number {
  return Number(t / NS_PER_SECOND);
}

/** protocol.md §9: a challenge lives 30 minutes. */
export const CHALLENGE_TTL: Time = 30n * 60n * NS_PER_SECOND;
/** protocol.md §9: at most 10,000 pending challenges. */
export const CHALLENGE_CAP = 10_000;
/** protocol.md §9: a recovery session key is at most 1024 bytes of DER. */
export const SESSION_KEY_MAX_BYTES = 1024;

export type CheckStatus = 'Pass' | 'Fail' | 'Skipped';

/** One line of the per-step checklist the UI shows (`Check` in protocol.md §3). */
export interface Check {
  readonly name: string;
  readonly status: CheckStatus;
  readonly detail: string;
}

/**
 * Why a challenge failed (terminal `Failed { code }`), or why a request left it unchanged. Stable strings: the
 * UI, the CLI and the logs key on them.
 */
export const CHALLENGE_CODES = [
  // Waxseal rules (protocol.md §3, §6).
  'AddressMismatch',
  'SubjectNotSigned',
  'NonceMismatch',
  'WrongFlow',
  'Expired',
  'AlreadyFinished',
  'AddressAlreadyRegistered',
  'AddressNotRegistered',
  // DNS paths (protocol.md §7, §8).
  'DomainNotSupported',
  'ProofInvalid',
  'DnsLookupFailed',
  // The email itself (protocol.md §4–§6, every EmailVerdict reason).
  'DkimFailed',
  'NoSignature',
  'DmarcNotAligned',
  'PublicSuffixAlignment',
  'MalformedFromHeader',
  'HeaderOccurrence',
  'MessageTooLarge',
  'TooManyHeaderFields',
  'HeaderLineTooLong',
  'MalformedMessage',
  // Requests that leave the challenge as it is.
  'UnknownNonce',
  'InProgress',
  'NotAwaitingProof',
  'MessageMismatch',
] as const;
export type ChallengeCode = (typeof CHALLENGE_CODES)[number];

export function isChallengeCode(text: string): text is ChallengeCode {
  return (CHALLENGE_CODES as readonly string[]).includes(text);
}

export type ChallengeState =
  /** Waiting for the email. */
  | { readonly kind: 'Pending' }
  /**
   * The email arrived and passed every check that needs no DNS key; it waits for a DNSSEC proof of
   * `<selector>._domainkey.<domain>` for each selector (+ `_dmarc.<domain>` when published, else
   * `_dmarc.<organizational domain>`: src/dmarc/discovery.ts). `keyNames` lists the
   * exact key names (lowercase, no trailing dot) of every candidate signature, which also covers a relaxed-aligned
   * `d=` below the From domain that `selectors` cannot express. The message is kept beside the entry (store.ts)
   * and bound to it by its SHA-256.
   */
  | {
      readonly kind: 'NeedProof';
      readonly domain: string;
      readonly selectors: readonly string[];
      readonly keyNames: readonly string[];
      readonly pendingMessageHash: Uint8Array | null;
    }
  /** The canister is fetching `names` over DoH (protocol.md §8); the message is kept as for NeedProof. */
  | {
      readonly kind: 'Resolving';
      readonly names: readonly string[];
      readonly pendingMessageHash: Uint8Array | null;
    }
  | { readonly kind: 'SetupComplete'; readonly address: string }
  | {
      readonly kind: 'RecoveryReady';
      readonly anchor: bigint;
      readonly userKey: Uint8Array;
      readonly expiration: Time;
    }
  | {
      readonly kind: 'Failed';
      readonly code: ChallengeCode;
      readonly message: string;
      readonly checks: readonly Check[];
    }
  | { readonly kind: 'Expired' };

export type StateKind = ChallengeState['kind'];

/** States after which a challenge never changes again (protocol.md §3: "terminal"). */
export function isTerminal(state: ChallengeState): boolean {
  return (
    state.kind === 'SetupComplete' ||
    state.kind === 'RecoveryReady' ||
    state.kind === 'Failed' ||
    state.kind === 'Expired'
  );
}

export interface Challenge {
  /** Canonical nonce, `WX-` + 20 base32 characters. */
  readonly nonce: string;
  readonly flow: Flow;
  /** The claimed address, lowercased (mail/address.ts rules). */
  readonly address: string;
  /** The identity being set up (setup flow only). */
  readonly anchor: bigint | null;
  /** DER SubjectPublicKeyInfo of the browser's session key (recovery flow only). */
  readonly sessionKey: Uint8Array | null;
  readonly createdAt: Time;
  readonly expiresAt: Time;
  /** Insertion number, the tie-break of "oldest" after createdAt (store.ts). */
  readonly seq: bigint;
  readonly state: ChallengeState;
}

/** Expired when `now` has reached `expiresAt`. */
export function isExpired(challenge: Challenge, now: Time): boolean {
  return now >= challenge.expiresAt;
}

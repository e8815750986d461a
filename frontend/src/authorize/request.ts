/**
 * What a dApp asks of the identity provider, whichever protocol carried it: ICRC-34 `icrc34_delegation` (over the
 * ICRC-29 postMessage transport) or the legacy Internet Identity `authorize-client` message. Both parsers
 * (icrc.ts, legacy.ts) produce a `DelegationRequest`, the one handler (handler.ts) answers it with an `Outcome`,
 * and each protocol serialises that outcome its own way. Refusals are typed codes, mapped to ICRC-25 error codes
 * in jsonrpc.ts and to the legacy failure text in legacy.ts.
 */
import { sessionKeyKind } from '../../../src/identity/session-key.ts';

export interface DelegationRequest {
  /** DER SubjectPublicKeyInfo of the dApp's session key (IC interface spec, "Signatures"). */
  readonly sessionKey: Uint8Array;
  /** The lifetime the dApp asks for, in ns; undefined when it asks for none (ttl.ts picks the default). */
  readonly maxTimeToLive: bigint | undefined;
  /** ICRC-34 `targets` (canister ids as text): a request for an account delegation. Never set by legacy. */
  readonly targets: readonly string[] | undefined;
  /** ICRC-95 `icrc95DerivationOrigin` / legacy `derivationOrigin`, as sent (alternative-origins.ts checks it). */
  readonly derivationOrigin: string | undefined;
}

/**
 * Why a request is refused:
 * - `user-aborted`: the person pressed Cancel (ICRC-25 3001);
 * - `permission-denied`: the dApp may not have what it asks, e.g. an unlisted derivation origin (3000);
 * - `invalid-params`: the request is malformed (JSON-RPC −32602);
 * - `not-supported`: well-formed, but Waxseal cannot do it, e.g. targets (ICRC-25 2000);
 * - `generic`: anything else (ICRC-25 1000).
 */
export type RefusalCode =
  | 'user-aborted'
  | 'permission-denied'
  | 'invalid-params'
  | 'not-supported'
  | 'generic';

export interface Refusal {
  readonly ok: false;
  readonly code: RefusalCode;
  /** A sentence for the dApp's developer. */
  readonly message: string;
}

export function refuse(code: RefusalCode, message: string): Refusal {
  return { ok: false, code, message };
}

/** A parser's answer: the value, or why the input was refused. */
export type Parsed<T> = { readonly ok: true; readonly value: T } | Refusal;

/** `der` (from the request's `field`) when it is a session key the canister signs for (protocol.md §9). */
export function checkSessionKey(der: Uint8Array | null, field: string): Parsed<Uint8Array> {
  return der !== null && sessionKeyKind(der) !== null
    ? { ok: true, value: der }
    : refuse('invalid-params', `${field} must be the DER of an Ed25519, ECDSA P-256 or secp256k1 public key`);
}

/** One signed delegation (IC interface spec, "Authentication"); Waxseal's carry no targets. */
export interface SignedDelegation {
  readonly pubkey: Uint8Array;
  readonly expiration: bigint;
  readonly signature: Uint8Array;
}

/** A delegation chain from the user key (a canister-signature key, DER) to the dApp's session key. */
export interface SignedChain {
  readonly userKey: Uint8Array;
  readonly delegations: readonly SignedDelegation[];
  /** How the person got in; the legacy protocol reports it (`authnMethod`). */
  readonly authnMethod: 'passkey' | 'recovery';
}

export type Outcome = { readonly ok: true; readonly chain: SignedChain } | Refusal;

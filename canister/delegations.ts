/**
 * Canister-signed delegations (protocol.md §1, ic-notes.md §1.5–§1.6): `prepare_delegation` (update) adds the
 * delegation's hash to the signature map and certifies its root; `get_delegation` (query) cuts the witness and
 * wraps it with the data certificate. The map lives in heap, like Internet Identity's: entries expire after a
 * minute, and after an upgrade the certified data is reset to the map of the delegations that must outlive it
 * (email recoveries that are RecoveryReady, re-added by email.ts).
 */

import { certifiedDataSet, dataCertificate } from 'azle';
import { sha256 } from '../src/crypto/sha256.ts';
import { utf8 } from '../src/encoding/bytes.ts';
import { delegationSignatureCbor } from '../src/identity/canister-sig.ts';
import {
  canisterSigPublicKeyDer,
  delegationMessageHash,
  MAX_ORIGIN_BYTES,
  userSeed,
} from '../src/identity/delegation.ts';
import { MAX_DELEGATION_TTL_NS } from '../src/identity/delegation-lifetime.ts';
import { sessionKeyKind } from '../src/identity/session-key.ts';
import { SignatureMap } from '../src/identity/signature-map.ts';
import { ApiRefusal } from './refusal.ts';

export { MAX_DELEGATION_TTL_NS };

const NS_PER_SECOND = 1_000_000_000n;
/** How long a prepared signature stays retrievable (Internet Identity uses one minute). */
const SIGNATURE_TTL_NS = 60n * NS_PER_SECOND;
export const DEFAULT_DELEGATION_TTL_NS = 30n * 60n * NS_PER_SECOND;

let signatures = new SignatureMap();

/** Starts an empty map (after install and upgrade the heap map is new); `certifySignatures` must follow. */
export function resetSignatures(): void {
  signatures = new SignatureMap();
}

export function certifySignatures(): void {
  certifiedDataSet(signatures.certifiedData());
}

export function liveSignatures(): number {
  return signatures.size;
}

export function checkSessionKey(sessionKey: Uint8Array): void {
  if (sessionKeyKind(sessionKey) === null) {
    throw new ApiRefusal(
      'InvalidSessionKey',
      'the session key must be the DER SubjectPublicKeyInfo of an Ed25519, P-256 or secp256k1 key (≤ 1024 bytes)',
    );
  }
}

export function checkOrigin(origin: string): void {
  if (origin.length === 0 || utf8(origin).length > MAX_ORIGIN_BYTES) {
    throw new ApiRefusal('InvalidOrigin', `the origin must be 1–${MAX_ORIGIN_BYTES} bytes`);
  }
}

export interface DelegationSeed {
  canisterId: Uint8Array;
  salt: Uint8Array;
  anchor: bigint;
  origin: string;
}

function seedOf(s: DelegationSeed): Uint8Array {
  return userSeed(s.salt, s.anchor, s.origin);
}

export function userKey(s: DelegationSeed): Uint8Array {
  return canisterSigPublicKeyDer(s.canisterId, seedOf(s));
}

/** Adds the delegation to the map and certifies it; returns the user key and the expiration. */
export function prepareDelegation(
  s: DelegationSeed,
  sessionKey: Uint8Array,
  maxTtlNs: bigint | undefined,
  now: bigint,
  signatureTtlNs: bigint = SIGNATURE_TTL_NS,
): { userKey: Uint8Array; expiration: bigint } {
  checkOrigin(s.origin);
  checkSessionKey(sessionKey);
  const ttl = maxTtlNs === undefined ? DEFAULT_DELEGATION_TTL_NS : maxTtlNs;
  const expiration = now + (ttl < MAX_DELEGATION_TTL_NS ? ttl : MAX_DELEGATION_TTL_NS);
  signatures.prune(now);
  const userKey = addSignature(s, sessionKey, expiration, now + signatureTtlNs);
  certifySignatures();
  return { userKey, expiration };
}

/**
 * Puts a delegation that was prepared before an upgrade back into the map, with the same expiration, so its
 * holder can still fetch it. The caller certifies once all are back.
 */
export function addSignature(
  s: DelegationSeed,
  sessionKey: Uint8Array,
  expiration: bigint,
  signatureExpiresAt: bigint,
): Uint8Array {
  const seed = seedOf(s);
  signatures.add(sha256(seed), delegationMessageHash({ pubkey: sessionKey, expiration }), signatureExpiresAt);
  return canisterSigPublicKeyDer(s.canisterId, seed);
}

/** The signed delegation, from a non-replicated query that has a data certificate. */
export function getDelegation(s: DelegationSeed, sessionKey: Uint8Array, expiration: bigint): Uint8Array {
  checkOrigin(s.origin);
  const certificate = dataCertificate();
  if (certificate === undefined) {
    throw new ApiRefusal('NoCertificate', 'get_delegation must be called as a query');
  }
  const signature = delegationSignatureCbor(signatures, certificate, seedOf(s), {
    pubkey: sessionKey,
    expiration,
  });
  if (!signature) {
    throw new ApiRefusal(
      'NoSuchDelegation',
      'no prepared delegation for this key and expiration (or it expired)',
    );
  }
  return signature;
}

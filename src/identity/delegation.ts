/**
 * What a canister signs for a delegation, and whose key it is.
 *
 * - Representation-independent hash (IC interface spec "Representation-independent hashing of structured
 *   data") of the delegation map `{pubkey, expiration[, targets][, permissions]}` ("Authentication" →
 *   delegations).
 * - The signed payload `0x1A · "ic-request-auth-delegation" · RIH` and the message hash the signature map keys on.
 * - The canister-signature public key ("Canister signatures"): DER `SEQUENCE{SEQUENCE{OID 1.3.6.1.4.1.56387.1.2},
 *   BIT STRING(|cid| · cid · seed)}`, read by the same strict unwrapper as other OID-tagged keys (WebAuthn).
 * - Self-authenticating principals ("Principals"); their textual form is @icp-sdk/core's `Principal.toText`
 *   where a shell prints one (the canister never does).
 * - The Waxseal user seed (protocol.md §1).
 *
 * Pure: runs in the canister (QuickJS).
 */
import { sha224 } from '@noble/hashes/sha2.js';
import { sha256 } from '../crypto/sha256.ts';
import { compareBytes, concatBytes, utf8 } from '../encoding/bytes.ts';
import { domainSeparator } from './hash-tree.ts';

// ---------------------------------------------------------------------------------------------------------
// Representation-independent hash

/** Shortest unsigned LEB128; `0` → `00`. */
export function leb128(n: bigint | number): Uint8Array {
  let v = BigInt(n);
  if (v < 0n) throw new RangeError('LEB128 of a negative number');
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) byte |= 0x80;
    out.push(byte);
  } while (v !== 0n);
  return Uint8Array.from(out);
}

/** Values the RIH defines: blobs, text, nats, arrays and nested maps. `undefined` map fields are omitted. */
export type RihValue =
  | Uint8Array
  | string
  | bigint
  | number
  | readonly RihValue[]
  | { readonly [key: string]: RihValue | undefined };

/** `hash(v)`: blobs as is, text as UTF-8, nats as LEB128, arrays as H(concatBytes(H(e_i))), maps recursively. */
export function rihHashValue(v: RihValue): Uint8Array {
  if (v instanceof Uint8Array) return sha256(v);
  if (typeof v === 'string') return sha256(utf8(v));
  if (typeof v === 'bigint' || typeof v === 'number') {
    if (typeof v === 'number' && !Number.isSafeInteger(v))
      throw new RangeError('RIH numbers must be integers');
    return sha256(leb128(v));
  }
  if (Array.isArray(v)) return sha256(concatBytes(...(v as readonly RihValue[]).map(rihHashValue)));
  return rihHashOfMap(v as { readonly [key: string]: RihValue | undefined });
}

/** `H(concatBytes(sort([H(k) · H(v) for each field])))`, pairs sorted as byte strings. */
export function rihHashOfMap(map: { readonly [key: string]: RihValue | undefined }): Uint8Array {
  const pairs: Uint8Array[] = [];
  for (const [k, v] of Object.entries(map)) {
    if (v === undefined) continue;
    pairs.push(concatBytes(sha256(utf8(k)), rihHashValue(v)));
  }
  pairs.sort(compareBytes);
  return sha256(concatBytes(...pairs));
}

// ---------------------------------------------------------------------------------------------------------
// Delegations

/** A delegation as signed: `targets` are raw principal bytes; `undefined` and `[]` hash differently. */
export interface DelegationFields {
  readonly pubkey: Uint8Array;
  /** Nanoseconds since the epoch. */
  readonly expiration: bigint;
  readonly targets?: readonly Uint8Array[] | undefined;
  /** A restriction such as `"queries"` (@icp-sdk/core `Delegation.permissions`); hashed as text when present. */
  readonly permissions?: string | undefined;
}

/** `0x1A · "ic-request-auth-delegation"`. */
export const DELEGATION_DOMAIN_SEPARATOR: Uint8Array = domainSeparator('ic-request-auth-delegation');

/**
 * RIH of `{pubkey, expiration[, targets][, permissions]}` (same as @icp-sdk/core `requestIdOf` on
 * `Delegation.toCborValue()`).
 */
export function delegationHash(d: DelegationFields): Uint8Array {
  return rihHashOfMap({
    pubkey: d.pubkey,
    expiration: d.expiration,
    targets: d.targets,
    permissions: d.permissions,
  });
}

/** The bytes the delegating key signs: `0x1A · "ic-request-auth-delegation" · RIH(delegation)`. */
export function delegationSignaturePayload(d: DelegationFields): Uint8Array {
  return concatBytes(DELEGATION_DOMAIN_SEPARATOR, delegationHash(d));
}

/** SHA-256 of the payload: the message-hash label under which the signature map stores the signature. */
export function delegationMessageHash(d: DelegationFields): Uint8Array {
  return sha256(delegationSignaturePayload(d));
}

// ---------------------------------------------------------------------------------------------------------
// Canister-signature public key (DER)

/**
 * DER `SEQUENCE { OID 1.3.6.1.4.1.56387.1.<kind> }` (no algorithm parameters): the algorithm identifier of one of
 * the IC's own public-key kinds.
 */
const icAlgorithmId = (kind: number): Uint8Array =>
  Uint8Array.of(0x30, 0x0c, 0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xb8, 0x43, 0x01, kind);
/** OID 1.3.6.1.4.1.56387.1.1 ("der-wrapped-cose", @icp-sdk/core `DER_COSE_OID`): a WebAuthn COSE key. */
export const WEBAUTHN_ALGORITHM_ID: Uint8Array = icAlgorithmId(1);
/** OID 1.3.6.1.4.1.56387.1.2: a canister-signature key. */
const ALGORITHM_ID = icAlgorithmId(2);
/** Principals are at most 29 bytes (spec "Principals"). */
export const MAX_PRINCIPAL_LENGTH = 29;

function derLength(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  if (n <= 0xff) return Uint8Array.of(0x81, n);
  if (n <= 0xffff) return Uint8Array.of(0x82, n >> 8, n & 0xff);
  throw new RangeError('DER length too large');
}

/** DER public key of the canister signature scheme for `(canisterId, seed)`. */
export function canisterSigPublicKeyDer(canisterId: Uint8Array, seed: Uint8Array): Uint8Array {
  if (canisterId.length > MAX_PRINCIPAL_LENGTH) throw new RangeError('canister id longer than 29 bytes');
  const raw = concatBytes(Uint8Array.of(canisterId.length), canisterId, seed);
  const bitString = concatBytes(Uint8Array.of(0x03), derLength(raw.length + 1), Uint8Array.of(0x00), raw);
  const body = concatBytes(ALGORITHM_ID, bitString);
  return concatBytes(Uint8Array.of(0x30), derLength(body.length), body);
}

export interface CanisterSigPublicKey {
  readonly canisterId: Uint8Array;
  readonly seed: Uint8Array;
}

/**
 * Strict DER parse of `SEQUENCE{algorithmId, BIT STRING(0x00 · key)}` (RFC 5280 §4.1.2.7) for one fixed, already
 * DER-encoded `algorithmId`: the non-empty `key`, or null for any other shape or algorithm.
 */
export function unwrapDerPublicKey(der: Uint8Array, algorithmId: Uint8Array): Uint8Array | null {
  let pos = 0;
  const readLength = (): number | null => {
    const first = der[pos++];
    if (first === undefined) return null;
    if (first < 0x80) return first;
    const k = first & 0x7f;
    if (k === 0 || k > 2 || pos + k > der.length) return null;
    let n = 0;
    for (let i = 0; i < k; i++) n = (n << 8) | der[pos++]!;
    // DER: shortest form only.
    if (n < 0x80 || (k === 2 && n <= 0xff)) return null;
    return n;
  };
  if (der[pos++] !== 0x30) return null;
  const outer = readLength();
  if (outer === null || pos + outer !== der.length) return null;
  for (const b of algorithmId) if (der[pos++] !== b) return null;
  if (der[pos++] !== 0x03) return null;
  const bits = readLength();
  if (bits === null || bits < 2 || pos + bits !== der.length) return null;
  if (der[pos++] !== 0x00) return null;
  return der.subarray(pos);
}

/** Strict DER parse of a canister-signature public key; null if it is anything else. */
export function parseCanisterSigPublicKeyDer(der: Uint8Array): CanisterSigPublicKey | null {
  const raw = unwrapDerPublicKey(der, ALGORITHM_ID);
  if (raw === null) return null;
  const cidLen = raw[0]!;
  if (cidLen > MAX_PRINCIPAL_LENGTH || 1 + cidLen > raw.length) return null;
  return { canisterId: raw.slice(1, 1 + cidLen), seed: raw.slice(1 + cidLen) };
}

// ---------------------------------------------------------------------------------------------------------
// Principals

/** Self-authenticating principal of a DER public key: `SHA-224(der) · 0x02`. */
export function selfAuthenticatingPrincipal(publicKeyDer: Uint8Array): Uint8Array {
  return concatBytes(sha224(publicKeyDer), Uint8Array.of(0x02));
}

// ---------------------------------------------------------------------------------------------------------
// Waxseal user seed (protocol.md §1)

/** Each seed field goes behind one length byte. */
const MAX_FIELD_BYTES = 255;
/** The app origin is a seed field: the canister refuses longer ones in its config and in delegation calls. */
export const MAX_ORIGIN_BYTES = MAX_FIELD_BYTES;

function lengthPrefixed(name: string, b: Uint8Array): Uint8Array {
  if (b.length > MAX_FIELD_BYTES) throw new RangeError(`${name} is longer than ${MAX_FIELD_BYTES} bytes`);
  return concatBytes(Uint8Array.of(b.length), b);
}

/**
 * `seed = SHA-256(len·salt ‖ len·anchor_decimal ‖ len·origin)`, one length byte each. The salt (32 bytes from
 * `raw_rand`, kept forever) keeps principals unlinkable to anchor numbers; the origin makes them per-app.
 * The principal depends on this seed and the canister id, so neither may ever change.
 */
export function userSeed(salt: Uint8Array, anchor: bigint, origin: string): Uint8Array {
  if (anchor < 0n || anchor >= 1n << 64n) throw new RangeError('anchor must be a nat64');
  return sha256(
    concatBytes(
      lengthPrefixed('salt', salt),
      lengthPrefixed('anchor', utf8(anchor.toString(10))),
      lengthPrefixed('origin', utf8(origin)),
    ),
  );
}

/**
 * The body hashes of one message's signatures (RFC 6376 §3.7 step 1, §6.1.3 steps 1–3): canonicalize the body
 * (§3.4.3, §3.4.4), truncate it to `l=` (§3.5, §3.4.5), SHA-256 it. One BodyHashes per message serves every
 * signature and every caller (the challenge's pre-DNS check, then the full verification): each body
 * canonicalization is made once, and each (c=, l=) pair hashed once, because in the canister hashing costs
 * about 10 k instructions per byte.
 */
import type { CryptoBackend } from '../crypto/backend.ts';
import { canonicalizeBody } from './canonicalize.ts';
import type { Canon } from './signature.ts';

export interface BodyHash {
  readonly hash: Uint8Array;
  /** Canonical body bytes after `l=`, which the signature does not cover. */
  readonly unsigned: number;
}

/** null: `l=` is longer than the canonical body (§3.5: the verifier fails the signature). */
export type BodyHashes = (sig: {
  readonly bodyCanon: Canon;
  readonly bodyLength: number | null;
}) => Promise<BodyHash | null>;

export function bodyHashes(body: Uint8Array, crypto: CryptoBackend): BodyHashes {
  const canonical = new Map<Canon, Uint8Array>();
  const hashed = new Map<string, Promise<BodyHash | null>>();
  return ({ bodyCanon, bodyLength }) => {
    const key = `${bodyCanon}/${bodyLength ?? ''}`;
    let entry = hashed.get(key);
    if (!entry) {
      let canon = canonical.get(bodyCanon);
      if (!canon) {
        canon = canonicalizeBody(body, bodyCanon);
        canonical.set(bodyCanon, canon);
      }
      if (bodyLength !== null && bodyLength > canon.length) {
        entry = Promise.resolve(null);
      } else {
        const signed = bodyLength === null ? canon : canon.subarray(0, bodyLength);
        const unsigned = canon.length - signed.length;
        entry = crypto.sha256(signed).then((hash) => ({ hash, unsigned }));
      }
      hashed.set(key, entry);
    }
    return entry;
  };
}

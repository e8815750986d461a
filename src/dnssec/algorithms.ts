/**
 * RRSIG signature verification per DNSSEC algorithm (RFC 8624 §3.1): 8 RSA/SHA-256 (RFC 5702, key format
 * RFC 3110 §2), 13/14 ECDSA P-256/P-384 (RFC 6605), 15/16 Ed25519/Ed448 (RFC 8080). Anything else is
 * unsupported; RSA moduli below 1024 bits are refused as too small.
 */
import type { CryptoBackend, RsaPublicKey } from '../crypto/backend.ts';
import { bitLength } from '../crypto/rsa-key.ts';
import { LIMITS } from '../limits.ts';
import type { BogusReason } from './result.ts';

export const SUPPORTED_ALGORITHMS: ReadonlySet<number> = new Set([8, 13, 14, 15, 16]);

/** RFC 3110 §2: exponent length (1 byte, or 0 then 2 bytes), exponent, modulus. */
export function rsaKeyFromDnskey(publicKey: Uint8Array): RsaPublicKey | null {
  if (publicKey.length < 3) return null;
  let elen = publicKey[0]!;
  let off = 1;
  if (elen === 0) {
    elen = (publicKey[1]! << 8) | publicKey[2]!;
    off = 3;
  }
  if (elen === 0 || off + elen >= publicKey.length) return null;
  const strip = (b: Uint8Array) => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    return b.subarray(i);
  };
  return { e: strip(publicKey.subarray(off, off + elen)), n: strip(publicKey.subarray(off + elen)) };
}

export type AlgorithmCheck = { ok: true } | { ok: false; reason: BogusReason; detail: string };

/** Structural checks before any crypto: supported algorithm, well-formed key, acceptable size. */
export function checkKey(
  algorithm: number,
  publicKey: Uint8Array,
  rsaMinBits: number = LIMITS.rsaMinBits,
): AlgorithmCheck {
  if (!SUPPORTED_ALGORITHMS.has(algorithm))
    return { ok: false, reason: 'UnsupportedAlgorithm', detail: `algorithm ${algorithm}` };
  if (algorithm === 8) {
    const key = rsaKeyFromDnskey(publicKey);
    if (!key) return { ok: false, reason: 'Malformed', detail: 'RSA DNSKEY is malformed' };
    const bits = bitLength(key.n);
    if (bits < rsaMinBits) return { ok: false, reason: 'KeyTooSmall', detail: `RSA key of ${bits} bits` };
    if (bits > LIMITS.rsaMaxBits || bitLength(key.e) > 32)
      return { ok: false, reason: 'Malformed', detail: 'RSA key too large' };
    return { ok: true };
  }
  const size = { 13: 64, 14: 96, 15: 32, 16: 57 }[algorithm]!;
  if (publicKey.length !== size)
    return {
      ok: false,
      reason: 'Malformed',
      detail: `algorithm ${algorithm} key of ${publicKey.length} bytes`,
    };
  return { ok: true };
}

/** Verifies `signature` over `data` with a key that passed checkKey. */
export function verifySignature(
  crypto: CryptoBackend,
  algorithm: number,
  publicKey: Uint8Array,
  data: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  switch (algorithm) {
    case 8:
      return crypto.rsaPkcs1Sha256Verify(rsaKeyFromDnskey(publicKey)!, data, signature);
    case 13:
      return crypto.ecdsaP256Verify(publicKey, data, signature);
    case 14:
      return crypto.ecdsaP384Verify(publicKey, data, signature);
    case 15:
      return crypto.ed25519Verify(publicKey, data, signature);
    case 16:
      return crypto.ed448Verify(publicKey, data, signature);
    default:
      return Promise.resolve(false);
  }
}

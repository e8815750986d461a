/**
 * RSASSA-PKCS1-v1_5 verification with SHA-256 (RFC 8017 §8.2.2, §9.2) on BigInt, for runtimes without
 * WebCrypto (the canister). The comparison is over the whole encoded message, so no parsing of the
 * decrypted block is needed (the RFC's recommended "encode and compare" approach).
 *
 * Shaped for the canister's interpreter (QuickJS), where `%` of a 4096-bit product by a 2048-bit modulus costs
 * about 1.9 M instructions and a 2048-bit product about 0.1 M: the modular exponentiation reduces by Barrett's
 * method (Menezes et al., Handbook of Applied Cryptography, Algorithm 14.42, base 2), one division for the
 * constant and two products per step instead of a division. A 2048-bit verification with e = 65537 drops from
 * about 40 M to about 10 M instructions.
 */
import { bytesToBigInt } from '../encoding/bytes.ts';
import type { RsaPublicKey } from './backend.ts';
import { bitLength } from './rsa-key.ts';
import { sha256 } from './sha256.ts';

/** DER DigestInfo prefix for SHA-256 (RFC 8017 §9.2 note 1). */
const SHA256_DIGEST_INFO = new Uint8Array([
  0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04,
  0x20,
]);

/**
 * x mod n for 0 ≤ x < 2^(2k), where k is the bit length of n and mu = ⌊2^(2k) / n⌋ (HAC 14.42 with b = 2):
 * the quotient estimate is at most two below the true one, so at most two subtractions finish it.
 */
function barrett(x: bigint, n: bigint, k: bigint, mu: bigint): bigint {
  let r = x - (((x >> (k - 1n)) * mu) >> (k + 1n)) * n;
  while (r >= n) r -= n;
  return r;
}

/** base^exp mod n for 0 ≤ base < n, n > 1, by left-to-right square-and-multiply. */
function modPow(base: bigint, exp: bigint, n: bigint): bigint {
  const k = BigInt(n.toString(2).length);
  const mu = (1n << (2n * k)) / n;
  let result = base;
  for (const bit of exp.toString(2).slice(1)) {
    result = barrett(result * result, n, k, mu);
    if (bit === '1') result = barrett(result * base, n, k, mu);
  }
  return exp === 0n ? 1n : result;
}

/** Builds EM = 0x00 01 FF…FF 00 ‖ DigestInfo ‖ H for a k-byte modulus (RFC 8017 §9.2 step 5). */
export function emsaPkcs1Sha256(hash: Uint8Array, k: number): Uint8Array | null {
  const tLen = SHA256_DIGEST_INFO.length + hash.length;
  if (k < tLen + 11) return null;
  const em = new Uint8Array(k);
  em[1] = 0x01;
  em.fill(0xff, 2, k - tLen - 1);
  em.set(SHA256_DIGEST_INFO, k - tLen);
  em.set(hash, k - hash.length);
  return em;
}

/**
 * What every backend refuses before any arithmetic, so that their verdicts agree: a signature that is not k =
 * |n| bytes (RFC 8017 §8.2.2 step 1) and a public exponent below 3. With e = 1 any well-formed EM is its own
 * signature; OpenSSL (under WebCrypto and the Node backend) computes it anyway, the BigInt code never did.
 */
export function rsaInputsAcceptable(key: RsaPublicKey, signature: Uint8Array): boolean {
  const eBelow3 = bitLength(key.e) <= 2 && (key.e[key.e.length - 1] ?? 0) < 3;
  return key.n.length > 0 && signature.length === key.n.length && !eBelow3;
}

function rsaPkcs1VerifyDigest(key: RsaPublicKey, hash: Uint8Array, signature: Uint8Array): boolean {
  if (!rsaInputsAcceptable(key, signature)) return false;
  const n = bytesToBigInt(key.n);
  const s = bytesToBigInt(signature);
  if (n < 3n || s >= n) return false;
  const em = emsaPkcs1Sha256(hash, key.n.length);
  // m < n < 256^k, so m equals the k-byte EM exactly when they are the same integer (RFC 8017 §4.1 I2OSP).
  return em !== null && modPow(s, bytesToBigInt(key.e), n) === bytesToBigInt(em);
}

/** RSASSA-PKCS1-v1_5 with SHA-256 over `message` (RFC 8017 §8.2.2). */
export function rsaPkcs1Sha256Verify(key: RsaPublicKey, message: Uint8Array, signature: Uint8Array): boolean {
  return rsaPkcs1VerifyDigest(key, sha256(message), signature);
}

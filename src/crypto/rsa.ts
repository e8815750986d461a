/**
 * RSASSA-PKCS1-v1_5 verification with SHA-256 (RFC 8017 §8.2.2, §9.2) on BigInt, for runtimes without
 * WebCrypto (the canister). The comparison is over the whole encoded message, so no parsing of the
 * decrypted block is needed (the RFC's recommended "encode and compare" approach).
 */
import { bytesEqual, bytesToBigInt } from '../encoding/bytes.ts';
import type { RsaPublicKey } from './backend.ts';
import { bitLength } from './rsa-key.ts';

/** DER DigestInfo prefix for SHA-256 (RFC 8017 §9.2 note 1). */
const SHA256_DIGEST_INFO = new Uint8Array([
  0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04,
  0x20,
]);

function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let result = 1n;
  let b = base % mod;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % mod;
    e >>= 1n;
    if (e > 0n) b = (b * b) % mod;
  }
  return result;
}

function bigIntToFixed(v: bigint, len: number): Uint8Array | null {
  const out = new Uint8Array(len);
  let x = v;
  for (let i = len - 1; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return x === 0n ? out : null;
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

export function rsaPkcs1VerifyDigest(key: RsaPublicKey, hash: Uint8Array, signature: Uint8Array): boolean {
  if (!rsaInputsAcceptable(key, signature)) return false;
  const k = key.n.length;
  const n = bytesToBigInt(key.n);
  const e = bytesToBigInt(key.e);
  const s = bytesToBigInt(signature);
  if (n < 3n || s >= n) return false;
  const m = bigIntToFixed(modPow(s, e, n), k);
  const em = emsaPkcs1Sha256(hash, k);
  return m !== null && em !== null && bytesEqual(m, em);
}

/**
 * The canister's RSA verifier (src/crypto/rsa.ts: Barrett reduction, RFC 8017 §8.2.2 encode-and-compare)
 * against OpenSSL (node:crypto) and against plain BigInt arithmetic, over modulus sizes that are and are not
 * multiples of 8 bits, public exponents 3, 65537 and a large one, and signatures at the edges of [0, n).
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RsaPublicKey } from '../src/crypto/backend.ts';
import { emsaPkcs1Sha256, rsaPkcs1Sha256Verify } from '../src/crypto/rsa.ts';
import { parseRsaPublicKey } from '../src/crypto/rsa-key.ts';
import { sha256 } from '../src/crypto/sha256.ts';
import { bytesToBigInt, utf8 } from '../src/encoding/bytes.ts';

function keyPair(bits: number, e: number) {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: bits, publicExponent: e });
  const key = parseRsaPublicKey(new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })));
  if (!key) throw new Error('unparsable key');
  return { key, privateKey };
}

const toBytes = (v: bigint, k: number) => {
  const out = new Uint8Array(k);
  for (let i = k - 1; i >= 0; i--, v >>= 8n) out[i] = Number(v & 0xffn);
  return out;
};

/** s^e mod n the slow, obvious way: the oracle for the Barrett exponentiation. */
function plainPow(s: bigint, e: bigint, n: bigint): bigint {
  let r = 1n;
  for (const bit of e.toString(2)) {
    r = (r * r) % n;
    if (bit === '1') r = (r * s) % n;
  }
  return r;
}

describe.each([
  [1024, 65537],
  [1031, 3],
  [2048, 65537],
  [3072, 3],
  [4096, 65537],
])('RSA-%i, e = %i', (bits, e) => {
  const { key, privateKey } = keyPair(bits, e);
  const k = key.n.length;
  const n = bytesToBigInt(key.n);

  it('accepts OpenSSL signatures and refuses each flipped bit, another message and another length', () => {
    const m = utf8(`message for ${bits}`);
    const sig = new Uint8Array(sign('sha256', m, privateKey));
    expect(rsaPkcs1Sha256Verify(key, m, sig)).toBe(true);
    expect(rsaPkcs1Sha256Verify(key, utf8('other'), sig)).toBe(false);
    expect(rsaPkcs1Sha256Verify(key, m, sig.subarray(1))).toBe(false);
    for (let i = 0; i < sig.length; i += 17) {
      const bad = sig.slice();
      bad[i]! ^= 0x20;
      expect(rsaPkcs1Sha256Verify(key, m, bad)).toBe(false);
    }
  });

  it('decides as the plain exponentiation does for any signature value, edges of [0, n) included', () => {
    const m = utf8('edge');
    const em = bytesToBigInt(emsaPkcs1Sha256(sha256(m), k)!);
    const oracle = (s: bigint) => s < n && plainPow(s, BigInt(e), n) === em;
    const edges = [0n, 1n, 2n, n - 1n, n - 2n, n, n + 1n, (1n << BigInt(8 * k)) - 1n];
    for (const s of edges) expect(rsaPkcs1Sha256Verify(key, m, toBytes(s, k)), `s = ${s}`).toBe(oracle(s));
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: n - 1n }), (s) => {
        expect(rsaPkcs1Sha256Verify(key, m, toBytes(s, k))).toBe(oracle(s));
      }),
      { numRuns: 20 },
    );
  });
});

it('a large public exponent verifies what it signs (the Barrett loop runs over every exponent bit)', () => {
  const { key, privateKey } = keyPair(2048, 0x7fffffff);
  const m = utf8('large exponent');
  expect(rsaPkcs1Sha256Verify(key, m, new Uint8Array(sign('sha256', m, privateKey)))).toBe(true);
  const small: RsaPublicKey = { n: key.n, e: Uint8Array.of(3) };
  expect(rsaPkcs1Sha256Verify(small, m, new Uint8Array(sign('sha256', m, privateKey)))).toBe(false);
});

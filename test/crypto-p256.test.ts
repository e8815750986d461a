/**
 * The canister's P-256 verifier (src/crypto/p256.ts) against two independent implementations: OpenSSL through
 * node:crypto for whole signatures, and @noble/curves for the point arithmetic, including the branches a
 * random signature never reaches (adding a point to itself or to its negation, x(R) ≥ n).
 */
import { createPublicKey, verify as opensslVerify } from 'node:crypto';
import { invert } from '@noble/curves/abstract/modular.js';
import { p256 } from '@noble/curves/nist.js';
import { numberToBytesBE } from '@noble/curves/utils.js';
import { sha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mulAdd, type Point, p256Verify } from '../src/crypto/p256.ts';
import { wnaf } from '../src/crypto/wnaf.ts';
import { bytesToBigInt } from '../src/encoding/bytes.ts';

const { Point: NoblePoint } = p256;
const P = NoblePoint.Fp.ORDER;
const N = NoblePoint.Fn.ORDER;
const G = NoblePoint.BASE;

const be32 = (n: bigint) => numberToBytesBE(n, 32);
const raw = (pt: typeof G) => new Uint8Array([...be32(pt.toAffine().x), ...be32(pt.toAffine().y)]);

function affine(pt: Point | null): [bigint, bigint] | null {
  if (pt === null) return null;
  const zi = invert(((pt[2] % P) + P) % P, P);
  const m = (a: bigint) => ((a % P) + P) % P;
  return [m(pt[0] * zi * zi), m(pt[1] * zi * zi * zi)];
}

function expected(u1: bigint, q: typeof G, u2: bigint): [bigint, bigint] | null {
  const r = G.multiplyUnsafe(u1).add(q.multiplyUnsafe(u2));
  return r.is0() ? null : [r.toAffine().x, r.toAffine().y];
}

const asPoint = (q: typeof G): Point => [q.toAffine().x, q.toAffine().y, 1n];

function openssl(key: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64url');
  try {
    const k = createPublicKey({
      key: { kty: 'EC', crv: 'P-256', x: b64(key.subarray(0, 32)), y: b64(key.subarray(32)) },
      format: 'jwk',
    });
    return opensslVerify('sha256', message, { key: k, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false; // OpenSSL refuses to import a point that is not on the curve
  }
}

const scalar = fc.bigInt({ min: 1n, max: N - 1n });

describe('wNAF recoding', () => {
  it('reconstructs k with odd, bounded, non-adjacent digits', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }), fc.constantFrom(4, 5, 7), (k, w) => {
        const digits = wnaf(k, w);
        let value = 0n;
        let lastNonZero = -w;
        for (let i = digits.length - 1; i >= 0; i--) value = value * 2n + BigInt(digits[i]!);
        for (let i = 0; i < digits.length; i++) {
          const d = digits[i]!;
          if (d === 0) continue;
          expect(Math.abs(d) % 2).toBe(1);
          expect(Math.abs(d)).toBeLessThan(2 ** (w - 1));
          expect(i - lastNonZero).toBeGreaterThanOrEqual(w);
          lastNonZero = i;
        }
        expect(value).toBe(k);
      }),
      { numRuns: 500 },
    );
  });

  it('handles all-ones and carries past the top bit', () => {
    for (const k of [0n, 1n, 2n ** 256n - 1n, 2n ** 255n, (1n << 200n) - 1n, 63n, 64n]) {
      const digits = wnaf(k, 7);
      expect(digits.reduceRight((acc, d) => acc * 2n + BigInt(d), 0n)).toBe(k);
    }
  });
});

describe('u1·G + u2·Q', () => {
  it('equals @noble/curves for random scalars and keys', () => {
    fc.assert(
      fc.property(scalar, scalar, scalar, (u1, u2, k) => {
        const q = G.multiply(k);
        expect(affine(mulAdd(u1, asPoint(q), u2))).toEqual(expected(u1, q, u2));
      }),
      { numRuns: 60 },
    );
  });

  it('doubles when a point is added to itself (Q = G, u1 = u2 = 1)', () => {
    expect(affine(mulAdd(1n, asPoint(G), 1n))).toEqual(expected(1n, G, 1n));
    expect(affine(mulAdd(5n, asPoint(G), 5n))).toEqual(expected(10n, G, 0n));
  });

  it('returns the identity for Q = −G with equal scalars, and for u1 + u2·k ≡ 0', () => {
    expect(mulAdd(1n, asPoint(G.negate()), 1n)).toBeNull();
    expect(mulAdd(12345n, asPoint(G.negate()), 12345n)).toBeNull();
    const k = 0xabcdefn;
    expect(mulAdd(N - 77n * k, asPoint(G.multiply(k)), 77n)).toBeNull();
  });

  it('recovers from the identity mid-walk (u1 = 0 and small scalars)', () => {
    const q = G.multiply(987654321n);
    for (const [u1, u2] of [
      [0n, 1n],
      [0n, N - 1n],
      [3n, 0n],
      [N - 1n, 1n],
    ] as const) {
      expect(affine(mulAdd(u1, asPoint(q), u2))).toEqual(expected(u1, q, u2));
    }
  });
});

describe('p256Verify', () => {
  it('agrees with OpenSSL on valid and mutated signatures, keys and messages', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 200 }),
        fc.boolean(),
        fc.nat(),
        fc.constantFrom('none', 'signature', 'key', 'message'),
        (seed, message, lowS, at, mutate) => {
          const secret = p256.utils.randomSecretKey(new Uint8Array([...seed, ...seed.subarray(0, 16)]));
          const key = p256.getPublicKey(secret, false).subarray(1);
          let signature = p256.sign(message, secret, { lowS });
          let k = key;
          let m = message;
          const flip = (b: Uint8Array) => {
            const out = b.length === 0 ? new Uint8Array(1) : b.slice();
            out[at % out.length]! ^= 1 << (at % 8);
            return out;
          };
          if (mutate === 'signature') signature = flip(signature);
          if (mutate === 'key') k = flip(key);
          if (mutate === 'message') m = flip(message);
          const ours = p256Verify(k, m, signature);
          expect(ours).toBe(openssl(k, m, signature));
          expect(ours).toBe(mutate === 'none');
        },
      ),
      { numRuns: 150 },
    );
  });

  it('accepts a signature whose x(R) is r + n (x(R) ≥ n), as OpenSSL does', () => {
    // R has x = n + 1 < p; choose s, then the key Q that makes u1·G + u2·Q = R for a fixed message.
    const message = new TextEncoder().encode('x(R) above the group order');
    let x = N + 1n;
    let R: typeof G | undefined;
    for (; !R; x++) {
      try {
        R = NoblePoint.fromBytes(new Uint8Array([0x02, ...be32(x)]));
      } catch {}
    }
    const r = R.toAffine().x - N;
    expect(r).toBeGreaterThan(0n);
    const s = 0x1234567n;
    const e = bytesToBigInt(sha256(message)) % N;
    const w = invert(s, N);
    const [u1, u2] = [(e * w) % N, (r * w) % N];
    const Q = R.subtract(G.multiply(u1)).multiply(invert(u2, N));
    const key = raw(Q);
    const signature = new Uint8Array([...be32(r), ...be32(s)]);
    expect(openssl(key, message, signature)).toBe(true);
    expect(p256Verify(key, message, signature)).toBe(true);
    // r itself (without + n) is not x(R): the same signature with r + 1 fails.
    expect(p256Verify(key, message, new Uint8Array([...be32(r + 1n), ...be32(s)]))).toBe(false);
  });

  it('refuses out-of-range r and s, off-curve keys and wrong lengths', () => {
    const secret = p256.utils.randomSecretKey(new Uint8Array(48).fill(3));
    const key = p256.getPublicKey(secret, false).subarray(1);
    const message = new Uint8Array([1, 2, 3]);
    const signature = p256.sign(message, secret);
    const r = bytesToBigInt(signature.subarray(0, 32));
    const s = bytesToBigInt(signature.subarray(32));
    expect(p256Verify(key, message, signature)).toBe(true);
    const sig = (a: bigint, b: bigint) => new Uint8Array([...be32(a), ...be32(b)]);
    for (const bad of [
      sig(0n, s),
      sig(r, 0n),
      sig(N, s),
      sig(r, N),
      sig(2n ** 256n - 1n, s),
      sig(r, 2n ** 256n - 1n),
    ]) {
      expect(p256Verify(key, message, bad)).toBe(false);
    }
    const x = bytesToBigInt(key.subarray(0, 32));
    const y = bytesToBigInt(key.subarray(32));
    const k = (a: bigint, b: bigint) => new Uint8Array([...be32(a), ...be32(b)]);
    expect(p256Verify(k(x, (y + 1n) % P), message, signature)).toBe(false);
    expect(p256Verify(k(x, P - y), message, signature)).toBe(false); // −Q: on the curve, wrong key
    expect(p256Verify(k(P, y), message, signature)).toBe(false);
    expect(p256Verify(k(x, P), message, signature)).toBe(false);
    expect(p256Verify(k(0n, 0n), message, signature)).toBe(false);
    expect(p256Verify(key.subarray(1), message, signature)).toBe(false);
    expect(p256Verify(key, message, signature.subarray(1))).toBe(false);
    expect(p256Verify(new Uint8Array([4, ...key]), message, signature)).toBe(false);
  });
});

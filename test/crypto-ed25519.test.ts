/**
 * The canister's Ed25519 verifier (src/crypto/ed25519.ts) against @noble/curves with `zip215: false`, whose
 * verdicts it must reproduce (RFC 8032 §5.1.7 with strict decoding, cofactored equation, small-order keys
 * refused), and against OpenSSL through node:crypto on ordinary signatures. The edge cases are built with
 * noble's point arithmetic: keys and R of small order, points with a torsion component, non-canonical encodings.
 */
import { createPublicKey, verify as opensslVerify } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToNumberLE, numberToBytesLE } from '@noble/curves/utils.js';
import { sha512 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ed25519Verify } from '../src/crypto/ed25519.ts';
import { concatBytes } from '../src/encoding/bytes.ts';

const { Point } = ed25519;
const L = Point.Fn.ORDER;
const P = Point.Fp.ORDER;
const noble = (pk: Uint8Array, msg: Uint8Array, sig: Uint8Array) => {
  try {
    return ed25519.verify(sig, msg, pk, { zip215: false });
  } catch {
    return false;
  }
};
const openssl = (pk: Uint8Array, msg: Uint8Array, sig: Uint8Array) =>
  opensslVerify(
    null,
    msg,
    createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(pk).toString('base64url') },
      format: 'jwk',
    }),
    sig,
  );

/** The eight points of order dividing 8: [L]·P for points P with a torsion component, deduplicated. */
const TORSION = (() => {
  const found = new Map<string, typeof Point.BASE>();
  for (let i = 0; found.size < 8 && i < 500; i++) {
    let p: typeof Point.BASE;
    try {
      p = Point.fromBytes(sha512(Uint8Array.of(i)).subarray(0, 32));
    } catch {
      continue;
    }
    const t = p.multiplyUnsafe(L - 1n).add(p);
    found.set(t.toHex(), t);
  }
  return [...found.values()];
})();

/** A signature by scalar `a` for the key `A` (which may carry a torsion component), with nonce point rB + `rT`. */
function sign(a: bigint, A: typeof Point.BASE, msg: Uint8Array, rT = Point.ZERO) {
  const r = bytesToNumberLE(sha512(concatBytes(numberToBytesLE(a, 32), msg))) % L;
  const R = Point.BASE.multiply(r).add(rT).toBytes();
  const k = bytesToNumberLE(sha512(concatBytes(R, A.toBytes(), msg))) % L;
  return concatBytes(R, numberToBytesLE((r + k * a) % L, 32));
}

describe('Ed25519 verification (RFC 8032 §5.1.7) as @noble/curves zip215: false decides', () => {
  it('has the eight torsion points to build edge cases from', () => {
    expect(TORSION).toHaveLength(8);
  });

  it('accepts real signatures (as OpenSSL does) and agrees on mutated signatures, messages and keys', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 300 }),
        fc.nat(95),
        fc.integer({ min: 1, max: 255 }),
        (seed, msg, at, flip) => {
          const pk = ed25519.getPublicKey(seed);
          const sig = ed25519.sign(msg, seed);
          expect(ed25519Verify(pk, msg, sig)).toBe(true);
          expect(openssl(pk, msg, sig)).toBe(true);
          const both = concatBytes(sig, pk);
          both[at]! ^= flip;
          const [s2, k2] = [both.subarray(0, 64), both.subarray(64)];
          expect(ed25519Verify(k2, msg, s2)).toBe(noble(k2, msg, s2));
          const m2 = concatBytes(msg, Uint8Array.of(flip));
          expect(ed25519Verify(pk, m2, sig)).toBe(false);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('refuses keys of small order, even with a signature that satisfies the equation', () => {
    const msg = Uint8Array.of(1, 2, 3);
    for (const t of TORSION) {
      const pk = t.toBytes();
      const sig = sign(0n, t, msg);
      expect(noble(pk, msg, sig)).toBe(false);
      expect(ed25519Verify(pk, msg, sig)).toBe(false);
    }
  });

  it('checks the cofactored equation: a torsion component in A or in R changes nothing', () => {
    const msg = Uint8Array.of(9, 8, 7);
    const a = 0x1234567890abcdefn;
    for (const t of TORSION) {
      const A = Point.BASE.multiply(a).add(t);
      const withKeyTorsion = sign(a, A, msg);
      expect(ed25519Verify(A.toBytes(), msg, withKeyTorsion)).toBe(noble(A.toBytes(), msg, withKeyTorsion));
      const clean = Point.BASE.multiply(a);
      const withRTorsion = sign(a, clean, msg, t);
      expect(ed25519Verify(clean.toBytes(), msg, withRTorsion)).toBe(true);
      expect(noble(clean.toBytes(), msg, withRTorsion)).toBe(true);
    }
  });

  it('decodes strictly (§5.1.3): y ≥ p, no square root, x = 0 with the sign bit, S ≥ L', () => {
    const seed = new Uint8Array(32).fill(5);
    const msg = Uint8Array.of(4);
    const pk = ed25519.getPublicKey(seed);
    const sig = ed25519.sign(msg, seed);
    const cases: [string, Uint8Array, Uint8Array][] = [];
    // y = p + 1 ≡ 1: the identity, written non-canonically; and y = 1 with the sign bit (x = 0 is not negative).
    const nonCanonical = numberToBytesLE(P + 1n, 32);
    const signedZero = numberToBytesLE(1n, 32);
    signedZero[31]! |= 0x80;
    cases.push(['key y ≥ p', nonCanonical, sig], ['key x = 0, sign bit set', signedZero, sig]);
    cases.push(['R y ≥ p', pk, concatBytes(nonCanonical, sig.subarray(32))]);
    cases.push(['R x = 0, sign bit set', pk, concatBytes(signedZero, sig.subarray(32))]);
    // y = 2 is not on the curve (x² has no root).
    cases.push(['key not on the curve', numberToBytesLE(2n, 32), sig]);
    const s = bytesToNumberLE(sig.subarray(32));
    cases.push(['S + L', pk, concatBytes(sig.subarray(0, 32), numberToBytesLE(s + L, 32))]);
    cases.push(['S = L', pk, concatBytes(sig.subarray(0, 32), numberToBytesLE(L, 32))]);
    for (const [name, key, signature] of cases) {
      expect(ed25519Verify(key, msg, signature), name).toBe(false);
      expect(noble(key, msg, signature), name).toBe(false);
    }
  });

  it('refuses keys and signatures of the wrong length', () => {
    const seed = new Uint8Array(32).fill(6);
    const pk = ed25519.getPublicKey(seed);
    const sig = ed25519.sign(new Uint8Array(0), seed);
    expect(ed25519Verify(pk.subarray(1), new Uint8Array(0), sig)).toBe(false);
    expect(ed25519Verify(pk, new Uint8Array(0), sig.subarray(1))).toBe(false);
  });
});

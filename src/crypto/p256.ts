/**
 * ECDSA P-256 / SHA-256 verification (FIPS 186-5 §6.4.2, SEC 1 v2 §4.1.4 and §3.2.2.1) on the curve of
 * NIST SP 800-186 §3.2.1.3, shaped for the canister's interpreter.
 *
 * In QuickJS every BigInt operation costs thousands of instructions whatever its size (ic-notes.md §3), so the
 * cost of a verification is the number of operations, not their width. Compared with the generic curve code
 * of @noble/curves this module:
 * - uses Jacobian coordinates with the a = −3 doubling dbl-2001-b (3M + 5S) and the addition add-1998-cmo-2,
 *   mixed when the added point is affine (Explicit-Formulas Database), instead of complete formulas;
 * - reduces only after multiplications: sums and differences stay unreduced (and may be negative), and every
 *   product is taken `% P`, so values stay below 2^260 in magnitude;
 * - walks both scalars in one interleaved wNAF (Hankerson–Menezes–Vanstone, Algorithm 3.51) with a width-7
 *   affine table of G built once per heap and a width-5 Jacobian table of the public key;
 * - compares R.x with r in Jacobian form (X ≡ r·Z²), so no inversion mod p is needed.
 *
 * It is variable-time, which is fine for verification: every input is public.
 */
import { invert } from '@noble/curves/abstract/modular.js';
import { bytesToBigInt } from '../encoding/bytes.ts';
import { sha256 } from './sha256.ts';
import { wnaf } from './wnaf.ts';

const P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const B = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn;
const G: Point = [
  0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n,
  0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n,
  1n,
];
const G_WIDTH = 7;
const KEY_WIDTH = 5;

/** Jacobian (X, Y, Z) for the affine point (X/Z², Y/Z³); Z = 1 marks an affine point. Never the identity. */
export type Point = readonly [x: bigint, y: bigint, z: bigint];

function double(p: Point): Point {
  const x = p[0];
  const y = p[1];
  const z = p[2];
  const delta = (z * z) % P;
  const gamma = (y * y) % P;
  const beta = (x * gamma) % P;
  const alpha = (3n * (x - delta) * (x + delta)) % P;
  const x3 = (alpha * alpha - 8n * beta) % P;
  return [x3, (alpha * (4n * beta - x3) - 8n * gamma * gamma) % P, (2n * y * z) % P];
}

/** a + b, or null for the identity (b = −a). Takes the mixed-addition shortcuts when b is affine. */
function add(a: Point, b: Point): Point | null {
  const x1 = a[0];
  const y1 = a[1];
  const z1 = a[2];
  const x2 = b[0];
  const y2 = b[1];
  const z2 = b[2];
  const affine = z2 === 1n;
  const z1z1 = (z1 * z1) % P;
  const z2z2 = affine ? 1n : (z2 * z2) % P;
  const u1 = affine ? x1 : (x1 * z2z2) % P;
  const s1 = affine ? y1 : (y1 * z2 * z2z2) % P;
  const h = (x2 * z1z1 - u1) % P;
  const r = (y2 * z1 * z1z1 - s1) % P;
  if (h === 0n) return r === 0n ? double(a) : null;
  const hh = (h * h) % P;
  const hhh = (h * hh) % P;
  const v = (u1 * hh) % P;
  const x3 = (r * r - hhh - 2n * v) % P;
  return [x3, (r * (v - x3) - s1 * hhh) % P, ((affine ? z1 : z1 * z2) * h) % P];
}

/** [p, 3p, 5p, …] (count entries); none is the identity because the group order is a large prime. */
function oddMultiples(p: Point, count: number): Point[] {
  const twice = double(p);
  const table = [p];
  for (let i = 1; i < count; i++) {
    const next = add(twice, table[i - 1]!);
    if (next === null) throw new Error('P-256: unexpected identity in a multiples table');
    table.push(next);
  }
  return table;
}

/** Normalizes to Z = 1 with one inversion for the whole table (Montgomery's simultaneous inversion). */
function toAffine(points: readonly Point[]): Point[] {
  const prefix: bigint[] = [];
  let acc = 1n;
  for (const [, , z] of points) {
    prefix.push(acc);
    acc = (acc * z) % P;
  }
  let inv = invert(acc, P);
  const out: Point[] = new Array(points.length);
  for (let i = points.length - 1; i >= 0; i--) {
    const [x, y, z] = points[i]!;
    const zInv = (inv * prefix[i]!) % P;
    inv = (inv * z) % P;
    const zInv2 = (zInv * zInv) % P;
    out[i] = [mod(x * zInv2), mod(y * zInv2 * zInv), 1n];
  }
  return out;
}

const mod = (a: bigint): bigint => {
  const r = a % P;
  return r < 0n ? r + P : r;
};

let gTable: Point[] | undefined;

function plus(acc: Point | null, table: readonly Point[], digit: number): Point | null {
  const entry = table[(Math.abs(digit) - 1) >> 1]!;
  const point: Point = digit > 0 ? entry : [entry[0], -entry[1], entry[2]];
  return acc === null ? point : add(acc, point);
}

/** u1·G + u2·Q (Q affine, on the curve; 0 ≤ u1, u2 < n), or null for the identity. */
export function mulAdd(u1: bigint, q: Point, u2: bigint): Point | null {
  gTable ??= toAffine(oddMultiples(G, 1 << (G_WIDTH - 2)));
  const qTable = oddMultiples(q, 1 << (KEY_WIDTH - 2));
  const d1 = wnaf(u1, G_WIDTH);
  const d2 = wnaf(u2, KEY_WIDTH);
  let acc: Point | null = null;
  for (let i = Math.max(d1.length, d2.length) - 1; i >= 0; i--) {
    if (acc !== null) acc = double(acc);
    const a = d1[i] ?? 0;
    const b = d2[i] ?? 0;
    if (a !== 0) acc = plus(acc, gTable, a);
    if (b !== 0) acc = plus(acc, qTable, b);
  }
  return acc;
}

/**
 * Verifies an ECDSA P-256 signature r‖s (64 bytes) over SHA-256(message) with the public key x‖y (64 bytes).
 * High-S signatures are accepted, as in DNSSEC and WebCrypto. Malformed keys or signatures return false.
 */
export function p256Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== 64 || signature.length !== 64) return false;
  const x = bytesToBigInt(publicKey.subarray(0, 32));
  const y = bytesToBigInt(publicKey.subarray(32));
  // SEC 1 §3.2.2.1: coordinates in the field and the point on the curve (which excludes the identity).
  if (x >= P || y >= P || mod(y * y - x * x * x + 3n * x - B) !== 0n) return false;
  const r = bytesToBigInt(signature.subarray(0, 32));
  const s = bytesToBigInt(signature.subarray(32));
  if (r === 0n || r >= N || s === 0n || s >= N) return false;
  const e = bytesToBigInt(sha256(message)); // the digest is as long as n: no truncation (§6.4.2 step 4)
  const w = invert(s, N);
  const R = mulAdd((e * w) % N, [x, y, 1n], (r * w) % N);
  if (R === null) return false;
  // x(R) mod n = r, where x(R) = X/Z² < p: x(R) is r or, when r + n < p, possibly r + n.
  const zz = (R[2] * R[2]) % P;
  return (R[0] - r * zz) % P === 0n || (r + N < P && (R[0] - (r + N) * zz) % P === 0n);
}

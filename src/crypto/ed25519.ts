/**
 * Ed25519 verification (RFC 8032 §5.1.7, strict decoding of §5.1.3) for the pure backend, shaped for the
 * canister's interpreter like p256.ts: every BigInt operation costs thousands of instructions whatever its size,
 * so the work is counted in operations. It takes about 93 M instructions per verification there, @noble/curves
 * about 166 M, because this module:
 * - uses extended coordinates (Hisil–Wong–Carter–Dawson 2008) with a = −1: doubling dbl-2008-hwcd and addition
 *   add-2008-hwcd-3, complete for this curve, so no special cases; T is computed only when an addition follows;
 * - reduces only after multiplications: sums and differences stay unreduced (and may be negative);
 * - walks [S]B and [k](−A) in one interleaved wNAF (wnaf.ts), with a width-8 affine table of B built once per heap
 *   and a width-5 table of A whose entries it subtracts.
 *
 * Verdicts are @noble/curves' with `zip215: false` (which the WebCrypto and node backends match, see pure.ts):
 * A and R decoded strictly (y < p, a square root exists, no x = 0 with the sign bit set), S < L, A not of small
 * order, and the cofactored equation [8]R = [8]([S]B − [k]A) with k = SHA-512(R ‖ A ‖ M) mod L.
 * Variable-time, which is fine for verification: every input is public.
 */
import { invert } from '@noble/curves/abstract/modular.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { bytesToBigInt, concatBytes } from '../encoding/bytes.ts';
import { wnaf } from './wnaf.ts';

/** RFC 8032 §5.1: the field prime, the curve constant d, the group order L and the base point B. */
const P = 2n ** 255n - 19n;
const D = 37095705934669439343138083508754565189542113879843219016388785533085940283555n;
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const B_X = 15112221349535400772501151409588531511454012693041857206046113283949847762202n;
const B_Y = 46316835694926478169428394003475163141307993866256225615783033603165251855960n;
/** 2·d, and √−1 = 2^((p−1)/4) (§5.1.3 step 3). */
const D2 = (2n * D) % P;
const SQRT_M1 = 19681161376707505956807079304988542015446066515923890162744021073123829784752n;
const B_WIDTH = 8;
const A_WIDTH = 5;

/** Extended coordinates: x = X/Z, y = Y/Z, x·y = T/Z. */
type Point = readonly [x: bigint, y: bigint, z: bigint, t: bigint];
/** A point ready to be added: (Y − X, Y + X, 2d·T, 2·Z) (the "cached" form of add-2008-hwcd-3). */
type Cached = readonly [ymx: bigint, ypx: bigint, t2d: bigint, z2: bigint];

const IDENTITY: Point = [0n, 1n, 1n, 0n];

const mod = (a: bigint): bigint => {
  const r = a % P;
  return r < 0n ? r + P : r;
};

/** dbl-2008-hwcd with a = −1 (4 squarings, 3 or 4 products). */
function double(p: Point, withT: boolean): Point {
  const x = p[0];
  const y = p[1];
  const z = p[2];
  const a = (x * x) % P;
  const b = (y * y) % P;
  const c = (2n * z * z) % P;
  const h = -a - b;
  const e = (((x + y) * (x + y)) % P) + h;
  const g = b - a;
  const f = g - c;
  return [(e * f) % P, (g * h) % P, (f * g) % P, withT ? (e * h) % P : 0n];
}

/** add-2008-hwcd-3 with a = −1: p + q, or p − q when `negate` (−q swaps Y − X with Y + X and negates T). */
function add(p: Point, q: Cached, negate: boolean, withT: boolean): Point {
  const a = ((p[1] - p[0]) * (negate ? q[1] : q[0])) % P;
  const b = ((p[1] + p[0]) * (negate ? q[0] : q[1])) % P;
  const c = (p[3] * q[2]) % P;
  const d = q[3] === 2n ? 2n * p[2] : (p[2] * q[3]) % P;
  const e = b - a;
  const f = negate ? d + c : d - c;
  const g = negate ? d - c : d + c;
  const h = b + a;
  return [(e * f) % P, (g * h) % P, (f * g) % P, withT ? (e * h) % P : 0n];
}

function cached(p: Point): Cached {
  return [p[1] - p[0], p[1] + p[0], (p[3] * D2) % P, 2n * p[2]];
}

/** [p, 3p, 5p, …] (count entries) in cached form. */
function oddMultiples(p: Point, count: number): Cached[] {
  const twice = cached(double(p, true));
  const table = [cached(p)];
  let last = p;
  for (let i = 1; i < count; i++) {
    last = add(last, twice, false, true);
    table.push(cached(last));
  }
  return table;
}

/** A table normalized to Z = 1 (Z2 = 2) with one inversion (Montgomery's simultaneous inversion). */
function normalize(points: readonly Point[]): Cached[] {
  const prefix: bigint[] = [];
  let acc = 1n;
  for (const p of points) {
    prefix.push(acc);
    acc = (acc * p[2]) % P;
  }
  let inv = invert(mod(acc), P);
  const out: Cached[] = new Array(points.length);
  for (let i = points.length - 1; i >= 0; i--) {
    const p = points[i]!;
    const zInv = (inv * prefix[i]!) % P;
    inv = (inv * p[2]) % P;
    const x = mod(p[0] * zInv);
    const y = mod(p[1] * zInv);
    out[i] = cached([x, y, 1n, (x * y) % P]);
  }
  return out;
}

let bTable: Cached[] | undefined;

/** The base point's odd multiples up to (2^7 − 1)·B, affine; built on first use (about 20 M instructions). */
function baseTable(): Cached[] {
  if (!bTable) {
    const b: Point = [B_X, B_Y, 1n, (B_X * B_Y) % P];
    const twice = cached(double(b, true));
    const points = [b];
    for (let i = 1; i < 1 << (B_WIDTH - 2); i++) points.push(add(points[i - 1]!, twice, false, true));
    bTable = normalize(points);
  }
  return bTable;
}

/** x^(2^n) mod p. */
function square(x: bigint, n: number): bigint {
  let r = x;
  for (let i = 0; i < n; i++) r = (r * r) % P;
  return r;
}

/** x^((p − 5)/8) = x^(2^252 − 3), by the addition chain of RFC 8032's reference code. */
function powP58(x: bigint): bigint {
  const x2 = (x * x) % P;
  const b2 = (x2 * x) % P;
  const b4 = (square(b2, 2) * b2) % P;
  const b5 = (square(b4, 1) * x) % P;
  const b10 = (square(b5, 5) * b5) % P;
  const b20 = (square(b10, 10) * b10) % P;
  const b40 = (square(b20, 20) * b20) % P;
  const b80 = (square(b40, 40) * b40) % P;
  const b160 = (square(b80, 80) * b80) % P;
  const b240 = (square(b160, 80) * b80) % P;
  const b250 = (square(b240, 10) * b10) % P;
  return (square(b250, 2) * x) % P;
}

const littleEndian = (bytes: Uint8Array): bigint => bytesToBigInt(bytes.slice().reverse());

/** §5.1.3 point decoding, strict: null when y ≥ p, x² = (y² − 1)/(d·y² + 1) has no root, or x = 0 is "negative". */
function decodePoint(bytes: Uint8Array): Point | null {
  const negative = (bytes[31]! & 0x80) !== 0;
  const y = littleEndian(bytes) & ((1n << 255n) - 1n);
  if (y >= P) return null;
  const y2 = (y * y) % P;
  const u = mod(y2 - 1n);
  const v = mod(D * y2 + 1n);
  const v3 = (v * v * v) % P;
  let x = mod(u * v3 * powP58((u * v3 * v3 * v) % P));
  const vx2 = mod(v * x * x);
  if (vx2 !== u) {
    if (vx2 !== mod(-u)) return null;
    x = (x * SQRT_M1) % P;
  }
  if (x === 0n && negative) return null;
  if ((x & 1n) === 1n) x = P - x;
  if (negative) x = mod(-x);
  return [x, y, 1n, (x * y) % P];
}

/** [8]p is the identity: p is of small order (or, for a combination, the equation holds up to torsion). */
function clearsToIdentity(p: Point): boolean {
  const q = double(double(double(p, false), false), false);
  return q[0] % P === 0n && (q[1] - q[2]) % P === 0n;
}

/**
 * Verifies a pure Ed25519 signature (RFC 8032 §5.1.7) over `message` with a 32-byte public key; malformed keys
 * and signatures return false.
 */
export function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  const rBytes = signature.subarray(0, 32);
  const s = littleEndian(signature.subarray(32));
  if (s >= L) return false;
  const a = decodePoint(publicKey);
  const r = decodePoint(rBytes);
  if (a === null || r === null || clearsToIdentity(a)) return false;
  const k = littleEndian(sha512(concatBytes(rBytes, publicKey, message))) % L;
  // [S]B − [k]A − R, then its cofactor cleared.
  const aTable = oddMultiples(a, 1 << (A_WIDTH - 2));
  const bt = baseTable();
  const d1 = wnaf(s, B_WIDTH);
  const d2 = wnaf(k, A_WIDTH);
  let top = Math.max(d1.length, d2.length) - 1;
  while (top > 0 && !d1[top] && !d2[top]) top--;
  let acc = IDENTITY;
  for (let i = top; i >= 0; i--) {
    const g = d1[i] ?? 0;
    const h = d2[i] ?? 0;
    // T is needed by an addition only: the next step here, or the final one after the loop.
    const last = i === 0;
    acc = double(acc, g !== 0 || h !== 0 || last);
    if (g !== 0) acc = add(acc, bt[(Math.abs(g) - 1) >> 1]!, g < 0, h !== 0 || last);
    // The digits are those of k on −A: a positive digit subtracts a multiple of A.
    if (h !== 0) acc = add(acc, aTable[(Math.abs(h) - 1) >> 1]!, h > 0, last);
  }
  return clearsToIdentity(add(acc, cached(r), true, false));
}

/**
 * Width-w non-adjacent form of a scalar (Hankerson–Menezes–Vanstone, Guide to Elliptic Curve Cryptography,
 * Algorithm 3.35), the digit string the interleaved double-scalar multiplications of p256.ts and ed25519.ts walk
 * (Algorithm 3.51): few non-zero digits, each an odd number whose multiple a table holds.
 */

/**
 * Width-w non-adjacent form of k ≥ 0, least significant digit first: odd digits in (−2^(w−1), 2^(w−1)) with at
 * least w − 1 zeros after each. Done on the binary string, so the loop uses small numbers instead of BigInts.
 */
export function wnaf(k: bigint, w: number): Int8Array {
  const text = k.toString(2);
  const bits = new Uint8Array(text.length + 2 * w);
  for (let i = 0; i < text.length; i++) bits[i] = text.charCodeAt(text.length - 1 - i) - 48;
  const digits = new Int8Array(bits.length);
  const full = 1 << w;
  for (let i = 0; i < text.length + w; ) {
    if (bits[i] === 0) {
      i++;
      continue;
    }
    let value = 0;
    for (let j = w - 1; j >= 0; j--) value = value * 2 + bits[i + j]!;
    if (value >= full / 2) {
      value -= full;
      let carry = i + w;
      while (bits[carry] === 1) bits[carry++] = 0;
      bits[carry] = 1;
    }
    digits[i] = value;
    for (let j = 0; j < w; j++) bits[i + j] = 0;
    i += w;
  }
  return digits;
}

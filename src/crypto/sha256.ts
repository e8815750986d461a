/**
 * SHA-256 (FIPS 180-4 §5.1.1 padding, §5.3.3 initial value, §6.2 computation) for the pure backend, which the
 * canister runs. In its interpreter (QuickJS) hashing dominates the cost of a large email: @noble/hashes takes
 * about 26 k instructions per byte there, this module about 10 k, because its compression function
 * (sha256-block.ts, generated) keeps every word in a local variable. Node and browsers use their native hash
 * behind the crypto backend; the identity code (request ids, hash trees, delegations), which hashes many short
 * inputs synchronously everywhere, uses this one: in V8 it is 2.5× @noble/hashes on 12-byte inputs and allocates
 * three arrays per hash instead of a hasher object with its buffers.
 */
import { sha256Block } from './sha256-block.ts';

/** §5.3.3, as signed 32-bit words. */
const INITIAL = [
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

export function sha256(data: Uint8Array): Uint8Array {
  const state = new Int32Array(INITIAL);
  const whole = data.length - (data.length % 64);
  for (let offset = 0; offset < whole; offset += 64) sha256Block(state, data, offset);
  // §5.1.1: 0x80, zeros, then the message length in bits as a 64-bit big-endian integer.
  const rest = data.length - whole;
  const tail = new Uint8Array(rest < 56 ? 64 : 128);
  tail.set(data.subarray(whole));
  tail[rest] = 0x80;
  const bits = data.length * 8;
  const end = tail.length;
  tail[end - 5] = bits / 2 ** 32;
  for (let i = 1; i <= 4; i++) tail[end - i] = bits >>> (8 * (i - 1));
  for (let offset = 0; offset < end; offset += 64) sha256Block(state, tail, offset);
  const digest = new Uint8Array(32);
  for (let i = 0; i < 8; i++) {
    const word = state[i]!;
    digest[4 * i] = word >>> 24;
    digest[4 * i + 1] = word >>> 16;
    digest[4 * i + 2] = word >>> 8;
    digest[4 * i + 3] = word;
  }
  return digest;
}

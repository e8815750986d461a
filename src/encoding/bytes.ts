/**
 * Byte helpers shared by every verifier. Runs in QuickJS (Azle), browsers and Node: no Buffer, no atob.
 *
 * Mail headers are handled as "binary strings" (one char per byte, code 0–255) so that canonicalization
 * works on the exact octets received, including 8-bit bytes, without a UTF-8 round trip.
 */
import { base64 } from '@scure/base';

/** One char per byte; lossless for any input. */
export function bytesToBinary(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let out = '';
  const CHUNK = 8192;
  for (let i = start; i < end; i += CHUNK) {
    out += String.fromCharCode.apply(
      null,
      bytes.subarray(i, Math.min(i + CHUNK, end)) as unknown as number[],
    );
  }
  return out;
}

/** Inverse of bytesToBinary; chars above 0xFF are a programming error and are masked. */
export function binaryToBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

export function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/**
 * Unsigned lexicographic order, a prefix first: the order of IC hash-tree labels (interface spec
 * "Certification") and of canonical RDATA (RFC 4034 §6.3).
 */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/** Strict base64 (RFC 4648 §4) after removing whitespace; null when not valid base64. */
export function decodeBase64(text: string): Uint8Array | null {
  const compact = text.replace(/[ \t\r\n]+/g, '');
  if (compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) return null;
  try {
    return base64.decode(compact);
  } catch {
    return null;
  }
}

export function encodeBase64(bytes: Uint8Array): string {
  return base64.encode(bytes);
}

const HEX_BYTE = /* @__PURE__ */ Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/** Big-endian unsigned; through one hex literal, which costs the canister's interpreter a third of byte-wise shifts. */
export function bytesToBigInt(bytes: Uint8Array): bigint {
  let hex = '0x0';
  for (let i = 0; i < bytes.length; i++) hex += HEX_BYTE[bytes[i]!];
  return BigInt(hex);
}

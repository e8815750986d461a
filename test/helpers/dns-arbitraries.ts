/**
 * Building blocks for the DNS property tests (test/property/dns-*.test.ts, zone-file.test.ts): fast-check label and
 * name generators, and an independent encoder for the wire forms they are checked against (RFC 1035 §3.1, §4.1;
 * RFC 4034 §4.1.2), written here rather than taken from src/dns.
 */
import fc from 'fast-check';
import type { Name } from '../../src/dns/name.ts';

// ---------- bytes ----------

export const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
/** ASCII case folding (RFC 4343): A-Z only. */
export const lowerByte = (b: number) => (b >= 0x41 && b <= 0x5a ? b + 0x20 : b);

export function concat(parts: readonly (Uint8Array | readonly number[])[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export const u8 = (v: number) => [v & 0xff];
export const u16 = (v: number) => [(v >>> 8) & 0xff, v & 0xff];
export const u32 = (v: number) => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];

/** Uncompressed wire form of `name`; `lower` folds its letters as the RFC 4034 §6.2 canonical form does. */
export function wireName(name: Name, lower = false): Uint8Array {
  return concat([...name.flatMap((l) => [[l.length], lower ? l.map(lowerByte) : l]), [0]]);
}

/** Canonical NSEC/NSEC3 type bitmap (RFC 4034 §4.1.2): only non-empty windows, no trailing zero octets. */
export function typeBitmap(types: readonly number[]): Uint8Array {
  const out: number[] = [];
  for (const w of [...new Set(types.map((t) => t >> 8))].sort((a, b) => a - b)) {
    const low = types.filter((t) => t >> 8 === w).map((t) => t & 0xff);
    const bits = new Array<number>((Math.max(...low) >> 3) + 1).fill(0);
    for (const b of low) bits[b >> 3]! |= 0x80 >> (b & 7);
    out.push(w, bits.length, ...bits);
  }
  return Uint8Array.from(out);
}

// ---------- arbitraries ----------

/** Random bytes, `min` to `max` of them. */
export const bytes = (max: number, min = 0) => fc.uint8Array({ minLength: min, maxLength: max });

/** Labels of `minLength` to `maxLength` bytes drawn from `byte`. */
export function labelOf(
  byte: fc.Arbitrary<number>,
  minLength: number,
  maxLength: number,
): fc.Arbitrary<Uint8Array> {
  return fc.array(byte, { minLength, maxLength }).map((a) => Uint8Array.from(a));
}

/** Keeps leading labels while the wire form stays within 255 bytes. */
export function fitTo255(labels: Uint8Array[]): Name {
  const out: Uint8Array[] = [];
  let len = 1;
  for (const l of labels) {
    if (len + l.length + 1 > 255) break;
    out.push(l);
    len += l.length + 1;
  }
  return out;
}

/**
 * Domain names (RFC 1035 §3.1, §5.1; RFC 4343 case-insensitivity; RFC 4034 §6.1 canonical order and §6.2
 * canonical form). A name is its list of labels (root = []), each label raw bytes, so escapes like `\.` and
 * `\000` survive exactly. Wire input here is uncompressed unless the caller passes a full message for pointers.
 */
import { asciiLower, asciiLowerByte } from '../encoding/ascii.ts';
import { malformed } from './errors.ts';

export type Name = readonly Uint8Array[];

export const ROOT: Name = [];
const MAX_WIRE = 255;

function checkLength(labels: Name): Name {
  let len = 1;
  for (const l of labels) {
    if (l.length === 0 || l.length > 63) malformed(`label of ${l.length} bytes`);
    len += l.length + 1;
  }
  if (len > MAX_WIRE) malformed(`name of ${len} bytes exceeds ${MAX_WIRE}`);
  return labels;
}

/**
 * Parses presentation format (RFC 1035 §5.1): `\X` and `\DDD` escapes; a trailing dot makes the name absolute,
 * otherwise `origin` is appended (`@` alone is the origin).
 */
export function nameFromText(text: string, origin: Name = ROOT): Name {
  if (text === '@') return origin;
  if (text === '.') return ROOT;
  if (text === '') malformed('empty name');
  const labels: Uint8Array[] = [];
  let cur: number[] = [];
  let absolute = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) {
      const d = text.slice(i + 1, i + 4);
      if (/^[0-9]{3}$/.test(d)) {
        const v = Number(d);
        if (v > 255) malformed(`escape \\${d} out of range`);
        cur.push(v);
        i += 3;
      } else if (i + 1 < text.length) {
        const e = text.charCodeAt(++i);
        if (e > 0x7e) malformed('non-ASCII character in a name');
        cur.push(e);
      } else malformed('name ends with a backslash');
    } else if (c === 0x2e) {
      if (cur.length === 0) malformed(`empty label in ${JSON.stringify(text)}`);
      labels.push(Uint8Array.from(cur));
      cur = [];
      if (i === text.length - 1) absolute = true;
    } else {
      if (c <= 0x20 || c > 0x7e) malformed('unescaped space, control or non-ASCII character in a name');
      cur.push(c);
    }
  }
  if (cur.length > 0) labels.push(Uint8Array.from(cur));
  return checkLength(absolute ? labels : [...labels, ...origin]);
}

/** A name in text form as a comparison key: ASCII letters lowercased (RFC 4343 §3), no trailing dot. */
export function nameTextKey(text: string): string {
  return asciiLower(text).replace(/\.$/, '');
}

/** Presentation format, absolute (trailing dot), with RFC 1035 §5.1 escapes for special and non-printable bytes. */
export function nameToText(name: Name): string {
  if (name.length === 0) return '.';
  let out = '';
  for (const label of name) {
    for (const b of label) {
      if (
        b === 0x2e ||
        b === 0x5c ||
        b === 0x22 ||
        b === 0x28 ||
        b === 0x29 ||
        b === 0x3b ||
        b === 0x40 ||
        b === 0x24
      ) {
        out += `\\${String.fromCharCode(b)}`;
      } else if (b <= 0x20 || b >= 0x7f) {
        out += `\\${b.toString().padStart(3, '0')}`;
      } else out += String.fromCharCode(b);
    }
    out += '.';
  }
  return out;
}

/** Lowercase presentation form: a stable map key for case-insensitive lookups. */
export function nameKey(name: Name): string {
  // Same as nameToText(canonicalName(name)): the text is ASCII (other bytes are \DDD escapes), and lowercasing it
  // once is cheaper than copying every label; the validator calls this for each record it looks at.
  return asciiLower(nameToText(name));
}

export function canonicalName(name: Name): Name {
  return name.map((l) => l.map(asciiLowerByte));
}

export function nameToWire(name: Name): Uint8Array {
  let len = 1;
  for (const l of name) len += l.length + 1;
  const out = new Uint8Array(len);
  let o = 0;
  for (const l of name) {
    out[o++] = l.length;
    out.set(l, o);
    o += l.length;
  }
  return out;
}

/** Canonical wire form (RFC 4034 §6.2): uncompressed, ASCII letters lowercased. */
export function canonicalNameWire(name: Name): Uint8Array {
  return nameToWire(canonicalName(name));
}

/**
 * Reads a name at `offset` of `data`. Compression pointers (RFC 1035 §4.1.4) are followed only when `data` is a
 * whole DNS message and `compressed` is set; inside RFC 9102 proofs they are rejected.
 */
export function readName(data: Uint8Array, offset: number, compressed: boolean): { name: Name; end: number } {
  if (!Number.isInteger(offset) || offset < 0) malformed(`invalid offset ${offset}`);
  const labels: Uint8Array[] = [];
  let pos = offset;
  let end = -1;
  let jumps = 0;
  for (;;) {
    if (pos >= data.length) malformed('name runs past the end of the data');
    const len = data[pos]!;
    if (len === 0) {
      if (end < 0) end = pos + 1;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      if (!compressed) malformed('compression pointer where compression is not allowed');
      if (pos + 1 >= data.length) malformed('truncated compression pointer');
      if (++jumps > 64) malformed('compression pointer loop');
      if (end < 0) end = pos + 2;
      pos = ((len & 0x3f) << 8) | data[pos + 1]!;
      continue;
    }
    if (len & 0xc0) malformed(`unsupported label type 0x${len.toString(16)}`);
    if (pos + 1 + len > data.length) malformed('label runs past the end of the data');
    labels.push(data.slice(pos + 1, pos + 1 + len));
    pos += 1 + len;
  }
  return { name: checkLength(labels), end };
}

function labelEquals(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (asciiLowerByte(a[i]!) !== asciiLowerByte(b[i]!)) return false;
  return true;
}

export function nameEquals(a: Name, b: Name): boolean {
  return a.length === b.length && a.every((l, i) => labelEquals(l, b[i]!));
}

/** True when `name` equals `ancestor` or lies below it (label-wise, case-insensitive). */
export function isAtOrBelow(name: Name, ancestor: Name): boolean {
  if (ancestor.length > name.length) return false;
  const off = name.length - ancestor.length;
  return ancestor.every((l, i) => labelEquals(l, name[off + i]!));
}

/** The parent name (one label removed); the root has no parent. */
export function parentName(name: Name): Name | null {
  return name.length === 0 ? null : name.slice(1);
}

export function isWildcard(name: Name): boolean {
  return name.length > 0 && name[0]!.length === 1 && name[0]![0] === 0x2a;
}

/** RRSIG Labels value for an owner (RFC 4034 §3.1.3): root and a leading "*" label are not counted. */
export function rrsigLabelCount(name: Name): number {
  return isWildcard(name) ? name.length - 1 : name.length;
}

/** RFC 4034 §6.1 canonical ordering: compare labels right to left, each as lowercased bytes. */
export function compareNames(a: Name, b: Name): number {
  const n = Math.min(a.length, b.length);
  for (let i = 1; i <= n; i++) {
    const x = a[a.length - i]!;
    const y = b[b.length - i]!;
    const m = Math.min(x.length, y.length);
    for (let j = 0; j < m; j++) {
      const d = asciiLowerByte(x[j]!) - asciiLowerByte(y[j]!);
      if (d !== 0) return d;
    }
    if (x.length !== y.length) return x.length - y.length;
  }
  return a.length - b.length;
}

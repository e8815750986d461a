/**
 * RDATA of the types Waxseal handles, described once as field lists and used for wire decoding (RFC 1035 §3.3,
 * RFC 3596, RFC 4034 §2–§5, RFC 5155 §3–§4, RFC 6698 §2), presentation text, and the canonical form of
 * RFC 4034 §6.2 as amended by RFC 6840 §5.1 (names inside NSEC are not lowercased). Other types are opaque
 * (RFC 3597 `\#`).
 */
import { base32hexnopad, base64, hex } from '@scure/base';
import { concatBytes } from '../encoding/bytes.ts';
import { malformed } from './errors.ts';
import { canonicalNameWire, type Name, nameFromText, nameToText, nameToWire, readName } from './name.ts';
import { TYPE, typeFromText, typeToText } from './types.ts';

type FieldKind =
  | 'u8'
  | 'u16'
  | 'u32'
  | 'type'
  | 'time'
  | 'name'
  | 'name-nc'
  | 'a'
  | 'aaaa'
  | 'txt'
  | 'hex'
  | 'base64'
  | 'salt'
  | 'hash32'
  | 'types';

export type FieldValue = number | Name | Uint8Array | Uint8Array[] | number[];

const SCHEMAS: Record<number, readonly FieldKind[]> = {
  [TYPE.A]: ['a'],
  [TYPE.NS]: ['name'],
  [TYPE.CNAME]: ['name'],
  [TYPE.SOA]: ['name', 'name', 'u32', 'u32', 'u32', 'u32', 'u32'],
  [TYPE.PTR]: ['name'],
  [TYPE.MX]: ['u16', 'name'],
  [TYPE.TXT]: ['txt'],
  [TYPE.AAAA]: ['aaaa'],
  [TYPE.SRV]: ['u16', 'u16', 'u16', 'name'],
  [TYPE.DNAME]: ['name'],
  [TYPE.DS]: ['u16', 'u8', 'u8', 'hex'],
  [TYPE.CDS]: ['u16', 'u8', 'u8', 'hex'],
  [TYPE.RRSIG]: ['type', 'u8', 'u8', 'u32', 'time', 'time', 'u16', 'name', 'base64'],
  [TYPE.NSEC]: ['name-nc', 'types'],
  [TYPE.DNSKEY]: ['u16', 'u8', 'u8', 'base64'],
  [TYPE.CDNSKEY]: ['u16', 'u8', 'u8', 'base64'],
  [TYPE.NSEC3]: ['u8', 'u8', 'u16', 'salt', 'hash32', 'types'],
  [TYPE.NSEC3PARAM]: ['u8', 'u8', 'u16', 'salt'],
  [TYPE.TLSA]: ['u8', 'u8', 'u8', 'hex'],
};

/** Fields that take the rest of the RDATA. */
const REST: ReadonlySet<FieldKind> = new Set(['txt', 'hex', 'base64', 'types']);
const FIXED: Partial<Record<FieldKind, number>> = { u8: 1, u16: 2, u32: 4, type: 2, time: 4, a: 4, aaaa: 16 };

export function hasSchema(type: number): boolean {
  return type in SCHEMAS;
}

// ---------- wire ----------

function readUint(buf: Uint8Array, pos: number, size: number): number {
  let v = 0;
  for (let i = 0; i < size; i++) v = v * 256 + buf[pos + i]!;
  return v;
}

function readTypeBitmap(buf: Uint8Array): number[] {
  const types: number[] = [];
  let pos = 0;
  let lastWindow = -1;
  while (pos < buf.length) {
    if (pos + 2 > buf.length) malformed('truncated type bitmap');
    const window = buf[pos]!;
    const len = buf[pos + 1]!;
    if (window <= lastWindow || len < 1 || len > 32 || pos + 2 + len > buf.length)
      malformed('invalid type bitmap');
    for (let i = 0; i < len; i++) {
      const byte = buf[pos + 2 + i]!;
      for (let bit = 0; bit < 8; bit++) if (byte & (0x80 >> bit)) types.push(window * 256 + i * 8 + bit);
    }
    lastWindow = window;
    pos += 2 + len;
  }
  return types;
}

function writeTypeBitmap(types: readonly number[]): Uint8Array {
  const sorted = [...new Set(types)].sort((a, b) => a - b);
  const out: number[] = [];
  let i = 0;
  while (i < sorted.length) {
    const window = sorted[i]! >> 8;
    const bits = new Uint8Array(32);
    let max = 0;
    for (; i < sorted.length && sorted[i]! >> 8 === window; i++) {
      const low = sorted[i]! & 0xff;
      bits[low >> 3]! |= 0x80 >> (low & 7);
      max = Math.max(max, (low >> 3) + 1);
    }
    out.push(window, max, ...bits.subarray(0, max));
  }
  return Uint8Array.from(out);
}

/**
 * Decodes RDATA at data[offset, offset+length). With `compressed`, `data` is a whole message and names may use
 * pointers (only for the RFC 1035 types where that is allowed; the decoder follows them for any name field).
 */
export function decodeRdata(
  type: number,
  data: Uint8Array,
  offset: number,
  length: number,
  compressed = false,
): FieldValue[] {
  const schema = SCHEMAS[type];
  const end = offset + length;
  if (end > data.length) malformed('RDATA runs past the end of the data');
  if (!schema) return [data.slice(offset, end)];
  const values: FieldValue[] = [];
  let pos = offset;
  for (const kind of schema) {
    const fixed = FIXED[kind];
    if (fixed !== undefined) {
      if (pos + fixed > end) malformed(`${typeToText(type)} RDATA too short`);
      values.push(
        kind === 'a' || kind === 'aaaa' ? data.slice(pos, pos + fixed) : readUint(data, pos, fixed),
      );
      pos += fixed;
    } else if (kind === 'name' || kind === 'name-nc') {
      const r = readName(data, pos, compressed);
      if (r.end > end) malformed(`${typeToText(type)} name runs past the RDATA`);
      values.push(r.name);
      pos = r.end;
    } else if (kind === 'salt' || kind === 'hash32') {
      const len = data[pos];
      if (len === undefined || pos + 1 + len > end) malformed(`${typeToText(type)} RDATA too short`);
      if (kind === 'hash32' && len === 0) malformed('empty NSEC3 hash');
      values.push(data.slice(pos + 1, pos + 1 + len));
      pos += 1 + len;
    } else if (kind === 'txt') {
      const strings: Uint8Array[] = [];
      while (pos < end) {
        const len = data[pos]!;
        if (pos + 1 + len > end) malformed('TXT character-string runs past the RDATA');
        strings.push(data.slice(pos + 1, pos + 1 + len));
        pos += 1 + len;
      }
      if (strings.length === 0) malformed('TXT RDATA with no character-string');
      values.push(strings);
    } else if (kind === 'types') {
      values.push(readTypeBitmap(data.subarray(pos, end)));
      pos = end;
    } else {
      values.push(data.slice(pos, end));
      pos = end;
    }
    if (REST.has(kind)) break;
  }
  if (pos !== end) malformed(`${typeToText(type)} RDATA has ${end - pos} trailing bytes`);
  return values;
}

function uintBytes(v: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = size - 1; i >= 0; i--) {
    out[i] = v % 256;
    v = Math.floor(v / 256);
  }
  return out;
}

/** Encodes fields to RDATA; `canonical` lowercases the names RFC 4034 §6.2 (with RFC 6840 §5.1) lists. */
export function encodeRdata(type: number, values: readonly FieldValue[], canonical = false): Uint8Array {
  const schema = SCHEMAS[type];
  if (!schema) return values[0] as Uint8Array;
  const parts: Uint8Array[] = [];
  schema.forEach((kind, i) => {
    const v = values[i]!;
    const fixed = FIXED[kind];
    if (fixed !== undefined)
      parts.push(kind === 'a' || kind === 'aaaa' ? (v as Uint8Array) : uintBytes(v as number, fixed));
    else if (kind === 'name') parts.push(canonical ? canonicalNameWire(v as Name) : nameToWire(v as Name));
    else if (kind === 'name-nc') parts.push(nameToWire(v as Name));
    else if (kind === 'salt' || kind === 'hash32')
      parts.push(Uint8Array.of((v as Uint8Array).length), v as Uint8Array);
    else if (kind === 'txt') for (const s of v as Uint8Array[]) parts.push(Uint8Array.of(s.length), s);
    else if (kind === 'types') parts.push(writeTypeBitmap(v as number[]));
    else parts.push(v as Uint8Array);
  });
  return concatBytes(...parts);
}

/** Canonical RDATA (RFC 4034 §6.2): uncompressed, with listed embedded names lowercased. */
export function canonicalRdata(type: number, rdata: Uint8Array): Uint8Array {
  if (!SCHEMAS[type]) return rdata;
  return encodeRdata(type, decodeRdata(type, rdata, 0, rdata.length), true);
}

// ---------- presentation ----------

/** A zone-file token: raw text (escapes kept) and whether it was a quoted string. */
export interface Token {
  readonly text: string;
  readonly quoted: boolean;
}

/** Decodes RFC 1035 §5.1 escapes in a character-string to bytes (≤ 255). */
function charString(token: Token): Uint8Array {
  const out: number[] = [];
  // Iterate by code point: UTF-8 text in a zone file keeps its bytes, astral characters included.
  const chars = Array.from(token.text);
  const utf8 = new TextEncoder();
  const push = (ch: string) => {
    if (ch.codePointAt(0)! > 0x7e) out.push(...utf8.encode(ch));
    else out.push(ch.codePointAt(0)!);
  };
  for (let i = 0; i < chars.length; i++) {
    if (chars[i] !== '\\') {
      push(chars[i]!);
      continue;
    }
    const d = chars.slice(i + 1, i + 4).join('');
    if (/^[0-9]{3}$/.test(d)) {
      if (Number(d) > 255) malformed(`escape \\${d} out of range`);
      out.push(Number(d));
      i += 3;
    } else if (i + 1 < chars.length) push(chars[++i]!);
    else malformed('character-string ends with a backslash');
  }
  if (out.length > 255) malformed('character-string longer than 255 bytes');
  return Uint8Array.from(out);
}

function charStringText(bytes: Uint8Array): string {
  let s = '"';
  for (const b of bytes) {
    if (b === 0x22 || b === 0x5c) s += `\\${String.fromCharCode(b)}`;
    else if (b < 0x20 || b > 0x7e) s += `\\${b.toString().padStart(3, '0')}`;
    else s += String.fromCharCode(b);
  }
  return `${s}"`;
}

function parseUint(text: string, max: number): number {
  if (!/^[0-9]{1,10}$/.test(text) || Number(text) > max)
    malformed(`not an integer ≤ ${max}: ${JSON.stringify(text)}`);
  return Number(text);
}

/** RRSIG time: YYYYMMDDHHmmSS (UTC) or decimal seconds (RFC 4034 §3.2). */
function parseTime(text: string): number {
  const m = /^([0-9]{4})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})$/.exec(text);
  if (!m) return parseUint(text, 0xffffffff);
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  if (Number.isNaN(ms) || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
    malformed(`bad time ${text}`);
  return (ms / 1000) % 2 ** 32;
}

function timeText(v: number): string {
  return new Date(v * 1000).toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

function decodeText(codec: { decode(s: string): Uint8Array }, text: string, what: string): Uint8Array {
  try {
    return codec.decode(text);
  } catch {
    return malformed(`invalid ${what}: ${JSON.stringify(text.slice(0, 40))}`);
  }
}

/** Parses presentation RDATA tokens for `type`; supports RFC 3597 `\# len hex` for every type. */
export function rdataFromText(type: number, tokens: readonly Token[], origin: Name): Uint8Array {
  if (tokens[0]?.text === '\\#' && !tokens[0].quoted) {
    const len = parseUint(tokens[1]?.text ?? '', 0xffff);
    const bytes = decodeText(
      hex,
      tokens
        .slice(2)
        .map((t) => t.text)
        .join('')
        .toLowerCase(),
      'hex',
    );
    if (bytes.length !== len) malformed(`\\# length ${len} but ${bytes.length} bytes of data`);
    if (SCHEMAS[type]) decodeRdata(type, bytes, 0, bytes.length);
    return bytes;
  }
  const schema = SCHEMAS[type];
  if (!schema) malformed(`${typeToText(type)} needs the RFC 3597 \\# form`);
  const values: FieldValue[] = [];
  let i = 0;
  const next = (): string => {
    const t = tokens[i++];
    if (!t) malformed(`${typeToText(type)} RDATA has too few fields`);
    return t.text;
  };
  for (const kind of schema) {
    const rest = () => tokens.slice(i).map((t) => t.text);
    switch (kind) {
      case 'u8':
        values.push(parseUint(next(), 0xff));
        break;
      case 'u16':
        values.push(parseUint(next(), 0xffff));
        break;
      case 'u32':
        values.push(parseUint(next(), 0xffffffff));
        break;
      case 'type':
        values.push(typeFromText(next()));
        break;
      case 'time':
        values.push(parseTime(next()));
        break;
      case 'name':
      case 'name-nc':
        values.push(nameFromText(next(), origin));
        break;
      case 'a': {
        const parts = next().split('.');
        if (parts.length !== 4) malformed('bad IPv4 address');
        values.push(Uint8Array.from(parts.map((p) => parseUint(p, 255))));
        break;
      }
      case 'aaaa':
        values.push(parseIpv6(next()));
        break;
      case 'txt':
        if (i >= tokens.length) malformed('TXT needs at least one character-string');
        values.push(tokens.slice(i).map(charString));
        i = tokens.length;
        break;
      case 'hex':
        values.push(decodeText(hex, rest().join('').toLowerCase(), 'hex'));
        i = tokens.length;
        break;
      case 'base64':
        values.push(decodeText(base64, rest().join(''), 'base64'));
        i = tokens.length;
        break;
      case 'salt': {
        const t = next();
        values.push(t === '-' ? new Uint8Array(0) : decodeText(hex, t.toLowerCase(), 'salt'));
        if ((values.at(-1) as Uint8Array).length > 255) malformed('salt longer than 255 bytes');
        break;
      }
      case 'hash32': {
        const hash = decodeText(base32hexnopad, next().toUpperCase(), 'base32hex');
        if (hash.length === 0 || hash.length > 255) malformed('NSEC3 hash must be 1–255 bytes');
        values.push(hash);
        break;
      }
      case 'types':
        values.push(rest().map(typeFromText));
        i = tokens.length;
        break;
    }
  }
  if (i < tokens.length) malformed(`${typeToText(type)} RDATA has extra fields`);
  const rdata = encodeRdata(type, values);
  decodeRdata(type, rdata, 0, rdata.length); // the wire decoder is the one definition of valid RDATA
  return rdata;
}

function parseIpv6(text: string): Uint8Array {
  const halves = text.split('::');
  if (halves.length > 2) malformed('bad IPv6 address');
  const group = (s: string) => (s === '' ? [] : s.split(':'));
  const head = group(halves[0]!);
  const tail = halves.length === 2 ? group(halves[1]!) : [];
  const missing = 8 - head.length - tail.length;
  if ((halves.length === 1 && missing !== 0) || (halves.length === 2 && missing < 1))
    malformed('bad IPv6 address');
  const words = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    if (!/^[0-9a-fA-F]{1,4}$/.test(w)) malformed('bad IPv6 address');
    const v = Number.parseInt(w, 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  });
  return out;
}

/** Presentation form of RDATA (unknown types as RFC 3597 `\#`). */
export function rdataToText(type: number, rdata: Uint8Array): string {
  const schema = SCHEMAS[type];
  if (!schema) return `\\# ${rdata.length}${rdata.length ? ` ${hex.encode(rdata).toUpperCase()}` : ''}`;
  const values = decodeRdata(type, rdata, 0, rdata.length);
  return schema
    .map((kind, i) => {
      const v = values[i]!;
      switch (kind) {
        case 'type':
          return typeToText(v as number);
        case 'time':
          return timeText(v as number);
        case 'name':
        case 'name-nc':
          return nameToText(v as Name);
        case 'a':
          return Array.from(v as Uint8Array).join('.');
        case 'aaaa':
          return Array.from({ length: 8 }, (_, j) =>
            (((v as Uint8Array)[2 * j]! << 8) | (v as Uint8Array)[2 * j + 1]!).toString(16),
          ).join(':');
        case 'txt':
          return (v as Uint8Array[]).map(charStringText).join(' ');
        case 'hex':
          return hex.encode(v as Uint8Array).toUpperCase();
        case 'base64':
          return base64.encode(v as Uint8Array);
        case 'salt':
          return (v as Uint8Array).length ? hex.encode(v as Uint8Array).toUpperCase() : '-';
        case 'hash32':
          return base32hexnopad.encode(v as Uint8Array);
        case 'types':
          return (v as number[]).map(typeToText).join(' ');
        default:
          return String(v);
      }
    })
    .join(' ')
    .trimEnd();
}

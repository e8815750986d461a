/**
 * RDATA of the types Waxseal handles, described once as field lists and used for wire decoding (RFC 1035 §3.3,
 * RFC 3596, RFC 4034 §2–§5, RFC 5155 §3–§4, RFC 6698 §2), presentation text (rdata-text.ts), and the canonical
 * form of RFC 4034 §6.2 as amended by RFC 6840 §5.1 (names inside NSEC are not lowercased). Other types are
 * opaque (RFC 3597 `\#`).
 */
import { concatBytes } from '../encoding/bytes.ts';
import { malformed } from './errors.ts';
import { canonicalNameWire, type Name, nameToWire, readName } from './name.ts';
import { TYPE, typeToText } from './types.ts';

export type FieldKind =
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

/** The field list of `type`, or undefined for a type whose RDATA is opaque here. */
export function schemaOf(type: number): readonly FieldKind[] | undefined {
  return SCHEMAS[type];
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

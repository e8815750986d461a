/**
 * RDATA in presentation format (RFC 1035 §5.1: character-strings with `\DDD` and `\X` escapes; RFC 4034 §2.2,
 * §3.2, §5.3 and RFC 5155 §3.3 for the DNSSEC fields; RFC 3597 §5 `\# len hex` for any type), over the field
 * lists of rdata.ts. Parsed text is encoded and then decoded by the wire decoder, which stays the one
 * definition of valid RDATA.
 */
import { base32hexnopad, base64, hex } from '@scure/base';
import { utf8 } from '../encoding/bytes.ts';
import { malformed } from './errors.ts';
import { type Name, nameFromText, nameToText } from './name.ts';
import { decodeRdata, encodeRdata, type FieldValue, schemaOf } from './rdata.ts';
import { typeFromText, typeToText } from './types.ts';

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
  const push = (ch: string) => {
    if (ch.codePointAt(0)! > 0x7e) out.push(...utf8(ch));
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
    if (schemaOf(type)) decodeRdata(type, bytes, 0, bytes.length);
    return bytes;
  }
  const schema = schemaOf(type);
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
  const schema = schemaOf(type);
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

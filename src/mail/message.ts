/**
 * Splits a raw RFC 5322 message (§2.1, §2.2, §2.2.3) into header fields and body, keeping each field's
 * exact octets for DKIM simple canonicalization (RFC 6376 §3.4.1). Lines must end in CRLF: bare CR or LF in
 * the header section is rejected here, and converting bare LF is left to the CLI and test boundary.
 */
import { bytesToBinary } from '../encoding/bytes.ts';
import { trimEndWsp } from '../encoding/whitespace.ts';
import { LIMITS } from '../limits.ts';
import { type Meter, UNMETERED } from '../meter.ts';

export interface HeaderField {
  /** Field name as written (case preserved). */
  readonly name: string;
  /** Lowercased name, for case-insensitive matching. */
  readonly key: string;
  /** The whole field, name through the last continuation line, without the final CRLF (binary string). */
  readonly raw: string;
  /** Everything after the first colon, still folded (binary string). */
  readonly value: string;
}

export interface Message {
  /** The whole message as parsed (CRLF), so a parsed message can be handed on instead of the bytes. */
  readonly bytes: Uint8Array;
  readonly headers: readonly HeaderField[];
  /** Bytes after the blank line that ends the header section (empty when there is none). */
  readonly body: Uint8Array;
}

export type MessageErrorCode =
  | 'MessageTooLarge'
  | 'TooManyHeaderFields'
  | 'HeaderLineTooLong'
  | 'MalformedMessage';

export interface MessageError {
  readonly code: MessageErrorCode;
  readonly detail: string;
}

export type MessageResult = { ok: true; message: Message } | { ok: false; error: MessageError };

const CR = 13;
const LF = 10;
const SP = 32;
const TAB = 9;

function fail(code: MessageErrorCode, detail: string): MessageResult {
  return { ok: false, error: { code, detail } };
}

/** Index of the first `byte` at or after `from`, or `bytes.length`. */
function nextIndex(bytes: Uint8Array, byte: number, from: number): number {
  const at = bytes.indexOf(byte, from);
  return at === -1 ? bytes.length : at;
}

/** Field name: printable US-ASCII except colon (RFC 5322 §2.2 ftext). */
const FIELD_NAME = /^[\x21-\x39\x3b-\x7e]+$/;

export function parseMessage(bytes: Uint8Array): MessageResult {
  if (bytes.length > LIMITS.messageBytes) {
    return fail('MessageTooLarge', `message is ${bytes.length} bytes; the limit is ${LIMITS.messageBytes}`);
  }
  const lines: Array<[number, number]> = [];
  let pos = 0;
  let bodyStart = bytes.length;
  // The next CR and LF at or after `pos`, found with the typed array's native indexOf: a JS loop over every
  // header byte costs the canister about 3 k instructions per byte.
  let cr = -1;
  let lf = -1;
  while (pos < bytes.length) {
    if (cr !== bytes.length && cr < pos) cr = nextIndex(bytes, CR, pos);
    if (lf !== bytes.length && lf < pos) lf = nextIndex(bytes, LF, pos);
    const eol = Math.min(cr, lf);
    if (eol >= bytes.length) {
      return fail('MalformedMessage', 'the header section does not end with CRLF');
    }
    if (bytes[eol] !== CR || bytes[eol + 1] !== LF) {
      return fail('MalformedMessage', `bare CR or LF in the header section at byte ${eol}`);
    }
    if (eol - pos > LIMITS.headerLineBytes) {
      return fail(
        'HeaderLineTooLong',
        `a header line is ${eol - pos} bytes; the limit is ${LIMITS.headerLineBytes}`,
      );
    }
    if (eol === pos) {
      bodyStart = eol + 2;
      break;
    }
    lines.push([pos, eol]);
    pos = eol + 2;
  }
  const headers: HeaderField[] = [];
  let current: [number, number] | null = null;
  const flush = (): MessageError | null => {
    if (!current) return null;
    const raw = bytesToBinary(bytes, current[0], current[1]);
    const colon = raw.indexOf(':');
    const name = colon > 0 ? trimEndWsp(raw.slice(0, colon)) : '';
    if (!FIELD_NAME.test(name)) {
      return {
        code: 'MalformedMessage',
        detail: `header line without a valid field name: ${JSON.stringify(raw.slice(0, 40))}`,
      };
    }
    headers.push({ name, key: name.toLowerCase(), raw, value: raw.slice(colon + 1) });
    return null;
  };
  for (const [start, end] of lines) {
    const first = bytes[start];
    if (first === SP || first === TAB) {
      if (!current) return fail('MalformedMessage', 'the first header line starts with whitespace');
      current[1] = end;
      continue;
    }
    const err = flush();
    if (err) return { ok: false, error: err };
    if (headers.length >= LIMITS.headerFields) {
      return fail('TooManyHeaderFields', `more than ${LIMITS.headerFields} header fields`);
    }
    current = [start, end];
  }
  const err = flush();
  if (err) return { ok: false, error: err };
  return {
    ok: true,
    message: { bytes, headers, body: bytes.subarray(Math.min(bodyStart, bytes.length)) },
  };
}

/**
 * `input` as a parsed message: parsed here (and charged to `meter`'s `parse`) when it is the raw bytes, handed
 * through when a caller parsed it already.
 */
export function parsedMessage(input: Uint8Array | Message, meter: Meter = UNMETERED): MessageResult {
  return 'headers' in input ? { ok: true, message: input } : meter.sync('parse', () => parseMessage(input));
}

/** Removes CRLF before WSP (RFC 5322 §2.2.3). */
export function unfold(value: string): string {
  return value.replace(/\r\n(?=[ \t])/g, '');
}

/** Converts bare LF to CRLF (for files from disk and test fixtures only, never for received mail). */
export function lfToCrlf(bytes: Uint8Array): Uint8Array {
  let extra = 0;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === LF && (i === 0 || bytes[i - 1] !== CR)) extra++;
  if (extra === 0) return bytes;
  const out = new Uint8Array(bytes.length + extra);
  let j = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === LF && (i === 0 || bytes[i - 1] !== CR)) out[j++] = CR;
    out[j++] = bytes[i]!;
  }
  return out;
}

/** Header fields with the given name (case-insensitive), top to bottom. */
export function fieldsNamed(message: Message, name: string): HeaderField[] {
  const key = name.toLowerCase();
  return message.headers.filter((h) => h.key === key);
}

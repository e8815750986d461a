/**
 * DKIM canonicalization (RFC 6376 §3.4): simple and relaxed, for header fields (§3.4.1, §3.4.2) and
 * bodies (§3.4.3, §3.4.4, with erratum 1384: the relaxed form of an empty body is empty).
 * Bodies are processed as bytes; header fields as binary strings (one char per byte).
 */
import { bytesToBinary } from '../encoding/bytes.ts';
import { trimEndWsp } from '../encoding/whitespace.ts';
import type { Canon } from './signature.ts';

const CR = 13;
const LF = 10;
const SP = 32;
const TAB = 9;

/** Header field in canonical form, including the trailing CRLF. `raw` is the field without its CRLF. */
export function canonicalizeHeader(raw: string, canon: Canon): string {
  if (canon === 'simple') return `${raw}\r\n`;
  const colon = raw.indexOf(':');
  const name = trimEndWsp(raw.slice(0, colon)).toLowerCase();
  const value = raw
    .slice(colon + 1)
    .replace(/\r\n/g, '')
    .replace(/[ \t]+/g, ' ')
    .replace(/^ | $/g, '');
  return `${name}:${value}\r\n`;
}

/** Index just past the last non-empty line: trailing CRLF pairs are not part of the canonical body. */
function contentEnd(body: Uint8Array): number {
  let end = body.length;
  while (end >= 2 && body[end - 2] === CR && body[end - 1] === LF) end -= 2;
  return end;
}

function simpleBody(body: Uint8Array): Uint8Array {
  const end = contentEnd(body);
  if (end === 0) return new Uint8Array([CR, LF]);
  // Content that ends in CRLF keeps exactly that one; content without a final CRLF gets one added.
  const endsWithCrlf = end < body.length;
  const out = new Uint8Array(end + 2);
  out.set(body.subarray(0, end));
  out[end] = CR;
  out[end + 1] = LF;
  return endsWithCrlf ? body.subarray(0, end + 2) : out;
}

/**
 * The next occurrence at or after a position of any of `patterns` in `text` (or `text.length`). Each pattern is
 * searched again only once the position passes its last hit, so the whole text is scanned once per pattern.
 */
function occurrences(text: string, patterns: readonly string[]) {
  const hits = patterns.map((p) => text.indexOf(p));
  return (from: number): number => {
    let first = text.length;
    for (let i = 0; i < hits.length; i++) {
      let at = hits[i]!;
      if (at !== -1 && at < from) {
        at = text.indexOf(patterns[i]!, from);
        hits[i] = at;
      }
      if (at !== -1 && at < first) first = at;
    }
    return first;
  };
}

/** Where relaxed canonicalization changes a body: a TAB, two WSP in a row, WSP at the end of a line. */
const RELAXED_CHANGES = ['\t', '  ', ' \r\n'] as const;

/**
 * A change costs the search about 30 k instructions, a byte costs the byte loop about 4 k: past one change per
 * this many bytes (after the first few), the rest of the body goes byte by byte, so no body costs more than
 * the byte loop would.
 */
const BYTES_PER_CHANGE = 16;

/**
 * §3.4.4: WSP at the end of a line is removed, every other run of WSP becomes one SP, then the empty lines at
 * the end go. Only the runs that change are visited: the body is searched for them with the string's native
 * indexOf and copied around them, because a JS loop over every byte costs the canister about 4 k instructions
 * per byte. A body dense in changes is finished by that loop (`relaxedBytes`).
 */
function relaxedBody(body: Uint8Array): Uint8Array {
  const text = bytesToBinary(body);
  const out = new Uint8Array(body.length + 2);
  let o = 0;
  let pos = 0;
  const nextChange = occurrences(text, RELAXED_CHANGES);
  let next = nextChange(0);
  for (let changes = 1; next < text.length; changes++) {
    if (changes > 64 + pos / BYTES_PER_CHANGE) {
      o = relaxedBytes(body, pos, out, o);
      pos = body.length;
      break;
    }
    let start = next;
    while (start > pos && isWsp(body[start - 1]!)) start--;
    let end = next;
    while (end < body.length && isWsp(body[end]!)) end++;
    out.set(body.subarray(pos, start), o);
    o += start - pos;
    const endsLine = end === body.length || (body[end] === CR && body[end + 1] === LF);
    if (!endsLine) out[o++] = SP;
    pos = end;
    next = nextChange(pos);
  }
  // A single WSP before the end of a body without a final CRLF also ends a line.
  let tail = body.length;
  while (tail > pos && isWsp(body[tail - 1]!)) tail--;
  out.set(body.subarray(pos, tail), o);
  o += tail - pos;
  const trimmed = out.subarray(0, o);
  const end = contentEnd(trimmed);
  if (end === 0) return new Uint8Array(0);
  if (end < trimmed.length) return trimmed.subarray(0, end + 2);
  out[end] = CR;
  out[end + 1] = LF;
  return out.subarray(0, end + 2);
}

/**
 * §3.4.4 one byte at a time from `from` (not inside a run of WSP) to the end, written to `out` from `o`; returns
 * the new length. A run of WSP becomes one SP only when something other than a line end follows it.
 */
function relaxedBytes(body: Uint8Array, from: number, out: Uint8Array, o: number): number {
  let pendingSpace = false;
  for (let i = from; i < body.length; i++) {
    const b = body[i]!;
    if (isWsp(b)) {
      pendingSpace = true;
    } else if (b === CR && body[i + 1] === LF) {
      pendingSpace = false;
      out[o++] = CR;
      out[o++] = LF;
      i++;
    } else {
      if (pendingSpace) out[o++] = SP;
      pendingSpace = false;
      out[o++] = b;
    }
  }
  return o;
}

const isWsp = (b: number): boolean => b === SP || b === TAB;

/** Canonical body bytes (before any l= truncation). */
export function canonicalizeBody(body: Uint8Array, canon: Canon): Uint8Array {
  return canon === 'simple' ? simpleBody(body) : relaxedBody(body);
}

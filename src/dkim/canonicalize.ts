/**
 * DKIM canonicalization (RFC 6376 §3.4): simple and relaxed, for header fields (§3.4.1, §3.4.2) and
 * bodies (§3.4.3, §3.4.4, with erratum 1384: the relaxed form of an empty body is empty).
 * Bodies are processed as bytes; header fields as binary strings (one char per byte).
 */
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

function relaxedBody(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + 2);
  let o = 0;
  let pendingSpace = false;
  for (let i = 0; i < body.length; i++) {
    const b = body[i]!;
    if (b === SP || b === TAB) {
      pendingSpace = true;
    } else if (b === CR && body[i + 1] === LF) {
      pendingSpace = false; // whitespace at the end of a line is removed
      out[o++] = CR;
      out[o++] = LF;
      i++;
    } else {
      if (pendingSpace) out[o++] = SP;
      pendingSpace = false;
      out[o++] = b;
    }
  }
  // A line with trailing WSP and no CRLF at the very end: drop the WSP (it ends a line).
  const trimmed = out.subarray(0, o);
  const end = contentEnd(trimmed);
  if (end === 0) return new Uint8Array(0);
  if (end < trimmed.length) return trimmed.subarray(0, end + 2);
  out[end] = CR;
  out[end + 1] = LF;
  return out.subarray(0, end + 2);
}

/** Canonical body bytes (before any l= truncation). */
export function canonicalizeBody(body: Uint8Array, canon: Canon): Uint8Array {
  return canon === 'simple' ? simpleBody(body) : relaxedBody(body);
}

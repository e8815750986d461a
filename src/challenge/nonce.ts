/**
 * Challenge nonces (protocol.md §3): `WX-` followed by 20 lowercase RFC 4648 §6 base32 characters, i.e. 100 bits.
 * Randomness is an argument (13 bytes from the canister's raw_rand-seeded CSPRNG, never from Azle's
 * `crypto.getRandomValues` before it is reseeded: ic-notes.md), so this module stays pure.
 *
 * Finding the nonce in a Subject (protocol.md §3, architecture "Trust model": the nonce must sit in the
 * DKIM-signed Subject, never the body):
 * - the 20 base32 characters must be lowercase exactly as issued; only the `WX-` prefix is matched
 *   case-insensitively (some clients or users retype it as `wx-`), and it is normalized back to `WX-`;
 * - the token must stand alone: no letter or digit directly before it or after it;
 * - RFC 2047 encoded-words (`=?charset?B|Q?…?=`) are decoded first, because a client that adds any non-ASCII text
 *   to the Subject encodes the whole line; only ASCII-compatible charsets matter since the nonce is ASCII;
 * - exactly one distinct nonce value may appear (the same nonce repeated, as in `Re: WX-… WX-…`, counts once);
 *   two different nonces make the Subject ambiguous and it addresses no challenge.
 */
import { base32nopad } from '@scure/base';
import { bytesToBinary, decodeBase64 } from '../encoding/bytes.ts';

export const NONCE_PREFIX = 'WX-';
/** Random bytes the caller supplies; 104 bits, of which the first 100 are used. */
export const NONCE_RANDOM_BYTES = 13;
export const NONCE_CHARS = 20;
/** `WX-` + 20 characters. */
export const NONCE_LENGTH = NONCE_PREFIX.length + NONCE_CHARS;

const CANONICAL = /^WX-[a-z2-7]{20}$/;
const ANY_PREFIX = /^[Ww][Xx]-([a-z2-7]{20})$/;

/**
 * Makes a nonce from exactly 13 random bytes: the first 100 bits, 5 at a time, big-endian (RFC 4648 §6 base32,
 * lowercased: the first 20 of the 21 characters 13 bytes encode to). The low 4 bits of the last byte are not
 * used, so two inputs give the same nonce exactly when their first 100 bits agree.
 */
export function makeNonce(random: Uint8Array): string {
  if (random.length !== NONCE_RANDOM_BYTES) {
    throw new RangeError(`makeNonce needs ${NONCE_RANDOM_BYTES} random bytes, got ${random.length}`);
  }
  return NONCE_PREFIX + base32nopad.encode(random).slice(0, NONCE_CHARS).toLowerCase();
}

/** True for a nonce in canonical form (`WX-` + 20 lowercase base32 characters), as issued. */
export function isNonce(text: string): boolean {
  return CANONICAL.test(text);
}

/** The canonical form of a nonce typed with any case of the `WX-` prefix, or null when it is not a nonce. */
export function normalizeNonce(text: string): string | null {
  const m = ANY_PREFIX.exec(text);
  return m ? NONCE_PREFIX + m[1] : null;
}

/** RFC 2047 §2 encoded-word; the text may not contain `?` or whitespace. */
const ENCODED_WORD = /=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g;

function decodeQ(text: string): string {
  return text
    .replace(/_/g, ' ')
    .replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

/**
 * Decodes RFC 2047 encoded-words to a binary string (one char per byte, so any ASCII-compatible charset shows its
 * ASCII characters as themselves). Whitespace between two adjacent encoded-words is dropped (§6.2); a word that
 * does not decode is kept as written.
 */
export function decodeEncodedWords(value: string): string {
  const joined = value.replace(/(\?=)[ \t\r\n]+(?==\?)/g, '$1');
  return joined.replace(ENCODED_WORD, (word, _charset: string, encoding: string, text: string) => {
    if (encoding === 'Q' || encoding === 'q') return decodeQ(text);
    const bytes = decodeBase64(text);
    return bytes ? bytesToBinary(bytes) : word;
  });
}

export type SubjectNonce =
  | { readonly kind: 'one'; readonly nonce: string }
  | { readonly kind: 'none' }
  | { readonly kind: 'ambiguous'; readonly nonces: readonly string[] };

/** A nonce token with no letter or digit on either side. */
const TOKEN = /(^|[^A-Za-z0-9])([Ww][Xx]-[a-z2-7]{20})(?=[^A-Za-z0-9]|$)/g;

/**
 * Finds the nonce in the value of a Subject field (the text after the colon, possibly folded, as a binary
 * string). See the module comment for the rules.
 */
export function findNonceInSubject(subjectValue: string): SubjectNonce {
  const text = decodeEncodedWords(subjectValue.replace(/\r\n(?=[ \t])/g, ''));
  const found = new Set<string>();
  for (const m of text.matchAll(TOKEN)) found.add(NONCE_PREFIX + m[2]!.slice(NONCE_PREFIX.length));
  if (found.size === 0) return { kind: 'none' };
  if (found.size > 1) return { kind: 'ambiguous', nonces: [...found] };
  return { kind: 'one', nonce: [...found][0]! };
}

/**
 * Textual principals (IC interface spec "Principals" → "Textual representation"): base32 (RFC 4648 §6) of
 * CRC-32 (ISO-HDLC, big-endian) followed by the principal bytes, lowercase, no padding, a dash every 5
 * characters. Only the tests need it, to write canister ids and check our principals against @icp-sdk/core; the
 * devnet prints principals with @icp-sdk/core's `Principal.toText`, and the canister never does.
 */
import { base32nopad } from '@scure/base';
import { concatBytes } from '../../src/encoding/bytes.ts';
import { MAX_PRINCIPAL_LENGTH } from '../../src/identity/delegation.ts';

/** CRC-32 (ISO-HDLC / IEEE 802.3, reflected polynomial 0xEDB88320), bit by bit: principals are ≤ 29 bytes. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

export function principalToText(principal: Uint8Array): string {
  if (principal.length > MAX_PRINCIPAL_LENGTH) throw new RangeError('principal longer than 29 bytes');
  const c = crc32(principal);
  const body = concatBytes(Uint8Array.of(c >>> 24, (c >>> 16) & 0xff, (c >>> 8) & 0xff, c & 0xff), principal);
  return base32nopad
    .encode(body)
    .toLowerCase()
    .match(/.{1,5}/g)!
    .join('-');
}

/** Inverse of {@link principalToText}; throws on a bad checksum or a non-canonical spelling. */
export function principalFromText(text: string): Uint8Array {
  let body: Uint8Array;
  try {
    body = base32nopad.decode(text.replace(/-/g, '').toUpperCase());
  } catch {
    throw new Error(`not a principal: ${text}`);
  }
  if (body.length < 4) throw new Error(`not a principal: ${text}`);
  const principal = body.slice(4);
  if (principalToText(principal) !== text) throw new Error(`not a canonical principal (checksum?): ${text}`);
  return principal;
}

/**
 * RSA public-key decoding from DER: SubjectPublicKeyInfo (RFC 5280 §4.1.2.7 with rsaEncryption,
 * RFC 8017 Appendix A.1.1) or a bare PKCS#1 RSAPublicKey, which RFC 6376 §3.6.1 allows in DKIM `p=`.
 * A minimal DER reader: definite lengths only, every length checked against the buffer.
 */
import type { RsaPublicKey } from './backend.ts';

interface Tlv {
  tag: number;
  value: Uint8Array;
  end: number;
}

function readTlv(buf: Uint8Array, pos: number): Tlv | null {
  if (pos + 2 > buf.length) return null;
  const tag = buf[pos]!;
  let len = buf[pos + 1]!;
  let off = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || off + n > buf.length) return null;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[off + i]!;
    off += n;
  }
  if (off + len > buf.length) return null;
  return { tag, value: buf.subarray(off, off + len), end: off + len };
}

/** Parses the children of a constructed TLV; null if anything is malformed. */
function children(t: Tlv): Tlv[] | null {
  const items: Tlv[] = [];
  let pos = 0;
  while (pos < t.value.length) {
    const c = readTlv(t.value, pos);
    if (!c) return null;
    items.push(c);
    pos = c.end;
  }
  return items;
}

/** A DER buffer that is exactly one SEQUENCE; returns its children. */
function readSequence(buf: Uint8Array): Tlv[] | null {
  const outer = readTlv(buf, 0);
  if (outer?.tag !== 0x30 || outer.end !== buf.length) return null;
  return children(outer);
}

/** Positive INTEGER to minimal unsigned bytes; null for negative values. */
function unsignedInteger(t: Tlv): Uint8Array | null {
  if (t.tag !== 0x02 || t.value.length === 0 || t.value[0]! & 0x80) return null;
  let i = 0;
  while (i < t.value.length - 1 && t.value[i] === 0) i++;
  return t.value.subarray(i);
}

const RSA_ENCRYPTION_OID = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

function parsePkcs1(buf: Uint8Array): RsaPublicKey | null {
  const items = readSequence(buf);
  if (items?.length !== 2) return null;
  const n = unsignedInteger(items[0]!);
  const e = unsignedInteger(items[1]!);
  return n && e ? { n, e } : null;
}

function parseSpki(buf: Uint8Array): RsaPublicKey | null {
  const items = readSequence(buf);
  if (items?.length !== 2 || items[0]!.tag !== 0x30 || items[1]!.tag !== 0x03) return null;
  const oid = children(items[0]!)?.[0];
  if (oid?.tag !== 0x06 || oid.value.length !== RSA_ENCRYPTION_OID.length) return null;
  if (!RSA_ENCRYPTION_OID.every((b, i) => oid.value[i] === b)) return null;
  const bits = items[1]!.value;
  if (bits.length < 1 || bits[0] !== 0) return null;
  return parsePkcs1(bits.subarray(1));
}

/** Decodes SPKI first, then bare PKCS#1; null when neither fits exactly. */
export function parseRsaPublicKey(der: Uint8Array): RsaPublicKey | null {
  return parseSpki(der) ?? parsePkcs1(der);
}

/** Bit length of an unsigned big-endian integer. */
export function bitLength(v: Uint8Array): number {
  let i = 0;
  while (i < v.length && v[i] === 0) i++;
  if (i === v.length) return 0;
  return (v.length - i - 1) * 8 + (32 - Math.clz32(v[i]!));
}

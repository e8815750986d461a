/**
 * DKIM key records (RFC 6376 §3.6.1, RFC 8463 §4, RFC 8301 §3.2): `<s>._domainkey.<d>` TXT, strings already
 * concatenated. RSA `p=` may be SubjectPublicKeyInfo or a bare PKCS#1 RSAPublicKey; Ed25519 `p=` is the raw
 * 32-byte key. The caller compares k= with the signature's a= and t=s with its i=.
 */
import type { RsaPublicKey } from '../crypto/backend.ts';
import { bitLength, parseRsaPublicKey } from '../crypto/rsa-key.ts';
import { decodeBase64 } from '../encoding/bytes.ts';
import { LIMITS } from '../limits.ts';
import type { DkimReason } from './result.ts';
import { parseTagList, stripFws } from './tags.ts';

export type DkimKey =
  | { readonly type: 'rsa'; readonly rsa: RsaPublicKey; readonly bits: number; readonly flags: KeyFlags }
  | { readonly type: 'ed25519'; readonly raw: Uint8Array; readonly flags: KeyFlags };

export interface KeyFlags {
  /** t=y: the domain is testing DKIM. */
  readonly testing: boolean;
  /** t=s: i= must have exactly the domain of d=. */
  readonly strictIdentity: boolean;
  /** Hash algorithms allowed by h= (null when absent: any). */
  readonly hashes: readonly string[] | null;
  /** k= as written, lowercased. */
  readonly keyType: string;
}

export type KeyParse =
  | { ok: true; key: DkimKey }
  | { ok: false; reason: DkimReason; detail: string; keyType: string | null };

/** The DNS name of a key record (RFC 6376 §3.6.2.1): `<selector>._domainkey.<d>`, lowercase. */
export function keyRecordName(selector: string, domain: string): string {
  return `${selector.toLowerCase()}._domainkey.${domain.toLowerCase()}`;
}

/** RSA exponents above 32 bits only make the canister's modPow slower; real keys use 3 or 65537. */
const MAX_EXPONENT_BITS = 32;

/** Parses one key record. Size and policy limits are applied here so every backend sees only sane keys. */
export function parseKeyRecord(txt: string): KeyParse {
  const fail = (reason: DkimReason, detail: string, keyType: string | null = null): KeyParse => ({
    ok: false,
    reason,
    detail,
    keyType,
  });
  if (txt.length > LIMITS.dkimKeyTxtBytes) {
    return fail(
      'KeyRecordTooLarge',
      `key record is ${txt.length} bytes; the limit is ${LIMITS.dkimKeyTxtBytes}`,
    );
  }
  const parsed = parseTagList(txt);
  if (!parsed.ok) return fail('KeyMalformed', `key record: ${parsed.detail}`);
  const t = parsed.tags;
  const first = t.keys().next().value;
  if (t.has('v') && (first !== 'v' || t.get('v') !== 'DKIM1')) {
    return fail('KeyMalformed', 'v= must be the first tag and equal DKIM1');
  }
  const keyType = (t.get('k') ?? 'rsa').toLowerCase();
  const hashes = t.has('h') ? stripFws(t.get('h')!).toLowerCase().split(':') : null;
  const services = t.has('s') ? stripFws(t.get('s')!).toLowerCase().split(':') : null;
  const tflags = t.has('t') ? stripFws(t.get('t')!).toLowerCase().split(':') : [];
  const flags: KeyFlags = {
    testing: tflags.includes('y'),
    strictIdentity: tflags.includes('s'),
    hashes,
    keyType,
  };
  if (!t.has('p')) return fail('KeyMalformed', 'key record has no p=', keyType);
  const pText = stripFws(t.get('p')!);
  if (pText === '') return fail('KeyRevoked', 'the key has been revoked (empty p=)', keyType);
  if (services && !services.includes('*') && !services.includes('email')) {
    return fail('KeyServiceMismatch', `s=${services.join(':')} does not allow email`, keyType);
  }
  const der = decodeBase64(pText);
  if (!der) return fail('KeyMalformed', 'p= is not valid base64', keyType);
  if (keyType === 'ed25519') {
    if (der.length !== 32) return fail('KeyMalformed', `Ed25519 key is ${der.length} bytes, not 32`, keyType);
    return { ok: true, key: { type: 'ed25519', raw: der, flags } };
  }
  if (keyType !== 'rsa') return fail('KeyAlgorithmMismatch', `unsupported key type k=${keyType}`, keyType);
  const rsa = parseRsaPublicKey(der);
  if (!rsa)
    return fail('KeyMalformed', 'p= is neither SubjectPublicKeyInfo nor PKCS#1 RSAPublicKey', keyType);
  const bits = bitLength(rsa.n);
  const eBits = bitLength(rsa.e);
  if ((rsa.n[rsa.n.length - 1]! & 1) === 0 || (rsa.e[rsa.e.length - 1]! & 1) === 0 || eBits < 2) {
    return fail('KeyMalformed', 'RSA modulus and exponent must be odd, exponent ≥ 3', keyType);
  }
  if (eBits > MAX_EXPONENT_BITS)
    return fail('KeyMalformed', `RSA exponent longer than ${MAX_EXPONENT_BITS} bits`, keyType);
  if (bits > LIMITS.rsaMaxBits)
    return fail('KeyMalformed', `RSA key of ${bits} bits exceeds ${LIMITS.rsaMaxBits}`, keyType);
  if (bits < LIMITS.rsaMinBits)
    return fail('KeyTooSmall', `RSA key of ${bits} bits (minimum ${LIMITS.rsaMinBits})`, keyType);
  return { ok: true, key: { type: 'rsa', rsa, bits, flags } };
}

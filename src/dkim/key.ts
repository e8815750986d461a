/**
 * DKIM key records (RFC 6376 §3.6.1, §6.1.2; RFC 8463 §4; RFC 8301 §3.2): `<s>._domainkey.<d>` TXT, strings
 * already concatenated, checked against the signature that names them. RSA `p=` may be SubjectPublicKeyInfo or a
 * bare PKCS#1 RSAPublicKey; Ed25519 `p=` is the raw 32-byte key.
 *
 * A record can be wrong in several ways at once; the reason reported is the first that applies, in this order.
 * RFC 6376 §6.1.2 orders its permanent errors (syntax, then `h=`, then revoked, then key algorithm), and a
 * permanent error outranks a policy refusal: a short RSA key or `t=y` only matter for a key that is otherwise
 * usable. test/dkim-key-order.test.ts pins the order for every pair of faults that can occur together.
 *   1. KeyRecordTooLarge     LIMITS.dkimKeyTxtBytes, before any parsing
 *   2. KeyMalformed          tag-list syntax, v= not first or not DKIM1, no p= (§3.6.1; §6.1.2 step 5)
 *   3. KeyHashMismatch       h= does not list the hash of a= (§6.1.2 step 6)
 *   4. KeyRevoked            empty p= (§6.1.2 step 7)
 *   5. KeyServiceMismatch    s= leaves out email: the record is not for DKIM (§3.6.1)
 *   6. KeyAlgorithmMismatch  k= unknown or not the key type of a= (§6.1.2 step 8)
 *   7. KeyIdentityMismatch   t=s but i= is a subdomain of d= (§3.6.1)
 *   8. KeyMalformed          p= not base64, not a key of type k=, RSA shape or size out of bounds (step 8)
 *   9. KeyTooSmall           policy: RSA modulus below LIMITS.rsaMinBits (RFC 8301 §3.2)
 *  10. KeyTestingMode        policy: t=y is never accepted for Waxseal (protocol.md §5)
 */
import type { RsaPublicKey } from '../crypto/backend.ts';
import { bitLength, parseRsaPublicKey } from '../crypto/rsa-key.ts';
import { decodeBase64 } from '../encoding/bytes.ts';
import { LIMITS } from '../limits.ts';
import type { DkimReason } from './result.ts';
import type { DkimAlgorithm, DkimSignature } from './signature.ts';
import { parseTagList, stripFws } from './tags.ts';

export type DkimKey =
  | { readonly type: 'rsa'; readonly rsa: RsaPublicKey; readonly bits: number }
  | { readonly type: 'ed25519'; readonly raw: Uint8Array };

/** What a key record is checked against: the signature's a=, its d= and the domain of its i=. */
export type KeyUse = Pick<DkimSignature, 'algorithm' | 'domain' | 'identityDomain'>;

export type KeyParse = { ok: true; key: DkimKey } | { ok: false; reason: DkimReason; detail: string };

/** The DNS name of a key record (RFC 6376 §3.6.2.1): `<selector>._domainkey.<d>`, lowercase. */
export function keyRecordName(selector: string, domain: string): string {
  return `${selector.toLowerCase()}._domainkey.${domain.toLowerCase()}`;
}

/** The key type (k=) and hash (h=) each signing algorithm needs (RFC 6376 §3.3, RFC 8463 §3). */
const NEEDS: Record<DkimAlgorithm, { readonly keyType: 'rsa' | 'ed25519'; readonly hash: string }> = {
  'rsa-sha256': { keyType: 'rsa', hash: 'sha256' },
  'ed25519-sha256': { keyType: 'ed25519', hash: 'sha256' },
};

/** RSA exponents above 32 bits only make the canister's modPow slower; real keys use 3 or 65537. */
const MAX_EXPONENT_BITS = 32;

/** A colon-separated tag value (h=, s=, t=), lowercased; null when the tag is absent. */
function list(tags: ReadonlyMap<string, string>, name: string): string[] | null {
  const value = tags.get(name);
  return value === undefined ? null : stripFws(value).toLowerCase().split(':');
}

type Fail = { ok: false; reason: DkimReason; detail: string };
const fail = (reason: DkimReason, detail: string): Fail => ({ ok: false, reason, detail });

/** Decodes p= for key type `k` (§6.1.2 step 8); size and policy limits apply so backends see only sane keys. */
function decodeKey(k: 'rsa' | 'ed25519', pText: string): { ok: true; key: DkimKey } | Fail {
  const der = decodeBase64(pText);
  if (!der) return fail('KeyMalformed', 'p= is not valid base64');
  if (k === 'ed25519') {
    if (der.length !== 32) return fail('KeyMalformed', `Ed25519 key is ${der.length} bytes, not 32`);
    return { ok: true, key: { type: 'ed25519', raw: der } };
  }
  const rsa = parseRsaPublicKey(der);
  if (!rsa) return fail('KeyMalformed', 'p= is neither SubjectPublicKeyInfo nor PKCS#1 RSAPublicKey');
  const bits = bitLength(rsa.n);
  const eBits = bitLength(rsa.e);
  if ((rsa.n[rsa.n.length - 1]! & 1) === 0 || (rsa.e[rsa.e.length - 1]! & 1) === 0 || eBits < 2) {
    return fail('KeyMalformed', 'RSA modulus and exponent must be odd, exponent ≥ 3');
  }
  if (eBits > MAX_EXPONENT_BITS)
    return fail('KeyMalformed', `RSA exponent longer than ${MAX_EXPONENT_BITS} bits`);
  if (bits > LIMITS.rsaMaxBits)
    return fail('KeyMalformed', `RSA key of ${bits} bits exceeds ${LIMITS.rsaMaxBits}`);
  return { ok: true, key: { type: 'rsa', rsa, bits } };
}

/** Parses one key record and checks it for `use`, in the order of the list at the top of this file. */
export function parseKeyRecord(txt: string, use: KeyUse): KeyParse {
  if (txt.length > LIMITS.dkimKeyTxtBytes) {
    return fail(
      'KeyRecordTooLarge',
      `key record is ${txt.length} bytes; the limit is ${LIMITS.dkimKeyTxtBytes}`,
    );
  }
  const parsed = parseTagList(txt);
  if (!parsed.ok) return fail('KeyMalformed', `key record: ${parsed.detail}`);
  const t = parsed.tags;
  if (t.has('v') && (t.keys().next().value !== 'v' || t.get('v') !== 'DKIM1')) {
    return fail('KeyMalformed', 'v= must be the first tag and equal DKIM1');
  }
  const pTag = t.get('p');
  if (pTag === undefined) return fail('KeyMalformed', 'key record has no p=');

  const { keyType: wanted, hash } = NEEDS[use.algorithm];
  const hashes = list(t, 'h');
  if (hashes && !hashes.includes(hash))
    return fail('KeyHashMismatch', `key h=${hashes.join(':')} excludes ${hash}`);
  const pText = stripFws(pTag);
  if (pText === '') return fail('KeyRevoked', 'the key has been revoked (empty p=)');
  const services = list(t, 's');
  if (services && !services.includes('*') && !services.includes('email')) {
    return fail('KeyServiceMismatch', `s=${services.join(':')} does not allow email`);
  }
  const keyType = (t.get('k') ?? 'rsa').toLowerCase();
  if (keyType !== wanted) return fail('KeyAlgorithmMismatch', `key k=${keyType} but a=${use.algorithm}`);
  const flags = list(t, 't') ?? [];
  if (flags.includes('s') && use.identityDomain !== use.domain) {
    return fail('KeyIdentityMismatch', 'key t=s but i= is a subdomain of d=');
  }

  const decoded = decodeKey(wanted, pText);
  if (!decoded.ok) return decoded;
  const { key } = decoded;
  if (key.type === 'rsa' && key.bits < LIMITS.rsaMinBits) {
    return fail('KeyTooSmall', `RSA key of ${key.bits} bits (minimum ${LIMITS.rsaMinBits})`);
  }
  if (flags.includes('y')) return fail('KeyTestingMode', 'key t=y: the domain is testing DKIM');
  return decoded;
}

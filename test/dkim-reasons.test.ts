/**
 * Every DKIM reason code is reachable and reported with its RFC 8601 result word. Messages are built here with
 * hand-written signature fields; the signature itself is checked against independent signers elsewhere
 * (third-party vectors, the generated dkimpy/OpenDKIM corpus).
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { pureCrypto } from '../src/crypto/pure.ts';
import { canonicalizeBody } from '../src/dkim/canonicalize.ts';
import type { DkimReason } from '../src/dkim/result.ts';
import { staticTxtLookup, type TxtLookup, type TxtTable } from '../src/dns/lookup.ts';
import { encodeBase64, utf8 } from '../src/encoding/bytes.ts';
import { verifyEmail } from '../src/verify-email.ts';

const NOW = 1_700_000_000;
const BODY = 'Hello.\r\n';
const BH = encodeBase64(await pureCrypto.sha256(canonicalizeBody(utf8(BODY), 'relaxed')));
const FAKE_B = encodeBase64(new Uint8Array(64).fill(7));
const ED_KEY = encodeBase64(new Uint8Array(32).fill(9));
const rsaDer = (bits: number) =>
  encodeBase64(
    new Uint8Array(
      generateKeyPairSync('rsa', { modulusLength: bits }).publicKey.export({ format: 'der', type: 'spki' }),
    ),
  );
const RSA_2048 = rsaDer(2048);

function message(sig: string): Uint8Array {
  return utf8(
    `DKIM-Signature: ${sig}\r\nFrom: a@example.com\r\nTo: b@example.org\r\nSubject: hi\r\n` +
      `Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n\r\n${BODY}`,
  );
}

function sig(over: Record<string, string | null> = {}): string {
  const tags: Record<string, string | null> = {
    v: '1',
    a: 'ed25519-sha256',
    c: 'relaxed/relaxed',
    d: 'example.com',
    s: 'sel',
    h: 'from:to:subject:date',
    bh: BH,
    b: FAKE_B,
    ...over,
  };
  return Object.entries(tags)
    .filter(([, v]) => v !== null)
    .map(([k, v]) => `${k}=${v}`)
    .join('; ');
}

async function reasonOf(
  sigValue: string,
  dns: TxtTable | TxtLookup = { 'sel._domainkey.example.com': [`k=ed25519; p=${ED_KEY}`] },
) {
  const lookup = typeof dns === 'function' ? dns : staticTxtLookup(dns);
  const v = await verifyEmail(message(sigValue), lookup, NOW);
  const s = v.signatures[0]!;
  return [s.result, s.reason] as const;
}

const rsaSig = (over: Record<string, string | null> = {}) =>
  sig({ a: 'rsa-sha256', b: encodeBase64(new Uint8Array(256)), ...over });
const rsaKey = (record: string) => ({ 'sel._domainkey.example.com': [record] });

const cases: Array<[string, () => Promise<readonly [string, DkimReason | null]>, string, DkimReason]> = [
  ['malformed tag list', () => reasonOf(`${sig()}; ;x`), 'permerror', 'TagSyntax'],
  ['duplicate tag', () => reasonOf(`${sig()}; d=example.com`), 'permerror', 'DuplicateTag'],
  ['missing bh=', () => reasonOf(sig({ bh: null })), 'permerror', 'MissingTag'],
  ['missing v=', () => reasonOf(sig({ v: null })), 'permerror', 'MissingTag'],
  ['v=2', () => reasonOf(sig({ v: '2' })), 'permerror', 'BadVersion'],
  ['d= not a domain', () => reasonOf(sig({ d: 'exa mple..com' })), 'permerror', 'BadDomain'],
  ['s= not a selector', () => reasonOf(sig({ s: 'a..b' })), 'permerror', 'BadSelector'],
  ['i= outside d=', () => reasonOf(sig({ i: '@evilexample.com' })), 'permerror', 'IdentityMismatch'],
  ['a=rsa-sha1', () => reasonOf(sig({ a: 'rsa-sha1' })), 'policy', 'Sha1Rejected'],
  ['a=unknown', () => reasonOf(sig({ a: 'ecdsa-sha256' })), 'permerror', 'UnsupportedAlgorithm'],
  ['c=fancy', () => reasonOf(sig({ c: 'fancy/simple' })), 'permerror', 'BadCanonicalization'],
  ['q=http', () => reasonOf(sig({ q: 'http/well-known' })), 'permerror', 'UnsupportedQueryMethod'],
  ['l=abc', () => reasonOf(sig({ l: 'abc' })), 'permerror', 'BadBodyLength'],
  ['t=soon', () => reasonOf(sig({ t: 'soon' })), 'permerror', 'BadTimestamp'],
  [
    'x < t',
    () => reasonOf(sig({ t: String(NOW), x: String(NOW - 1) })),
    'permerror',
    'ExpiryBeforeTimestamp',
  ],
  ['x in the past', () => reasonOf(sig({ x: String(NOW - 1) })), 'permerror', 'SignatureExpired'],
  ['t in the future', () => reasonOf(sig({ t: String(NOW + 61) })), 'permerror', 'FutureTimestamp'],
  ['From not signed', () => reasonOf(sig({ h: 'to:subject' })), 'permerror', 'FromNotSigned'],
  ['NXDOMAIN key', () => reasonOf(sig(), {}), 'permerror', 'KeyNotFound'],
  [
    'no TXT at the key name',
    () => reasonOf(sig(), { 'sel._domainkey.example.com': [] }),
    'permerror',
    'KeyNotFound',
  ],
  [
    'DNS failure',
    () => reasonOf(sig(), () => Promise.resolve({ kind: 'temperror', detail: 'SERVFAIL' })),
    'temperror',
    'KeyLookupFailed',
  ],
  [
    'two key records',
    () =>
      reasonOf(sig(), { 'sel._domainkey.example.com': [`k=ed25519; p=${ED_KEY}`, `k=ed25519; p=${ED_KEY}`] }),
    'permerror',
    'KeyAmbiguous',
  ],
  [
    'key record over 4 KiB',
    () =>
      reasonOf(sig(), { 'sel._domainkey.example.com': [`k=ed25519; n=${'x'.repeat(4096)}; p=${ED_KEY}`] }),
    'permerror',
    'KeyRecordTooLarge',
  ],
  ['key record syntax', () => reasonOf(sig(), rsaKey('k=ed25519; p')), 'permerror', 'KeyMalformed'],
  [
    'v= not first in key',
    () => reasonOf(sig(), rsaKey(`k=ed25519; v=DKIM1; p=${ED_KEY}`)),
    'permerror',
    'KeyMalformed',
  ],
  [
    'Ed25519 key of 31 bytes',
    () => reasonOf(sig(), rsaKey(`k=ed25519; p=${encodeBase64(new Uint8Array(31))}`)),
    'permerror',
    'KeyMalformed',
  ],
  ['revoked key', () => reasonOf(sig(), rsaKey('v=DKIM1; k=ed25519; p=')), 'permerror', 'KeyRevoked'],
  [
    'RSA key for Ed25519 signature',
    () => reasonOf(sig(), rsaKey(`v=DKIM1; p=${RSA_2048}`)),
    'permerror',
    'KeyAlgorithmMismatch',
  ],
  [
    'Ed25519 key for RSA signature',
    () => reasonOf(rsaSig(), rsaKey(`k=ed25519; p=${ED_KEY}`)),
    'permerror',
    'KeyAlgorithmMismatch',
  ],
  [
    'key h=sha1',
    () => reasonOf(sig(), rsaKey(`k=ed25519; h=sha1; p=${ED_KEY}`)),
    'permerror',
    'KeyHashMismatch',
  ],
  [
    'key s=other',
    () => reasonOf(sig(), rsaKey(`k=ed25519; s=other; p=${ED_KEY}`)),
    'permerror',
    'KeyServiceMismatch',
  ],
  [
    'key t=s with i= subdomain',
    () => reasonOf(sig({ i: '@mail.example.com' }), rsaKey(`k=ed25519; t=s; p=${ED_KEY}`)),
    'permerror',
    'KeyIdentityMismatch',
  ],
  ['key t=y', () => reasonOf(sig(), rsaKey(`k=ed25519; t=y; p=${ED_KEY}`)), 'policy', 'KeyTestingMode'],
  ['RSA 768-bit key', () => reasonOf(rsaSig(), rsaKey(`p=${rsaDer(768)}`)), 'policy', 'KeyTooSmall'],
  [
    'RSA 768-bit key with h=sha1 (RFC 6376 §6.1.2: h= first)',
    () => reasonOf(rsaSig(), rsaKey(`h=sha1; p=${rsaDer(768)}`)),
    'permerror',
    'KeyHashMismatch',
  ],
  [
    'key t=y with s=other (permanent errors before policy)',
    () => reasonOf(sig(), rsaKey(`k=ed25519; t=y; s=other; p=${ED_KEY}`)),
    'permerror',
    'KeyServiceMismatch',
  ],
  [
    'RSA key not DER',
    () => reasonOf(rsaSig(), rsaKey(`p=${encodeBase64(utf8('not a key'))}`)),
    'permerror',
    'KeyMalformed',
  ],
  ['l= past the body', () => reasonOf(sig({ l: '9' })), 'permerror', 'BodyLengthExceeded'],
  ['bh= mismatch', () => reasonOf(sig({ bh: encodeBase64(new Uint8Array(32)) })), 'fail', 'BodyHashMismatch'],
  ['b= does not verify', () => reasonOf(sig()), 'fail', 'SignatureInvalid'],
  ['RSA b= does not verify', () => reasonOf(rsaSig(), rsaKey(`p=${RSA_2048}`)), 'fail', 'SignatureInvalid'],
];

describe('DKIM reason codes', () => {
  it.each(cases)('%s → %s %s', async (_name, run, result, reason) => {
    expect(await run()).toEqual([result, reason]);
  });

  it('reports a tenth signature as not evaluated', async () => {
    const fields = Array.from({ length: 9 }, () => `DKIM-Signature: ${sig()}\r\n`).join('');
    const bytes = utf8(`${fields}From: a@example.com\r\nDate: x\r\n\r\n${BODY}`);
    const v = await verifyEmail(bytes, staticTxtLookup({}), NOW);
    expect(v.signatures).toHaveLength(9);
    expect(v.signatures.slice(0, 8).every((s) => s.reason === 'KeyNotFound')).toBe(true);
    expect([v.signatures[8]!.result, v.signatures[8]!.reason]).toEqual(['neutral', 'TooManySignatures']);
  });

  it('records every check, with steps after the failing one skipped', async () => {
    const v = await verifyEmail(
      message(sig({ bh: encodeBase64(new Uint8Array(32)) })),
      staticTxtLookup({ 'sel._domainkey.example.com': [`k=ed25519; p=${ED_KEY}`] }),
      NOW,
    );
    expect(v.signatures[0]!.checks.map((c) => `${c.name}:${c.status}`)).toEqual([
      'tags:Pass',
      'required-tags:Pass',
      'algorithm:Pass',
      'canonicalization:Pass',
      'timestamps:Pass',
      'signed-headers:Pass',
      'key:Pass',
      'body-hash:Fail',
      'signature:Skipped',
    ]);
  });
});

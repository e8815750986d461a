/**
 * Property tests for DKIM key records (RFC 6376 §3.6.1, §6.1.2, RFC 8463 §4, RFC 8301 §3.2). The order among
 * several faults is pinned by test/dkim-key-order.test.ts.
 */
import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type DkimKey, type KeyParse, type KeyUse, parseKeyRecord } from '../../src/dkim/key.ts';
import type { DkimReason } from '../../src/dkim/result.ts';
import { encodeBase64 } from '../../src/encoding/bytes.ts';
import { binaryTextOf } from '../helpers/arbitraries.ts';

/** Every reason parseKeyRecord can give (the key-related members of the DkimReason union). */
const KEY_REASONS: ReadonlySet<DkimReason> = new Set<DkimReason>([
  'KeyRecordTooLarge',
  'KeyMalformed',
  'KeyHashMismatch',
  'KeyRevoked',
  'KeyServiceMismatch',
  'KeyAlgorithmMismatch',
  'KeyIdentityMismatch',
  'KeyTooSmall',
  'KeyTestingMode',
]);

/** Signatures the records are checked for: Ed25519 or RSA, i= at d= or (SUB) at a subdomain of it. */
const ED: KeyUse = { algorithm: 'ed25519-sha256', domain: 'example.com', identityDomain: 'example.com' };
const RSA: KeyUse = { ...ED, algorithm: 'rsa-sha256' };
const SUB: KeyUse = { ...ED, identityDomain: 'mail.example.com' };
const useFor = (k: string): KeyUse => (k.toLowerCase() === 'ed25519' ? ED : RSA);

interface RsaFixture {
  bits: number;
  spki: Uint8Array;
  pkcs1: Uint8Array;
  n: Uint8Array;
  e: Uint8Array;
}

function fromB64url(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'base64url'));
}

function stripLeadingZeros(b: Uint8Array): Uint8Array {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i);
}

/** A few real RSA keys, generated once. */
const RSA_KEYS: RsaFixture[] = [1024, 2048].map((bits) => {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  const jwk = publicKey.export({ format: 'jwk' });
  return {
    bits,
    spki: new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })),
    pkcs1: new Uint8Array(publicKey.export({ type: 'pkcs1', format: 'der' })),
    n: stripLeadingZeros(fromB64url(jwk.n!)),
    e: stripLeadingZeros(fromB64url(jwk.e!)),
  };
});

const binaryText = binaryTextOf(
  [';', '=', ' ', '\r\n ', 'p=', 'k=', 'v=DKIM1', 'ed25519', 'rsa', 'MIIB', 'A', '/'],
  150,
);

function expectTyped(r: KeyParse): void {
  if (!r.ok) {
    expect(KEY_REASONS.has(r.reason), `unexpected reason ${r.reason}`).toBe(true);
    expect(typeof r.detail).toBe('string');
  }
}

const WSP = fc.constantFrom(' ', '\t', '\r\n ', '\r\n\t');
const sp = fc.oneof(fc.constant(''), WSP);

/** Splits base64 text with random FWS, which p= allows anywhere. */
function foldAt(text: string, cuts: number[], ws: string[]): string {
  const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  let out = '';
  let prev = 0;
  points.forEach((p, i) => {
    out += text.slice(prev, p) + (ws[i % ws.length] ?? '');
    prev = p;
  });
  return out + text.slice(prev);
}

/** Optional tags that do not change what the key is: at most one of each, in random order. */
const extraTags = fc
  .record({
    h: fc.constantFrom<string | null>(null, 'h=sha256', 'h=sha1:sha256', 'h=SHA256'),
    s: fc.constantFrom<string | null>(null, 's=email', 's=*', 's=email:other'),
    n: fc.constantFrom<string | null>(null, 'n=a note', 'n=x=y'),
    t: fc.constantFrom<string | null>(null, 't=s', 't=y', 't=y:s', 't=s:y:future'),
  })
  .chain((r) => {
    const present = [r.h, r.s, r.n, r.t].filter((t): t is string => t !== null);
    return fc.shuffledSubarray(present, { minLength: present.length, maxLength: present.length });
  });

/** t=y is the one extra tag that refuses an otherwise good key (policy, after every permanent error). */
const testing = (tags: string[]) =>
  tags
    .find((x) => x.startsWith('t='))
    ?.slice(2)
    .split(':')
    .includes('y') ?? false;

function expectKey(r: KeyParse, extra: string[]): DkimKey | null {
  if (testing(extra)) {
    expect(r.ok || r.reason).toBe('KeyTestingMode');
    return null;
  }
  expect(r.ok).toBe(true);
  return r.ok ? r.key : null;
}

function record(v: boolean, tags: string[], gaps: string[]): string {
  const parts = (v ? ['v=DKIM1', ...tags] : tags).map((t, i) => {
    const g = gaps[i % Math.max(1, gaps.length)] ?? '';
    return g + t.replace('=', `${g}=${g}`) + g;
  });
  return parts.join(';');
}

describe('parseKeyRecord properties', () => {
  it('never throws on arbitrary strings and gives a key reason', () => {
    fc.assert(
      fc.property(binaryText, fc.constantFrom(ED, RSA, SUB), (txt, use) =>
        expectTyped(parseKeyRecord(txt, use)),
      ),
      { numRuns: 2000 },
    );
  });

  it('never throws on random p= bytes for either key type', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('rsa', 'ed25519', 'RSA', 'x'),
        fc.uint8Array({ maxLength: 300 }),
        (k, bytes) => {
          const r = parseKeyRecord(`v=DKIM1; k=${k}; p=${encodeBase64(bytes)}`, useFor(k));
          expectTyped(r);
          if (k === 'ed25519' && bytes.length === 32) expect(r.ok).toBe(true);
          if (k === 'x' && bytes.length > 0) expect(r.ok || r.reason).toBe('KeyAlgorithmMismatch');
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('never throws when one byte of a real RSA key is changed', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...RSA_KEYS),
        fc.boolean(),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (key, spki, pos, xor) => {
          const der = new Uint8Array(spki ? key.spki : key.pkcs1);
          der[pos % der.length]! ^= xor;
          const r = parseKeyRecord(`k=rsa; p=${encodeBase64(der)}`, RSA);
          expectTyped(r);
          if (r.ok && r.key.type === 'rsa') expect(r.key.bits).toBeLessThanOrEqual(8192);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('parses generated Ed25519 records to the raw 32-byte key', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.boolean(),
        extraTags,
        fc.array(sp, { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(), { maxLength: 4 }),
        fc.array(WSP, { minLength: 1, maxLength: 3 }),
        fc.constantFrom('ed25519', 'ED25519', 'Ed25519'),
        (raw, v, extra, gaps, cuts, folds, k) => {
          const p = foldAt(encodeBase64(raw), cuts, folds);
          const tags = [...extra];
          tags.splice(raw[0]! % (tags.length + 1), 0, `k=${k}`);
          const key = expectKey(parseKeyRecord(record(v, [...tags, `p=${p}`], gaps), ED), extra);
          if (key) expect(key).toEqual({ type: 'ed25519', raw });
        },
      ),
      { numRuns: 500 },
    );
  });

  it('parses generated RSA records (SPKI or PKCS#1, k= optional) to the right size and numbers', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...RSA_KEYS),
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom(null, 'rsa', 'RSA'),
        extraTags,
        fc.array(sp, { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.array(WSP, { minLength: 1, maxLength: 3 }),
        (key, spki, v, k, extra, gaps, cuts, folds) => {
          const p = foldAt(encodeBase64(spki ? key.spki : key.pkcs1), cuts, folds);
          const tags = [...(k ? [`k=${k}`] : []), ...extra];
          const got = expectKey(parseKeyRecord(record(v, [...tags, `p=${p}`], gaps), RSA), extra);
          if (got) expect(got).toEqual({ type: 'rsa', bits: key.bits, rsa: { n: key.n, e: key.e } });
        },
      ),
      { numRuns: 500 },
    );
  });

  it('gives KeyMalformed for any non-empty truncation of p=', () => {
    const ed = encodeBase64(new Uint8Array(32).fill(7));
    const keys = [
      ...RSA_KEYS.flatMap((k) => [
        { k: 'rsa', p: encodeBase64(k.spki) },
        { k: 'rsa', p: encodeBase64(k.pkcs1) },
      ]),
      { k: 'ed25519', p: ed },
    ];
    fc.assert(
      fc.property(fc.constantFrom(...keys), fc.nat(), (key, cut) => {
        const len = 1 + (cut % (key.p.length - 1));
        const r = parseKeyRecord(`v=DKIM1; k=${key.k}; p=${key.p.slice(0, len)}`, useFor(key.k));
        expect(r.ok).toBe(false);
        if (!r.ok) expect(r.reason).toBe('KeyMalformed');
      }),
      { numRuns: 1000 },
    );
  });

  it('gives KeyRevoked for an empty p= whatever else the record says (h= aside: §6.1.2 checks it first)', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.constantFrom(null, 'rsa', 'ed25519', 'unknown'),
        extraTags,
        sp,
        sp,
        fc.constantFrom(ED, RSA, SUB),
        (v, k, extra, before, after, use) => {
          const tags = [...(k ? [`k=${k}`] : []), ...extra];
          const r = parseKeyRecord(
            record(v, tags, ['']) + `${tags.length || v ? ';' : ''}p=${before}${after}`,
            use,
          );
          expect(r.ok).toBe(false);
          if (!r.ok) expect(r.reason).toBe('KeyRevoked');
        },
      ),
      { numRuns: 500 },
    );
  });
});

/**
 * Derivation origins (frontend/src/authorize/alternative-origins.ts; Internet Identity spec, "Alternative Frontend
 * Origins"; ICRC-95): honoured only when `/.well-known/ii-alternative-origins` answers 200 itself, with at most 10
 * origins that include the caller.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ALTERNATIVE_ORIGINS_PATH,
  checkAlternativeOrigins,
  effectiveOrigin,
  MAX_ALTERNATIVE_ORIGINS,
  normalizeOrigin,
} from '../frontend/src/authorize/alternative-origins.ts';

const CALLER = 'https://app.example.org';
const DERIVATION = 'https://abcde-aaaaa-aaaaa-aaaaa-cai.icp0.io';

describe('normalizeOrigin', () => {
  it('an https origin, with or without the trailing slash URL.toString() adds', () => {
    expect(normalizeOrigin('https://Example.ORG')).toBe('https://example.org');
    expect(normalizeOrigin('https://example.org/')).toBe('https://example.org');
    expect(normalizeOrigin('https://example.org:443')).toBe('https://example.org');
    expect(normalizeOrigin('https://example.org:8443')).toBe('https://example.org:8443');
  });

  it('http only on loopback hosts', () => {
    expect(normalizeOrigin('http://localhost:5174')).toBe('http://localhost:5174');
    expect(normalizeOrigin('http://demo.localhost:5174')).toBe('http://demo.localhost:5174');
    expect(normalizeOrigin('http://127.0.0.1:4943')).toBe('http://127.0.0.1:4943');
    expect(normalizeOrigin('http://example.org')).toBeNull();
  });

  it('not an origin: paths, queries, fragments, credentials, other schemes, garbage', () => {
    for (const bad of [
      'https://example.org/app',
      'https://example.org/?x',
      'https://example.org?',
      'https://example.org#a',
      'https://user@example.org',
      'ftp://example.org',
      'javascript:alert(1)',
      'null',
      '',
      'example.org',
    ]) {
      expect(normalizeOrigin(bad), bad).toBeNull();
    }
  });

  it('never throws, and what it returns normalises to itself', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.webUrl()), (text) => {
        const got = normalizeOrigin(text);
        if (got !== null) expect(normalizeOrigin(got)).toBe(got);
      }),
      { numRuns: 300 },
    );
  });
});

describe('checkAlternativeOrigins', () => {
  const check = (doc: unknown) => checkAlternativeOrigins(doc, CALLER, 'the file');

  it('a list that names the caller (trailing slash or not) is accepted', () => {
    expect(check({ alternativeOrigins: [CALLER] }).ok).toBe(true);
    expect(check({ alternativeOrigins: ['https://other.example', `${CALLER}/`] }).ok).toBe(true);
  });

  it('a list without the caller is refused, naming it', () => {
    const got = check({ alternativeOrigins: ['https://other.example'] });
    expect(got).toMatchObject({
      ok: false,
      code: 'permission-denied',
      message: `the file does not list ${CALLER}`,
    });
  });

  it(`more than ${MAX_ALTERNATIVE_ORIGINS} entries are refused, even when the caller is among them`, () => {
    const many = [
      CALLER,
      ...Array.from({ length: MAX_ALTERNATIVE_ORIGINS }, (_, i) => `https://o${i}.example`),
    ];
    expect(check({ alternativeOrigins: many.slice(0, MAX_ALTERNATIVE_ORIGINS) }).ok).toBe(true);
    expect(check({ alternativeOrigins: many })).toMatchObject({ ok: false, code: 'permission-denied' });
  });

  it('another shape is refused', () => {
    for (const doc of [null, [], {}, { alternativeOrigins: CALLER }, { alternativeOrigins: [1] }, 'x']) {
      expect(check(doc).ok).toBe(false);
    }
  });
});

/** A fetch that answers one URL as given, and records how it was asked. */
function fakeFetch(answer: () => Response | Promise<Response>) {
  const calls: { url: string; init: RequestInit | undefined }[] = [];
  const f = (async (url: string, init?: RequestInit) => {
    calls.push({ url, init });
    return answer();
  }) as unknown as typeof fetch;
  return { f, calls };
}

const json = (v: unknown, status = 200) => new Response(JSON.stringify(v), { status });

describe('effectiveOrigin', () => {
  it('without a derivation origin, or with the caller’s own, the caller’s origin and no fetch', async () => {
    const { f, calls } = fakeFetch(() => json({}));
    expect(await effectiveOrigin(CALLER, undefined, f)).toEqual({ ok: true, value: CALLER });
    expect(await effectiveOrigin(CALLER, `${CALLER}/`, f)).toEqual({ ok: true, value: CALLER });
    expect(calls).toEqual([]);
  });

  it('a derivation origin whose file lists the caller: its origin, fetched without redirects or cookies', async () => {
    const { f, calls } = fakeFetch(() => json({ alternativeOrigins: [CALLER] }));
    expect(await effectiveOrigin(CALLER, `${DERIVATION}/`, f)).toEqual({ ok: true, value: DERIVATION });
    expect(calls).toEqual([
      {
        url: DERIVATION + ALTERNATIVE_ORIGINS_PATH,
        init: { redirect: 'error', credentials: 'omit', cache: 'no-store' },
      },
    ]);
  });

  it.each([
    [
      'a file that does not list the caller',
      () => json({ alternativeOrigins: ['https://x.example'] }),
      'does not list',
    ],
    ['a 404', () => json({ alternativeOrigins: [CALLER] }, 404), 'HTTP 404'],
    [
      'a redirect (fetch rejects with redirect: "error")',
      () => Promise.reject(new TypeError('redirect')),
      'redirects',
    ],
    [
      'a followed redirect',
      () => Object.defineProperty(json({ alternativeOrigins: [CALLER] }), 'redirected', { value: true }),
      'redirects',
    ],
    ['not JSON', () => new Response('<html>', { status: 200 }), 'not JSON'],
    ['a huge file', () => new Response(' '.repeat(20_000), { status: 200 }), 'larger than'],
  ])('%s: permission denied', async (_, answer, why) => {
    const { f } = fakeFetch(answer);
    const got = await effectiveOrigin(CALLER, DERIVATION, f);
    expect(got).toMatchObject({ ok: false, code: 'permission-denied' });
    if (!got.ok) expect(got.message).toContain(why);
  });

  it('a derivation origin that is no origin is invalid params, and nothing is fetched', async () => {
    const { f, calls } = fakeFetch(() => json({}));
    for (const bad of ['https://x.example/path', 'http://x.example', 'nonsense']) {
      expect(await effectiveOrigin(CALLER, bad, f)).toMatchObject({ ok: false, code: 'invalid-params' });
    }
    expect(calls).toEqual([]);
  });
});

/**
 * The web app's build and its one network input: `vite build` of frontend/ stays within the first-page budget of
 * issue 11 (250 KiB of gzipped JS), and env.json is checked field by field before the page trusts it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EnvError, parseEnv } from '../frontend/src/ic/env.ts';
import { describeError } from '../frontend/src/ic/errors.ts';
import { buildFrontend, FIRST_PAGE_BUDGET } from '../scripts/frontend-build.ts';

describe('web app build', () => {
  it('builds, and the JS index.html loads fits the first-page budget', async () => {
    // A folder of its own: the npm start suite serves frontend/dist meanwhile.
    const out = mkdtempSync(join(tmpdir(), 'waxseal-frontend-'));
    const report = await buildFrontend(out).finally(() => rmSync(out, { recursive: true, force: true }));
    expect(report.files.length).toBeGreaterThan(0);
    expect(report.gzipTotal).toBeGreaterThan(10_000);
    expect(report.gzipTotal).toBeLessThanOrEqual(FIRST_PAGE_BUDGET);
  }, 120_000);
});

describe('env.json', () => {
  const good = { host: 'http://127.0.0.1:4943', canisterId: 'rwlgt-iiaaa-aaaaa-aaaaa-cai', rootKey: '3081' };

  it('accepts what the local stack writes, and the IC form without a root key', () => {
    expect(parseEnv(good)).toEqual(good);
    expect(parseEnv({ host: 'https://icp-api.io', canisterId: 'rwlgt-iiaaa-aaaaa-aaaaa-cai' })).toEqual({
      host: 'https://icp-api.io',
      canisterId: 'rwlgt-iiaaa-aaaaa-aaaaa-cai',
    });
  });

  it.each([
    ['not an object', 'x', /not an object/],
    ['a host with a path', { ...good, host: 'http://127.0.0.1:4943/api' }, /host/],
    ['a javascript: host', { ...good, host: 'javascript:alert(1)' }, /host/],
    ['a canister id that is no principal', { ...good, canisterId: 'Robert' }, /canisterId/],
    ['a root key that is not hex', { ...good, rootKey: 'zz' }, /rootKey/],
  ])('refuses %s', (_name, json, why) => {
    expect(() => parseEnv(json)).toThrow(EnvError);
    expect(() => parseEnv(json)).toThrow(why);
  });
});

describe('describeError', () => {
  it('turns a transport failure with its stack into one sentence naming the host', () => {
    const e = new Error(
      'Failed to fetch HTTP request: TypeError: Failed to fetch\n    at async #S (http://x/a.js:1:2)',
    );
    expect(describeError(e, 'http://127.0.0.1:4943')).toBe(
      'http://127.0.0.1:4943 did not answer. Check your connection, then try again.',
    );
  });

  it('explains a broken env.json, and cuts anything else to its first line', () => {
    expect(describeError(new EnvError('env.json: HTTP 404'))).toBe(
      'this page is not set up correctly (env.json: HTTP 404).',
    );
    expect(describeError(new Error(`Reject: ${'x'.repeat(300)}\n at y`))).toHaveLength(201);
    expect(describeError('plain')).toBe('plain');
  });
});

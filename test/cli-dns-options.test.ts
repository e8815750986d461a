/**
 * The options the DNS commands share (src/cli/dns-options.ts) under fast-check: `--doh` URLs and the canister
 * configuration file (`--config`, the JSON install argument of candid/waxseal.did `Config`). Whatever the input,
 * the result is a value or a one-line UsageError, never another exception.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_DNS_CONFIG, parseDohUrls, readCanisterConfig } from '../src/cli/dns-options.ts';
import { UsageError } from '../src/cli/errors.ts';
import { tmpFiles } from './helpers/cli.ts';

const { writeTmp } = tmpFiles('waxseal-cli-options-');

const oneLineUsageError = (e: unknown) => {
  expect(e).toBeInstanceOf(UsageError);
  expect((e as Error).message).not.toMatch(/\n/);
};

describe('parseDohUrls (--doh)', () => {
  it('keeps http(s) URLs in order and refuses anything else with a UsageError', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.webUrl(), fc.string(), fc.constantFrom('ftp://x/', 'https://', 'http://h'))),
        (urls) => {
          let ok: string[] | null = null;
          try {
            ok = parseDohUrls(urls);
          } catch (e) {
            oneLineUsageError(e);
          }
          if (ok !== null) {
            expect(ok).toEqual(urls);
            expect(urls.length).toBeGreaterThan(0);
            for (const u of urls) expect(['http:', 'https:']).toContain(new URL(u).protocol);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('none at all: nothing is sent without them', () => {
    expect(() => parseDohUrls(undefined)).toThrow(/nothing is sent without it/);
    expect(() => parseDohUrls([])).toThrow(UsageError);
  });
});

/** The DoH settings of candid/waxseal.did `DohSettings`, as JSON. */
const dohSettings = fc.record({
  allowed_domains: fc.array(fc.domain(), { maxLength: 4 }),
  providers: fc.array(fc.record({ name: fc.string({ minLength: 1 }), url: fc.webUrl() }), { maxLength: 3 }),
  quorum: fc.integer({ min: 1, max: 255 }),
  cache_seconds: fc.integer({ min: 0, max: 86_400 }),
});

describe('readCanisterConfig (--config)', () => {
  it('a well-formed install argument: the allowlist, the quorum and the anchors as written', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.option(dohSettings, { nil: undefined }),
        fc.option(fc.array(fc.string(), { maxLength: 2 }), { nil: undefined }),
        async (doh, anchors) => {
          const json = { mail_hosts: ['mail.example.org'], doh, root_anchors: anchors };
          const read = await readCanisterConfig(writeTmp('config.json', JSON.stringify(json)));
          expect(read).toEqual({
            allowedDomains: doh?.allowed_domains ?? DEFAULT_DNS_CONFIG.allowedDomains,
            quorum: doh?.quorum ?? DEFAULT_DNS_CONFIG.quorum,
            rootAnchors: anchors ?? null,
            suffixes: null,
          });
        },
      ),
      { numRuns: 100 },
    );
  });

  it('public_suffix_list: parsed as the canister parses it; a malformed one is a UsageError with its line', async () => {
    const read = await readCanisterConfig(
      writeTmp(
        'psl.json',
        JSON.stringify({
          public_suffix_list: '// ===BEGIN PRIVATE DOMAINS===\nexample.org\n// ===END PRIVATE DOMAINS===\n',
        }),
      ),
    );
    expect(read.suffixes?.publicSuffix('a.example.org')).toBe('example.org');
    expect(
      (await readCanisterConfig(writeTmp('empty.json', JSON.stringify({ public_suffix_list: '' })))).suffixes,
    ).toBeNull();
    await expect(
      readCanisterConfig(writeTmp('bad.json', JSON.stringify({ public_suffix_list: 'com\nbad..rule' }))),
    ).rejects.toThrow(/public_suffix_list: PslBadRule at line 2/);
  });

  it('any other file: a value or a one-line UsageError naming the file', async () => {
    const anyJson = fc.oneof(
      fc.json(),
      fc.string(),
      fc.record({ doh: fc.oneof(fc.anything(), dohSettings) }, { requiredKeys: [] }),
      fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 3 }).map((o) => JSON.stringify(o)),
    );
    await fc.assert(
      fc.asyncProperty(anyJson, async (value) => {
        const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? 'undefined');
        const path = writeTmp('any-config.json', text);
        try {
          const read = await readCanisterConfig(path);
          expect(read.quorum).toBeGreaterThanOrEqual(1);
        } catch (e) {
          oneLineUsageError(e);
          expect((e as Error).message).toContain(path);
        }
      }),
      { numRuns: 300 },
    );
  });
});

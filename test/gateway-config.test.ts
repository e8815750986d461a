/**
 * The gateway's config file (src/gateway/config.ts) and key file (src/gateway/identity-key.ts): defaults, one
 * clear line per mistake, paths relative to the file, and a key created once with mode 0600.
 */
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from '../src/gateway/config.ts';
import { IdentityKeyError, loadOrCreateIdentity } from '../src/gateway/identity-key.ts';
import { tmpFiles } from './helpers/cli.ts';

const MINIMAL = `
[smtp]
hostname = "mx.example.org"
[canister]
url = "https://icp-api.io"
canister_id = "rrkah-fqaaa-aaaaa-aaaaq-cai"
[spool]
dir = "spool"
[identity]
key_file = "gateway.key"
`;

describe('gateway config', () => {
  it('fills the documented defaults', () => {
    const c = parseConfig(MINIMAL);
    expect(c.smtp.listen).toBe('0.0.0.0:25');
    expect(c.relay).toMatchObject({ enabled: true, concurrency: 8, max_age_s: 1800 });
    expect(c.limits).toEqual({ connections_per_ip: 20, messages_per_ip_per_minute: 60 });
    expect(c.ops.listen).toBe('127.0.0.1:9025');
    expect(c.canister.fetch_root_key).toBe(false);
    expect(c.proof.doh).toEqual([]);
  });

  it.each([
    ['a typo in a key', MINIMAL.replace('hostname', 'hostnme'), /smtp/],
    ['an unknown section', `${MINIMAL}\n[smpt]\nx = 1\n`, /smpt|Unrecognized/i],
    ['a string for a number', `${MINIMAL}\n[relay]\nconcurrency = "8"\n`, /relay\.concurrency/],
    ['a zero concurrency', `${MINIMAL}\n[relay]\nconcurrency = 0\n`, /relay\.concurrency/],
    [
      'a bad listen address',
      MINIMAL.replace('[smtp]', '[smtp]\nlisten = "25"'),
      /smtp\.listen: expected host:port/,
    ],
    [
      'a port above 65535',
      MINIMAL.replace('[smtp]', '[smtp]\nlisten = "127.0.0.1:70000"'),
      /port above 65535/,
    ],
    ['a canister id that is no principal', MINIMAL.replace('rrkah', 'RRKAH'), /canister\.canister_id/],
    ['an ftp URL', MINIMAL.replace('https://icp-api.io', 'ftp://x'), /canister\.url/],
    [
      'retry base above max',
      `${MINIMAL}\n[relay]\nretry_base_ms = 5000\nretry_max_ms = 100\n`,
      /retry_base_ms/,
    ],
    ['broken TOML', '[smtp\n', /not valid TOML/],
    ['a missing section', MINIMAL.replace('[spool]\ndir = "spool"', ''), /spool/],
  ])('refuses %s with one line naming it', (_name, text, why) => {
    let err: unknown;
    try {
      parseConfig(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(why);
    expect((err as Error).message).not.toContain('\n');
  });

  it('property: any text, or the minimal file with one line mutated, parses or fails with a ConfigError', () => {
    const lines = MINIMAL.split('\n');
    const mutated = fc
      .tuple(fc.nat({ max: lines.length - 1 }), fc.string({ maxLength: 40 }))
      .map(([i, line]) => lines.map((l, j) => (j === i ? line : l)).join('\n'));
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), mutated), (text) => {
        try {
          const c = parseConfig(text);
          expect(c.smtp.hostname.length).toBeGreaterThan(0);
        } catch (e) {
          expect(e).toBeInstanceOf(ConfigError);
          expect((e as Error).message).not.toContain('\n');
        }
      }),
      { numRuns: 400 },
    );
  });

  it('the annotated example in scripts/deploy/ is valid and says what it means', () => {
    const c = loadConfig(join(import.meta.dirname, '..', 'scripts', 'deploy', 'gateway.example.toml'));
    expect(c.smtp.listen).toBe('0.0.0.0:25');
    expect(c.tls?.cert).toBe('/etc/waxseal/tls/fullchain.pem');
    expect(c.canister.fetch_root_key).toBe(false);
    expect(c.proof.doh).toHaveLength(2);
  });

  it('resolves relative paths against the config file, and says when the file is missing', () => {
    const { dir, writeTmp } = tmpFiles('waxseal-gwcfg-');
    const c = loadConfig(writeTmp('gateway.toml', MINIMAL));
    expect(c.spool.dir).toBe(join(dir, 'spool'));
    expect(c.identity.key_file).toBe(join(dir, 'gateway.key'));
    expect(() => loadConfig(join(dir, 'nope.toml'))).toThrow(/cannot read .*nope\.toml: ENOENT/);
  });
});

describe('gateway key file', () => {
  it('creates an Ed25519 PKCS#8 key with mode 0600 once, and loads the same principal after', () => {
    const { dir } = tmpFiles('waxseal-gwkey-');
    const file = join(dir, 'keys', 'gateway.key');
    const first = loadOrCreateIdentity(file);
    expect(first.created).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const again = loadOrCreateIdentity(file);
    expect(again.created).toBe(false);
    expect(again.identity.getPrincipal().toText()).toBe(first.identity.getPrincipal().toText());
  });

  it('refuses a key other users can read, and a file that is not an Ed25519 key', () => {
    const { writeTmp } = tmpFiles('waxseal-gwkey-');
    const file = writeTmp('k.pem', 'x');
    chmodSync(file, 0o644);
    expect(() => loadOrCreateIdentity(file)).toThrow(/readable by other users \(mode 644\)/);
    chmodSync(file, 0o600);
    expect(() => loadOrCreateIdentity(file)).toThrow(IdentityKeyError);
    writeFileSync(file, 'not a key');
    expect(() => loadOrCreateIdentity(file)).toThrow(/not an Ed25519 PKCS#8 PEM key/);
  });
});

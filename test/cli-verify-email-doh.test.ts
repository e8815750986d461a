/**
 * `waxseal verify-email --doh` (issue 13 §4) as a real process against the loopback DNS stack (named serving the
 * BIND-signed zones of test-vectors/dnssec/generated, dnsdist as the RFC 8484 endpoint), with mail signed by dkimpy
 * with the keys those zones publish: the DNSSEC path, the DoH path for an allowlisted domain, NeedProof with the
 * chain status of each name, and every error path as one line on stderr.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bytes, compose, type DkimKeyName, signMail, VERIFY_TIME } from './helpers/challenge-mail.ts';
import { type CliResult, tmpFiles, waxseal, waxsealJson } from './helpers/cli.ts';
import { freePort, GENERATED_DIR } from './helpers/dns-servers.ts';
import { useDnsStack } from './helpers/use-dns-stack.ts';

const stack = useDnsStack();
const { writeTmp } = tmpFiles('waxseal-cli-doh-');
const NOW = String(VERIFY_TIME);
const ANCHORS_FILE = join(GENERATED_DIR, 'anchors.ds');
const ANCHORS = readFileSync(ANCHORS_FILE, 'utf8').trim().split('\n');
const HEADERS = ['from', 'to', 'subject', 'date', 'message-id'];

/** A message from alice@<from>, signed by dkimpy as d=<domain> s=<selector>, written to a file. */
function mail(from: string, opts: { domain?: string; selector?: string; key?: DkimKeyName } = {}): string {
  const [signed] = signMail([
    {
      message: compose({ from: `alice@${from}`, subject: 'Waxseal WX-aaaaaaaaaaaaaaaaaaaa' }),
      domain: opts.domain ?? from,
      selector: opts.selector ?? 'sel',
      key: opts.key ?? 'ed25519',
      headers: HEADERS,
      timestamp: VERIFY_TIME - 60,
    },
  ]);
  return writeTmp(`${from}-${opts.selector ?? 'sel'}.eml`, bytes(signed!));
}

/** The canister's install argument as `waxseal devnet --config` takes it (scripts/local-stack/devnet.ts). */
function config(allowed: readonly string[], quorum = 1, extra: Record<string, unknown> = {}): string {
  const json = {
    root_anchors: ANCHORS,
    doh: {
      allowed_domains: allowed,
      providers: [{ name: 'local dnsdist', url: stack().dohUrl }],
      quorum,
      cache_seconds: 60,
    },
    ...extra,
  };
  return writeTmp(`config-${allowed.join('-')}-${quorum}.json`, JSON.stringify(json));
}

const deadUrl = async () => `http://127.0.0.1:${await freePort()}/dns-query`;

/** `verify-email <file> --doh <the stack> --now <matrix time> …args`. */
const run = (file: string, ...args: string[]) =>
  waxseal('verify-email', file, '--doh', stack().dohUrl, '--now', NOW, ...args);

const live = (file: string, ...args: string[]) =>
  waxsealJson('verify-email', file, '--doh', stack().dohUrl, '--now', NOW, '--json', ...args);

/** One line on stderr, prefixed, no stack trace, exit 2. */
function oneLineError(r: CliResult, message: RegExp): void {
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(/^waxseal: /);
  expect(r.stderr.trimEnd().split('\n')[0]).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe('verify-email --doh: the DNSSEC path', () => {
  it('a signed domain: the gateway would attach a proof, the canister accepts (exit 0)', async () => {
    const { r, out } = await live(mail('ed25519.wxtest'), '--anchors', ANCHORS_FILE);
    expect(r.code).toBe(0);
    expect(out.path.kind).toBe('dnssec');
    expect(out.proof).toMatchObject({
      attached: true,
      names: ['sel._domainkey.ed25519.wxtest', '_dmarc.ed25519.wxtest'],
    });
    expect(out.names.map((n: { role: string; status: string }) => [n.role, n.status])).toEqual([
      ['key', 'secure'],
      ['dmarc', 'secure'],
    ]);
    expect(out.names[0].zones).toEqual(['.', 'wxtest.', 'ed25519.wxtest.']);
    expect(out.signatures.map((s: { result: string }) => s.result)).toEqual(['pass']);
    expect(out.dmarc).toEqual({
      result: 'pass',
      policy: 'reject',
      alignment: 'relaxed',
      record: '_dmarc.ed25519.wxtest',
      organizationalDomain: 'ed25519.wxtest',
    });
    expect(out).toMatchObject({ accepted: true, reason: 'Accepted', from: 'alice@ed25519.wxtest' });
  });

  it('an RSA-2048 key in an RSA/SHA-256 zone, anchors from the --config file', async () => {
    const file = mail('rsa2048.wxtest', { selector: 'rsa', key: 'rsa2048' });
    const { r, out } = await live(file, '--config', config([]));
    expect(r.code).toBe(0);
    expect(out.path.kind).toBe('dnssec');
    expect(out.signatures[0]).toMatchObject({ algorithm: 'rsa-sha256', result: 'pass' });
  });

  it('human output: a line per name, the path, the checks, the verdict last', async () => {
    const r = await run(mail('ed25519.wxtest'), '--anchors', ANCHORS_FILE);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^key sel\._domainkey\.ed25519\.wxtest: secure: validates from the anchors/);
    expect(lines[1]).toMatch(/^dmarc _dmarc\.ed25519\.wxtest: secure: /);
    expect(lines[2]).toMatch(/^path: dnssec: the gateway attaches a \d+-byte DNSSEC proof of /);
    expect(lines).toContain('  ✓ key: sel._domainkey.ed25519.wxtest: Ed25519');
    expect(lines.at(-1)).toMatch(/^verdict: ACCEPTED \(Accepted\)/);
  });

  it('a proven key that the body does not match: still the DNSSEC path, rejected (exit 1)', async () => {
    const text = readFileSync(mail('ed25519.wxtest'), 'latin1').replace('Please recover', 'Please remove');
    const { r, out } = await live(writeTmp('tampered.eml', text), '--anchors', ANCHORS_FILE);
    expect(r.code).toBe(1);
    expect(out.path.kind).toBe('dnssec');
    expect(out.signatures[0].reason).toBe('BodyHashMismatch');
    expect(out.reason).toBe('NoPassingSignature');
  });

  it('the IANA root anchors do not trust the test root: no proof, NeedProof (exit 1)', async () => {
    const { r, out } = await live(mail('ed25519.wxtest'));
    expect(r.code).toBe(1);
    expect(out.path.kind).toBe('need-proof');
    expect(out.names[0]).toMatchObject({ status: 'bogus' });
  });
});

describe('verify-email --doh: the DoH path for an allowlisted domain', () => {
  it.each(['unsigned.wxtest', 'wxplain'])(
    '%s (unsigned) on the allowlist: read over DoH, accepted',
    async (d) => {
      const { r, out } = await live(mail(d), '--config', config(['unsigned.wxtest', 'wxplain']));
      expect(r.code).toBe(0);
      expect(out.path.kind).toBe('doh');
      expect(out.path.detail).toMatch(new RegExp(`${d.replace('.', '\\.')} is on the DoH allowlist`));
      expect(out.names[0]).toMatchObject({ role: 'key', status: 'insecure' });
      expect(out.proof).toMatchObject({ attached: false, reason: 'Insecure' });
      expect(out).toMatchObject({ accepted: true, dkim: 'pass' });
      expect(out.dmarc.result).toBe('pass');
    },
  );

  it('a signed domain on the allowlist still goes the DNSSEC path (the proof comes first)', async () => {
    const { r, out } = await live(mail('ed25519.wxtest'), '--config', config(['ed25519.wxtest']));
    expect(r.code).toBe(0);
    expect(out.path.kind).toBe('dnssec');
  });

  it('the quorum counts: two endpoints, one down, quorum 2 → the key is a temperror (exit 1)', async () => {
    const file = mail('unsigned.wxtest');
    const r = await waxseal(
      'verify-email',
      file,
      '--doh',
      await deadUrl(),
      '--doh',
      stack().dohUrl,
      '--config',
      config(['unsigned.wxtest'], 2),
      '--now',
      NOW,
      '--json',
    );
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.path.kind).toBe('doh');
    expect(out.signatures[0]).toMatchObject({ result: 'temperror', reason: 'KeyLookupFailed' });
    expect(out.signatures[0].checks.find((c: { name: string }) => c.name === 'key').detail).toMatch(
      /best agreement 1 of 2 providers \(1 failed\), quorum 2/,
    );
  });
});

describe('verify-email --doh: NeedProof and broken chains', () => {
  it('an unsigned domain not on the allowlist: NeedProof with the chain status (exit 1)', async () => {
    const { r, out } = await live(mail('unsigned.wxtest'), '--config', config([]));
    expect(r.code).toBe(1);
    expect(out.path.kind).toBe('need-proof');
    expect(out.path.detail).toMatch(/NeedProof \{ domain: unsigned\.wxtest, selectors: \[sel\] \}/);
    expect(out.names.map((n: { status: string }) => n.status)).toEqual(['insecure', 'insecure']);
    expect(out.signatures[0]).toMatchObject({ result: 'temperror', reason: 'KeyLookupFailed' });
    expect(out.accepted).toBe(false);
  });

  it.each([
    ['dsmismatch.wxtest', 'DsMismatch'],
    ['expired.wxtest', 'SignatureExpired'],
  ])('a bogus chain (%s): NeedProof, the key name bogus with %s', async (domain, reason) => {
    const { r, out } = await live(mail(domain), '--anchors', ANCHORS_FILE);
    expect(r.code).toBe(1);
    expect(out.path.kind).toBe('need-proof');
    expect(out.names[0]).toMatchObject({ role: 'key', status: 'bogus', reason });
    expect(out.proof).toMatchObject({ attached: false, reason: 'Bogus' });
    expect(out.signatures[0].checks.find((c: { name: string }) => c.name === 'key').detail).toContain(reason);
  });

  it('a message the canister refuses before any lookup: the refused path, no DNS asked', async () => {
    const unsigned = writeTmp('nosig.eml', compose({ from: 'alice@ed25519.wxtest' }));
    // The endpoint is dead: a message that needs no DNS must not need it to be judged.
    const r = await waxseal('verify-email', unsigned, '--doh', await deadUrl(), '--now', NOW, '--json');
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.path.kind).toBe('refused');
    expect(out.path.detail).toMatch(/NoSignature/);
    expect(out.names).toEqual([]);
    expect(out.reason).toBe('NoSignature');
  });
});

describe('verify-email --doh: errors are one line, exit 2', () => {
  it('no DoH endpoint answers', async () => {
    const url = await deadUrl();
    const r = await waxseal('verify-email', mail('ed25519.wxtest'), '--doh', url, '--now', NOW);
    oneLineError(
      r,
      /no DoH endpoint answered \(http:\/\/127\.0\.0\.1:\d+\/dns-query\): NetworkError: .*ECONNREFUSED/,
    );
  });

  it.each([
    [['--dns', 'x.json'], /give --dns or --doh, not both/],
    [['--doh', 'ftp://example.com/'], /--doh "ftp:\/\/example\.com\/" is not an http\(s\) URL/],
    [['--doh', 'not a url'], /is not an http\(s\) URL/],
    [['--anchors', '/nonexistent.ds'], /cannot read anchors file \/nonexistent\.ds: no such file/],
    [['--config', '/nonexistent.json'], /cannot read config \/nonexistent\.json: no such file/],
  ])('%j', async (extra, message) => {
    const r = await waxseal('verify-email', mail('ed25519.wxtest'), '--doh', stack().dohUrl, ...extra);
    oneLineError(r, message);
  });

  it('--config and --anchors go with --doh only', async () => {
    const dns = join('test-vectors', 'examples', 'rfc8463', 'dns.json');
    const r = await waxseal('verify-email', mail('ed25519.wxtest'), '--dns', dns, '--config', config([]));
    oneLineError(r, /--config and --anchors go with --doh/);
  });

  it.each([
    ['{"doh": ', /not valid JSON/],
    ['{"dho": {}}', /unknown field "dho"/],
    [
      '{"doh": {"allowed_domains": [], "providers": [], "quorum": 0, "cache_seconds": 1}}',
      /doh\.quorum: must be at least 1/,
    ],
    [
      '{"doh": {"allowed_domains": "x", "providers": [], "quorum": 1, "cache_seconds": 1}}',
      /doh\.allowed_domains: expected an array/,
    ],
    ['{"root_anchors": ["not a record"]}', /root_anchors/],
  ])('a bad config file: %s', async (text, message) => {
    const r = await waxseal(
      'verify-email',
      mail('ed25519.wxtest'),
      '--doh',
      stack().dohUrl,
      '--config',
      writeTmp('bad-config.json', text),
    );
    oneLineError(r, message);
  });
});

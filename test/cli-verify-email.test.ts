/** The `waxseal verify-email` contract of protocol.md §10, run as a real process. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tmpFiles, waxseal } from './helpers/cli.ts';

const EXAMPLE = join(ROOT, 'test-vectors', 'examples', 'rfc8463');
const NOW = '1528637909';
const { writeTmp } = tmpFiles('waxseal-cli-');

const message = join(EXAMPLE, 'message.eml');
const dns = join(EXAMPLE, 'dns.json');

describe('waxseal verify-email', () => {
  it('accepts the RFC 8463 example: JSON fields, exit 0', async () => {
    const r = await waxseal('verify-email', message, '--dns', dns, '--now', NOW, '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(
      out.signatures.map((s: Record<string, unknown>) => [
        s.domain,
        s.selector,
        s.algorithm,
        s.result,
        s.reason,
      ]),
    ).toEqual([
      ['football.example.com', 'brisbane', 'ed25519-sha256', 'pass', null],
      ['football.example.com', 'test', 'rsa-sha256', 'pass', null],
    ]);
    expect(out.dkim).toBe('pass');
    expect(out.from).toBe('joe@football.example.com');
    expect(out.dmarc).toEqual({
      result: 'none',
      policy: null,
      alignment: null,
      record: null,
      organizationalDomain: 'example.com',
    });
    expect(out.accepted).toBe(true);
  });

  it('prints one line per signature and per check, then the verdict', async () => {
    const r = await waxseal('verify-email', message, '--dns', dns, '--now', NOW);
    const lines = r.stdout.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('signature '))).toHaveLength(2);
    expect(lines.filter((l) => /^ {2}[✓✗·] /.test(l))).toHaveLength(18);
    expect(lines.at(-1)).toMatch(/^verdict: ACCEPTED \(Accepted\)/);
  });

  it('converts bare LF and CRLF input alike', async () => {
    const crlf = writeTmp('crlf.eml', readFileSync(message, 'utf8').replace(/\n/g, '\r\n'));
    const r = await waxseal('verify-email', crlf, '--dns', dns, '--now', NOW, '--json');
    expect(JSON.parse(r.stdout).dkim).toBe('pass');
  });

  it('exits 1 with reasons on a tampered body', async () => {
    const bad = writeTmp('tampered.eml', readFileSync(message, 'utf8').replace('hungry', 'angry'));
    const r = await waxseal('verify-email', bad, '--dns', dns, '--now', NOW, '--json');
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.signatures.map((s: { reason: string }) => s.reason)).toEqual([
      'BodyHashMismatch',
      'BodyHashMismatch',
    ]);
    expect(out.dkim).toBe('fail');
    expect(out.reason).toBe('NoPassingSignature');
  });

  it('exits 1 when a DMARC record demands strict alignment that d= does not meet', async () => {
    const table = JSON.parse(readFileSync(dns, 'utf8'));
    const text = readFileSync(message, 'utf8').replace('joe@football.example.com', 'joe@example.com');
    const msg = writeTmp('from-parent.eml', text);
    table['_dmarc.example.com'] = ['v=DMARC1; p=reject; adkim=s'];
    const r = await waxseal(
      'verify-email',
      msg,
      '--dns',
      writeTmp('strict.json', JSON.stringify(table)),
      '--now',
      NOW,
      '--json',
    );
    const out = JSON.parse(r.stdout);
    // The From change breaks the signatures too, so check the DMARC fields, which do not depend on them.
    expect(out.dmarc).toMatchObject({ result: 'fail', policy: 'reject', alignment: 'strict' });
    expect(r.code).toBe(1);
  });

  it('uses the current time by default: the 2018 signatures still verify (no x=)', async () => {
    const r = await waxseal('verify-email', message, '--dns', dns, '--json');
    expect(JSON.parse(r.stdout).dkim).toBe('pass');
  });

  it.each([
    [
      ['verify-email', '/nonexistent.eml', '--dns', dns],
      /cannot read message \/nonexistent\.eml: no such file/,
    ],
    [['verify-email', message, '--dns', '/nonexistent.json'], /cannot read DNS file/],
    [['verify-email', message, '--dns', EXAMPLE], /is a directory/],
    [['verify-email', message], /--dns <dns.json> \(offline\) or --doh <url> \(live DNS\) is required/],
    [['verify-email', '--dns', dns], /expected one message file/],
    [['verify-email', message, '--dns', dns, '--now', 'yesterday'], /--now must be unix seconds/],
    [['verify-email', message, '--dns', dns, '--bogus'], /Unknown option '--bogus'/],
    [['frobnicate'], /unknown command "frobnicate"/],
  ])('exit 2 with one clear line: %j', async (args, message) => {
    const r = await waxseal(...(args as string[]));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it.each(['verify-email', 'domain', 'dnssec', 'devnet', 'gateway', 'send-test-mail'])(
    "waxseal %s --help prints that command's usage and exits 0, without running it",
    async (command) => {
      const r = await waxseal(command, '--help');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^usage:\\n  waxseal ${command} `));
      expect(r.stdout).not.toMatch(/waxseal demo/);
      expect(r.stderr).toBe('');
    },
  );

  it.each([
    ['bad.json', '{ "x": ', /not valid JSON/],
    ['shape.json', '["a"]', /expected an object/],
    ['entry.json', '{"a._domainkey.b": "v=DKIM1"}', /must be a list of strings/],
  ])('exit 2 for a malformed DNS file (%s)', async (name, text, message) => {
    const r = await waxseal('verify-email', join(EXAMPLE, 'message.eml'), '--dns', writeTmp(name, text));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('exits 1 (not 2, no trace) for a message file that is not an email at all', async () => {
    const r = await waxseal(
      'verify-email',
      writeTmp('binary.eml', new Uint8Array([0, 1, 2, 255, 10, 10])),
      '--dns',
      dns,
      '--json',
    );
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).reason).toBe('MalformedMessage');
    expect(r.stderr).toBe('');
  });

  it('npm start demo explains the bundled example', async () => {
    const r = await waxseal('demo');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/verdict: ACCEPTED/);
    expect(r.stdout).toMatch(/RFC 8463 example/);
  });
});

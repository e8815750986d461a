/**
 * `waxseal domain` (issue 13 §4) as a real process against the loopback DNS stack: the zone's DNSSEC status from
 * the anchors, the DMARC record and the alignment rule it sets, DoH-allowlist membership; the same decision as
 * the web app's up-front check (frontend/src/ic/domain-check.ts), both being src/proof/domain-report.ts
 * `decideDomain`; the domain argument's parser under fast-check; every error path as one line on stderr.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ConfigView } from '../frontend/src/ic/config.ts';
import { checkDomain } from '../frontend/src/ic/domain-check.ts';
import { parseDomainArg } from '../src/cli/domain.ts';
import { UsageError } from '../src/cli/errors.ts';
import { nameToText } from '../src/dns/name.ts';
import { domainProblem } from '../src/mail/address.ts';
import { type CliResult, tmpFiles, waxseal, waxsealJson } from './helpers/cli.ts';
import { freePort, GENERATED_DIR } from './helpers/dns-servers.ts';
import { useDnsStack } from './helpers/use-dns-stack.ts';

const stack = useDnsStack();
const { writeTmp } = tmpFiles('waxseal-cli-domain-');
const NOW = '1767225600';
const ANCHORS_FILE = join(GENERATED_DIR, 'anchors.ds');
const ANCHORS = readFileSync(ANCHORS_FILE, 'utf8').trim().split('\n');
const ALLOWED = ['unsigned.wxtest', 'wxplain'];

function configFile(): string {
  const doh = {
    allowed_domains: ALLOWED,
    providers: [{ name: 'local dnsdist', url: stack().dohUrl }],
    quorum: 1,
    cache_seconds: 60,
  };
  return writeTmp('config.json', JSON.stringify({ root_anchors: ANCHORS, doh }));
}

/** `domain <name> --doh <the stack> --now <matrix time> …args`. */
const run = (name: string, ...args: string[]) =>
  waxseal('domain', name, '--doh', stack().dohUrl, '--now', NOW, ...args);

const domain = (name: string, ...args: string[]) =>
  waxsealJson('domain', name, '--doh', stack().dohUrl, '--now', NOW, '--json', ...args);

describe('waxseal domain against the loopback DNS stack', () => {
  it('a signed zone with a DMARC record: supported over DNSSEC, relaxed alignment (exit 0)', async () => {
    const { r, out } = await domain('ed25519.wxtest', '--anchors', ANCHORS_FILE);
    expect(r.code).toBe(0);
    expect(out).toMatchObject({
      domain: 'ed25519.wxtest',
      zone: 'ed25519.wxtest.',
      dnssec: { status: 'signed', reason: null },
      dmarc: {
        name: '_dmarc.ed25519.wxtest',
        status: 'secure',
        records: ['v=DMARC1; p=reject; rua=mailto:dmarc@ed25519.wxtest'],
        policy: 'reject',
        adkim: 'r',
        counts: true,
      },
      allowlisted: false,
      decision: { kind: 'supported', via: 'dnssec', detail: null },
      alignment: { mode: 'relaxed' },
    });
  });

  it('a name below the zone apex with no DMARC record of its own: the organizational domain record (RFC 7489 §6.6.3)', async () => {
    const { r, out } = await domain('mail.ed25519.wxtest', '--anchors', ANCHORS_FILE);
    expect(r.code).toBe(0);
    expect(out.zone).toBe('ed25519.wxtest.');
    expect(out.organizationalDomain).toBe('ed25519.wxtest');
    expect(out.dmarc).toMatchObject({
      name: '_dmarc.ed25519.wxtest',
      fallback: true,
      status: 'secure',
      policy: 'reject',
      adkim: 'r',
      counts: true,
    });
    expect(out.alignment).toEqual({
      mode: 'relaxed',
      detail:
        'd= may be ed25519.wxtest or any name under it, the organizational domain of mail.ed25519.wxtest (adkim=r)',
    });
  });

  it('--config with a public_suffix_list naming ed25519.wxtest a suffix: the canister’s organizational domains', async () => {
    const psl = '// ===BEGIN PRIVATE DOMAINS===\ned25519.wxtest\n// ===END PRIVATE DOMAINS===\n';
    const config = writeTmp(
      'psl-config.json',
      JSON.stringify({ root_anchors: ANCHORS, public_suffix_list: psl }),
    );
    const { out } = await domain('mail.ed25519.wxtest', '--config', config);
    expect(out.organizationalDomain).toBe('mail.ed25519.wxtest');
    // No record at _dmarc.mail.ed25519.wxtest, and the organizational domain is the name itself: no fallback.
    expect(out.dmarc).toMatchObject({
      name: '_dmarc.mail.ed25519.wxtest',
      fallback: false,
      status: 'absent',
    });
    expect(out.alignment).toMatchObject({ mode: 'strict' });
    const suffix = await domain('ed25519.wxtest', '--config', config);
    expect(suffix.out.organizationalDomain).toBeNull();
  });

  it('a public suffix (wxtest, the implicit * rule): no organizational domain, strict alignment', async () => {
    const { out } = await domain('wxtest', '--anchors', ANCHORS_FILE);
    expect(out.organizationalDomain).toBeNull();
    expect(out.dmarc).toMatchObject({ name: '_dmarc.wxtest', fallback: false });
    if (out.alignment) expect(out.alignment.mode).toBe('strict');
  });

  it('an address at an unsigned domain on the allowlist of --config: supported over DoH', async () => {
    const { r, out } = await domain('Alice@Unsigned.WXTEST', '--config', configFile());
    expect(r.code).toBe(0);
    expect(out).toMatchObject({
      domain: 'unsigned.wxtest',
      dnssec: { status: 'unsigned' },
      dmarc: { status: 'insecure', policy: 'reject', counts: true },
      allowlisted: true,
      decision: { kind: 'supported', via: 'doh' },
      alignment: { mode: 'relaxed' },
    });
  });

  it.each([
    ['unsigned.wxtest', 'unsigned', null, /unsigned zone unsigned\.wxtest/],
    ['island.wxtest', 'unsigned', null, /island\.wxtest\. is provably unsigned/],
    ['dsmismatch.wxtest', 'broken', 'DsMismatch', /^DsMismatch: /],
    ['expired.wxtest', 'broken', 'SignatureExpired', /^SignatureExpired: /],
  ])('%s without --config: not supported (exit 1)', async (name, status, reason, detail) => {
    const { r, out } = await domain(name, '--anchors', ANCHORS_FILE);
    expect(r.code).toBe(1);
    expect(out.dnssec).toMatchObject({ status, reason });
    expect(out.allowlisted).toBe(false);
    expect(out.decision.kind).toBe('unsupported');
    expect(out.decision.detail).toMatch(detail);
    expect(out.alignment).toBeNull();
  });

  it('human output: the facts, then the verdict and the alignment rule', async () => {
    const r = await run('ed25519.wxtest', '--anchors', ANCHORS_FILE);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual([
      'domain: ed25519.wxtest (zone ed25519.wxtest.)',
      'organizational domain: ed25519.wxtest',
      'dnssec: signed: ed25519.wxtest. validates (. wxtest. ed25519.wxtest.)',
      'dmarc: _dmarc.ed25519.wxtest: p=reject adkim=r: "v=DMARC1; p=reject; rua=mailto:dmarc@ed25519.wxtest"',
      'dmarc dnssec: secure: validates from the anchors (. wxtest. ed25519.wxtest.)',
      'doh allowlist: no (no --config: the install default, empty)',
      'verdict: SUPPORTED via dnssec',
      'alignment: relaxed: d= may be ed25519.wxtest or any name under it, the organizational domain of ed25519.wxtest (adkim=r)',
    ]);
  });

  it('the same decision as the web app’s up-front check, for every kind of zone', async () => {
    const view: ConfigView = {
      mail_hosts: [],
      app_origin: '',
      root_anchors: ANCHORS,
      doh: {
        allowed_domains: ALLOWED,
        providers: [{ name: 'local dnsdist', url: stack().dohUrl }],
        quorum: 1,
        cache_seconds: 60,
      },
      gateway_principals: [],
      identity_number_start: 10_000n,
      public_suffix_list: { custom: false, detail: 'shipped' },
    };
    const config = configFile();
    for (const name of [
      'ed25519.wxtest',
      'rsa2048.wxtest',
      'unsigned.wxtest',
      'wxplain',
      'island.wxtest',
      'badsig.wxtest',
      'dsmismatch.wxtest',
    ]) {
      const [{ out }, page] = await Promise.all([domain(name, '--config', config), checkDomain(name, view)]);
      expect([name, out.decision.kind, out.decision.via ?? null]).toEqual([
        name,
        page.kind,
        page.kind === 'supported' ? page.via : null,
      ]);
    }
  });
});

describe('waxseal domain: errors are one line, exit 2', () => {
  const oneLine = (r: CliResult, message: RegExp) => {
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^waxseal: /);
    expect(r.stderr.trimEnd().split('\n')[0]).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  };

  it('no DoH endpoint answers', async () => {
    const url = `http://127.0.0.1:${await freePort()}/dns-query`;
    oneLine(
      await waxseal('domain', 'ed25519.wxtest', '--doh', url),
      /no DoH endpoint answered .*ECONNREFUSED/,
    );
  });

  it.each([
    [['domain'], /expected one domain/],
    [['domain', 'ed25519.wxtest'], /pass --doh <url>/],
    [['domain', 'bad domain.example', '--doh', 'http://127.0.0.1:1/'], /invalid domain label "bad domain"/],
    [['domain', 'bücher.example', '--doh', 'http://127.0.0.1:1/'], /not ASCII \(give IDNs as A-labels/],
    [['domain', 'a@', '--doh', 'http://127.0.0.1:1/'], /the domain is empty/],
    [['domain', 'x.example', '--doh', 'http://127.0.0.1:1/', '--now', 'soon'], /--now must be unix seconds/],
  ])('%j', async (args, message) => {
    oneLine(await waxseal(...args), message);
  });
});

describe('parseDomainArg (the domain argument)', () => {
  it('any string: a valid lowercase domain, or a UsageError (never another exception)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.domain(), fc.emailAddress()), (text) => {
        try {
          const { domain, name } = parseDomainArg(text);
          expect(domainProblem(domain)).toBeNull();
          expect(domain).toBe(domain.toLowerCase());
          expect(nameToText(name)).toBe(`${domain}.`);
        } catch (e) {
          expect(e).toBeInstanceOf(UsageError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('a domain, the same with a trailing dot or in upper case, and an address at it agree', () => {
    fc.assert(
      fc.property(fc.domain(), fc.emailAddress(), (d, address) => {
        const expected = parseDomainArg(d).domain;
        expect(parseDomainArg(`${d.toUpperCase()}.`).domain).toBe(expected);
        expect(parseDomainArg(`alice@${d}`).domain).toBe(expected);
        expect(parseDomainArg(address).domain).toBe(
          address.slice(address.lastIndexOf('@') + 1).toLowerCase(),
        );
      }),
      { numRuns: 500 },
    );
  });
});

/**
 * The domain pre-check of the setup and recovery forms: the pure decision (src/proof/domain-report.ts
 * `decideDomain`, shared with `waxseal domain`) over the allowlist and what src/proof/email.ts `domainSupport`
 * reports, and the check itself (frontend/src/ic/domain-check.ts, with the organizational domain and the DMARC
 * record's location)
 * over DoH against the real loopback DNS stack (named with the generated test zones, dnsdist), with the
 * canister's configuration as `config()` returns it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ConfigView } from '../frontend/src/ic/config.ts';
import { checkDomain } from '../frontend/src/ic/domain-check.ts';
import { dmarcNote } from '../frontend/src/logic/dmarc-note.ts';
import { isAllowedName } from '../src/challenge/doh-quorum.ts';
import { decideDomain } from '../src/proof/domain-report.ts';
import type { DomainSupport } from '../src/proof/email.ts';
import { freePort, GENERATED_DIR } from './helpers/dns-servers.ts';
import { useDnsStack } from './helpers/use-dns-stack.ts';

const ANCHORS = readFileSync(join(GENERATED_DIR, 'anchors.ds'), 'utf8').trim().split('\n');

/** The canister's configuration, as its `config()` query returns it. */
function config(providers: readonly string[], allowed: readonly string[] = []): ConfigView {
  return {
    mail_hosts: ['mail.waxseal.localhost'],
    app_origin: 'http://localhost:5173',
    root_anchors: ANCHORS,
    doh: {
      allowed_domains: [...allowed],
      providers: providers.map((url, i) => ({ name: `p${i}`, url })),
      quorum: 1,
      cache_seconds: 60,
    },
    gateway_principals: [],
    identity_number_start: 10_000n,
    public_suffix_list: { custom: false, detail: 'shipped' },
  };
}

/** The decision for a domain that is not on the allowlist. */
const decideFromSupport = (found: DomainSupport) => decideDomain(false, found);

describe('decideDomain', () => {
  it('a zone that validates from the anchors: go on, over DNSSEC', () => {
    expect(
      decideFromSupport({ support: 'dnssec', reason: null, detail: 'x. validates', zone: 'x.' }),
    ).toEqual({ kind: 'supported', via: 'dnssec' });
  });

  it.each([
    ['provably unsigned', { support: 'unsigned', reason: null, detail: 'x. is provably unsigned' }],
    ['unsupported algorithms only', { support: 'unsigned', reason: 'UnsupportedAlgorithm', detail: 'no DS' }],
    ['a broken chain', { support: 'broken', reason: 'DsMismatch', detail: 'no DNSKEY matches its DS' }],
    ['expired signatures', { support: 'broken', reason: 'SignatureExpired', detail: 'valid 2020–2021' }],
  ] as const)('%s: unsupported, with the reason in the detail', (_name, found) => {
    const d = decideFromSupport({ ...found, zone: 'x.' });
    expect(d.kind).toBe('unsupported');
    if (d.kind !== 'supported') expect(d.detail).toContain(found.detail);
    if (found.reason && d.kind !== 'supported') expect(d.detail).toMatch(new RegExp(`^${found.reason}: `));
  });

  it.each([
    'Timeout',
    'NetworkError',
    'HttpError',
    'BadContentType',
    'Malformed',
    'ServerFailure',
    'ProofTooLarge',
  ] as const)('a failed lookup (%s) is no verdict on the domain: unchecked', (reason) => {
    expect(decideFromSupport({ support: 'broken', reason, detail: 'lookup failed: …', zone: null })).toEqual({
      kind: 'unchecked',
      detail: `${reason}: lookup failed: …`,
    });
  });
});

describe('decideDomain on the allowlist (the canister rule, src/challenge/doh-quorum.ts isAllowedName)', () => {
  it('is label-anchored, case-insensitive, and covers subdomains', () => {
    expect(isAllowedName('gmail.com', ['gmail.com'])).toBe(true);
    expect(isAllowedName('Mail.GMAIL.com', ['gmail.com'])).toBe(true);
    expect(isAllowedName('evilgmail.com', ['gmail.com'])).toBe(false);
    expect(isAllowedName('gmail.com', [])).toBe(false);
  });

  it('an allowlisted domain goes over DoH, unless a DNSSEC proof exists (the gateway attaches it first)', () => {
    const unsigned = {
      support: 'unsigned',
      reason: null,
      detail: 'x. is provably unsigned',
      zone: 'x.',
    } as const;
    const broken = { support: 'broken', reason: 'Timeout', detail: 'lookup failed', zone: null } as const;
    expect(decideDomain(true, null)).toEqual({ kind: 'supported', via: 'doh' });
    expect(decideDomain(true, unsigned)).toEqual({ kind: 'supported', via: 'doh' });
    expect(decideDomain(true, broken)).toEqual({ kind: 'supported', via: 'doh' });
    expect(decideDomain(true, { support: 'dnssec', reason: null, detail: 'ok', zone: 'x.' })).toEqual({
      kind: 'supported',
      via: 'dnssec',
    });
  });

  it('a domain off the allowlist whose status was not looked up is unchecked', () => {
    expect(decideDomain(false, null).kind).toBe('unchecked');
  });
});

describe('dmarcNote: the pre-check’s words on alignment (protocol.md §6)', () => {
  it('names the organizational domain and where the record is; a public suffix or no record: exact d= only', () => {
    expect(
      dmarcNote('cs.example.com', { organizationalDomain: 'example.com', recordName: '_dmarc.example.com' }),
    ).toBe(
      'The DMARC policy of example.com (its organizational domain) applies: email signed by example.com or a name under it can be accepted for cs.example.com.',
    );
    expect(
      dmarcNote('example.com', { organizationalDomain: 'example.com', recordName: '_dmarc.example.com' }),
    ).toMatch(/^The DMARC policy of example\.com applies: email signed by example\.com or a name under it/);
    expect(dmarcNote('co.uk', { organizationalDomain: null, recordName: '_dmarc.co.uk' })).toMatch(
      /^co\.uk is a public suffix .* only email signed by co\.uk itself/,
    );
    expect(dmarcNote('example.com', { organizationalDomain: 'example.com', recordName: null })).toMatch(
      /publishes no DMARC policy, so only email signed by example\.com itself/,
    );
    expect(dmarcNote('example.com', undefined)).toBeNull();
  });

  it('adkim=s: only the domain itself, wherever the record was found', () => {
    expect(
      dmarcNote('cs.example.com', {
        organizationalDomain: 'example.com',
        recordName: '_dmarc.example.com',
        strict: true,
      }),
    ).toBe(
      'The DMARC policy of example.com (its organizational domain) asks for strict alignment: only email signed by cs.example.com itself is accepted.',
    );
  });
});

describe('checkDomain over DoH against the loopback DNS stack', () => {
  const stack = useDnsStack();
  const dead = async () => `http://127.0.0.1:${await freePort()}/dns-query`;

  it('a signed zone (ed25519.wxtest, Ed25519 under the P-256 TLD): supported over DNSSEC', async () => {
    expect(await checkDomain('ed25519.wxtest', config([stack().dohUrl]))).toEqual({
      kind: 'supported',
      via: 'dnssec',
      dmarc: { organizationalDomain: 'ed25519.wxtest', recordName: '_dmarc.ed25519.wxtest' },
    });
  });

  it('a name below the zone apex: the organizational domain and its DMARC record (RFC 7489 §3.2, §6.6.3)', async () => {
    expect(await checkDomain('mail.ed25519.wxtest', config([stack().dohUrl]))).toMatchObject({
      kind: 'supported',
      dmarc: { organizationalDomain: 'ed25519.wxtest', recordName: '_dmarc.ed25519.wxtest' },
    });
    // wxtest is a public suffix (the implicit * rule): no organizational domain.
    expect(await checkDomain('wxtest', config([stack().dohUrl]))).toMatchObject({
      dmarc: { organizationalDomain: null },
    });
  });

  it.each([
    ['island.wxtest', 'signed, but its parent has no DS for it', /island\.wxtest\. is provably unsigned/],
    ['unsigned.wxtest', 'an unsigned child of the signed TLD', /unsigned zone unsigned\.wxtest/],
    ['dsmismatch.wxtest', "the parent's DS is for another key", /^DsMismatch: /],
  ])('%s (%s): unsupported', async (domain, _why, detail) => {
    const d = await checkDomain(domain, config([stack().dohUrl]));
    expect(d.kind).toBe('unsupported');
    if (d.kind === 'unsupported') expect(d.detail).toMatch(detail);
  });

  it('a domain on the allowlist is supported over DoH without a lookup (the only provider is down)', async () => {
    expect(await checkDomain('unsigned.wxtest', config([await dead()], ['unsigned.wxtest']))).toEqual({
      kind: 'supported',
      via: 'doh',
    });
  });

  it('no provider answers: unchecked, naming the failure; no provider configured: unchecked', async () => {
    const d = await checkDomain('ed25519.wxtest', config([await dead()]));
    expect(d.kind).toBe('unchecked');
    if (d.kind === 'unchecked') expect(d.detail).toMatch(/^NetworkError: lookup failed: /);
    expect(await checkDomain('ed25519.wxtest', config([]))).toEqual({
      kind: 'unchecked',
      detail: 'the canister names no DoH provider',
    });
  });

  it('the next provider is tried when the first is down', async () => {
    expect(await checkDomain('ed25519.wxtest', config([await dead(), stack().dohUrl]))).toMatchObject({
      kind: 'supported',
      via: 'dnssec',
    });
  });
});

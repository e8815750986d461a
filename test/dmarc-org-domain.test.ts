/**
 * Organizational domains (RFC 7489 §3.2) from the Public Suffix List (publicsuffix.org/list: ICANN and PRIVATE
 * sections, implicit `*` rule, wildcard and exception rules), the alignment rule of protocol.md §6 with every
 * example given there, and DMARC record discovery with the organizational-domain fallback (RFC 7489 §6.6.3).
 * Both list implementations are exercised: the shipped snapshot (tldts) and a list parsed from text by
 * src/dmarc/public-suffix-list.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { alignment, isAligned } from '../src/dmarc/alignment.ts';
import { discoverDmarc, dmarcNames } from '../src/dmarc/discovery.ts';
import {
  normalizeDomain,
  organizationalDomain,
  SHIPPED_PSL_VERSION,
  SHIPPED_SUFFIXES,
} from '../src/dmarc/organizational-domain.ts';
import { type PublicSuffixes, parsePublicSuffixList } from '../src/dmarc/public-suffix-list.ts';
import { staticTxtLookup, type TxtLookup } from '../src/dns/lookup.ts';
import { punycodeEncode, toALabel } from '../src/dns/punycode.ts';

/** A small list in the official format: both sections, a wildcard, an exception, an IDN rule as a U-label. */
const SMALL_PSL = `// This Source Code Form is subject to the terms of the Mozilla Public License, v. 2.0.
// ===BEGIN ICANN DOMAINS===

// com : https://www.iana.org/domains/root/db/com.html
com
uk
co.uk
// ck : https://www.iana.org/domains/root/db/ck.html
*.ck
!www.ck
jp
// kawasaki.jp wildcard with an exception
*.kawasaki.jp
!city.kawasaki.jp
// рф (xn--p1ai) and a second-level IDN rule
рф
公司.cn
cn
example
// ===END ICANN DOMAINS===
// ===BEGIN PRIVATE DOMAINS===
// A dynamic-DNS service that hands out customer subdomains
dynhost.example
dyndns.org
blogspot.com
// ===END PRIVATE DOMAINS===
`;

const parsedSmall = parsePublicSuffixList(SMALL_PSL);
if (!parsedSmall.ok) throw new Error(`${parsedSmall.code}: ${parsedSmall.detail}`);
const SMALL = parsedSmall.list;

/** The shipped list with `dynhost.example` added, as a custom list would add it (the real PSL lacks it). */
const WITH_DYNHOST: PublicSuffixes = {
  publicSuffix: (d) =>
    d === 'dynhost.example' || d.endsWith('.dynhost.example')
      ? SMALL.publicSuffix(d)
      : SHIPPED_SUFFIXES.publicSuffix(d),
};

describe('punycode (RFC 3492 §7.1 samples) and A-labels', () => {
  it.each([
    ['ü', 'tda'],
    ['bücher', 'bcher-kva'],
    ['рф', 'p1ai'],
    ['公司', '55qx5d'],
    ['他们为什么不说中文', 'ihqwcrb4cv8a8dqg056pqjye'],
    ['ليهمابتكلموشعربي؟', 'egbpdaj6bu4bxfgehfvwxn'],
  ])('%s → %s', (u, p) => {
    expect(punycodeEncode(u)).toBe(p);
  });
  it('ASCII labels are unchanged; others get xn--', () => {
    expect(toALabel('example')).toBe('example');
    expect(toALabel('рф')).toBe('xn--p1ai');
  });
});

describe.each([
  ['the shipped snapshot (tldts)', SHIPPED_SUFFIXES],
  ['a list parsed from text', SMALL],
] as const)('organizational domain (RFC 7489 §3.2) with %s', (_name, list) => {
  const org = (d: string) => organizationalDomain(d, list);
  it('ICANN section: one label below the public suffix', () => {
    expect(org('example.com')).toBe('example.com');
    expect(org('mail.example.com')).toBe('example.com');
    expect(org('a.b.c.example.co.uk')).toBe('example.co.uk');
    expect(org('example.co.uk')).toBe('example.co.uk');
  });
  it('a domain that is itself a public suffix has none', () => {
    for (const suffix of ['com', 'co.uk', 'uk', 'jp']) expect(org(suffix), suffix).toBeNull();
  });
  it('PRIVATE section: a dynamic-DNS suffix and its customers', () => {
    expect(org('dyndns.org')).toBeNull();
    expect(org('alice.dyndns.org')).toBe('alice.dyndns.org');
    expect(org('mail.alice.dyndns.org')).toBe('alice.dyndns.org');
    expect(org('x.y.blogspot.com')).toBe('y.blogspot.com');
  });
  it('wildcard *.ck and exception !www.ck', () => {
    expect(org('foo.ck')).toBeNull();
    expect(org('bar.foo.ck')).toBe('bar.foo.ck');
    expect(org('www.ck')).toBe('www.ck');
    expect(org('a.www.ck')).toBe('www.ck');
    expect(org('ck')).toBeNull();
  });
  it('wildcard *.kawasaki.jp and exception !city.kawasaki.jp', () => {
    expect(org('foo.kawasaki.jp')).toBeNull();
    expect(org('a.foo.kawasaki.jp')).toBe('a.foo.kawasaki.jp');
    expect(org('city.kawasaki.jp')).toBe('city.kawasaki.jp');
    expect(org('www.city.kawasaki.jp')).toBe('city.kawasaki.jp');
  });
  it('IDN rules, matched as A-labels', () => {
    expect(org('xn--p1ai')).toBeNull();
    expect(org('xn--e1afmkfd.xn--p1ai')).toBe('xn--e1afmkfd.xn--p1ai');
    expect(org('mail.xn--e1afmkfd.xn--p1ai')).toBe('xn--e1afmkfd.xn--p1ai');
    expect(org('xn--55qx5d.cn')).toBeNull();
    expect(org('shop.xn--55qx5d.cn')).toBe('shop.xn--55qx5d.cn');
  });
  it('the implicit * rule: an unlisted TLD is a public suffix', () => {
    expect(org('wxtest')).toBeNull();
    expect(org('ecdsa.wxtest')).toBe('ecdsa.wxtest');
    expect(org('deep.ecdsa.wxtest')).toBe('ecdsa.wxtest');
  });
  it('case and one trailing dot are ignored; empty labels have none', () => {
    expect(org('Mail.EXAMPLE.com.')).toBe('example.com');
    expect(org('CO.UK.')).toBeNull();
    expect(org('')).toBeNull();
    expect(org('a..example.com')).toBeNull();
    expect(normalizeDomain('A.B.')).toBe('a.b');
  });
});

describe('DKIM alignment (RFC 7489 §3.1.1, protocol.md §6)', () => {
  // [d=, From domain, adkim, aligned, refused because of a public suffix]
  it.each([
    // protocol.md §6 examples
    ['mail.example.com', 'example.com', 'r', true, false],
    ['example.com', 'cs.example.com', 'r', true, false],
    ['googlemail.com', 'gmail.com', 'r', false, false],
    ['gmail.com', 'googlemail.com', 'r', false, false],
    ['a.co.uk', 'b.co.uk', 'r', false, false],
    ['mallory.dynhost.example', 'dynhost.example', 'r', false, true],
    // strict
    ['example.com', 'example.com', 's', true, false],
    ['mail.example.com', 'example.com', 's', false, false],
    ['example.com', 'cs.example.com', 's', false, false],
    // relaxed, siblings and case
    ['a.example.com', 'b.example.com', 'r', true, false],
    ['MAIL.Example.COM.', 'example.com', 'r', true, false],
    ['evilexample.com', 'example.com', 'r', false, false],
    // public suffixes on either side
    ['com', 'example.com', 'r', false, true],
    ['co.uk', 'a.co.uk', 'r', false, true],
    ['dynhost.example', 'mallory.dynhost.example', 'r', false, true],
    ['x.mallory.dynhost.example', 'mallory.dynhost.example', 'r', true, false],
    ['alice.dyndns.org', 'bob.dyndns.org', 'r', false, false],
    ['dyndns.org', 'dyndns.org', 'r', true, false],
    ['dyndns.org', 'dyndns.org', 's', true, false],
    ['x.dyndns.org', 'dyndns.org', 'r', false, true],
  ] as const)('d=%s From=%s adkim=%s → aligned %s (public suffix %s)', (d, from, mode, aligned, bySuffix) => {
    expect(alignment(d, from, mode, WITH_DYNHOST)).toEqual({ aligned, publicSuffix: bySuffix });
  });
  it('without dynhost.example listed, mallory.dynhost.example and dynhost.example share an organizational domain', () => {
    // The real PSL has no dynhost.example: under the shipped list `example` is a TLD (ICANN reserved name).
    expect(isAligned('mallory.dynhost.example', 'dynhost.example', 'r')).toBe(true);
  });
});

describe('DMARC record discovery (RFC 7489 §6.6.3)', () => {
  const REJECT_S = 'v=DMARC1; p=reject; adkim=s';
  const NONE_R = 'v=DMARC1; p=none';
  const found = (table: Parameters<typeof staticTxtLookup>[0], from: string) =>
    discoverDmarc(from, staticTxtLookup(table), SHIPPED_SUFFIXES);

  it('the names: the From domain, then its organizational domain when that is another name', () => {
    expect(dmarcNames('sub.example.com')).toEqual({
      organizationalDomain: 'example.com',
      fromName: '_dmarc.sub.example.com',
      orgName: '_dmarc.example.com',
    });
    expect(dmarcNames('example.com').orgName).toBeNull();
    expect(dmarcNames('co.uk')).toEqual({
      organizationalDomain: null,
      fromName: '_dmarc.co.uk',
      orgName: null,
    });
    expect(
      dmarcNames(`${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(60)}`).fromName,
    ).toBeNull();
  });

  it('record at the organizational domain only: used, and named', async () => {
    const f = await found({ '_dmarc.example.com': [NONE_R] }, 'sub.example.com');
    expect(f.recordName).toBe('_dmarc.example.com');
    expect(f.discovery).toMatchObject({ kind: 'record', record: { p: 'none', adkim: 'r' } });
  });

  it('record at both: the From domain one wins', async () => {
    const f = await found(
      { '_dmarc.sub.example.com': [REJECT_S], '_dmarc.example.com': [NONE_R] },
      'sub.example.com',
    );
    expect(f.recordName).toBe('_dmarc.sub.example.com');
    expect(f.discovery).toMatchObject({ kind: 'record', record: { p: 'reject', adkim: 's' } });
  });

  it('record at neither: none', async () => {
    const f = await found({}, 'sub.example.com');
    expect(f).toMatchObject({ recordName: null, discovery: { kind: 'none' } });
  });

  it('TXT records at the From domain but none a DMARC record: the organizational domain is asked', async () => {
    const f = await found(
      { '_dmarc.sub.example.com': ['v=spf1 -all'], '_dmarc.example.com': [NONE_R] },
      'sub.example.com',
    );
    expect(f.recordName).toBe('_dmarc.example.com');
  });

  it('two records, or an unusable one, at the From domain: discovery ends there (steps 5–6)', async () => {
    const two = await found(
      { '_dmarc.sub.example.com': [NONE_R, REJECT_S], '_dmarc.example.com': [NONE_R] },
      'sub.example.com',
    );
    expect(two).toMatchObject({ recordName: null, discovery: { kind: 'none', empty: false } });
    const bad = await found(
      { '_dmarc.sub.example.com': ['v=DMARC1; p=bogus'], '_dmarc.example.com': [NONE_R] },
      'sub.example.com',
    );
    expect(bad).toMatchObject({ recordName: null, discovery: { kind: 'none', empty: false } });
  });

  it('a failed lookup at the From domain ends discovery: temperror, the organizational domain not asked', async () => {
    const asked: string[] = [];
    const lookup: TxtLookup = async (name) => {
      asked.push(name);
      return name === '_dmarc.sub.example.com'
        ? { kind: 'temperror', detail: 'SERVFAIL' }
        : { kind: 'txt', records: [NONE_R] };
    };
    const f = await discoverDmarc('sub.example.com', lookup);
    expect(f.discovery.kind).toBe('temperror');
    expect(asked).toEqual(['_dmarc.sub.example.com']);
  });

  it('a From domain that is a public suffix: only its own name is asked', async () => {
    const asked: string[] = [];
    const lookup: TxtLookup = async (name) => {
      asked.push(name);
      return { kind: 'nxdomain' };
    };
    const f = await discoverDmarc('co.uk', lookup);
    expect(f).toMatchObject({ organizationalDomain: null, recordName: null });
    expect(asked).toEqual(['_dmarc.co.uk']);
  });
});

describe('the shipped snapshot', () => {
  it('is the tldts version package.json pins', () => {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8'));
    expect(SHIPPED_PSL_VERSION.startsWith(`tldts ${pkg.dependencies.tldts} `)).toBe(true);
  });
});

/**
 * Waxseal's acceptance decision (protocol.md §4–§6) on messages signed by dkimpy: alignment with and without a
 * DMARC record, header occurrence, From syntax, and the signed-Subject rule.
 */
import { describe, expect, it } from 'vitest';
import { pureCrypto } from '../src/crypto/pure.ts';
import { bodyHashes } from '../src/dkim/body-hash.ts';
import { signatureParses } from '../src/dkim/signature.ts';
import { staticTxtLookup, type TxtTable } from '../src/dns/lookup.ts';
import { binaryToBytes } from '../src/encoding/bytes.ts';
import { parseMessage } from '../src/mail/message.ts';
import { type EmailReason, verifyEmail } from '../src/verify-email.ts';
import { dkimpySign, ed25519TestKey, type SignJob } from './helpers/dkimpy.ts';

const NOW = 1_767_225_600;
const key = ed25519TestKey();
const HEADERS = ['From', 'To', 'Subject', 'Date'];

interface Case {
  name: string;
  from?: string;
  d?: string;
  headers?: string[];
  extraHeaders?: string;
  /** Applied to the signed message. */
  after?: (signed: string) => string;
  dmarc?: string[] | null;
  /** DMARC records by name, for From domains other than example.com (RFC 7489 §6.6.3 discovery). */
  dmarcAt?: Record<string, string[]>;
  accepted: boolean;
  reason: EmailReason;
  dmarcResult?: 'pass' | 'fail' | 'none';
  fromAddress?: string | null;
}

const cases: Case[] = [
  { name: 'exact domain, no DMARC record', accepted: true, reason: 'Accepted', dmarcResult: 'none' },
  {
    name: 'exact domain, p=reject',
    dmarc: ['v=DMARC1; p=reject'],
    accepted: true,
    reason: 'Accepted',
    dmarcResult: 'pass',
  },
  {
    name: 'subdomain d=, relaxed record',
    d: 'mail.example.com',
    dmarc: ['v=DMARC1; p=none'],
    accepted: true,
    reason: 'Accepted',
    dmarcResult: 'pass',
  },
  {
    name: 'subdomain d=, strict record',
    d: 'mail.example.com',
    dmarc: ['v=DMARC1; p=none; adkim=s'],
    accepted: false,
    reason: 'DmarcNotAligned',
    dmarcResult: 'fail',
  },
  {
    name: 'subdomain d=, no record',
    d: 'mail.example.com',
    accepted: false,
    reason: 'DmarcNotAligned',
    dmarcResult: 'none',
  },
  {
    name: 'look-alike d= never aligns',
    d: 'evilexample.com',
    dmarc: ['v=DMARC1; p=none'],
    accepted: false,
    reason: 'DmarcNotAligned',
    dmarcResult: 'fail',
  },
  {
    name: 'two DMARC records = no policy, strict rule',
    d: 'mail.example.com',
    dmarc: ['v=DMARC1; p=none', 'v=DMARC1; p=reject'],
    accepted: false,
    reason: 'DmarcNotAligned',
    dmarcResult: 'none',
  },
  // protocol.md §6: alignment by organizational domain (RFC 7489 §3.2) and discovery at it (§6.6.3).
  {
    name: 'd= the organizational domain, From a subdomain, the record at the organizational domain only',
    from: 'alice@cs.example.com',
    d: 'example.com',
    dmarcAt: { '_dmarc.example.com': ['v=DMARC1; p=reject'] },
    accepted: true,
    reason: 'Accepted',
    dmarcResult: 'pass',
  },
  {
    name: 'records at both names: the From domain one (adkim=s) wins',
    from: 'alice@cs.example.com',
    d: 'example.com',
    dmarcAt: {
      '_dmarc.cs.example.com': ['v=DMARC1; p=none; adkim=s'],
      '_dmarc.example.com': ['v=DMARC1; p=none'],
    },
    accepted: false,
    reason: 'DmarcNotAligned',
    dmarcResult: 'fail',
  },
  {
    name: 'd= the organizational domain, no record at either name: strict, refused',
    from: 'alice@cs.example.com',
    d: 'example.com',
    accepted: false,
    reason: 'DmarcNotAligned',
    dmarcResult: 'none',
  },
  {
    name: 'googlemail.com never aligns with gmail.com',
    from: 'alice@gmail.com',
    d: 'googlemail.com',
    dmarcAt: { '_dmarc.gmail.com': ['v=DMARC1; p=none'] },
    accepted: false,
    reason: 'DmarcNotAligned',
  },
  {
    name: 'a.co.uk never aligns with b.co.uk',
    from: 'alice@b.co.uk',
    d: 'a.co.uk',
    dmarcAt: { '_dmarc.b.co.uk': ['v=DMARC1; p=none'] },
    accepted: false,
    reason: 'DmarcNotAligned',
  },
  {
    name: 'From a public suffix (co.uk), d= below it: PublicSuffixAlignment',
    from: 'alice@co.uk',
    d: 'example.co.uk',
    dmarcAt: { '_dmarc.co.uk': ['v=DMARC1; p=none'] },
    accepted: false,
    reason: 'PublicSuffixAlignment',
  },
  {
    name: 'From a private-section suffix (dyndns.org), a customer d=: PublicSuffixAlignment',
    from: 'admin@dyndns.org',
    d: 'mallory.dyndns.org',
    dmarcAt: { '_dmarc.dyndns.org': ['v=DMARC1; p=reject'] },
    accepted: false,
    reason: 'PublicSuffixAlignment',
  },
  {
    name: 'a customer of a private-section suffix: its own subdomains align',
    from: 'alice@mail.alice.dyndns.org',
    d: 'alice.dyndns.org',
    dmarcAt: { '_dmarc.alice.dyndns.org': ['v=DMARC1; p=none'] },
    accepted: true,
    reason: 'Accepted',
    dmarcResult: 'pass',
  },
  { name: 'Subject not in h=', headers: ['From', 'To', 'Date'], accepted: false, reason: 'SubjectNotSigned' },
  {
    name: 'a second From above',
    after: (m) => `From: mallory@evil.test\r\n${m}`,
    accepted: false,
    reason: 'MalformedFromHeader',
    fromAddress: null,
  },
  {
    name: 'a second Subject',
    after: (m) => `Subject: other\r\n${m}`,
    accepted: false,
    reason: 'HeaderOccurrence',
  },
  {
    name: 'no Date',
    extraHeaders: '',
    after: (m) => m.replace(/^Date: .*\r\n/m, ''),
    accepted: false,
    reason: 'HeaderOccurrence',
  },
  {
    name: 'group From',
    from: 'friends: alice@example.com;',
    accepted: false,
    reason: 'MalformedFromHeader',
    fromAddress: null,
  },
  {
    name: 'two addresses in From',
    from: 'alice@example.com, bob@example.com',
    accepted: false,
    reason: 'MalformedFromHeader',
    fromAddress: null,
  },
  {
    name: 'quoted local part',
    from: '"alice smith"@example.com',
    accepted: false,
    reason: 'MalformedFromHeader',
    fromAddress: null,
  },
  {
    name: 'display name and comment',
    from: '"Smith, Alice" (work) <Alice@Example.COM>',
    accepted: true,
    reason: 'Accepted',
    fromAddress: 'alice@example.com',
  },
  {
    name: 'body tampered',
    after: (m) => m.replace('Hello', 'Jello'),
    accepted: false,
    reason: 'NoPassingSignature',
  },
  {
    name: 'no signature',
    after: (m) => m.replace(/^DKIM-Signature:.*\r\n(?:[ \t].*\r\n)*/m, ''),
    accepted: false,
    reason: 'NoSignature',
  },
];

function job(c: Case): SignJob {
  const from = c.from ?? 'Alice <alice@example.com>';
  return {
    message: `From: ${from}\r\nTo: recover@waxseal.test\r\nSubject: WX-abcdefghijklmnopqrst\r\nDate: Thu, 01 Jan 2026 00:00:00 +0000\r\n${c.extraHeaders ?? ''}\r\nHello there.\r\n`,
    domain: c.d ?? 'example.com',
    selector: 'sel',
    headers: c.headers ?? HEADERS,
    timestamp: NOW - 100,
  };
}

const signed = dkimpySign(key, cases.map(job));

describe('verifyEmail acceptance on dkimpy-signed mail', () => {
  it.each(cases.map((c, i) => [c.name, c, signed[i]!] as const))('%s', async (_name, c, text) => {
    const d = c.d ?? 'example.com';
    const table: Record<string, TxtTable[string]> = { [`sel._domainkey.${d}`]: [key.record] };
    if (c.dmarc) table['_dmarc.example.com'] = c.dmarc;
    Object.assign(table, c.dmarcAt ?? {});
    const bytes = binaryToBytes(c.after ? c.after(text) : text);
    const v = await verifyEmail(bytes, staticTxtLookup(table), NOW);
    expect([v.accepted, v.reason]).toEqual([c.accepted, c.reason]);
    if (c.dmarcResult) expect(v.dmarc.result).toBe(c.dmarcResult);
    if (c.fromAddress !== undefined) expect(v.from).toBe(c.fromAddress);
    if (c.accepted) expect(v.acceptedSignature).toBe(0);
  });

  it('a DNS failure for _dmarc falls back to the strict rule instead of failing', async () => {
    const text = signed[0]!;
    const lookup = (name: string) =>
      name.startsWith('_dmarc.')
        ? Promise.resolve({ kind: 'temperror' as const, detail: 'timeout' })
        : staticTxtLookup({ 'sel._domainkey.example.com': [key.record] })(name);
    const v = await verifyEmail(binaryToBytes(text), lookup, NOW);
    expect([v.accepted, v.dmarc.result]).toEqual([true, 'none']);
  });

  it('gives the same verdict for the parsed message as for its bytes, and shares parses and body hashes', async () => {
    const table = { 'sel._domainkey.example.com': [key.record] };
    for (const [i, text] of signed.entries()) {
      const bytes = binaryToBytes(cases[i]!.after ? cases[i]!.after!(text) : text);
      const parsed = parseMessage(bytes);
      if (!parsed.ok) continue;
      const fromBytes = await verifyEmail(bytes, staticTxtLookup(table), NOW);
      const shared = {
        bodyHashes: bodyHashes(parsed.message.body, pureCrypto),
        signatures: signatureParses(NOW),
      };
      // Twice with the same shared parses: a verification must not change what it was handed.
      await verifyEmail(parsed.message, staticTxtLookup(table), NOW, shared);
      const fromMessage = await verifyEmail(parsed.message, staticTxtLookup(table), NOW, shared);
      expect(fromMessage, cases[i]!.name).toEqual(fromBytes);
    }
  });
});

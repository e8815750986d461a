/**
 * The zone-file Resolver and the proof builder on it, without servers: every query of the generated matrix, both
 * prefetch strategies, email proofs, limits, and failures injected into the resolver.
 */
import { describe, expect, it } from 'vitest';
import { pureCrypto } from '../src/crypto/pure.ts';
import { webCrypto } from '../src/crypto/webcrypto.ts';
import { nameFromText, nameKey, nameToText } from '../src/dns/name.ts';
import { encodeChain, encodeRecord, type ResourceRecord, recordToText } from '../src/dns/record.ts';
import { TYPE, typeFromText } from '../src/dns/types.ts';
import { parseZoneFile } from '../src/dns/zone-file.ts';
import { verifyChain } from '../src/dnssec/chain.ts';
import type { ChainVerdict } from '../src/dnssec/result.ts';
import { LIMITS } from '../src/limits.ts';
import { buildProof } from '../src/proof/build.ts';
import { buildEmailProof, domainSupport } from '../src/proof/email.ts';
import type { Resolver, ResolverAnswer } from '../src/proof/resolver.ts';
import { zoneResolver } from '../src/proof/zone-resolver.ts';
import { allRecords, anchorsFor, matrix, waxsealExpectation } from './helpers/dnssec-generated.ts';

const n = (text: string) => nameFromText(text);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const ANCHORS = anchorsFor(matrix.cases[0]!);
const opts = { anchors: ANCHORS, now: matrix.verify_time, crypto: webCrypto };
const zone = zoneResolver(allRecords);

function summary(v: ChainVerdict): [string, string | null] {
  return [v.verdict, v.verdict === 'secure' ? null : v.reason];
}

async function ask(r: Resolver, name: string, type: string) {
  const a = await r.query(n(name), typeFromText(type));
  if (a.kind !== 'answer') throw new Error(a.detail);
  return { rcode: a.rcode, lines: a.records.map((rr) => recordToText(rr).split(' ').slice(0, 5).join(' ')) };
}

describe('zoneResolver', () => {
  it('answers an RRset with its RRSIGs, case-insensitively', async () => {
    const r = await ask(zone, 'SEL._domainkey.ECDSA.wxtest.', 'TXT');
    expect(r.rcode).toBe(0);
    expect(r.lines).toEqual([
      'sel._domainkey.ecdsa.wxtest. 3600 IN TXT "v=DKIM1;',
      'sel._domainkey.ecdsa.wxtest. 3600 IN RRSIG TXT',
    ]);
  });

  it('answers DS from the parent and DNSKEY from the child', async () => {
    const ds = await ask(zone, 'ecdsa.wxtest.', 'DS');
    expect(ds.lines).toEqual(['ecdsa.wxtest. 3600 IN DS 62682', 'ecdsa.wxtest. 3600 IN RRSIG DS']);
    const dnskey = await ask(zone, 'ecdsa.wxtest.', 'DNSKEY');
    expect(dnskey.lines.filter((l) => l.includes(' DNSKEY ')).length).toBeGreaterThanOrEqual(2);
    expect(dnskey.lines.some((l) => l.includes('RRSIG DNSKEY'))).toBe(true);
  });

  it('gives the CNAME (not followed) for other types, and the CNAME itself for CNAME', async () => {
    const txt = await ask(zone, 'sel._domainkey.cname-src.wxtest.', 'TXT');
    expect(txt.lines).toEqual([
      'sel._domainkey.cname-src.wxtest. 3600 IN CNAME sel._domainkey.ecdsa.wxtest.',
      'sel._domainkey.cname-src.wxtest. 3600 IN RRSIG CNAME',
    ]);
    expect((await ask(zone, 'sel._domainkey.cname-src.wxtest.', 'CNAME')).lines).toEqual(txt.lines);
  });

  it('NODATA with the SOA and the NSEC at the name; empty non-terminals exist', async () => {
    const nodata = await ask(zone, 'mail.nsec.wxtest.', 'TXT');
    expect(nodata.rcode).toBe(0);
    expect(nodata.lines).toEqual([
      'nsec.wxtest. 3600 IN SOA ns.wxtest.',
      'nsec.wxtest. 3600 IN RRSIG SOA',
      'mail.nsec.wxtest. 3600 IN NSEC *.wild.nsec.wxtest.',
      'mail.nsec.wxtest. 3600 IN RRSIG NSEC',
    ]);
    expect((await ask(zone, '_domainkey.ecdsa.wxtest.', 'TXT')).rcode).toBe(0);
  });

  it('NXDOMAIN (rcode 3) for names that do not exist, wildcards not synthesized', async () => {
    expect((await ask(zone, 'nxdomain.nsec.wxtest.', 'TXT')).rcode).toBe(3);
    expect((await ask(zone, 'foo.wild.nsec.wxtest.', 'TXT')).rcode).toBe(3);
  });

  it('a DS question at an unsigned delegation: the parent SOA and the parent NSEC', async () => {
    const r = await ask(zone, 'unsigned.wxtest.', 'DS');
    expect(r.rcode).toBe(0);
    expect(r.lines).toEqual([
      'wxtest. 3600 IN SOA ns.wxtest.',
      'wxtest. 3600 IN RRSIG SOA',
      'unsigned.wxtest. 3600 IN NSEC www.wxtest.',
      'unsigned.wxtest. 3600 IN RRSIG NSEC',
    ]);
  });

  it('NSEC3 zones: the matching NSEC3 with its RRSIG', async () => {
    const r = await ask(zone, 'mail.nsec3.wxtest.', 'TXT');
    expect(r.rcode).toBe(0);
    expect(r.lines.filter((l) => / NSEC3 /.test(l) || / RRSIG NSEC3/.test(l))).toHaveLength(2);
  });
});

describe('buildProof over the zone file: every case of the generated matrix', () => {
  const cases = matrix.cases.flatMap((c) =>
    (['ancestors', 'signers'] as const).map((mode) => [c.id, mode, c] as const),
  );
  it.each(cases)('%s (%s)', async (_id, prefetch, c) => {
    const anchors = anchorsFor(c);
    const name = n(c.name);
    const type = typeFromText(c.type);
    const p = await buildProof(zone, name, type, { ...opts, anchors, prefetch });
    if (p.kind !== 'proof') throw new Error(p.detail);
    const want = waxsealExpectation(c, 'zone');
    expect(summary(p.verdict), want.why).toEqual([want.verdict, want.reason]);
    const wires = p.records.map((rr) => hex(encodeRecord(rr)));
    expect(new Set(wires).size).toBe(wires.length);
    expect(summary(await verifyChain(p.chain, name, type, { ...opts, anchors }))).toEqual(summary(p.verdict));
    // The zone resolver never follows CNAMEs, so every name on the path is its own wave (plus one when the
    // signers strategy waits for the signer names).
    expect(p.waves).toBeLessThanOrEqual(p.path.length + (prefetch === 'signers' ? 1 : 0));
    if (c.negative || c.wildcard) expect(p.answer).not.toBe('positive');
  });

  it('both prefetch strategies give the same chain bytes (pure crypto backend too)', async () => {
    for (const c of matrix.cases.filter((x) => !x.negative)) {
      const a = await buildProof(zone, n(c.name), typeFromText(c.type), { ...opts, anchors: anchorsFor(c) });
      const s = await buildProof(zone, n(c.name), typeFromText(c.type), {
        ...opts,
        anchors: anchorsFor(c),
        crypto: pureCrypto,
        prefetch: 'signers',
      });
      if (a.kind !== 'proof' || s.kind !== 'proof') throw new Error('build failed');
      expect(hex(s.chain), c.id).toBe(hex(a.chain));
      expect(summary(s.verdict)).toEqual(summary(a.verdict));
    }
  });

  it('orders the chain from the root down and includes only the zones on the path', async () => {
    const p = await buildProof(zone, n('sel._domainkey.ecdsa.wxtest.'), TYPE.TXT, opts);
    if (p.kind !== 'proof') throw new Error(p.detail);
    const sets = [
      ...new Set(
        p.records.map((rr) => `${nameToText(rr.name)} ${rr.type === TYPE.RRSIG ? 'RRSIG' : rr.type}`),
      ),
    ];
    expect(sets).toEqual([
      `. ${TYPE.DNSKEY}`,
      '. RRSIG',
      `wxtest. ${TYPE.DS}`,
      'wxtest. RRSIG',
      `wxtest. ${TYPE.DNSKEY}`,
      `ecdsa.wxtest. ${TYPE.DS}`,
      'ecdsa.wxtest. RRSIG',
      `ecdsa.wxtest. ${TYPE.DNSKEY}`,
      `sel._domainkey.ecdsa.wxtest. ${TYPE.TXT}`,
      'sel._domainkey.ecdsa.wxtest. RRSIG',
    ]);
    expect(p.zones).toEqual(['.', 'wxtest.', 'ecdsa.wxtest.']);
    expect(p.path).toEqual(['sel._domainkey.ecdsa.wxtest.']);
  });

  it('an unsigned answer carries the parent NSEC that proves the delegation unsigned', async () => {
    const p = await buildProof(zone, n('sel._domainkey.unsigned.wxtest.'), TYPE.TXT, opts);
    if (p.kind !== 'proof') throw new Error(p.detail);
    expect(p.verdict.verdict).toBe('insecure');
    const nsec = p.records.filter((rr) => rr.type === TYPE.NSEC);
    expect(nsec.map(recordToText)).toEqual(['unsigned.wxtest. 3600 IN NSEC www.wxtest. NS RRSIG NSEC']);
    expect(p.zones).toEqual(['.', 'wxtest.']);
  });

  it('negative answers are reported as such and are not provable', async () => {
    for (const [name, answer] of [
      ['nxdomain.nsec.wxtest.', 'nxdomain'],
      ['mail.nsec.wxtest.', 'nodata'],
    ] as const) {
      const p = await buildProof(zone, n(name), TYPE.TXT, opts);
      if (p.kind !== 'proof') throw new Error(p.detail);
      expect([p.answer, ...summary(p.verdict)]).toEqual([answer, 'bogus', 'MissingRecords']);
      expect(p.records).toHaveLength(0);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Failures and limits

function failing(
  inner: Resolver,
  when: (name: string, type: number) => ResolverAnswer | 'throw' | null,
): Resolver {
  return {
    query(name, type) {
      const f = when(nameKey(name), type);
      if (f === 'throw') return Promise.reject(new Error('boom'));
      return f ? Promise.resolve(f) : inner.query(name, type);
    },
  };
}

describe('failures', () => {
  const name = n('sel._domainkey.ecdsa.wxtest.');

  it('a needed lookup that fails stops the build with its code', async () => {
    const r = failing(zone, (k, t) =>
      k === 'wxtest.' && t === TYPE.DNSKEY ? { kind: 'error', code: 'Timeout', detail: 'slow' } : null,
    );
    expect(await buildProof(r, name, TYPE.TXT, opts)).toMatchObject({
      kind: 'error',
      verdict: 'error',
      code: 'Timeout',
      detail: 'slow',
    });
  });

  it('a failing speculative lookup (not a zone) does not matter', async () => {
    const r = failing(zone, (k, t) =>
      k.includes('_domainkey') && t !== TYPE.TXT ? { kind: 'error', code: 'HttpError', detail: '500' } : null,
    );
    const p = await buildProof(r, name, TYPE.TXT, opts);
    expect(p.kind === 'proof' && p.verdict.verdict).toBe('secure');
  });

  it('SERVFAIL where data is needed → ServerFailure; a throwing resolver → NetworkError', async () => {
    const servfail = failing(zone, (k, t) =>
      k === 'ecdsa.wxtest.' && t === TYPE.DS ? { kind: 'answer', rcode: 2, records: [] } : null,
    );
    expect(await buildProof(servfail, name, TYPE.TXT, opts)).toMatchObject({
      kind: 'error',
      code: 'ServerFailure',
    });
    const answerFail = failing(zone, (_k, t) =>
      t === TYPE.TXT ? { kind: 'answer', rcode: 5, records: [] } : null,
    );
    expect(await buildProof(answerFail, name, TYPE.TXT, opts)).toMatchObject({
      kind: 'error',
      code: 'ServerFailure',
    });
    const throwing = failing(zone, () => 'throw');
    const t = await buildProof(throwing, name, TYPE.TXT, opts);
    expect(t).toMatchObject({ kind: 'error', code: 'NetworkError' });
    expect(t.kind === 'error' && t.detail).toMatch(/boom/);
  });

  it(`more than ${LIMITS.proofRecords} records → ProofTooLarge, not a truncated chain`, async () => {
    const extra = parseZoneFile(
      Array.from(
        { length: LIMITS.proofRecords },
        (_, i) => `big.unsigned.wxtest. 60 IN TXT "record ${i}"`,
      ).join('\n'),
    );
    const r = zoneResolver([...allRecords, ...extra]);
    const p = await buildProof(r, n('big.unsigned.wxtest.'), TYPE.TXT, opts);
    expect(p).toMatchObject({ kind: 'error', code: 'ProofTooLarge' });
    expect(p.kind === 'error' && p.detail).toMatch(/records exceed/);
    // One record fewer in the answer fits.
    const fits = zoneResolver([...allRecords, ...extra.slice(0, LIMITS.proofRecords - 20)]);
    const q = await buildProof(fits, n('big.unsigned.wxtest.'), TYPE.TXT, opts);
    expect(q.kind === 'proof' && q.verdict.verdict).toBe('insecure');
  });

  it(`more than ${LIMITS.proofBytes} bytes → ProofTooLarge`, async () => {
    const long = 'x'.repeat(250);
    const extra = parseZoneFile(
      Array.from({ length: 140 }, (_, i) => `big.unsigned.wxtest. 60 IN TXT "${i}${long}"`).join('\n'),
    );
    const p = await buildProof(
      zoneResolver([...allRecords, ...extra]),
      n('big.unsigned.wxtest.'),
      TYPE.TXT,
      opts,
    );
    expect(p).toMatchObject({ kind: 'error', code: 'ProofTooLarge' });
    expect(p.kind === 'error' && p.detail).toMatch(/bytes exceed/);
  });

  it('a CNAME loop and a chain past the hop limit stop the walk with the records the validator needs', async () => {
    const loop = await buildProof(zone, n('loop1.cname-src.wxtest.'), TYPE.TXT, opts);
    expect(loop.kind === 'proof' && [loop.path.length, ...summary(loop.verdict)]).toEqual([
      2,
      'bogus',
      'CnameLoop',
    ]);
    const hops = await buildProof(zone, n('hop9-1.cname-src.wxtest.'), TYPE.TXT, opts);
    expect(hops.kind === 'proof' && hops.records.filter((rr) => rr.type === TYPE.CNAME).length).toBe(
      LIMITS.cnameHops + 1,
    );
  });
});

describe('buildEmailProof and domainSupport on the zone file', () => {
  it('omits a DMARC record that does not exist', async () => {
    const records = allRecords.filter((rr) => nameKey(rr.name) !== '_dmarc.ecdsa.wxtest.');
    const p = await buildEmailProof(zoneResolver(records), n('ecdsa.wxtest.'), ['sel'], opts);
    if (p.kind !== 'proof') throw new Error(p.detail);
    expect(p.dmarc).toBe('absent');
    expect(p.names.map((x) => [x.name, x.verdict.verdict])).toEqual([
      ['sel._domainkey.ecdsa.wxtest.', 'secure'],
    ]);
  });

  it('merges without duplicates: fewer bytes than the separate proofs', async () => {
    const p = await buildEmailProof(zone, n('ed25519.wxtest.'), ['sel'], opts);
    if (p.kind !== 'proof') throw new Error(p.detail);
    expect(p.dmarc).toBe('present');
    const separate: ResourceRecord[] = [];
    for (const x of p.names) {
      const s = await buildProof(zone, n(x.name), TYPE.TXT, opts);
      if (s.kind !== 'proof') throw new Error(s.detail);
      separate.push(...s.records);
      expect(x.verdict.verdict).toBe('secure');
    }
    expect(p.chain.length).toBeLessThan(encodeChain(separate).length);
    const wires = p.records.map((rr) => hex(encodeRecord(rr)));
    expect(new Set(wires).size).toBe(wires.length);
  });

  it('rejects selectors that are not DNS labels', async () => {
    await expect(buildEmailProof(zone, n('ecdsa.wxtest.'), ['a b'], opts)).rejects.toThrow(/selector/);
  });

  it('domainSupport', async () => {
    const s = (d: string) => domainSupport(zone, n(d), opts).then((x) => [x.support, x.reason, x.zone]);
    expect(await s('ecdsa.wxtest.')).toEqual(['dnssec', null, 'ecdsa.wxtest.']);
    expect(await s('mail.ecdsa.wxtest.')).toEqual(['dnssec', null, 'ecdsa.wxtest.']);
    expect(await s('unsigned.wxtest.')).toEqual(['unsigned', null, 'unsigned.wxtest.']);
    expect(await s('dsdigest.wxtest.')).toEqual(['broken', 'DsMismatch', 'dsdigest.wxtest.']);
    expect(await s('expired.wxtest.')).toEqual(['broken', 'SignatureExpired', 'expired.wxtest.']);
    const none = zoneResolver([]);
    expect((await domainSupport(none, n('example.'), opts)).support).toBe('broken');
  });
});

/**
 * DNSSEC rules of protocol.md §7 and §9 beyond the main matrix, each with its reason code:
 * - RFC 5011 §2.1: a DNSKEY with the REVOKE bit vouches for nothing, as trust anchor or in the chain (DnskeyRevoked);
 * - RFC 4035 §5.3.1: an RRSIG whose inception is after its expiration is bogus before any clock check, skew or
 *   not (InceptionAfterExpiration);
 * - RFC 4035 §5.3.1: the signer is the zone that holds the RRset, so a parent's signature does not cover data
 *   below a zone cut the proof shows with the child's SOA, NS, DS or DNSKEY (SignerAboveZoneCut);
 * - protocol.md §9: the proof limits hold for every input, records as well as chain bytes (ProofTooLarge).
 * Zones: test-vectors/dnssec/rules, signed by BIND (scripts/gen-dnssec-rules.sh); where BIND refuses to sign (a
 * revoked ZSK, an inverted validity window) test/helpers/dnssec-signer.ts signs with BIND's keys. Compared with
 * BIND's delv on the same zones at the end; where delv differs, the case says why.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { proofLookup } from '../src/challenge/proof-lookup.ts';
import type { CryptoBackend } from '../src/crypto/backend.ts';
import { webCrypto } from '../src/crypto/webcrypto.ts';
import { nameFromText, nameKey } from '../src/dns/name.ts';
import { encodeChain, type ResourceRecord, recordToText } from '../src/dns/record.ts';
import { TYPE, typeFromText, typeToText } from '../src/dns/types.ts';
import { parseZoneFile } from '../src/dns/zone-file.ts';
import { validateRecords, verifyChain } from '../src/dnssec/chain.ts';
import { parseAnchors } from '../src/dnssec/dnskey.ts';
import { checkValidity, parseRrsig } from '../src/dnssec/rrsig.ts';
import { LIMITS } from '../src/limits.ts';
import { BACKENDS } from './helpers/backends.ts';
import { ROOT } from './helpers/cli.ts';
import { delv } from './helpers/dns-servers.ts';
import { recordsFor } from './helpers/dnssec-generated.ts';
import { loadBindKey, signRrset, type Validity } from './helpers/dnssec-signer.ts';
import { useDnsStack } from './helpers/use-dns-stack.ts';

const DIR = join(ROOT, 'test-vectors', 'dnssec', 'rules');
/** 2026-01-01, inside the BIND signatures' window 2025-01-01 … 2045-01-01. */
const NOW = 1_767_225_600;
const BIND_WINDOW: Validity = { inception: 1_735_689_600, expiration: 2_366_841_600 };
const SKEW = LIMITS.clockSkewSeconds;

const ALL_TEXT = readFileSync(join(DIR, 'all-records.zone'), 'utf8');
const RULES = parseZoneFile(ALL_TEXT);
const FORGED = parseZoneFile(readFileSync(join(DIR, 'forged.zone'), 'utf8'));
/** A BIND key of the rules zones: keys/<zone without its final dot, or root>/<role>. */
const key = (zone: string, role: string) =>
  loadBindKey(join(DIR, 'keys', zone.replace(/\.$/, '') || 'root', role));
const dkim = (zone: string) => `sel._domainkey.${zone}.`;

const named = (rr: ResourceRecord, owner: string, type: number) =>
  nameKey(rr.name) === owner && rr.type === type;
const coversTxt = (rr: ResourceRecord) => rr.type === TYPE.RRSIG && parseRrsig(rr).typeCovered === TYPE.TXT;

/** `records` with the TXT at `owner` signed only by `signer` over `when` (BIND's RRSIG removed). */
function resigned(
  records: readonly ResourceRecord[],
  owner: string,
  zone: string,
  role: string,
  when: Validity,
) {
  const txt = records.filter((rr) => named(rr, owner, TYPE.TXT));
  const rest = records.filter((rr) => !(nameKey(rr.name) === owner && coversTxt(rr)));
  return [...rest, signRrset(owner, txt, key(zone, role), when)];
}

type Outcome = readonly [string, string | null];

async function outcome(
  records: readonly ResourceRecord[],
  name: string,
  o: { anchors?: string; now?: number; crypto?: CryptoBackend; type?: string } = {},
): Promise<Outcome> {
  const v = await validateRecords(records, nameFromText(name), typeFromText(o.type ?? 'TXT'), {
    anchors: parseAnchors(readFileSync(join(DIR, o.anchors ?? 'anchors.ds'), 'utf8')),
    now: o.now ?? NOW,
    crypto: o.crypto ?? webCrypto,
  });
  return [v.verdict, v.verdict === 'secure' ? null : v.reason];
}

const SECURE: Outcome = ['secure', null];
const bogus = (reason: string): Outcome => ['bogus', reason];

describe.each(BACKENDS)('DNSSEC rules ($name backend)', (crypto) => {
  const check = (records: readonly ResourceRecord[], name: string, o: Parameters<typeof outcome>[2] = {}) =>
    outcome(records, name, { ...o, crypto });

  describe('RFC 5011 §2.1: a revoked DNSKEY vouches for nothing', () => {
    it('a DS for the revoked KSK itself does not make it an entry key', async () => {
      expect(await check(recordsFor(dkim('revoked-ksk.wxtest'), RULES), dkim('revoked-ksk.wxtest'))).toEqual(
        bogus('DnskeyRevoked'),
      );
    });

    it('a DS from before the revocation names a revoked key: DnskeyRevoked, not DsMismatch', async () => {
      expect(await check(recordsFor(dkim('rolled-ksk.wxtest'), RULES), dkim('rolled-ksk.wxtest'))).toEqual(
        bogus('DnskeyRevoked'),
      );
    });

    it('a good KSK beside a revoked one validates, and the revoked one alone does not', async () => {
      const name = dkim('two-ksk.wxtest');
      const records = recordsFor(name, RULES);
      expect(await check(records, name)).toEqual(SECURE);
      const good = key('two-ksk.wxtest.', 'ksk').tag;
      const onlyRevokedSigns = records.filter(
        (rr) =>
          !(
            rr.type === TYPE.RRSIG &&
            parseRrsig(rr).typeCovered === TYPE.DNSKEY &&
            parseRrsig(rr).keyTag === good
          ),
      );
      expect(await check(onlyRevokedSigns, name)).toEqual(bogus('DnskeyRevoked'));
    });

    it('data signed by a revoked ZSK of a trusted DNSKEY RRset', async () => {
      const name = dkim('revoked-zsk.wxtest');
      const records = resigned(
        recordsFor(name, RULES),
        name,
        'revoked-zsk.wxtest.',
        'zsk-revoked',
        BIND_WINDOW,
      );
      expect(await check(records, name)).toEqual(bogus('DnskeyRevoked'));
      // the same TXT signed by the working ZSK is secure
      const good = resigned(recordsFor(name, RULES), name, 'revoked-zsk.wxtest.', 'zsk', BIND_WINDOW);
      expect(await check(good, name)).toEqual(SECURE);
    });

    it.each([
      ['a DS anchor for the revoked root KSK', 'anchors-revoked.ds'],
      ['a DNSKEY anchor with the REVOKE bit', 'anchors-revoked.dnskey'],
      ['a DS anchor for the root KSK from before its revocation', 'anchors-unrevoked.ds'],
    ])('%s is not a trust anchor', async (_what, anchors) => {
      expect(await check(recordsFor('wxtest.', RULES), 'wxtest.', { anchors, type: 'SOA' })).toEqual(
        bogus('DnskeyRevoked'),
      );
    });
  });

  describe('RFC 4035 §5.3.1: an RRSIG with inception after expiration is never valid', () => {
    const name = dkim('inverted.wxtest');
    const signed = (when: Validity) =>
      resigned(recordsFor(name, RULES), name, 'inverted.wxtest.', 'zsk', when);

    it('the control: the re-signed TXT with an ordinary window is secure', async () => {
      expect(await check(signed({ inception: NOW - 10, expiration: NOW + 10 }), name)).toEqual(SECURE);
    });

    it(`is bogus even when now is within the ${SKEW} s skew of both ends`, async () => {
      const when = { inception: NOW + SKEW / 2, expiration: NOW - SKEW / 2 };
      expect(await check(signed(when), name)).toEqual(bogus('InceptionAfterExpiration'));
    });

    it.each([
      ['both in the past: not SignatureExpired', { inception: NOW - 100, expiration: NOW - 200 }],
      ['both in the future: not SignatureNotYetValid', { inception: NOW + 200, expiration: NOW + 100 }],
      ['one second apart around now', { inception: NOW, expiration: NOW - 1 }],
    ])('%s', async (_what, when) => {
      expect(await check(signed(when), name)).toEqual(bogus('InceptionAfterExpiration'));
    });

    it('a one-second window (inception = expiration) is not inverted', async () => {
      expect(await check(signed({ inception: NOW, expiration: NOW }), name)).toEqual(SECURE);
    });
  });

  describe('RFC 4035 §5.3.1: the signer is the zone that holds the RRset', () => {
    const name = dkim('child.cut.wxtest');
    const isChildTxt = (rr: ResourceRecord) =>
      nameKey(rr.name) === name && (rr.type === TYPE.TXT || coversTxt(rr));
    const child = 'child.cut.wxtest.';
    /** The child's TXT replaced by the one the parent cut.wxtest. signed, `drop` records of the child removed. */
    const forged = (drop: (rr: ResourceRecord) => boolean = () => false) => [
      ...recordsFor(name, RULES).filter((rr) => !isChildTxt(rr) && !drop(rr)),
      ...FORGED,
    ];
    const ownedBy =
      (owner: string, ...types: number[]) =>
      (rr: ResourceRecord) =>
        nameKey(rr.name) === owner &&
        (types.includes(rr.type) || (rr.type === TYPE.RRSIG && types.includes(parseRrsig(rr).typeCovered)));

    it("the child's own signature is secure", async () => {
      expect(await check(recordsFor(name, RULES), name)).toEqual(SECURE);
    });

    it("the parent's signature, with the child's DS and DNSKEY in the proof, is not enough", async () => {
      expect(await check(forged(), name)).toEqual(bogus('SignerAboveZoneCut'));
    });

    it.each([TYPE.DS, TYPE.DNSKEY, TYPE.SOA, TYPE.NS].map((t) => [typeToText(t), t] as const))(
      "the child's %s RRset alone shows the cut",
      async (_what, type) => {
        const others = (rr: ResourceRecord) => nameKey(rr.name) === child && !ownedBy(child, type)(rr);
        expect(await check(forged(others), name)).toEqual(bogus('SignerAboveZoneCut'));
      },
    );

    it('without any record of the child zone the proof shows no cut, and the parent signature stands', async () => {
      // The validator knows zones only from the proof: whoever builds it can leave the child out, as the parent
      // itself could answer a resolver. The rule refuses what the proof contradicts.
      expect(
        await check(
          forged((rr) => nameKey(rr.name) === child),
          name,
        ),
      ).toEqual(SECURE);
    });

    it("the DS RRset at the cut is the parent's", async () => {
      expect(await check(recordsFor(child, RULES), child, { type: 'DS' })).toEqual(SECURE);
    });
  });
});

describe('RRSIG validity arithmetic (RFC 4034 §3.1.5, RFC 1982)', () => {
  const at = (inception: number, expiration: number, now: number) =>
    checkValidity({ inception, expiration } as Parameters<typeof checkValidity>[0], now, SKEW);

  it('compares inception and expiration as serial numbers: a window across 2106 is not inverted', () => {
    expect(at(2 ** 32 - 100, 100, 2 ** 32)).toBe('ok');
    expect(at(100, 2 ** 32 - 100, 2 ** 32)).toBe('InceptionAfterExpiration');
  });
});

describe(`proof limits for every input (${LIMITS.proofRecords} records, ${LIMITS.proofBytes} bytes)`, () => {
  const name = dkim('two-ksk.wxtest');
  const base = recordsFor(name, RULES);
  /** An unrelated TXT record of exactly `size` wire bytes at filler<i>.example. (ignored by the validator). */
  const filler = (i: number, size = 0): ResourceRecord => {
    const owner = nameFromText(`filler${i}.example.`);
    const fixed = 1 + owner.reduce((n, l) => n + l.length + 1, 0) + 10;
    const text = Math.max(0, size - fixed - 1);
    return {
      name: owner,
      type: TYPE.TXT,
      class: 1,
      ttl: 60,
      rdata: new Uint8Array([text, ...Array(text).fill(0x61)]),
    };
  };
  const both = async (records: ResourceRecord[]) => {
    const fromRecords = await outcome(records, name);
    const v = await verifyChain(encodeChain(records), nameFromText(name), TYPE.TXT, {
      anchors: parseAnchors(readFileSync(join(DIR, 'anchors.ds'), 'utf8')),
      now: NOW,
      crypto: webCrypto,
    });
    expect([v.verdict, v.verdict === 'secure' ? null : v.reason], 'chain bytes and records agree').toEqual(
      fromRecords,
    );
    return fromRecords;
  };

  it(`accepts ${LIMITS.proofRecords} records and refuses one more`, async () => {
    const pad = (n: number) => [...base, ...Array.from({ length: n - base.length }, (_, i) => filler(i))];
    expect(await both(pad(LIMITS.proofRecords))).toEqual(SECURE);
    expect(await both(pad(LIMITS.proofRecords + 1))).toEqual(bogus('ProofTooLarge'));
  });

  it(`accepts ${LIMITS.proofBytes} bytes and refuses one more`, async () => {
    /** Fillers of `bytes` wire bytes in all, none shorter than its fixed part. */
    const pad = (bytes: number) => {
      const out = [...base];
      for (let i = 0; bytes > 0; i++) {
        const size = bytes >= 500 ? 250 : bytes > 250 ? Math.ceil(bytes / 2) : bytes;
        out.push(filler(i, size));
        bytes -= size;
      }
      return out;
    };
    const room = LIMITS.proofBytes - encodeChain(base).length;
    expect(encodeChain(pad(room)).length).toBe(LIMITS.proofBytes);
    expect(await both(pad(room))).toEqual(SECURE);
    expect(encodeChain(pad(room + 1)).length).toBe(LIMITS.proofBytes + 1);
    expect(await both(pad(room + 1))).toEqual(bogus('ProofTooLarge'));
  });

  it('proofLookup, the canister reader, parses within the same limits and refuses past them as Malformed', () => {
    const pad = (n: number) => [...base, ...Array.from({ length: n - base.length }, (_, i) => filler(i))];
    const options = { anchors: [], now: NOW, crypto: webCrypto };
    expect(proofLookup(encodeChain(pad(LIMITS.proofRecords)), options).ok).toBe(true);
    expect(proofLookup(encodeChain(pad(LIMITS.proofRecords + 1)), options)).toMatchObject({
      ok: false,
      reason: 'Malformed',
      detail: expect.stringContaining(`exceed the proof limit of ${LIMITS.proofRecords}`),
    });
    expect(proofLookup(new Uint8Array(LIMITS.proofBytes + 1), options)).toMatchObject({
      ok: false,
      reason: 'Malformed',
      detail: expect.stringContaining(`exceed the proof limit of ${LIMITS.proofBytes}`),
    });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// delv

/** The rules zones as named serves them, with the two TXT records the test signs itself re-signed at `now`. */
function servedZones(now: number): { dir: string; records: ResourceRecord[] } {
  const dir = mkdtempSync(join(tmpdir(), 'waxseal-dnssec-rules-'));
  const sections = ALL_TEXT.split(/^; zone (\S+)\n/m).slice(1);
  const zones: { zone: string; file: string; signed: boolean }[] = [];
  const records: ResourceRecord[] = [];
  for (let i = 0; i < sections.length; i += 2) {
    const zone = sections[i]!;
    let rrs = parseZoneFile(sections[i + 1]!);
    if (zone === 'revoked-zsk.wxtest.')
      rrs = resigned(rrs, dkim('revoked-zsk.wxtest'), zone, 'zsk-revoked', BIND_WINDOW);
    if (zone === 'inverted.wxtest.')
      rrs = resigned(rrs, dkim('inverted.wxtest'), zone, 'zsk', {
        inception: now + SKEW / 2,
        expiration: now - SKEW / 2,
      });
    const file = join(dir, `${zone}zone`);
    writeFileSync(file, `${rrs.map(recordToText).join('\n')}\n`);
    zones.push({ zone, file, signed: true });
    records.push(...rrs);
  }
  writeFileSync(join(dir, 'zones.json'), JSON.stringify({ zones }));
  return { dir, records };
}

interface DelvCase {
  readonly name: string;
  readonly type?: string;
  readonly anchors?: string;
  readonly waxseal: Outcome;
  readonly delv: 'secure' | 'failed';
  /** Why delv differs, when it does. */
  readonly why?: string;
}

/** delv refuses data signed by a revoked key (revoked-zsk) but not a revoked key that a DS or anchor names. */
const BIND_USES_REVOKED =
  'BIND 9.18 still trusts a revoked key that a DS or a static trust anchor matches (it applies RFC 5011 to managed keys only)';

const DELV_CASES: readonly DelvCase[] = [
  { name: dkim('two-ksk.wxtest'), waxseal: SECURE, delv: 'secure' },
  { name: dkim('child.cut.wxtest'), waxseal: SECURE, delv: 'secure' },
  { name: dkim('rolled-ksk.wxtest'), waxseal: bogus('DnskeyRevoked'), delv: 'failed' },
  {
    name: 'wxtest.',
    type: 'SOA',
    anchors: 'anchors-unrevoked.ds',
    waxseal: bogus('DnskeyRevoked'),
    delv: 'failed',
  },
  { name: dkim('inverted.wxtest'), waxseal: bogus('InceptionAfterExpiration'), delv: 'failed' },
  {
    name: dkim('revoked-ksk.wxtest'),
    waxseal: bogus('DnskeyRevoked'),
    delv: 'secure',
    why: BIND_USES_REVOKED,
  },
  { name: dkim('revoked-zsk.wxtest'), waxseal: bogus('DnskeyRevoked'), delv: 'failed' },
  {
    name: 'wxtest.',
    type: 'SOA',
    anchors: 'anchors-revoked.ds',
    waxseal: bogus('DnskeyRevoked'),
    delv: 'secure',
    why: BIND_USES_REVOKED,
  },
  {
    name: 'wxtest.',
    type: 'SOA',
    anchors: 'anchors-revoked.dnskey',
    waxseal: bogus('DnskeyRevoked'),
    delv: 'secure',
    why: BIND_USES_REVOKED,
  },
];

describe('differential: Waxseal vs delv (BIND 9.18) on the rules zones, both at the wall clock', () => {
  // delv cannot be given a time, so the inverted RRSIG is made around the moment named starts serving it.
  const now = Math.floor(Date.now() / 1000);
  let served: ReturnType<typeof servedZones> | undefined;
  const stack = useDnsStack(() => {
    served = servedZones(now);
    return { zonesDir: served.dir };
  });
  afterAll(() => rmSync(served?.dir ?? '', { recursive: true, force: true }));

  it.each(DELV_CASES.map((c) => [`${c.name} ${c.type ?? 'TXT'} (${c.anchors ?? 'anchors.ds'})`, c] as const))(
    '%s',
    async (_id, c) => {
      const anchors = c.anchors ?? 'anchors.ds';
      const theirs = await delv(stack(), c.name, c.type ?? 'TXT', join(DIR, anchors));
      expect(theirs.verdict, `delv ${c.why ?? ''}\n${theirs.output}`).toBe(c.delv);
      const ours = await outcome(recordsFor(c.name, served!.records), c.name, { anchors, now, type: c.type });
      expect(ours).toEqual(c.waxseal);
    },
  );
});

/**
 * Property tests for DMARC record parsing (RFC 7489 §6.3, §6.4).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AlignmentMode, type Policy, parseDmarcRecord } from '../../src/dmarc/record.ts';
import { binaryTextOf, mixCase } from '../helpers/arbitraries.ts';

const binaryText = binaryTextOf(
  [';', '=', ' ', 'v=DMARC1', 'p=', 'reject', 'none', 'rua=', 'mailto:a@b', '!', ',', 'pct='],
  150,
);

const sp = fc.constantFrom('', ' ', '\t', '  ', ' \t');

const policy = fc.constantFrom<Policy>('none', 'quarantine', 'reject');
const mode = fc.constantFrom<AlignmentMode>('r', 's');
const mailbox = fc
  .tuple(fc.stringMatching(/^[a-z0-9]{1,8}$/), fc.stringMatching(/^[a-z0-9]{1,8}\.[a-z]{2,4}$/))
  .map(([l, d]) => `mailto:${l}@${d}`);
const uri = fc
  .tuple(
    mailbox,
    fc.option(
      fc.tuple(fc.integer({ min: 0, max: 99999 }), fc.constantFrom('', 'k', 'm', 'g', 't', 'M', 'K')),
      { nil: null },
    ),
  )
  .map(([u, size]) => ({
    text: size === null ? u : `${u}!${size[0]}${size[1]}`,
    parsed: size === null ? u : `${u}!${size[0]}${size[1].toLowerCase()}`,
  }));
const uriList = fc.array(uri, { minLength: 1, maxLength: 3 });
/** Tag names RFC 7489 does not define (cannot collide with known ones: they start with "x"). */
const unknownTag = fc.tuple(
  fc.stringMatching(/^x[a-z0-9]{0,5}$/),
  fc.stringMatching(/^[\x21-\x3a\x3c-\x7e]{0,10}$/),
);

interface GenRecord {
  p: Policy;
  sp: Policy | null;
  adkim: AlignmentMode | null;
  aspf: AlignmentMode | null;
  pct: number | null;
  fo: string | null;
  rf: string | null;
  ri: number | null;
  rua: Array<{ text: string; parsed: string }> | null;
  ruf: Array<{ text: string; parsed: string }> | null;
}

const genRecord: fc.Arbitrary<GenRecord> = fc.record({
  p: policy,
  sp: fc.option(policy, { nil: null }),
  adkim: fc.option(mode, { nil: null }),
  aspf: fc.option(mode, { nil: null }),
  pct: fc.option(fc.integer({ min: 0, max: 100 }), { nil: null }),
  fo: fc.option(fc.constantFrom('0', '1', 'd', 's', '0:1:d:s', '1:d'), { nil: null }),
  rf: fc.option(fc.constantFrom('afrf', 'iodef', 'afrf:iodef'), { nil: null }),
  ri: fc.option(fc.integer({ min: 0, max: 0xffffffff }), { nil: null }),
  rua: fc.option(uriList, { nil: null }),
  ruf: fc.option(uriList, { nil: null }),
});

function tagsOf(r: GenRecord, seed: number): Array<[string, string]> {
  const t: Array<[string, string]> = [['p', mixCase(r.p, seed, 20)]];
  if (r.sp !== null) t.push(['sp', mixCase(r.sp, seed >> 1, 20)]);
  if (r.adkim !== null) t.push(['adkim', mixCase(r.adkim, seed >> 2, 20)]);
  if (r.aspf !== null) t.push(['aspf', mixCase(r.aspf, seed >> 3, 20)]);
  if (r.pct !== null) t.push(['pct', String(r.pct)]);
  if (r.fo !== null) t.push(['fo', r.fo]);
  if (r.rf !== null) t.push(['rf', r.rf]);
  if (r.ri !== null) t.push(['ri', String(r.ri)]);
  if (r.rua !== null) t.push(['rua', r.rua.map((u) => u.text).join(',')]);
  if (r.ruf !== null) t.push(['ruf', r.ruf.map((u) => u.text).join(',')]);
  return t;
}

describe('parseDmarcRecord properties', () => {
  it('never throws on arbitrary strings; ok or DmarcRecordInvalid', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          binaryText,
          binaryText.map((s) => `v=DMARC1;${s}`),
        ),
        (txt) => {
          const r = parseDmarcRecord(txt);
          if (!r.ok) {
            expect(r.code).toBe('DmarcRecordInvalid');
            expect(typeof r.detail).toBe('string');
          } else {
            expect(['none', 'quarantine', 'reject']).toContain(r.record.p);
            expect(['none', 'quarantine', 'reject']).toContain(r.record.sp);
            expect(r.record.pct).toBeGreaterThanOrEqual(0);
            expect(r.record.pct).toBeLessThanOrEqual(100);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('parses generated records (any tag order after v=DMARC1, random spacing and case) with defaults', () => {
    fc.assert(
      fc.property(
        genRecord,
        fc.array(unknownTag, { maxLength: 3 }),
        fc.nat(),
        fc.array(fc.nat(), { minLength: 16, maxLength: 16 }),
        fc.array(fc.tuple(sp, sp, sp, sp), { minLength: 16, maxLength: 16 }),
        fc.boolean(),
        (rec, unknown, seed, keys, gaps, trailing) => {
          const tags = [...tagsOf(rec, seed), ...unknown];
          // Random order: sort by random keys.
          const order = tags.map((t, i) => ({ t, k: keys[i]! })).sort((a, b) => a.k - b.k);
          const specs = [['v', 'DMARC1'] as [string, string], ...order.map((o) => o.t)].map(([n, v], i) => {
            const [a, b, c, d] = gaps[i % gaps.length]!;
            return `${a}${n}${b}=${c}${v}${d}`;
          });
          // v= must open the record; only whitespace after it is shuffled.
          specs[0] = specs[0]!.trimStart();
          const txt = specs.join(';') + (trailing ? ';' : '');
          const r = parseDmarcRecord(txt);
          expect(r.ok, txt).toBe(true);
          if (!r.ok) return;
          expect(r.record).toMatchObject({
            v: 'DMARC1',
            p: rec.p,
            sp: rec.sp ?? rec.p,
            adkim: rec.adkim ?? 'r',
            aspf: rec.aspf ?? 'r',
            pct: rec.pct ?? 100,
            fo: rec.fo ?? '0',
            rf: rec.rf ?? 'afrf',
            ri: rec.ri ?? 86400,
          });
          expect(r.record.rua).toEqual(rec.rua?.map((u) => u.parsed));
          expect(r.record.ruf).toEqual(rec.ruf?.map((u) => u.parsed));
          expect([...r.record.unknownTags].sort()).toEqual(unknown.map(([n]) => n).sort());
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('ignores unknown tags: adding them never changes the parsed policy', () => {
    fc.assert(
      fc.property(
        genRecord,
        fc.array(unknownTag, { minLength: 1, maxLength: 4 }),
        fc.nat(),
        (rec, unknown, seed) => {
          const base = ['v=DMARC1', ...tagsOf(rec, seed).map(([n, v]) => `${n}=${v}`)];
          const withUnknown = [...base, ...unknown.map(([n, v]) => `${n}=${v}`)];
          const a = parseDmarcRecord(base.join('; '));
          const b = parseDmarcRecord(withUnknown.join('; '));
          expect(a.ok && b.ok).toBe(true);
          if (a.ok && b.ok)
            expect({ ...b.record, unknownTags: [] }).toEqual({ ...a.record, unknownTags: [] });
        },
      ),
      { numRuns: 500 },
    );
  });

  it('rejects records whose first tag is not exactly v=DMARC1', () => {
    fc.assert(
      fc.property(
        genRecord,
        fc.nat(),
        fc.constantFrom('v=dmarc1', 'v=DMARC2', 'v=DMARC1x', 'x=1; v=DMARC1', 'p=none; v=DMARC1', 'DMARC1'),
        (rec, seed, first) => {
          const txt = [first, ...tagsOf(rec, seed).map(([n, v]) => `${n}=${v}`)].join('; ');
          const r = parseDmarcRecord(txt);
          expect(r.ok, txt).toBe(false);
          if (!r.ok) expect(r.code).toBe('DmarcRecordInvalid');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('rejects a record where an empty tag comes before v=DMARC1', () => {
    // RFC 7489 §6.4: dmarc-record = dmarc-version dmarc-sep …, so nothing (not even ";") may precede v=DMARC1.
    fc.assert(
      fc.property(genRecord, fc.nat(), fc.constantFrom(';', ' ;', ';;', '; ;'), (rec, seed, lead) => {
        const txt = `${lead} v=DMARC1; ${tagsOf(rec, seed)
          .map(([n, v]) => `${n}=${v}`)
          .join('; ')}`;
        const r = parseDmarcRecord(txt);
        expect(r.ok, JSON.stringify(txt)).toBe(false);
      }),
      { numRuns: 100 },
    );
  });

  it('rejects a missing or invalid p= unless rua= has a valid URI (then p=none)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(null, 'bogus', '', 'rejectx'),
        fc.option(uriList, { nil: null }),
        (p, rua) => {
          const tags = [
            'v=DMARC1',
            ...(p === null ? [] : [`p=${p}`]),
            ...(rua ? [`rua=${rua.map((u) => u.text).join(',')}`] : []),
          ];
          const r = parseDmarcRecord(tags.join('; '));
          if (rua) {
            expect(r.ok).toBe(true);
            if (r.ok) expect([r.record.p, r.record.sp]).toEqual(['none', 'none']);
          } else {
            expect(r.ok).toBe(false);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

/**
 * Property tests for resource records on the wire (src/dns/record.ts, src/dns/rdata.ts): RFC 9102 chains
 * (uncompressed, back to back), whole DNS messages with RFC 1035 §4.1.4 compression, presentation RDATA, and the
 * RFC 4034 §6.2 canonical form (names lowercased in the listed types only; not in NSEC, RFC 6840 §5.1).
 *
 * The RDATA of generated records is built here, field by field, independently of src/dns/rdata.ts.
 */
import { base32hexnopad } from '@scure/base';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DnsFormatError } from '../../src/dns/errors.ts';
import { canonicalName, type Name, nameFromText, nameKey, nameToText, ROOT } from '../../src/dns/name.ts';
import { canonicalRdata } from '../../src/dns/rdata.ts';
import { rdataFromText, rdataToText, type Token } from '../../src/dns/rdata-text.ts';
import {
  encodeChain,
  encodeRecord,
  parseChain,
  parseMessage,
  type ResourceRecord,
  readRecord,
} from '../../src/dns/record.ts';
import {
  ascii,
  bytes,
  concat,
  fitTo255,
  labelOf,
  typeBitmap,
  u8,
  u16,
  u32,
  wireName,
} from '../helpers/dns-arbitraries.ts';
import { expectMalformed, returnsOrRejects } from '../helpers/dns-errors.ts';

// ---------- helpers ----------

/** Record-level view of the generated RDATA: plain bytes, and names with their RFC 4034 §6.2 status. */
type Part =
  | { readonly bytes: Uint8Array }
  | { readonly name: Name; readonly lower: boolean; readonly compressible: boolean };

interface GenRecord {
  readonly name: Name;
  readonly type: number;
  readonly class: number;
  readonly ttl: number;
  readonly parts: readonly Part[];
}

function rdataOf(parts: readonly Part[], canonical = false): Uint8Array {
  return concat(parts.map((p) => ('bytes' in p ? p.bytes : wireName(p.name, canonical && p.lower))));
}

function toRecord(g: GenRecord): ResourceRecord {
  return { name: g.name, type: g.type, class: g.class, ttl: g.ttl, rdata: rdataOf(g.parts) };
}

function plainRecord(r: ResourceRecord) {
  return {
    name: r.name.map((l) => Array.from(l)),
    type: r.type,
    class: r.class,
    ttl: r.ttl,
    rdata: Array.from(r.rdata),
  };
}

/** Splits presentation RDATA into tokens the way a zone file would (quoted strings lose their quotes). */
function tokens(text: string): Token[] {
  const out: Token[] = [];
  for (const m of text.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/gs)) {
    out.push(m[1] !== undefined ? { text: m[1], quoted: true } : { text: m[2]!, quoted: false });
  }
  return out;
}

// ---------- arbitraries ----------

const labelByte = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0x41, max: 0x5a }) },
  { weight: 4, arbitrary: fc.integer({ min: 0x61, max: 0x7a }) },
  { weight: 1, arbitrary: fc.constantFrom(...Array.from('.\\"();@$ *-', (c) => c.charCodeAt(0)), 0, 0xc0) },
  { weight: 1, arbitrary: fc.nat(255) },
);
const label = labelOf(labelByte, 1, 20);
const longLabel = labelOf(labelByte, 50, 63);

/** A few shared suffixes make compression (and case-only differences) likely. */
const suffixes: Name[] = [
  ROOT,
  [ascii('com')],
  [ascii('Example'), ascii('COM')],
  [ascii('example'), ascii('com')],
];
const nameArb: fc.Arbitrary<Name> = fc
  .oneof(
    { weight: 4, arbitrary: fc.tuple(fc.array(label, { maxLength: 3 }), fc.constantFrom(...suffixes)) },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.array(longLabel, { minLength: 3, maxLength: 5 }), fc.constant(ROOT)),
    },
  )
  .map(([prefix, suffix]) => fitTo255([...prefix, ...suffix]));

const b8 = fc.nat(0xff).map((v) => ({ bytes: Uint8Array.from(u8(v)) }));
const b16 = fc.nat(0xffff).map((v) => ({ bytes: Uint8Array.from(u16(v)) }));
const b32 = fc
  .oneof(fc.integer({ min: 0, max: 0xffffffff }), fc.constantFrom(0, 0xffffffff, 0x80000000))
  .map((v) => ({ bytes: Uint8Array.from(u32(v)) }));
const raw = (max: number, min = 0) => bytes(max, min).map((b) => ({ bytes: b }));
/** A one-octet length followed by that many bytes (NSEC3 salt and hash). */
const lenPrefixed = (max: number, min = 0) =>
  bytes(max, min).map((b) => ({ bytes: concat([[b.length], b]) }));
const nameField = (lower: boolean, compressible: boolean) =>
  nameArb.map((name): Part => ({ name, lower, compressible }));
const typesField = fc
  .uniqueArray(fc.oneof(fc.integer({ min: 0, max: 300 }), fc.nat(0xffff)), { maxLength: 12 })
  .map((t) => ({ bytes: typeBitmap(t) }));

/** RDATA layouts, written out here from the RFCs rather than taken from src/dns/rdata.ts. */
const RDATA: Record<string, [number, fc.Arbitrary<Part[]>]> = {
  A: [1, fc.tuple(raw(4, 4))],
  NS: [2, fc.tuple(nameField(true, true))],
  CNAME: [5, fc.tuple(nameField(true, true))],
  SOA: [6, fc.tuple(nameField(true, true), nameField(true, true), b32, b32, b32, b32, b32)],
  MX: [15, fc.tuple(b16, nameField(true, true))],
  TXT: [
    16,
    fc
      .array(fc.oneof(bytes(255), fc.constant(new Uint8Array(255)), bytes(0)), { minLength: 1, maxLength: 3 })
      .map((strings) => strings.map((s) => ({ bytes: concat([[s.length], s]) }))),
  ],
  AAAA: [28, fc.tuple(raw(16, 16))],
  SRV: [33, fc.tuple(b16, b16, b16, nameField(true, false))],
  DS: [43, fc.tuple(b16, b8, b8, raw(64))],
  RRSIG: [46, fc.tuple(b16, b8, b8, b32, b32, b32, b16, nameField(true, false), raw(100))],
  NSEC: [47, fc.tuple(nameField(false, false), typesField)],
  DNSKEY: [48, fc.tuple(b16, b8, b8, raw(100))],
  NSEC3: [50, fc.tuple(b8, b8, b16, lenPrefixed(255), lenPrefixed(64, 1), typesField)],
  NSEC3PARAM: [51, fc.tuple(b8, b8, b16, lenPrefixed(255))],
  TLSA: [52, fc.tuple(b8, b8, b8, raw(64))],
  TYPE65000: [65000, fc.tuple(raw(40))],
};
const TYPE_NAMES = Object.keys(RDATA);

const rdataArb = (typeName: string) => {
  const [type, parts] = RDATA[typeName]!;
  return parts.map((p) => ({ type, parts: p as Part[] }));
};
const anyRdata = fc.constantFrom(...TYPE_NAMES).chain(rdataArb);

const ttlArb = fc.oneof(fc.integer({ min: 0, max: 0xffffffff }), fc.constantFrom(0, 3600, 0xffffffff));
const recordArb = (cls: fc.Arbitrary<number> = fc.oneof(fc.constant(1), fc.nat(0xffff))) =>
  fc.record({ name: nameArb, rdata: anyRdata, class: cls, ttl: ttlArb }).map(
    (r): GenRecord => ({
      name: r.name,
      type: r.rdata.type,
      class: r.class,
      ttl: r.ttl,
      parts: r.rdata.parts,
    }),
  );
const chainArb = fc.array(recordArb(), { minLength: 1, maxLength: 4 });

// ---------- DNS messages, compressed or not ----------

function nameKeyExact(labels: Name): string {
  return labels.map((l) => Array.from(l).join(',')).join('|');
}

class MessageWriter {
  readonly out: number[] = [];
  private readonly table = new Map<string, number>();
  constructor(private readonly compress: boolean) {}

  name(name: Name, compressible = true): void {
    for (let k = 0; k < name.length; k++) {
      const key = nameKeyExact(name.slice(k));
      const at = this.table.get(key);
      if (this.compress && compressible && at !== undefined) {
        this.out.push(0xc0 | (at >> 8), at & 0xff);
        return;
      }
      if (this.out.length < 0x4000 && at === undefined) this.table.set(key, this.out.length);
      this.out.push(name[k]!.length, ...name[k]!);
    }
    this.out.push(0);
  }

  record(g: GenRecord): void {
    this.name(g.name);
    this.out.push(...u16(g.type), ...u16(g.class), ...u32(g.ttl), 0, 0);
    const lenAt = this.out.length - 2;
    for (const p of g.parts) {
      if ('bytes' in p) this.out.push(...p.bytes);
      else this.name(p.name, p.compressible);
    }
    const len = this.out.length - lenAt - 2;
    this.out[lenAt] = len >> 8;
    this.out[lenAt + 1] = len & 0xff;
  }
}

function buildMessage(
  question: Name,
  sections: readonly [GenRecord[], GenRecord[], GenRecord[]],
  compress: boolean,
): Uint8Array {
  const w = new MessageWriter(compress);
  w.out.push(0x12, 0x34, 0x81, 0x80, 0, 1, ...sections.flatMap((s) => u16(s.length)));
  w.name(question);
  w.out.push(0, 1, 0, 1);
  for (const s of sections) for (const r of s) w.record(r);
  return Uint8Array.from(w.out);
}

// ---------- properties ----------

describe('parsers on arbitrary bytes', () => {
  const junk = fc.oneof(
    bytes(80),
    fc
      .array(fc.oneof(fc.constantFrom(0, 1, 2, 4, 0x3f, 0xc0, 0xc0, 0xff), fc.nat(255)), { maxLength: 80 })
      .map((a) => Uint8Array.from(a)),
  );

  it('parseChain / readRecord / parseMessage return or throw DnsFormatError only', () => {
    fc.assert(
      fc.property(junk, fc.nat(90), fc.boolean(), fc.nat(5), (data, off, compressed, max) => {
        const chain = returnsOrRejects(() => parseChain(data, max));
        if (!(chain instanceof DnsFormatError)) {
          expect(chain.length).toBeLessThanOrEqual(max);
          expect(Array.from(encodeChain(chain))).toEqual(Array.from(data));
        }
        returnsOrRejects(() => readRecord(data, Math.min(off, data.length + 2), compressed));
        // A plausible header in front of the junk gets the section loops going.
        const counts = [off % 3, max % 3, compressed ? 1 : 0, off % 2];
        const message = concat([[0, 0, 0x81, 0x80], counts.flatMap(u16), data]);
        returnsOrRejects(() => parseMessage(data));
        returnsOrRejects(() => parseMessage(message));
      }),
      { numRuns: 1000 },
    );
  });

  it('mutated valid chains and messages are parsed or rejected with DnsFormatError only', () => {
    const mutations = fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(chainArb, mutations, fc.nat(), (gens, muts, cut) => {
        const records = gens.map(toRecord);
        const mutate = (b: Uint8Array) => {
          const copy = b.slice();
          for (const [at, v] of muts) copy[at % copy.length] = v;
          return copy.subarray(0, copy.length - (cut % 3 === 0 ? cut % 7 : 0));
        };
        const chain = mutate(encodeChain(records));
        const parsed = returnsOrRejects(() => parseChain(chain, 10));
        // Whatever a chain parse accepts is kept losslessly.
        if (!(parsed instanceof DnsFormatError))
          expect(Array.from(encodeChain(parsed))).toEqual(Array.from(chain));
        const message = mutate(buildMessage(gens[0]!.name, [gens, [], []], true));
        returnsOrRejects(() => parseMessage(message));
      }),
      { numRuns: 500 },
    );
  });
});

describe('generated records', () => {
  it('encodeChain → parseChain round-trips exactly', () => {
    fc.assert(
      fc.property(chainArb, (gens) => {
        const records = gens.map(toRecord);
        const wire = encodeChain(records);
        // The encoder agrees with an independent serialisation.
        const expected = concat(
          records.map((r) =>
            concat([wireName(r.name), u16(r.type), u16(r.class), u32(r.ttl), u16(r.rdata.length), r.rdata]),
          ),
        );
        expect(Array.from(wire)).toEqual(Array.from(expected));
        const parsed = parseChain(wire, records.length);
        expect(parsed.map(plainRecord)).toEqual(records.map(plainRecord));
        expect(Array.from(encodeChain(parsed))).toEqual(Array.from(wire));
        if (records.length > 1) expectMalformed(() => parseChain(wire, records.length - 1));
      }),
      { numRuns: 500 },
    );
  });

  for (const typeName of TYPE_NAMES) {
    it(`${typeName}: rdataToText → rdataFromText gives the same RDATA`, () => {
      fc.assert(
        fc.property(rdataArb(typeName), ({ type, parts }) => {
          const rdata = rdataOf(parts);
          const text = rdataToText(type, rdata);
          expect(Array.from(rdataFromText(type, tokens(text), ROOT))).toEqual(Array.from(rdata));
          // Relative names would pick up the origin; presentation output is absolute, so the origin is inert.
          const origin = nameFromText('origin.example.');
          expect(Array.from(rdataFromText(type, tokens(text), origin))).toEqual(Array.from(rdata));
        }),
        { numRuns: 150 },
      );
    });

    it(`${typeName}: canonicalRdata lowercases exactly the RFC 4034 §6.2 names, idempotently`, () => {
      fc.assert(
        fc.property(rdataArb(typeName), ({ type, parts }) => {
          const rdata = rdataOf(parts);
          const canonical = canonicalRdata(type, rdata);
          expect(Array.from(canonical)).toEqual(Array.from(rdataOf(parts, true)));
          expect(Array.from(canonicalRdata(type, canonical))).toEqual(Array.from(canonical));
        }),
        { numRuns: 150 },
      );
    });
  }

  it('canonical form: SRV and RRSIG signer lowercased, NSEC next name and TXT/DNSKEY bytes untouched', () => {
    const t = (type: number, text: string) => canonicalRdata(type, rdataFromText(type, tokens(text), ROOT));
    expect(Array.from(t(33, '1 2 3 SRV.Example.'))).toEqual([
      0,
      1,
      0,
      2,
      0,
      3,
      3,
      ...ascii('srv'),
      7,
      ...ascii('example'),
      0,
    ]);
    expect(Array.from(t(47, 'Next.EXAMPLE. A'))).toEqual([
      4,
      ...ascii('Next'),
      7,
      ...ascii('EXAMPLE'),
      0,
      0,
      1,
      0x40,
    ]);
    expect(Array.from(t(16, '"ABC"'))).toEqual([3, ...ascii('ABC')]);
    expect(Array.from(t(48, '257 3 8 QUJD'))).toEqual([1, 1, 3, 8, ...ascii('ABC')]);
    const rrsig = t(46, 'A 8 2 300 20300101000000 20200101000000 1 Signer.Example. QUJD');
    expect(Array.from(rrsig.subarray(18, 34))).toEqual([6, ...ascii('signer'), 7, ...ascii('example'), 0]);
  });
});

describe('presentation RDATA that cannot be encoded', () => {
  const nsec3 = (hash: Token) => [
    ...['1', '0', '0', '-'].map((text) => ({ text, quoted: false })),
    hash,
    { text: 'A', quoted: false },
  ];
  // base32hex of 256 bytes of 0x07; the hash length octet cannot hold 256.
  const longHash = base32hexnopad.encode(new Uint8Array(256).fill(7));

  it('an NSEC3 next hashed owner longer than 255 bytes is a DnsFormatError', () => {
    // Actual (bug): rdataFromText returns 265 bytes whose hash length octet is 0 (256 mod 256).
    expectMalformed(() => rdataFromText(50, nsec3({ text: longHash, quoted: false }), ROOT));
  });

  it('an empty NSEC3 next hashed owner is a DnsFormatError, as it is on the wire', () => {
    // Actual (bug): `""` yields RDATA 01 00 0000 00 00 0001 40, which decodeRdata/rdataToText then reject.
    expectMalformed(() => rdataFromText(50, nsec3({ text: '', quoted: true }), ROOT));
  });
});

describe('compression', () => {
  it('is rejected inside a chain, in an owner name or in RDATA', () => {
    const first = encodeRecord({
      name: nameFromText('example.com.'),
      type: 1,
      class: 1,
      ttl: 60,
      rdata: Uint8Array.of(192, 0, 2, 1),
    });
    // Second owner is a pointer to the first owner.
    const ownerPtr = concat([first, [0xc0, 0x00], u16(1), u16(1), u32(60), u16(4), [192, 0, 2, 2]]);
    expectMalformed(() => parseChain(ownerPtr, 5));
    expectMalformed(() => readRecord(ownerPtr, first.length, false));
    expect(readRecord(ownerPtr, first.length, true).record.name.length).toBe(2);
    // CNAME target "www" + pointer to the first owner.
    const rdataPtr = concat([
      first,
      first.subarray(0, 13),
      u16(5),
      u16(1),
      u32(60),
      u16(6),
      [3, ...ascii('www'), 0xc0, 0],
    ]);
    expectMalformed(() => parseChain(rdataPtr, 5));
    // Pointers in the middle of a record, on generated chains: every owner after the first replaced by a pointer.
    fc.assert(
      fc.property(fc.array(recordArb(), { minLength: 2, maxLength: 3 }), (gens) => {
        const records = gens.map(toRecord);
        const parts = records.map((r, i) => {
          const e = encodeRecord(r);
          return i === 0 ? e : concat([[0xc0, 0], e.subarray(r.name.reduce((n, l) => n + l.length + 1, 1))]);
        });
        expectMalformed(() => parseChain(concat(parts), 10));
      }),
      { numRuns: 100 },
    );
  });

  it('a hand-built compressed message parses to the same records as its uncompressed form', () => {
    const www = nameFromText('www.Example.com.');
    const mail = nameFromText('mail.Example.com.');
    const soa = concat([
      [3, ...ascii('ns1'), 0xc0, 16, 10, ...ascii('hostmaster'), 0xc0, 16],
      [1, 2, 3, 4, 5].flatMap(u32),
    ]);
    // Offsets: header 0–11, question name at 12 ("\3www\7Example\3com\0", Example.com at 16).
    const compressed = concat([
      [0xab, 0xcd, 0x81, 0x80, 0, 1, 0, 2, 0, 1, 0, 2],
      [3, ...ascii('www'), 7, ...ascii('Example'), 3, ...ascii('com'), 0],
      [0, 1, 0, 1],
      // www CNAME mail.Example.com. — owner → 12, target "mail" + → 16; the target sits at 45.
      [0xc0, 12, ...u16(5), ...u16(1), ...u32(300), ...u16(7), 4, ...ascii('mail'), 0xc0, 16],
      // mail MX 10 mx.Example.com. — owner → 45, exchange "mx" + → 16.
      [0xc0, 45, ...u16(15), ...u16(1), ...u32(300), ...u16(7), ...u16(10), 2, ...ascii('mx'), 0xc0, 16],
      // Example.com SOA with both names compressed.
      [0xc0, 16, ...u16(6), ...u16(1), ...u32(60), ...u16(soa.length)],
      soa,
      // OPT (dropped) and an A record for mail.
      [0, ...u16(41), ...u16(1232), ...u32(0), ...u16(0)],
      [0xc0, 45, ...u16(1), ...u16(1), ...u32(300), ...u16(4), 192, 0, 2, 25],
    ]);
    const n = (t: string) => nameFromText(t);
    const expected = {
      answers: [
        { name: www, type: 5, class: 1, ttl: 300, rdata: wireName(mail) },
        {
          name: mail,
          type: 15,
          class: 1,
          ttl: 300,
          rdata: concat([u16(10), wireName(n('mx.Example.com.'))]),
        },
      ],
      authority: [
        {
          name: n('Example.com.'),
          type: 6,
          class: 1,
          ttl: 60,
          rdata: concat([
            wireName(n('ns1.Example.com.')),
            wireName(n('hostmaster.Example.com.')),
            [0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5],
          ]),
        },
      ],
      additional: [{ name: mail, type: 1, class: 1, ttl: 300, rdata: Uint8Array.of(192, 0, 2, 25) }],
    };
    const uncompressed = concat([
      [0xab, 0xcd, 0x81, 0x80, 0, 1, 0, 2, 0, 1, 0, 2],
      wireName(www),
      [0, 1, 0, 1],
      ...[...expected.answers, ...expected.authority].map(encodeRecord),
      [0, ...u16(41), ...u16(1232), ...u32(0), ...u16(0)],
      encodeRecord(expected.additional[0]!),
    ]);
    for (const wire of [compressed, uncompressed]) {
      const m = parseMessage(wire);
      expect(m.id).toBe(0xabcd);
      expect(m.rcode).toBe(0);
      expect(m.answers.map(plainRecord)).toEqual(expected.answers.map(plainRecord));
      expect(m.authority.map(plainRecord)).toEqual(expected.authority.map(plainRecord));
      expect(m.additional.map(plainRecord)).toEqual(expected.additional.map(plainRecord));
    }
    expect(compressed.length).toBeLessThan(uncompressed.length);
  });

  it('generated messages parse the same with and without compression', () => {
    const section = fc.array(recordArb(), { maxLength: 3 });
    fc.assert(
      fc.property(nameArb, section, section, section, (q, an, ns, ar) => {
        const sections = [an, ns, ar] as [GenRecord[], GenRecord[], GenRecord[]];
        const plain = parseMessage(buildMessage(q, sections, false));
        const packed = buildMessage(q, sections, true);
        const m = parseMessage(packed);
        for (const [got, want] of [
          [m.answers, an],
          [m.authority, ns],
          [m.additional, ar],
          [plain.answers, an],
          [plain.authority, ns],
          [plain.additional, ar],
        ] as const) {
          expect(got.map(plainRecord)).toEqual(want.map((g) => plainRecord(toRecord(g))));
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('truncation', () => {
  it('a chain cut anywhere but a record boundary is rejected, never misparsed', () => {
    fc.assert(
      fc.property(fc.array(recordArb(), { minLength: 1, maxLength: 3 }), (gens) => {
        const records = gens.map(toRecord);
        const wire = encodeChain(records);
        const boundaries = new Map<number, number>([[0, 0]]);
        let at = 0;
        records.forEach((r, i) => {
          at += encodeRecord(r).length;
          boundaries.set(at, i + 1);
        });
        for (let cut = 0; cut < wire.length; cut++) {
          const prefix = wire.subarray(0, cut);
          const count = boundaries.get(cut);
          if (count === undefined) expectMalformed(() => parseChain(prefix, 10));
          else
            expect(parseChain(prefix, 10).map(plainRecord)).toEqual(records.slice(0, count).map(plainRecord));
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('name keys', () => {
  it('nameKey is the presentation form of the lowercased name, for any label bytes', () => {
    fc.assert(
      fc.property(nameArb, (name) => {
        expect(nameKey(name)).toBe(nameToText(canonicalName(name)));
      }),
    );
  });
});

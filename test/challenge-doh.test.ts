/**
 * DoH quorum logic (protocol.md §8): the RFC 8484 query, the outcall transform (deterministic whatever the record
 * order, TTLs or name compression; NXDOMAIN / NODATA / error markers; the 4 KiB cap), the quorum over five
 * providers, the allowlist, and the whole path against a real DoH server (dnsdist in front of BIND serving the
 * generated zones).
 */
import dnsPacket from 'dns-packet';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_DOH_PROVIDERS,
  DOH_ERROR,
  DOH_MAX_RESPONSE_BYTES,
  DOH_NO_RECORD,
  type DohAnswer,
  decodeTransformed,
  dohQuery,
  dohRequest,
  isAllowedName,
  quorum,
  quorumLookup,
  transformDohResponse,
} from '../src/challenge/doh-quorum.ts';
import { txtRdataToString } from '../src/challenge/proof-lookup.ts';
import { nameToText } from '../src/dns/name.ts';
import { TYPE } from '../src/dns/types.ts';
import { allRecords } from './helpers/dnssec-generated.ts';
import { useDnsStack } from './helpers/use-dns-stack.ts';

const NAME = 'sel._domainkey.gmail.test';
const KEY = 'v=DKIM1; k=ed25519; p=xn7biz/qdHCe4t3kfNQg1GxRf8q/QWdN35inTsJ6dok=';

type Txt = { name: string; data: string[]; ttl?: number };

/** A DNS response encoded by dns-packet (an independent encoder; it never compresses names). */
function response(opts: {
  answers?: (Txt | { cname: string; name: string })[];
  rcode?: number;
  flags?: number;
  name?: string;
  id?: number;
}) {
  return new Uint8Array(
    dnsPacket.encode({
      type: 'response',
      id: opts.id ?? 0,
      flags: (opts.flags ?? dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE) | (opts.rcode ?? 0),
      questions: [{ type: 'TXT', class: 'IN', name: opts.name ?? NAME }],
      answers: (opts.answers ?? []).map((a) =>
        'cname' in a
          ? { type: 'CNAME' as const, class: 'IN' as const, name: a.name, ttl: 300, data: a.cname }
          : { type: 'TXT' as const, class: 'IN' as const, name: a.name, ttl: a.ttl ?? 300, data: a.data },
      ),
    }),
  );
}

const txt = (data: string[], ttl?: number): Txt => ({ name: NAME, data, ttl });
const A = txt([KEY]);
const B = txt(['v=DKIM1; k=rsa; p=MIIB', 'IjANBgkq'], 60);

/** The same answer as `response({answers: [A]})`, hand-built with the owner compressed to the question (0xC00C). */
function compressedResponse(): Uint8Array {
  const qname = NAME.split('.').flatMap((l) => [l.length, ...Buffer.from(l)]);
  const rdata = [KEY.length, ...Buffer.from(KEY)];
  return Uint8Array.from([
    0,
    0,
    0x81,
    0x80,
    0,
    1,
    0,
    1,
    0,
    0,
    0,
    0,
    ...qname,
    0,
    0,
    16,
    0,
    1,
    0xc0,
    12,
    0,
    16,
    0,
    1,
    0,
    0,
    0x0e,
    0x10,
    rdata.length >> 8,
    rdata.length & 0xff,
    ...rdata,
  ]);
}

describe('dohQuery / dohRequest (RFC 8484 §4.1)', () => {
  it('ID 0, RD, one TXT IN question, EDNS(0) 4096 without DO; decoded by dns-packet', () => {
    const q = dnsPacket.decode(Buffer.from(dohQuery(`${NAME}.`)));
    expect(q).toMatchObject({ id: 0, type: 'query', flag_rd: true, flag_cd: false });
    expect(q.questions).toEqual([{ name: NAME, type: 'TXT', class: 'IN' }]);
    expect(q.additionals).toHaveLength(1);
    expect(q.additionals![0]).toMatchObject({ type: 'OPT', udpPayloadSize: 4096, flag_do: false });
  });

  it('a POST to the provider with the DNS media type and the 4 KiB response cap', () => {
    const r = dohRequest(DEFAULT_DOH_PROVIDERS[2]!, NAME);
    expect(r).toMatchObject({
      url: 'https://dns.quad9.net/dns-query',
      method: 'POST',
      maxResponseBytes: 4096,
    });
    expect(r.headers).toContainEqual({ name: 'content-type', value: 'application/dns-message' });
    expect(r.body).toEqual(dohQuery(NAME));
    expect(DEFAULT_DOH_PROVIDERS).toHaveLength(5);
    expect(() => dohQuery('bad name with spaces')).toThrow(TypeError);
  });
});

describe('transformDohResponse', () => {
  it('TXT RDATA sorted and deduplicated, TTLs dropped; identical for compressed and uncompressed names', () => {
    const t = transformDohResponse(response({ answers: [A, B] }));
    expect(t[0]).toBe(0x54);
    expect(transformDohResponse(response({ answers: [txt(B.data, 5), txt(A.data, 99), A] }))).toEqual(t);
    expect(decodeTransformed(t)).toEqual({ kind: 'txt', records: ['v=DKIM1; k=rsa; p=MIIBIjANBgkq', KEY] });
    expect(transformDohResponse(compressedResponse())).toEqual(
      transformDohResponse(response({ answers: [A] })),
    );
  });

  it('deterministic whatever the order and TTLs of the records (property)', () => {
    const record = fc.array(fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 40 }), {
      minLength: 1,
      maxLength: 3,
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(record, { minLength: 1, maxLength: 6, selector: (r) => JSON.stringify(r) }),
        fc.array(fc.nat(86_400), { minLength: 12, maxLength: 12 }),
        fc.nat(),
        (records, ttls, seed) => {
          const first = records.map((data, i) => txt(data, ttls[i]));
          const shuffled = [...records]
            .map((data, i) => ({ data, k: (seed * (i + 7)) % 101 }))
            .sort((a, b) => a.k - b.k)
            .map(({ data }, i) => txt(data, ttls[i + 6]));
          const a = transformDohResponse(response({ answers: first }));
          expect(a[0]).toBe(0x54);
          expect(transformDohResponse(response({ answers: shuffled }))).toEqual(a);
        },
      ),
    );
  });

  it('follows the CNAMEs in the answer to the TXT at the end of the chain', () => {
    const chained = response({
      answers: [
        { name: 'x.gmail.test', data: [KEY] },
        { name: NAME, cname: 'x.gmail.test' },
      ],
    });
    expect(decodeTransformed(transformDohResponse(chained))).toEqual({ kind: 'txt', records: [KEY] });
    const loop = response({
      answers: [
        { name: NAME, cname: 'x.gmail.test' },
        { name: 'x.gmail.test', cname: NAME },
      ],
    });
    expect(transformDohResponse(loop)).toEqual(DOH_ERROR);
    const dangling = response({ answers: [{ name: NAME, cname: 'x.gmail.test' }] });
    expect(transformDohResponse(dangling)).toEqual(DOH_NO_RECORD);
    const unrelated = response({ answers: [{ name: 'other.gmail.test', data: [KEY] }] });
    expect(transformDohResponse(unrelated)).toEqual(DOH_NO_RECORD);
  });

  it('NXDOMAIN and NODATA are the same "no record" marker', () => {
    expect(transformDohResponse(response({ rcode: 3 }))).toEqual(DOH_NO_RECORD);
    expect(transformDohResponse(response({}))).toEqual(DOH_NO_RECORD);
    expect(decodeTransformed(DOH_NO_RECORD)).toEqual({ kind: 'nxdomain' });
  });

  it('everything else is the error marker', () => {
    const query = dohQuery(NAME);
    const cases: [string, Uint8Array][] = [
      ['SERVFAIL', response({ rcode: 2, answers: [A] })],
      ['REFUSED', response({ rcode: 5 })],
      ['truncated (TC)', response({ flags: dnsPacket.TRUNCATED_RESPONSE, answers: [A] })],
      ['a query (QR=0)', dohQuery(NAME)],
      ['garbage', Uint8Array.of(1, 2, 3)],
      ['empty', new Uint8Array(0)],
      ['cut short', response({ answers: [A] }).subarray(0, 40)],
      [
        'over 4 KiB',
        response({ answers: Array.from({ length: 20 }, (_, i) => txt([`${i}${'a'.repeat(250)}`])) }),
      ],
    ];
    for (const [what, body] of cases) expect(transformDohResponse(body), what).toEqual(DOH_ERROR);
    expect(cases.at(-1)![1].length).toBeGreaterThan(DOH_MAX_RESPONSE_BYTES);
    // Checked against the query: another name or another ID.
    expect(transformDohResponse(response({ answers: [A] }), query)[0]).toBe(0x54);
    expect(transformDohResponse(response({ name: 'other.gmail.test' }), query)).toEqual(DOH_ERROR);
    expect(transformDohResponse(response({ answers: [A], id: 7 }), query)).toEqual(DOH_ERROR);
    expect(transformDohResponse(response({ answers: [A], name: NAME.toUpperCase() }), query)[0]).toBe(0x54);
  });

  it('decodeTransformed rejects what the transform cannot produce', () => {
    const t = transformDohResponse(response({ answers: [A, B] }));
    expect(decodeTransformed(DOH_ERROR)).toBeNull();
    expect(decodeTransformed(t.subarray(0, t.length - 1))).toBeNull();
    expect(decodeTransformed(Uint8Array.of(0x54))).toBeNull();
    const [x, y] = [
      [0, 2, 1, 0x61],
      [0, 2, 1, 0x62],
    ];
    expect(decodeTransformed(Uint8Array.from([0x54, ...x!, ...y!]))).toEqual({
      kind: 'txt',
      records: ['a', 'b'],
    });
    expect(decodeTransformed(Uint8Array.from([0x54, ...y!, ...x!]))).toBeNull();
    expect(decodeTransformed(Uint8Array.from([0x54, ...x!, ...x!]))).toBeNull();
  });
});

describe('quorum', () => {
  const a = transformDohResponse(response({ answers: [A] }));
  const b = transformDohResponse(response({ answers: [B] }));
  const err = { error: 'HTTP 503' };

  it('3 of 5 identical → accepted, whatever the other two say', () => {
    expect(quorum([a, b, a, err, a], 3)).toEqual({ kind: 'txt', records: [KEY] });
    expect(quorum([a, a, a, a, a], 3)).toEqual({ kind: 'txt', records: [KEY] });
    expect(quorum([DOH_ERROR, a, a, DOH_NO_RECORD, a], 3)).toEqual({ kind: 'txt', records: [KEY] });
  });

  it('below the quorum → temperror (disagreement, failures, error markers)', () => {
    expect(quorum([a, a, b, b, err], 3)).toMatchObject({ kind: 'temperror' });
    expect(quorum([a, a, err, err, err], 3)).toMatchObject({
      kind: 'temperror',
      detail: expect.stringMatching(/best agreement 2 of 5/),
    });
    expect(quorum([DOH_ERROR, DOH_ERROR, DOH_ERROR, a, a], 3)).toMatchObject({ kind: 'temperror' });
    expect(quorum([], 3)).toMatchObject({ kind: 'temperror' });
    expect(
      quorum([Uint8Array.of(0x54, 0, 9), Uint8Array.of(0x54, 0, 9), Uint8Array.of(0x54, 0, 9)], 3),
    ).toMatchObject({
      kind: 'temperror',
    });
  });

  it('NXDOMAIN needs the quorum too', () => {
    expect(quorum([DOH_NO_RECORD, DOH_NO_RECORD, a, DOH_NO_RECORD, err], 3)).toEqual({ kind: 'nxdomain' });
    expect(quorum([DOH_NO_RECORD, DOH_NO_RECORD, a, a, err], 3)).toMatchObject({ kind: 'temperror' });
  });

  it('two answers both reaching a low quorum conflict; a bad quorum is a configuration error', () => {
    expect(quorum([a, a, b, b, err], 2)).toMatchObject({
      kind: 'temperror',
      detail: expect.stringMatching(/different answers/),
    });
    expect(() => quorum([a], 0)).toThrow(RangeError);
    expect(() => quorum([a], 1.5)).toThrow(RangeError);
  });

  it('quorumLookup answers fetched names only', async () => {
    const lookup = quorumLookup(new Map([[NAME, quorum([a, a, a], 3)]]));
    expect(await lookup(`${NAME.toUpperCase()}.`)).toEqual({ kind: 'txt', records: [KEY] });
    expect(await lookup('_dmarc.gmail.test')).toMatchObject({ kind: 'temperror' });
  });
});

describe('isAllowedName', () => {
  const allowed = ['gmail.com', 'Outlook.com'];
  it.each([
    ['gmail.com', true],
    ['_dmarc.gmail.com', true],
    ['20230601._domainkey.gmail.com.', true],
    ['SELECTOR1._DOMAINKEY.OUTLOOK.COM', true],
    ['evilgmail.com', false],
    ['gmail.com.evil.test', false],
    ['googlemail.com', false],
    ['com', false],
    ['', false],
    ['a..gmail.com', false],
    ['x y.gmail.com', false],
  ])('%s → %s', (name, want) => {
    expect(isAllowedName(name, allowed)).toBe(want);
  });
  it('an empty allowlist allows nothing', () => {
    expect(isAllowedName('gmail.com', [])).toBe(false);
    expect(isAllowedName('gmail.com', [''])).toBe(false);
  });
});

describe('against a real DoH server (dnsdist → BIND, generated zones)', () => {
  const stack = useDnsStack();
  const zoneTxt = (name: string) =>
    allRecords
      .filter((rr) => rr.type === TYPE.TXT && nameToText(rr.name) === `${name}.`)
      .map((rr) => txtRdataToString(rr.rdata));

  async function ask(name: string): Promise<DohAnswer> {
    const req = dohRequest({ name: 'local', url: stack().dohUrl }, name);
    const res = await fetch(req.url, {
      method: req.method,
      headers: Object.fromEntries(req.headers.map((h) => [h.name, h.value])),
      body: req.body as Uint8Array<ArrayBuffer>,
    });
    if (!res.ok) return { error: `HTTP ${res.status}` };
    return transformDohResponse(new Uint8Array(await res.arrayBuffer()), req.body);
  }

  it('five identical answers for a DKIM key, a DMARC record and a missing name', async () => {
    for (const [name, want] of [
      ['sel._domainkey.ed25519.wxtest', { kind: 'txt', records: zoneTxt('sel._domainkey.ed25519.wxtest') }],
      ['_dmarc.ecdsa.wxtest', { kind: 'txt', records: zoneTxt('_dmarc.ecdsa.wxtest') }],
      ['nope._domainkey.ed25519.wxtest', { kind: 'nxdomain' }],
      ['mail.ecdsa.wxtest', { kind: 'nxdomain' }],
    ] as const) {
      const answers = await Promise.all(Array.from({ length: 5 }, () => ask(name)));
      expect(quorum(answers, 3), name).toEqual(want);
    }
    expect(zoneTxt('sel._domainkey.ed25519.wxtest')).toEqual([KEY]);
  });

  it('an RSA key in two character-strings comes back as one string', async () => {
    const answers = await Promise.all(Array.from({ length: 3 }, () => ask('rsa._domainkey.rsa2048.wxtest')));
    const got = quorum(answers, 3);
    expect(got).toMatchObject({ kind: 'txt' });
    if (got.kind === 'txt') expect(got.records[0]).toMatch(/^v=DKIM1; k=rsa; p=MIIB[A-Za-z0-9+/=]+IDAQAB$/);
  });
});

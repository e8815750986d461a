/** The `waxseal dnssec verify|prove` contract of protocol.md §10, run as a real process. */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recordToText } from '../src/dns/record.ts';
import { LIMITS } from '../src/limits.ts';
import { type CliResult, ROOT, tmpFiles, waxseal } from './helpers/cli.ts';
import { GENERATED_DIR } from './helpers/dns-servers.ts';
import { allRecords, matrix, recordsFor } from './helpers/dnssec-generated.ts';
import { useDnsStack } from './helpers/use-dns-stack.ts';

const THIRD = join(ROOT, 'test-vectors', 'dnssec', 'third-party');
const ALL = join(GENERATED_DIR, 'all-records.zone');
const ANCHORS = join(GENERATED_DIR, 'anchors.ds');
const NOW = String(matrix.verify_time);
const { dir: tmp, writeTmp } = tmpFiles('waxseal-cli-dnssec-');

/** A zone file of the generated records a proof for `name` could hold (the whole hierarchy exceeds the limits). */
const zoneFor = (name: string) => writeTmp(`${name}zone`, recordsFor(name).map(recordToText).join('\n'));

/** Command-line options in the order given: `{ name: 'x.', doh: [a, b], json: true }` → --name x. --doh a --doh b --json. */
type Options = Record<string, string | readonly string[] | true>;

function options(o: Options): string[] {
  return Object.entries(o).flatMap(([flag, v]) =>
    v === true ? [`--${flag}`] : (typeof v === 'string' ? [v] : v).flatMap((x) => [`--${flag}`, x]),
  );
}

const verify = (o: Options) => waxseal('dnssec', 'verify', ...options(o));
const prove = (name: string, type: string, o: Options) =>
  waxseal('dnssec', 'prove', name, type, ...options(o));

/** One line on stderr, prefixed, no stack trace. */
function expectOneLineError(r: CliResult, pattern: RegExp) {
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^waxseal: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

interface VectorCase {
  id: string;
  target: string;
  verify_time: number;
  trust_anchor_ds?: string[];
  trust_anchor_dnskey?: string[];
}

function vector(id: string) {
  const c = JSON.parse(readFileSync(join(THIRD, id, 'case.json'), 'utf8')) as VectorCase;
  const [name, type] = c.target.split(' ') as [string, string];
  const anchors = writeTmp(`${id}.anchors`, (c.trust_anchor_ds ?? c.trust_anchor_dnskey ?? []).join('\n'));
  return { name, type, anchors, now: String(c.verify_time), dir: join(THIRD, id) };
}

describe.concurrent('waxseal dnssec verify', () => {
  /** 512-bit RSA keys: bogus KeyTooSmall under protocol.md §7 although the signatures are mathematically valid. */
  const SMALL = new Set(['rfc5702-rsasha256-a', 'ens-ethlab-xyz-chain']);
  const ids = [
    'rfc5702-rsasha256-a',
    'rfc6605-ecdsap256-a',
    'rfc8080-ed25519-example2',
    'rfc9102-appendix-tlsa',
    'ens-ethlab-xyz-chain',
  ];

  it.each(ids)('third-party %s records.zone (--json)', async (id) => {
    const v = vector(id);
    const r = await verify({
      zone: join(v.dir, 'records.zone'),
      name: v.name,
      type: v.type,
      anchors: v.anchors,
      now: v.now,
      json: true,
    });
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out).slice(0, 3)).toEqual(['verdict', 'reason', 'records']);
    if (SMALL.has(id)) {
      expect([r.code, out.verdict, out.reason, out.records]).toEqual([1, 'bogus', 'KeyTooSmall', []]);
    } else {
      expect([r.code, out.verdict, out.reason]).toEqual([0, 'secure', null]);
      expect(out.records.length).toBeGreaterThan(0);
      for (const line of out.records) expect(line.startsWith(`${v.name} `)).toBe(true);
    }
  });

  it('RFC 9102 Appendix B: the hex chain, and the same chain as binary', async () => {
    const v = vector('rfc9102-appendix-tlsa');
    const hexFile = join(v.dir, 'authentication-chain.hex');
    const binFile = writeTmp(
      'rfc9102.bin',
      Buffer.from(readFileSync(hexFile, 'utf8').replace(/\s+/g, ''), 'hex'),
    );
    for (const file of [hexFile, binFile]) {
      const r = await verify({
        chain: file,
        name: v.name,
        type: v.type,
        anchors: v.anchors,
        now: v.now,
        json: true,
      });
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({
        verdict: 'secure',
        reason: null,
        records: [
          '_443._tcp.www.example.com. 3600 IN TLSA 3 1 1 8BD1DA95272F7FA4FFB24137FC0ED03AAE67E5C4D8B3C50734E1050A7920B922',
        ],
        zones: ['.', 'com.', 'example.com.'],
      });
    }
    // Text output: verdict line, reason, the records, the chain's zones.
    const t = await verify({ chain: hexFile, name: v.name, type: v.type, anchors: v.anchors, now: v.now });
    expect(t.code).toBe(0);
    expect(t.stdout.trim().split('\n')).toEqual([
      'verdict: secure',
      'reason: none',
      'records:',
      '  _443._tcp.www.example.com. 3600 IN TLSA 3 1 1 8BD1DA95272F7FA4FFB24137FC0ED03AAE67E5C4D8B3C50734E1050A7920B922',
      'zones: . com. example.com.',
    ]);
    // Outside the validity window: a clean negative.
    const late = await verify({
      chain: hexFile,
      name: v.name,
      type: v.type,
      anchors: v.anchors,
      now: '1700000000',
      json: true,
    });
    expect([late.code, JSON.parse(late.stdout).reason]).toEqual([1, 'SignatureExpired']);
  });

  it('the built-in IANA root anchors validate the real 2019 root KSK-2017 chain (up to the 512-bit ZSK)', async () => {
    const v = vector('ens-ethlab-xyz-chain');
    const r = await verify({
      zone: join(v.dir, 'records.zone'),
      name: v.name,
      type: v.type,
      now: v.now,
      json: true,
    });
    // KeyTooSmall, not AnchorMismatch: the root DNSKEY RRset was trusted through the built-in KSK-2017 digest.
    expect([r.code, JSON.parse(r.stdout).reason]).toEqual([1, 'KeyTooSmall']);
  });

  it.each([
    ['sel._domainkey.ecdsa.wxtest.', 'TXT', 0, 'secure', null],
    ['chain._domainkey.cname-src.wxtest', 'txt', 0, 'secure', null],
    ['sel._domainkey.expired.wxtest.', 'TXT', 1, 'bogus', 'SignatureExpired'],
    ['sel._domainkey.dsmismatch.wxtest.', 'TXT', 1, 'bogus', 'DsMismatch'],
    ['sel._domainkey.unsigned.wxtest.', 'TXT', 1, 'insecure', null],
    ['loop1.cname-src.wxtest.', 'TXT', 1, 'bogus', 'CnameLoop'],
  ] as const)('generated %s %s via --zone', async (name, type, code, verdict, reason) => {
    const r = await verify({ zone: zoneFor(name), name, type, anchors: ANCHORS, now: NOW, json: true });
    const out = JSON.parse(r.stdout);
    expect([r.code, out.verdict, out.reason]).toEqual([code, verdict, reason]);
    if (verdict === 'secure') expect(out.records[0]).toMatch(/ IN TXT "v=DKIM1; k=ed25519; p=/);
    else expect(out.records).toEqual([]);
  });

  it('the CNAME chain in text output; the generated names are not under the real root anchors', async () => {
    const r = await verify({
      zone: zoneFor('sel._domainkey.cname-src.wxtest.'),
      name: 'sel._domainkey.cname-src.wxtest.',
      type: 'TXT',
      anchors: ANCHORS,
      now: NOW,
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^cnames:\n {2}sel\._domainkey\.cname-src\.wxtest\. 3600 IN CNAME sel\._domainkey\.ecdsa\.wxtest\.$/m,
    );
    expect(r.stdout).toMatch(/^zones: \. wxtest\. cname-src\.wxtest\. ecdsa\.wxtest\.$/m);
    const ecdsa = 'sel._domainkey.ecdsa.wxtest.';
    const d = await verify({ zone: zoneFor(ecdsa), name: ecdsa, type: 'TXT', now: NOW });
    expect(d.code).toBe(1);
    expect(d.stdout.split('\n').slice(0, 2)).toEqual(['verdict: bogus', 'reason: AnchorMismatch']);
  });

  it(`a zone file over the proof limits (${LIMITS.proofRecords} records) is bogus ProofTooLarge, as a chain would be`, async () => {
    expect(allRecords.length).toBeGreaterThan(LIMITS.proofRecords);
    const name = 'sel._domainkey.ecdsa.wxtest.';
    const r = await verify({ zone: ALL, name, type: 'TXT', anchors: ANCHORS, now: NOW, json: true });
    expect([r.code, JSON.parse(r.stdout).verdict, JSON.parse(r.stdout).reason]).toEqual([
      1,
      'bogus',
      'ProofTooLarge',
    ]);
  });

  it('a chain that does not parse is a clean bogus Malformed (exit 1)', async () => {
    const file = writeTmp('truncated.bin', new Uint8Array([0, 0, 16, 0, 1, 0, 0, 0]));
    const r = await verify({ chain: file, name: 'x.', type: 'TXT', json: true });
    expect([r.code, JSON.parse(r.stdout).reason]).toEqual([1, 'Malformed']);
  });

  it.each([
    [
      'unreadable file',
      ['--zone', join(tmp, 'nope.zone')],
      /cannot read zone file .*nope\.zone: no such file/,
    ],
    ['a directory', ['--chain', tmp], /cannot read chain file .*: is a directory/],
    ['bad hex (character)', ['--chain', 'HEX:0a0bzz'], /not hex: unexpected character "z"/],
    ['bad hex (odd length)', ['--chain', 'HEX:0a0b0'], /not hex: odd number of digits/],
    ['unknown type', ['--zone', ALL, '--type', 'BOGUS'], /unknown RR type "BOGUS"/],
    ['bad --now', ['--zone', ALL, '--now', 'yesterday'], /--now must be unix seconds/],
    ['both --zone and --chain', ['--zone', ALL, '--chain', ALL], /exactly one of --zone/],
    ['neither --zone nor --chain', [], /exactly one of --zone/],
    ['a bad zone file', ['--zone', 'HEX:zz'], /line 1: /],
    ['bad anchors', ['--zone', ALL, '--anchors', ALL], /trust anchors must be DS or DNSKEY/],
    ['bad --name', ['--zone', ALL, '--name', 'a..b'], /--name "a\.\.b": empty label/],
    ['an unknown option', ['--zone', ALL, '--bogus'], /bogus/],
  ] as const)('%s → exit 2, one line', async (_what, args, pattern) => {
    const argv: string[] = args.map((a) =>
      a.startsWith('HEX:') ? writeTmp(`in-${a.slice(4)}`, a.slice(4)) : a,
    );
    if (!argv.includes('--name')) argv.push('--name', 'sel._domainkey.ecdsa.wxtest.');
    if (!argv.includes('--type')) argv.push('--type', 'TXT');
    if (!argv.includes('--now')) argv.push('--now', NOW);
    const r = await waxseal('dnssec', 'verify', ...argv);
    expectOneLineError(r, pattern);
  });

  it('unknown subcommand and missing --doh → exit 2', async () => {
    expectOneLineError(await waxseal('dnssec', 'frobnicate'), /unknown subcommand "frobnicate"/);
    expectOneLineError(await waxseal('dnssec', 'prove', 'example.com', 'TXT'), /pass --doh <url>/);
    expectOneLineError(
      await waxseal('dnssec', 'prove', 'example.com', 'TXT', '--doh', 'ftp://x'),
      /not an http\(s\) URL/,
    );
  });

  it('main usage lists the dnssec commands', async () => {
    const r = await waxseal('--help');
    expect(r.stdout).toMatch(/waxseal dnssec verify \(--zone/);
    expect(r.stdout).toMatch(/waxseal dnssec prove <name> <type>/);
  });
});

describe('waxseal dnssec prove (loopback DoH)', () => {
  const stack = useDnsStack();

  it('builds the chain, writes it with --out, and `verify --chain` accepts the file', async () => {
    const dir = join(tmp, 'prove');
    mkdirSync(dir, { recursive: true });
    const out = join(dir, 'chain.bin');
    const name = 'chain._domainkey.cname-src.wxtest.';
    const r = await prove(name, 'TXT', { doh: stack().dohUrl, anchors: ANCHORS, now: NOW, out, json: true });
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ verdict: 'secure', reason: null, answer: 'positive', waves: 3, out });
    expect(j.zones).toEqual(['.', 'wxtest.', 'cname-src.wxtest.', 'ed25519.wxtest.', 'rsa4096.wxtest.']);
    expect(j.path).toHaveLength(3);
    expect(j.bytes).toBe(readFileSync(out).length);
    const v = await verify({ chain: out, name, type: 'TXT', anchors: ANCHORS, now: NOW, json: true });
    expect(v.code).toBe(0);
    expect(JSON.parse(v.stdout)).toMatchObject({ verdict: 'secure', records: j.records });
  });

  it('text output: zones, records, waves and queries, verdict; POST; a bogus name exits 1', async () => {
    const r = await prove('sel._domainkey.ecdsa.wxtest.', 'TXT', {
      doh: stack().dohUrl,
      post: true,
      anchors: ANCHORS,
      now: NOW,
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^zones: \. wxtest\. ecdsa\.wxtest\.$/m);
    expect(r.stdout).toMatch(/^chain: 15 records, \d+ bytes$/m);
    expect(r.stdout).toMatch(/^ {2}sel\._domainkey\.ecdsa\.wxtest\. 3600 IN TXT "v=DKIM1/m);
    expect(r.stdout).toMatch(/^lookups: 10 queries in 1 waves$/m);
    expect(r.stdout).toMatch(/^verdict: secure$/m);
    const bad = await prove('sel._domainkey.expired.wxtest.', 'TXT', {
      doh: stack().dohUrl,
      anchors: ANCHORS,
      now: NOW,
      json: true,
    });
    expect([bad.code, JSON.parse(bad.stdout).reason]).toEqual([1, 'SignatureExpired']);
  });

  it('an endpoint that fails → exit 2 with one line; a second --doh is tried', async () => {
    const broken = stack().dohUrl.replace('/dns-query', '/nope');
    expectOneLineError(
      await prove('ecdsa.wxtest.', 'A', { doh: broken, anchors: ANCHORS, now: NOW }),
      /cannot build the proof: HttpError: HTTP 404/,
    );
    const r = await prove('ecdsa.wxtest.', 'A', {
      doh: [broken, stack().dohUrl],
      anchors: ANCHORS,
      now: NOW,
      json: true,
    });
    expect([r.code, JSON.parse(r.stdout).verdict]).toEqual([0, 'secure']);
  });
});

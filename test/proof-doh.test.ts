/**
 * Building RFC 9102 chains over RFC 8484 DoH against the loopback stack (named serving the BIND-signed hierarchy
 * of test-vectors/dnssec/generated, dnsdist in front as a plain-HTTP DoH endpoint), for every query of the
 * generated matrix; DoH failure modes against a tiny loopback HTTP server; email proofs and the fail-fast check.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import { createContext, runInContext } from 'node:vm';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webCrypto } from '../src/crypto/webcrypto.ts';
import { isAtOrBelow, type Name, nameFromText, nameToWire } from '../src/dns/name.ts';
import { encodeChain, encodeRecord, parseChain, recordToText } from '../src/dns/record.ts';
import { TYPE, typeFromText } from '../src/dns/types.ts';
import { verifyChain } from '../src/dnssec/chain.ts';
import type { ChainVerdict } from '../src/dnssec/result.ts';
import { LIMITS } from '../src/limits.ts';
import { buildProof, type ProofResult } from '../src/proof/build.ts';
import { dohResolver, encodeQuery } from '../src/proof/doh.ts';
import { buildEmailProof, domainSupport } from '../src/proof/email.ts';
import type { Resolver } from '../src/proof/resolver.ts';
import { bundleIife } from './helpers/bundle.ts';
import { GENERATED_DIR } from './helpers/dns-servers.ts';
import {
  anchorsFor,
  type GeneratedDnssecCase,
  matrix,
  waxsealExpectation,
} from './helpers/dnssec-generated.ts';
import { useDnsStack } from './helpers/use-dns-stack.ts';

const NOW = matrix.verify_time;
const ANCHORS = anchorsFor(matrix.cases[0]!);
const opts = { anchors: ANCHORS, now: NOW, crypto: webCrypto };
const n = (text: string) => nameFromText(text);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

const stack = useDnsStack();

/** Zone cuts of the generated hierarchy (zones.json): what "depth of the deepest zone cut" is measured on. */
const ZONES: Name[] = (
  JSON.parse(readFileSync(join(GENERATED_DIR, 'zones.json'), 'utf8')) as { zones: { zone: string }[] }
).zones.map((z) => n(z.zone));

/** Labels of the deepest zone cut at or above any name on the answer path. */
function deepestCut(path: readonly string[]): number {
  let depth = 0;
  for (const p of path) {
    for (const z of ZONES) if (isAtOrBelow(n(p), z)) depth = Math.max(depth, z.length);
  }
  return depth;
}

function summary(v: ChainVerdict): [string, string | null] {
  return [v.verdict, v.verdict === 'secure' ? null : v.reason];
}

function expectMinimal(p: Extract<ProofResult, { kind: 'proof' }>) {
  const wires = p.records.map((rr) => hex(encodeRecord(rr)));
  expect(new Set(wires).size, 'no record twice').toBe(wires.length);
  expect(hex(p.chain)).toBe(hex(encodeChain(p.records)));
  expect(p.chain.length).toBeLessThanOrEqual(LIMITS.proofBytes);
  expect(p.records.length).toBeLessThanOrEqual(LIMITS.proofRecords);
  expect(parseChain(p.chain, LIMITS.proofRecords)).toHaveLength(p.records.length);
}

describe('buildProof over DoH: every case of the generated matrix', () => {
  const cases = matrix.cases.map((c, i) => [c.id, c, i % 2 === 0 ? 'GET' : 'POST'] as const);

  it.each(cases)('%s (%#)', async (_id, c: GeneratedDnssecCase, method) => {
    const resolver = dohResolver({ urls: [stack().dohUrl], method: method as 'GET' | 'POST' });
    const anchors = anchorsFor(c);
    const p = await buildProof(resolver, n(c.name), typeFromText(c.type), { ...opts, anchors });
    if (p.kind !== 'proof') throw new Error(`${p.code}: ${p.detail}`);
    const want = waxsealExpectation(c, 'proof');
    expect(summary(p.verdict), want.why).toEqual([want.verdict, want.reason]);
    expectMinimal(p);

    // The chain bytes on their own reach the same verdict.
    const again = await verifyChain(p.chain, n(c.name), typeFromText(c.type), { ...opts, anchors });
    expect(summary(again)).toEqual(summary(p.verdict));
    if (p.verdict.verdict === 'secure' && again.verdict === 'secure') {
      expect(again.answer.map(recordToText)).toEqual(p.verdict.answer.map(recordToText));
      expect(p.verdict.answer.length).toBeGreaterThan(0);
      expect(p.zones[0]).toBe('.');
      expect(p.answer).toBe('positive');
    } else {
      expect(p.verdict.verdict === 'secure' ? '' : p.verdict.detail).toMatch(/\S/);
    }

    // Asserted bound: waves ≤ (labels of the deepest zone cut above any name on the answer path) + 1. With the
    // default prefetch the chain arrives with the answer, so each wave is one query on the answer path: one
    // wave unless a CNAME leads into another zone (named answers same-zone CNAME chains in one response).
    expect(p.waves).toBeLessThanOrEqual(deepestCut(p.path) + 1);
    expect(p.waves).toBeLessThanOrEqual(p.path.length);
    if (p.path.length === 1) expect(p.waves).toBe(1);
    expect(p.queries).toBeGreaterThanOrEqual(p.waves);
  });
});

describe('prefetch strategies', () => {
  it('signers: one more wave, fewer queries, same chain', async () => {
    const resolver = dohResolver({ urls: [stack().dohUrl] });
    const name = n('sel._domainkey.ecdsa.wxtest.');
    const a = await buildProof(resolver, name, TYPE.TXT, opts);
    const s = await buildProof(resolver, name, TYPE.TXT, { ...opts, prefetch: 'signers' });
    if (a.kind !== 'proof' || s.kind !== 'proof') throw new Error('lookup failed');
    expect([a.waves, a.queries]).toEqual([1, 10]);
    expect([s.waves, s.queries]).toEqual([2, 6]);
    expect(hex(s.chain)).toBe(hex(a.chain));
    expect(a.zones).toEqual(['.', 'wxtest.', 'ecdsa.wxtest.']);
  });

  it('CNAME across zones: each target is one more wave', async () => {
    const resolver = dohResolver({ urls: [stack().dohUrl], method: 'POST' });
    const p = await buildProof(resolver, n('chain._domainkey.cname-src.wxtest.'), TYPE.TXT, opts);
    if (p.kind !== 'proof') throw new Error(p.detail);
    expect(p.path).toEqual([
      'chain._domainkey.cname-src.wxtest.',
      'chain._domainkey.rsa4096.wxtest.',
      'sel._domainkey.ed25519.wxtest.',
    ]);
    expect(p.waves).toBe(3);
    expect(p.zones).toEqual(['.', 'wxtest.', 'cname-src.wxtest.', 'ed25519.wxtest.', 'rsa4096.wxtest.']); // canonical order
    expect(p.verdict.verdict).toBe('secure');
  });
});

// ---------------------------------------------------------------------------------------------------------------
// DoH failure modes

interface Captured {
  method: string;
  url: string;
  accept: string | undefined;
  contentType: string | undefined;
  body: Buffer;
}

let http: Server;
let base: string;
const captured: Captured[] = [];

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((res) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => res(Buffer.concat(parts)));
  });
}

/** A DNS response for another question than the one asked. */
const OTHER_ANSWER = dnsPacket.encode({
  type: 'response',
  id: 0,
  flags: dnsPacket.RECURSION_DESIRED,
  questions: [{ type: 'A', name: 'other.example', class: 'IN' }],
  answers: [{ type: 'A', name: 'other.example', ttl: 60, data: '192.0.2.1' }],
});

beforeAll(async () => {
  http = createServer(async (req, res) => {
    const body = await readBody(req);
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/capture') {
      captured.push({
        method: req.method ?? '',
        url: req.url ?? '',
        accept: req.headers.accept,
        contentType: req.headers['content-type'],
        body,
      });
      res.writeHead(503).end();
    } else if (path === '/hang') {
      // never answers; the client's timeout must fire
    } else if (path === '/slow-body') {
      res.writeHead(200, { 'content-type': 'application/dns-message' });
      res.write(Buffer.from([0, 0]));
    } else if (path === '/html') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html></html>');
    } else if (path === '/garbage') {
      res.writeHead(200, { 'content-type': 'application/dns-message' }).end(Buffer.from([1, 2, 3]));
    } else if (path === '/echo') {
      // the query itself: QR=0, not a response
      const q =
        req.method === 'POST'
          ? body
          : Buffer.from(new URL(req.url!, 'http://x').searchParams.get('dns')!, 'base64url');
      res.writeHead(200, { 'content-type': 'application/dns-message' }).end(q);
    } else if (path === '/other') {
      res.writeHead(200, { 'content-type': 'application/dns-message; charset=binary' }).end(OTHER_ANSWER);
    } else res.writeHead(404).end('not found');
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const addr = http.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
});
afterAll(async () => {
  http?.closeAllConnections();
  await new Promise((r) => http?.close(r));
});

/** A loopback port nobody listens on (bound, read, closed). */
async function deadPort(): Promise<number> {
  return new Promise((res) => {
    const s = createNetServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => res(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

const Q = n('sel._domainkey.ecdsa.wxtest.');

describe('DoH client (RFC 8484)', () => {
  it('sends GET ?dns=<base64url, no padding> and POST bodies: ID 0, RD, CD, EDNS0 DO, 4096', async () => {
    captured.length = 0;
    await dohResolver({ urls: [`${base}/capture`], method: 'GET' }).query(Q, TYPE.TXT);
    await dohResolver({ urls: [`${base}/capture?x=1`], method: 'POST' }).query(Q, TYPE.TXT);
    const [get, post] = captured;
    expect(get!.method).toBe('GET');
    expect(get!.accept).toBe('application/dns-message');
    const param = new URL(get!.url, 'http://x').searchParams.get('dns')!;
    expect(param).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(hex(Buffer.from(param, 'base64url'))).toBe(hex(encodeQuery(Q, TYPE.TXT)));
    expect(post!.method).toBe('POST');
    expect(post!.url).toBe('/capture?x=1');
    expect(post!.contentType).toBe('application/dns-message');
    expect(hex(post!.body)).toBe(hex(encodeQuery(Q, TYPE.TXT)));

    const msg = dnsPacket.decode(post!.body);
    expect(msg.id).toBe(0);
    expect([msg.flag_rd, msg.flag_cd, msg.flag_qr]).toEqual([true, true, false]);
    expect(msg.questions).toEqual([{ name: 'sel._domainkey.ecdsa.wxtest', type: 'TXT', class: 'IN' }]);
    const opt = msg.additionals?.find((a) => a.type === 'OPT') as dnsPacket.OptAnswer;
    expect([opt.udpPayloadSize, opt.flag_do]).toEqual([4096, true]);
  });

  it('encodes names exactly, escaped dots and binary labels included', () => {
    const odd = nameFromText('a\\.b.\\000x.wxtest.');
    const q = encodeQuery(odd, 65);
    const wire = nameToWire(odd);
    expect(hex(q.subarray(12, 12 + wire.length))).toBe(hex(wire));
    expect([...q.subarray(12 + wire.length, 16 + wire.length)]).toEqual([0, 65, 0, 1]);
  });

  it('returns the answer and authority records with their exact bytes', async () => {
    const r = await dohResolver({ urls: [stack().dohUrl] }).query(n('unsigned.wxtest.'), TYPE.DS);
    if (r.kind !== 'answer') throw new Error(r.detail);
    expect(r.rcode).toBe(0);
    expect(r.records.map((rr) => rr.type).sort()).toEqual(
      [TYPE.SOA, TYPE.RRSIG, TYPE.NSEC, TYPE.RRSIG].sort(),
    );
  });

  it('HTTP status: a path that 404s (dnsdist and a plain server)', async () => {
    for (const url of [stack().dohUrl.replace('/dns-query', '/nope'), `${base}/missing`]) {
      for (const method of ['GET', 'POST'] as const) {
        const r = await dohResolver({ urls: [url], method }).query(Q, TYPE.TXT);
        expect(r).toMatchObject({ kind: 'error', code: 'HttpError' });
        expect(r.kind === 'error' && r.detail).toMatch(/^HTTP 404/);
      }
    }
  });

  it('network error: a loopback port with nothing listening', async () => {
    const r = await dohResolver({ urls: [`http://127.0.0.1:${await deadPort()}/dns-query`] }).query(
      Q,
      TYPE.TXT,
    );
    expect(r).toMatchObject({ kind: 'error', code: 'NetworkError' });
  });

  it('timeout: a server that never answers, and one that never finishes the body', async () => {
    for (const path of ['/hang', '/slow-body']) {
      const start = performance.now();
      const r = await dohResolver({ urls: [`${base}${path}`], timeoutMs: 200 }).query(Q, TYPE.TXT);
      const elapsed = performance.now() - start;
      expect(r).toMatchObject({ kind: 'error', code: 'Timeout' });
      expect(elapsed).toBeGreaterThanOrEqual(190);
      expect(elapsed).toBeLessThan(3_000);
    }
  });

  it('wrong content type, malformed message, not a response, another question', async () => {
    const ask = (path: string, method: 'GET' | 'POST' = 'GET') =>
      dohResolver({ urls: [`${base}${path}`], method }).query(Q, TYPE.TXT);
    expect(await ask('/html')).toMatchObject({ kind: 'error', code: 'BadContentType' });
    expect(await ask('/garbage')).toMatchObject({ kind: 'error', code: 'Malformed' });
    const echo = await ask('/echo', 'POST');
    expect(echo).toMatchObject({ kind: 'error', code: 'Malformed' });
    expect(echo.kind === 'error' && echo.detail).toMatch(/QR=0/);
    const other = await ask('/other');
    expect(other).toMatchObject({ kind: 'error', code: 'Malformed' });
    expect(other.kind === 'error' && other.detail).toMatch(/another question/);
  });

  it('tries the endpoints in order; reports every failure when all fail', async () => {
    const dead = `http://127.0.0.1:${await deadPort()}/dns-query`;
    const ok = await dohResolver({ urls: [dead, `${base}/missing`, stack().dohUrl] }).query(Q, TYPE.TXT);
    expect(ok.kind).toBe('answer');
    const bad = await dohResolver({ urls: [`${base}/missing`, dead] }).query(Q, TYPE.TXT);
    expect(bad).toMatchObject({ kind: 'error', code: 'NetworkError' });
    expect(bad.kind === 'error' && bad.detail).toMatch(/HTTP 404.*; .*127\.0\.0\.1/);
  });

  it('SERVFAIL from every endpoint comes back as an answer with its rcode', async () => {
    const r = await dohResolver({ urls: [stack().dohUrl, stack().dohUrl] }).query(
      n('loop1.cname-src.wxtest.'),
      TYPE.TXT,
    );
    expect(r).toMatchObject({ kind: 'answer', rcode: 2 });
  });

  it('buildProof turns lookup failures into typed errors', async () => {
    const dead = dohResolver({ urls: [`http://127.0.0.1:${await deadPort()}/dns-query`] });
    expect(await buildProof(dead, Q, TYPE.TXT, opts)).toMatchObject({
      kind: 'error',
      verdict: 'error',
      code: 'NetworkError',
      waves: 1,
    });
    const slow = dohResolver({ urls: [`${base}/hang`], timeoutMs: 100 });
    expect(await buildProof(slow, Q, TYPE.TXT, opts)).toMatchObject({ kind: 'error', code: 'Timeout' });
    const html = dohResolver({ urls: [`${base}/html`] });
    expect(await buildProof(html, Q, TYPE.TXT, opts)).toMatchObject({
      kind: 'error',
      code: 'BadContentType',
    });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Email proofs and the fail-fast check

/** The DoH stack with `_dmarc` names answered NXDOMAIN: a signed domain that publishes no DMARC record. */
function withoutDmarc(inner: Resolver): Resolver {
  return {
    query: (name, type) =>
      new TextDecoder().decode(name[0]) === '_dmarc'
        ? Promise.resolve({ kind: 'answer', rcode: 3, records: [] })
        : inner.query(name, type),
  };
}

describe('buildEmailProof', () => {
  it('a signed domain with _dmarc: one deduplicated chain, each name secure from the chain bytes', async () => {
    const resolver = dohResolver({ urls: [stack().dohUrl] });
    const p = await buildEmailProof(resolver, n('rsa4096.wxtest.'), ['sel', 'rsa', 'big'], opts);
    if (p.kind !== 'proof') throw new Error(p.detail);
    expect(p.dmarc).toBe('present');
    expect(p.names.map((x) => [x.name, x.role, x.selector, x.verdict.verdict])).toEqual([
      ['sel._domainkey.rsa4096.wxtest.', 'dkim', 'sel', 'secure'],
      ['rsa._domainkey.rsa4096.wxtest.', 'dkim', 'rsa', 'secure'],
      ['big._domainkey.rsa4096.wxtest.', 'dkim', 'big', 'secure'],
      ['_dmarc.rsa4096.wxtest.', 'dmarc', null, 'secure'],
    ]);
    const wires = p.records.map((rr) => hex(encodeRecord(rr)));
    expect(new Set(wires).size).toBe(wires.length);
    // The zone chain is shared: 3 zones' DNSKEYs + 2 DS RRsets + 4 answers, each with RRSIGs.
    const dnskeys = p.records.filter((rr) => rr.type === TYPE.DNSKEY).length;
    const single = await buildProof(resolver, n('sel._domainkey.rsa4096.wxtest.'), TYPE.TXT, opts);
    if (single.kind !== 'proof') throw new Error(single.detail);
    expect(dnskeys).toBe(single.records.filter((rr) => rr.type === TYPE.DNSKEY).length);
    for (const x of p.names) {
      const v = await verifyChain(p.chain, n(x.name), TYPE.TXT, opts);
      expect(v.verdict).toBe('secure');
    }
    expect(p.waves).toBe(1);
  });

  it('a signed domain without _dmarc: DMARC omitted, the DKIM key proven', async () => {
    const resolver = withoutDmarc(dohResolver({ urls: [stack().dohUrl], method: 'POST' }));
    const p = await buildEmailProof(resolver, n('ecdsa.wxtest.'), ['sel'], opts);
    if (p.kind !== 'proof') throw new Error(p.detail);
    expect(p.dmarc).toBe('absent');
    expect(p.names.map((x) => [x.name, x.verdict.verdict])).toEqual([
      ['sel._domainkey.ecdsa.wxtest.', 'secure'],
    ]);
    expect(p.records.some((rr) => new TextDecoder().decode(rr.name[0]) === '_dmarc')).toBe(false);
    expect((await verifyChain(p.chain, n('sel._domainkey.ecdsa.wxtest.'), TYPE.TXT, opts)).verdict).toBe(
      'secure',
    );
  });

  it('CNAMEd DKIM selectors and a CNAMEd _dmarc across zones; missing and expired selectors reported', async () => {
    const resolver = dohResolver({ urls: [stack().dohUrl] });
    const p = await buildEmailProof(
      resolver,
      n('cname-src.wxtest.'),
      ['sel', 'chain', 'expired', 'missing'],
      opts,
    );
    if (p.kind !== 'proof') throw new Error(p.detail);
    expect(p.names.map((x) => [x.name, ...summary(x.verdict)])).toEqual([
      ['sel._domainkey.cname-src.wxtest.', 'secure', null],
      ['chain._domainkey.cname-src.wxtest.', 'secure', null],
      ['expired._domainkey.cname-src.wxtest.', 'bogus', 'SignatureExpired'],
      ['missing._domainkey.cname-src.wxtest.', 'bogus', 'MissingRecords'],
      ['_dmarc.cname-src.wxtest.', 'secure', null],
    ]);
    expect(p.names[1]!.path).toHaveLength(3);
    expect(p.zones).toEqual(
      expect.arrayContaining([
        '.',
        'wxtest.',
        'cname-src.wxtest.',
        'ecdsa.wxtest.',
        'rsa4096.wxtest.',
        'ed25519.wxtest.',
        'expired.wxtest.',
      ]),
    );
    const v = await verifyChain(p.chain, n('chain._domainkey.cname-src.wxtest.'), TYPE.TXT, opts);
    expect(v.verdict === 'secure' && v.cnames).toHaveLength(2);
  });

  it('a lookup failure is a typed error', async () => {
    const dead = dohResolver({ urls: [`http://127.0.0.1:${await deadPort()}/dns-query`] });
    expect(await buildEmailProof(dead, n('ecdsa.wxtest.'), ['sel'], opts)).toMatchObject({
      kind: 'error',
      code: 'NetworkError',
    });
  });
});

describe('domainSupport', () => {
  const cases: [string, string, string | null, string][] = [
    ['ecdsa.wxtest.', 'dnssec', null, 'ecdsa.wxtest.'],
    ['mail.ecdsa.wxtest.', 'dnssec', null, 'ecdsa.wxtest.'],
    ['nothing-here.rsa2048.wxtest.', 'dnssec', null, 'rsa2048.wxtest.'],
    ['wxtest.', 'dnssec', null, 'wxtest.'],
    ['unsigned.wxtest.', 'unsigned', null, 'unsigned.wxtest.'],
    ['wxplain.', 'unsigned', null, 'wxplain.'],
    ['island.wxtest.', 'unsigned', null, 'island.wxtest.'],
    ['rsasha512.wxtest.', 'unsigned', 'UnsupportedAlgorithm', 'rsasha512.wxtest.'],
    ['expired.wxtest.', 'broken', 'SignatureExpired', 'expired.wxtest.'],
    ['dsmismatch.wxtest.', 'broken', 'DsMismatch', 'dsmismatch.wxtest.'],
    ['future.wxtest.', 'broken', 'SignatureNotYetValid', 'future.wxtest.'],
  ];
  it.each(cases)('%s → %s', async (domain, support, reason, zone) => {
    const s = await domainSupport(dohResolver({ urls: [stack().dohUrl] }), n(domain), opts);
    expect([s.support, s.reason, s.zone]).toEqual([support, reason, zone]);
    expect(s.detail).toMatch(/\S/);
  });

  it('lookups that fail → broken with the error code', async () => {
    const dead = dohResolver({ urls: [`http://127.0.0.1:${await deadPort()}/dns-query`] });
    const s = await domainSupport(dead, n('ecdsa.wxtest.'), opts);
    expect([s.support, s.reason]).toEqual(['broken', 'NetworkError']);
  });
});

describe('in a browser bundle', () => {
  it('bundles with no Node builtins and builds a proof over DoH where there is no Buffer or require', async () => {
    const entry = `
      import { buildProof } from './src/proof/build.ts';
      import { dohResolver, encodeQuery } from './src/proof/doh.ts';
      import { webCrypto } from './src/crypto/webcrypto.ts';
      import { nameFromText } from './src/dns/name.ts';
      import { parseAnchors } from './src/dnssec/dnskey.ts';
      globalThis.query = (name) => Array.from(encodeQuery(nameFromText(name), 16));
      globalThis.prove = async (url, name, anchors, now) => {
        const p = await buildProof(dohResolver({ urls: [url] }), nameFromText(name), 16,
          { anchors: parseAnchors(anchors), now, crypto: webCrypto });
        return p.kind === 'proof' ? { verdict: p.verdict.verdict, chain: Array.from(p.chain) } : { error: p.code };
      };`;
    const code = await bundleIife(entry, 'browser');
    const browserish = createContext({
      TextEncoder,
      TextDecoder,
      fetch,
      AbortController,
      btoa,
      crypto,
      setTimeout,
      clearTimeout,
      console,
    });
    runInContext(code, browserish);
    expect(runInContext('typeof Buffer + typeof require', browserish)).toBe('undefinedundefined');
    const bytes = runInContext('query("sel._domainkey.ecdsa.wxtest.")', browserish) as number[];
    expect(hex(Uint8Array.from(bytes))).toBe(hex(encodeQuery(Q, TYPE.TXT)));
    const anchorsText = readFileSync(join(GENERATED_DIR, 'anchors.ds'), 'utf8');
    const prove = runInContext('prove', browserish) as (
      ...a: unknown[]
    ) => Promise<{ verdict?: string; chain?: number[] }>;
    const r = await prove(stack().dohUrl, 'sel._domainkey.ecdsa.wxtest.', anchorsText, NOW);
    expect(r.verdict).toBe('secure');
    const node = await buildProof(dohResolver({ urls: [stack().dohUrl] }), Q, TYPE.TXT, opts);
    expect(node.kind === 'proof' && hex(node.chain)).toBe(hex(Uint8Array.from(r.chain!)));
  });
});

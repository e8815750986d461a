/**
 * proofForMessage (src/proof/message.ts): the one RFC 9102 proof the gateway attaches to a received message,
 * against the loopback DNS stack (named serving the BIND-signed hierarchy of test-vectors/dnssec/generated,
 * dnsdist as the DoH endpoint) and mail signed by dkimpy with the DKIM keys published in those zones. Every
 * attached proof is read back with the canister's reader (src/challenge/proof-lookup.ts) and run through the
 * challenge flow as the canister would, with the pure crypto backend. namesForKeys, the page's way to the same
 * names from what a NeedProof challenge lists, gives exactly the gateway's names.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { createContext, runInContext } from 'node:vm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ChallengeStore,
  type FlowContext,
  makeNonce,
  memoryKv,
  NS_PER_SECOND,
  proofLookup,
  receiveEmail,
} from '../src/challenge/index.ts';
import { pureCrypto } from '../src/crypto/pure.ts';
import { webCrypto } from '../src/crypto/webcrypto.ts';
import { nameToText } from '../src/dns/name.ts';
import { encodeRecord, parseChain } from '../src/dns/record.ts';
import { TYPE } from '../src/dns/types.ts';
import { LIMITS } from '../src/limits.ts';
import { dohResolver } from '../src/proof/doh.ts';
import {
  type MessageProofOutcome,
  namesForKeys,
  namesForMessage,
  proofForMessage,
} from '../src/proof/message.ts';
import type { Resolver } from '../src/proof/resolver.ts';
import { zoneResolver } from '../src/proof/zone-resolver.ts';
import { verifyEmail } from '../src/verify-email.ts';
import { binaryTextOf } from './helpers/arbitraries.ts';
import { bundleIife } from './helpers/bundle.ts';
import { applyMutation, mutation } from './helpers/byte-mutations.ts';
import {
  ANCHORS,
  bytes,
  compose,
  type DkimKeyName,
  type MailJob,
  signMail,
  VERIFY_TIME,
} from './helpers/challenge-mail.ts';
import { GENERATED_DIR } from './helpers/dns-servers.ts';
import { allRecords } from './helpers/dnssec-generated.ts';
import { useDnsStack } from './helpers/use-dns-stack.ts';

const OPTS = { anchors: ANCHORS, now: VERIFY_TIME, crypto: webCrypto };
const NOW = BigInt(VERIFY_TIME) * NS_PER_SECOND;
const CTX: FlowContext = { now: NOW, anchors: ANCHORS, crypto: pureCrypto };
const HEADERS = ['From', 'To', 'Subject', 'Date', 'Message-ID'];
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

const stack = useDnsStack();
const doh = (): Resolver => dohResolver({ urls: [stack().dohUrl] });

// ---------------------------------------------------------------------------------------------------------------
// Mail: signed once per file, in two dkimpy runs (the second adds a signature on top of the first).

interface Signer {
  domain: string;
  selector?: string;
  key?: DkimKeyName;
  headers?: string[];
}

interface Spec {
  from: string;
  /** Signers, bottom first: the first signs the plain message, each next one adds a field on top. */
  signers: Signer[];
}

const SPECS = {
  ecdsa: { from: 'alice@ecdsa.wxtest', signers: [{ domain: 'ecdsa.wxtest' }] },
  rsaTwoKeys: {
    from: 'bob@rsa2048.wxtest',
    signers: [{ domain: 'rsa2048.wxtest' }, { domain: 'rsa2048.wxtest', selector: 'rsa', key: 'rsa2048' }],
  },
  cname: { from: 'erin@cname-src.wxtest', signers: [{ domain: 'cname-src.wxtest' }] },
  unsigned: { from: 'carol@unsigned.wxtest', signers: [{ domain: 'unsigned.wxtest' }] },
  plainTld: { from: 'carol@wxplain', signers: [{ domain: 'wxplain' }] },
  unaligned: { from: 'dave@ecdsa.wxtest', signers: [{ domain: 'ed25519.wxtest' }] },
  noSubject: { from: 'dave@ecdsa.wxtest', signers: [{ domain: 'ecdsa.wxtest', headers: ['From', 'Date'] }] },
  thirdParty: {
    from: 'erin@ecdsa.wxtest',
    signers: [{ domain: 'ecdsa.wxtest' }, { domain: 'unsigned.wxtest' }],
  },
  // RFC 7489 §3.2: sub.ecdsa.wxtest (no such name, so no _dmarc there) has ecdsa.wxtest as organizational domain.
  parentFrom: {
    from: 'frank@sub.ecdsa.wxtest',
    signers: [{ domain: 'unsigned.wxtest' }, { domain: 'ecdsa.wxtest' }],
  },
  // The From domain is a public suffix (wxtest: the PSL's implicit `*` rule): only d=wxtest could align.
  suffixFrom: { from: 'frank@wxtest', signers: [{ domain: 'ecdsa.wxtest' }] },
  expired: { from: 'gina@expired.wxtest', signers: [{ domain: 'expired.wxtest' }] },
  dsmismatch: { from: 'gina@dsmismatch.wxtest', signers: [{ domain: 'dsmismatch.wxtest' }] },
  missingKey: { from: 'hana@ecdsa.wxtest', signers: [{ domain: 'ecdsa.wxtest', selector: 'nokey' }] },
  optoutChild: {
    from: 'ivan@nsec3optout.wxtest',
    signers: [{ domain: 'child.nsec3optout.wxtest' }, { domain: 'nsec3optout.wxtest' }],
  },
} satisfies Record<string, Spec>;
type MailName = keyof typeof SPECS;

const NONCES = Object.fromEntries(
  Object.keys(SPECS).map((k) => [k, makeNonce(Uint8Array.from(randomBytes(13)))]),
) as Record<MailName, string>;

const SIGNED = (() => {
  const names = Object.keys(SPECS) as MailName[];
  let current = names.map((n) =>
    compose({ from: SPECS[n].from, subject: `Waxseal ${NONCES[n]}`, to: 'recover@mail.waxseal.test' }),
  );
  const rounds = Math.max(...names.map((n) => SPECS[n].signers.length));
  for (let round = 0; round < rounds; round++) {
    const jobs: { at: number; job: MailJob }[] = [];
    names.forEach((n, at) => {
      const s: Signer | undefined = SPECS[n].signers[round];
      if (!s) return;
      const job: MailJob = {
        message: current[at]!,
        domain: s.domain,
        selector: s.selector ?? 'sel',
        key: s.key ?? 'ed25519',
        headers: s.headers ?? HEADERS,
        timestamp: VERIFY_TIME - 120,
      };
      jobs.push({ at, job });
    });
    const out = signMail(jobs.map((j) => j.job));
    jobs.forEach((j, i) => {
      current[j.at] = out[i]!;
    });
    current = [...current];
  }
  return Object.fromEntries(names.map((n, i) => [n, current[i]!])) as Record<MailName, string>;
})();
const mail = (name: MailName) => bytes(SIGNED[name]);

// ---------------------------------------------------------------------------------------------------------------
// What the canister makes of an attached proof

function attached(out: MessageProofOutcome) {
  if (out.kind !== 'attached') throw new Error(`no proof: ${out.reason}: ${out.detail}`);
  return out;
}

/** The canister's reader over the proof: the verdict of every name, looked up in order. */
async function canisterReads(proof: Uint8Array, names: readonly string[]) {
  const pl = proofLookup(proof, { anchors: ANCHORS, now: VERIFY_TIME, crypto: pureCrypto });
  if (!pl.ok) throw new Error(pl.detail);
  const answers = [];
  for (const n of names) answers.push([n, (await pl.lookup(n)).kind]);
  return { answers, verdicts: pl.verdicts().map((v) => [v.name, v.verdict]) };
}

/** receiveEmail for a fresh recovery challenge of `name`'s From address, with `proof` attached (or none). */
async function receive(name: MailName, proof: Uint8Array | null) {
  const store = new ChallengeStore({ challenges: memoryKv(), byAge: memoryKv(), messages: memoryKv() });
  const r = store.insert(
    {
      nonce: NONCES[name],
      flow: 'recovery',
      address: SPECS[name].from,
      sessionKey: Uint8Array.from(randomBytes(44)),
    },
    NOW - 60n * NS_PER_SECOND,
  );
  if (!r.ok) throw new Error(r.detail);
  return receiveEmail(r.challenge, { message: mail(name), flow: 'recovery', proof }, CTX);
}

/** The names the canister asks for without a proof (NeedProof.keyNames). */
async function needProof(name: MailName): Promise<{ domain: string; keyNames: readonly string[] }> {
  const d = await receive(name, null);
  if (d.kind !== 'update' || d.state.kind !== 'NeedProof') throw new Error(`not NeedProof: ${d.kind}`);
  return d.state;
}

function expectWellFormed(proof: Uint8Array) {
  expect(proof.length).toBeLessThanOrEqual(LIMITS.proofBytes);
  const records = parseChain(proof, LIMITS.proofRecords);
  const wires = records.map((rr) => hex(encodeRecord(rr)));
  expect(new Set(wires).size, 'each record once').toBe(wires.length);
  return records;
}

/** Resolver wrappers: count questions, or answer every `_dmarc` question with `answer`. */
function counting(inner: Resolver) {
  const asked: string[] = [];
  const resolver: Resolver = {
    query: (name, type) => {
      asked.push(`${nameToText(name)}|${type}`);
      return inner.query(name, type);
    },
  };
  return { resolver, asked };
}

function dmarcAnswers(inner: Resolver, answer: 'nxdomain' | 'timeout'): Resolver {
  return {
    query: (name, type) =>
      new TextDecoder().decode(name[0]) !== '_dmarc'
        ? inner.query(name, type)
        : Promise.resolve(
            answer === 'nxdomain'
              ? { kind: 'answer', rcode: 3, records: [] }
              : { kind: 'error', code: 'Timeout', detail: 'no answer (test)' },
          ),
  };
}

// ---------------------------------------------------------------------------------------------------------------

describe('proofForMessage: a signed domain', () => {
  it('ecdsa.wxtest: attached; the canister reads the key and _dmarc as secure TXT and verifies the email', async () => {
    const out = attached(await proofForMessage(mail('ecdsa'), doh(), OPTS));
    expect(out.names).toEqual(['sel._domainkey.ecdsa.wxtest', '_dmarc.ecdsa.wxtest']);
    expectWellFormed(out.proof);
    expect(await canisterReads(out.proof, out.names)).toEqual({
      answers: [
        ['sel._domainkey.ecdsa.wxtest', 'txt'],
        ['_dmarc.ecdsa.wxtest', 'txt'],
      ],
      verdicts: [
        ['sel._domainkey.ecdsa.wxtest', 'secure'],
        ['_dmarc.ecdsa.wxtest', 'secure'],
      ],
    });

    const pl = proofLookup(out.proof, { anchors: ANCHORS, now: VERIFY_TIME, crypto: pureCrypto });
    if (!pl.ok) throw new Error(pl.detail);
    const verdict = await verifyEmail(mail('ecdsa'), pl.lookup, VERIFY_TIME, { crypto: pureCrypto });
    expect([verdict.accepted, verdict.reason, verdict.dmarc.result]).toEqual([true, 'Accepted', 'pass']);

    const d = await receive('ecdsa', out.proof);
    expect(d).toMatchObject({ kind: 'verified', address: 'alice@ecdsa.wxtest', domain: 'ecdsa.wxtest' });
  });

  it('the key names are exactly those the canister asks for in NeedProof; namesForKeys of those gives the same names', async () => {
    for (const name of ['ecdsa', 'rsaTwoKeys', 'cname', 'thirdParty', 'parentFrom'] as const) {
      const names = namesForMessage(mail(name), VERIFY_TIME);
      if (!names.ok) throw new Error(names.detail);
      const need = await needProof(name);
      expect(names.keyNames, name).toEqual(need.keyNames);
      expect(namesForKeys(need.domain, need.keyNames), name).toEqual(names);
    }
  });

  it('namesForKeys: each name once, d= after the last ._domainkey., and no name that is no DKIM key name', () => {
    expect(
      namesForKeys('ecdsa.wxtest', [
        'rsa._domainkey.deep.ecdsa.wxtest',
        'a._domainkey.b._domainkey.ecdsa.wxtest',
        'rsa._domainkey.deep.ecdsa.wxtest',
      ]),
    ).toEqual({
      ok: true,
      fromDomain: 'ecdsa.wxtest',
      keyNames: ['rsa._domainkey.deep.ecdsa.wxtest', 'a._domainkey.b._domainkey.ecdsa.wxtest'],
      keyDomains: ['deep.ecdsa.wxtest', 'ecdsa.wxtest'],
      dmarcName: '_dmarc.ecdsa.wxtest',
      orgDmarcName: null,
    });
    expect(namesForKeys('x.test', [])).toMatchObject({ keyNames: [], dmarcName: '_dmarc.x.test' });
    // RFC 7489 §6.6.3: the organizational domain's record too, when it is another name.
    expect(namesForKeys('a.b.example.co.uk', [])).toMatchObject({
      dmarcName: '_dmarc.a.b.example.co.uk',
      orgDmarcName: '_dmarc.example.co.uk',
    });
    expect(namesForKeys('co.uk', [])).toMatchObject({ dmarcName: '_dmarc.co.uk', orgDmarcName: null });
    expect(() => namesForKeys('x.test', ['_domainkey.x.test'])).toThrow(TypeError);
    expect(() => namesForKeys('x.test', ['sel.x.test'])).toThrow(/not a DKIM key name/);
  });

  it('two selectors in one zone: one chain, each zone fetched once, every question asked once', async () => {
    const { resolver, asked } = counting(doh());
    const out = attached(await proofForMessage(mail('rsaTwoKeys'), resolver, OPTS));
    expect(out.names).toEqual([
      'rsa._domainkey.rsa2048.wxtest',
      'sel._domainkey.rsa2048.wxtest',
      '_dmarc.rsa2048.wxtest',
    ]);
    expect(new Set(asked).size, 'no question twice').toBe(asked.length);
    const records = expectWellFormed(out.proof);
    const dnskeyOwners = records.filter((rr) => rr.type === TYPE.DNSKEY).map((rr) => nameToText(rr.name));
    expect([...new Set(dnskeyOwners)]).toEqual(['.', 'wxtest.', 'rsa2048.wxtest.']);
    expect((await canisterReads(out.proof, out.names)).verdicts.every(([, v]) => v === 'secure')).toBe(true);
    expect(await receive('rsaTwoKeys', out.proof)).toMatchObject({ kind: 'verified' });
  });

  it('a key behind a cross-zone CNAME (cname-src → ecdsa) and a CNAMEd _dmarc', async () => {
    const out = attached(await proofForMessage(mail('cname'), doh(), OPTS));
    expect(out.names).toEqual(['sel._domainkey.cname-src.wxtest', '_dmarc.cname-src.wxtest']);
    expect((await canisterReads(out.proof, out.names)).verdicts).toEqual([
      ['sel._domainkey.cname-src.wxtest', 'secure'],
      ['_dmarc.cname-src.wxtest', 'secure'],
    ]);
    expect(await receive('cname', out.proof)).toMatchObject({ kind: 'verified' });
  });
});

describe('proofForMessage: the DMARC record', () => {
  it('absent (NXDOMAIN): left out; the canister reads "no record", applies the strict rule, and d= = From passes', async () => {
    const out = attached(await proofForMessage(mail('ecdsa'), dmarcAnswers(doh(), 'nxdomain'), OPTS));
    expect(out.names).toEqual(['sel._domainkey.ecdsa.wxtest']);
    expect(out.detail).toMatch(/DMARC left out .*strict alignment/);
    expect(await canisterReads(out.proof, ['sel._domainkey.ecdsa.wxtest', '_dmarc.ecdsa.wxtest'])).toEqual({
      answers: [
        ['sel._domainkey.ecdsa.wxtest', 'txt'],
        ['_dmarc.ecdsa.wxtest', 'nxdomain'],
      ],
      verdicts: [
        ['sel._domainkey.ecdsa.wxtest', 'secure'],
        ['_dmarc.ecdsa.wxtest', 'absent'],
      ],
    });
    const d = await receive('ecdsa', out.proof);
    expect(d).toMatchObject({ kind: 'verified' });
  });

  it('lookup failed, key d= equals the From domain: attached without _dmarc (the strict rule passes anyway)', async () => {
    const out = attached(await proofForMessage(mail('ecdsa'), dmarcAnswers(doh(), 'timeout'), OPTS));
    expect(out.names).toEqual(['sel._domainkey.ecdsa.wxtest']);
    expect(await receive('ecdsa', out.proof)).toMatchObject({ kind: 'verified' });
  });

  it('lookup failed, key only relaxed-aligned (From sub.ecdsa.wxtest, d=ecdsa.wxtest): none/LookupFailed', async () => {
    const out = await proofForMessage(mail('parentFrom'), dmarcAnswers(doh(), 'timeout'), OPTS);
    expect(out).toMatchObject({ kind: 'none', reason: 'LookupFailed' });
    expect(out.detail).toMatch(/_dmarc\.sub\.ecdsa\.wxtest: Timeout/);
  });
});

describe('proofForMessage: several signers', () => {
  it('an aligned signed key and an unaligned signer on an unsigned domain: only the aligned names', async () => {
    const out = attached(await proofForMessage(mail('thirdParty'), doh(), OPTS));
    expect(out.names).toEqual(['sel._domainkey.ecdsa.wxtest', '_dmarc.ecdsa.wxtest']);
    expect((await canisterReads(out.proof, out.names)).verdicts.map(([, v]) => v)).toEqual([
      'secure',
      'secure',
    ]);
    const records = expectWellFormed(out.proof);
    expect(records.some((rr) => nameToText(rr.name).endsWith('unsigned.wxtest.'))).toBe(false);
    expect(await receive('thirdParty', out.proof)).toMatchObject({
      kind: 'verified',
      domain: 'ecdsa.wxtest',
    });
  });

  it('From a subdomain, d= its organizational domain: no _dmarc at the From domain, so the org domain record is attached and verified', async () => {
    const out = attached(await proofForMessage(mail('parentFrom'), doh(), OPTS));
    // unsigned.wxtest is another organizational domain: no candidate, never fetched.
    expect(out.names).toEqual(['sel._domainkey.ecdsa.wxtest', '_dmarc.ecdsa.wxtest']);
    expect(await canisterReads(out.proof, ['_dmarc.sub.ecdsa.wxtest', ...out.names])).toMatchObject({
      verdicts: [
        ['_dmarc.sub.ecdsa.wxtest', 'absent'],
        ['sel._domainkey.ecdsa.wxtest', 'secure'],
        ['_dmarc.ecdsa.wxtest', 'secure'],
      ],
    });
    const d = await receive('parentFrom', out.proof);
    expect(d).toMatchObject({ kind: 'verified', address: 'frank@sub.ecdsa.wxtest', domain: 'ecdsa.wxtest' });
  });

  it('two aligned signers, one below an opt-out delegation (bogus for Waxseal): dropped', async () => {
    const out = attached(await proofForMessage(mail('optoutChild'), doh(), OPTS));
    expect(out.names).toEqual(['sel._domainkey.nsec3optout.wxtest', '_dmarc.nsec3optout.wxtest']);
    expect(out.detail).toMatch(/dropped sel\._domainkey\.child\.nsec3optout\.wxtest: DNSSEC bogus/);
    expect(await receive('optoutChild', out.proof)).toMatchObject({ kind: 'verified' });
  });
});

describe('proofForMessage: nothing to attach', () => {
  it('an unsigned zone, and an unsigned TLD → Insecure', async () => {
    for (const name of ['unsigned', 'plainTld'] as const) {
      const out = await proofForMessage(mail(name), doh(), OPTS);
      expect(out, name).toMatchObject({ kind: 'none', reason: 'Insecure' });
      expect(out.detail).toMatch(/DNSSEC insecure/);
    }
  });

  it('a signed zone whose chain is broken (expired signatures, DS mismatch) → Bogus', async () => {
    const expired = await proofForMessage(mail('expired'), doh(), OPTS);
    expect(expired).toMatchObject({ kind: 'none', reason: 'Bogus' });
    expect(expired.detail).toMatch(/SignatureExpired/);
    const mismatch = await proofForMessage(mail('dsmismatch'), doh(), OPTS);
    expect(mismatch).toMatchObject({ kind: 'none', reason: 'Bogus' });
    expect(mismatch.detail).toMatch(/DsMismatch/);
  });

  it('a key that does not exist in a signed zone → Bogus, saying so', async () => {
    const out = await proofForMessage(mail('missingKey'), doh(), OPTS);
    expect(out).toMatchObject({ kind: 'none', reason: 'Bogus' });
    expect(out.detail).toMatch(/nokey\._domainkey\.ecdsa\.wxtest: .*no such record \(nxdomain\)/);
  });

  it('no DKIM-Signature, an unaligned d=, h= without Subject, not a message → NoCandidates, no query sent', async () => {
    const { resolver, asked } = counting(doh());
    const plain = bytes(compose({ from: 'alice@ecdsa.wxtest', subject: 'hi' }));
    const cases: [Uint8Array, RegExp][] = [
      [plain, /^NoSignature: /],
      [
        mail('unaligned'),
        /^DmarcNotAligned: no signature's d= is in the organizational domain of ecdsa\.wxtest/,
      ],
      [mail('suffixFrom'), /^PublicSuffixAlignment: d=ecdsa\.wxtest can never align with wxtest/],
      [mail('noSubject'), /^SubjectNotSigned: /],
      [Uint8Array.of(0x0a, 0x0d, 0x00), /^MalformedMessage: /],
      [new Uint8Array(LIMITS.messageBytes + 1), /^MessageTooLarge: /],
      [bytes(SIGNED.ecdsa.replace('Subject: ', 'Subject: one\r\nSubject: ')), /^HeaderOccurrence: /],
    ];
    for (const [message, detail] of cases) {
      const out = await proofForMessage(message, resolver, OPTS);
      expect(out).toMatchObject({ kind: 'none', reason: 'NoCandidates' });
      expect(out.detail).toMatch(detail);
    }
    expect(asked).toEqual([]);
  });

  it('candidates follow `now`: a signature expired by x= is no candidate', async () => {
    const [expiring] = signMail([
      {
        message: compose({ from: 'alice@ecdsa.wxtest', subject: 'Waxseal x' }),
        domain: 'ecdsa.wxtest',
        selector: 'sel',
        key: 'ed25519',
        headers: HEADERS,
        timestamp: VERIFY_TIME - 120,
      },
    ]);
    // dkimpy has no x= option: add one by hand (the signature then fails, but candidates are picked before that).
    const withX = expiring!.replace('DKIM-Signature: ', `DKIM-Signature: x=${VERIFY_TIME - 1}; `);
    const out = await proofForMessage(bytes(withX), doh(), OPTS);
    expect(out).toMatchObject({ kind: 'none', reason: 'NoCandidates' });
    expect(out.detail).toMatch(/^DkimFailed: d=ecdsa\.wxtest: /);
    const earlier = await proofForMessage(bytes(withX), doh(), { ...OPTS, now: VERIFY_TIME - 60 });
    expect(earlier.kind).toBe('attached');
  });
});

describe('proofForMessage: DNS that does not answer', () => {
  let hang: Server;
  const sockets: Socket[] = [];
  let hangPort = 0;
  let deadPort = 0;
  beforeAll(async () => {
    // A port that accepts connections and never answers, and one that nobody listens on.
    hang = createServer((socket) => sockets.push(socket));
    await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
    hangPort = (hang.address() as { port: number }).port;
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    deadPort = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((r) => hang.close(r));
  });

  it('a closed loopback port → LookupFailed at once', async () => {
    const resolver = dohResolver({ urls: [`http://127.0.0.1:${deadPort}/dns-query`], timeoutMs: 300 });
    const start = performance.now();
    const out = await proofForMessage(mail('ecdsa'), resolver, OPTS);
    expect(out).toMatchObject({ kind: 'none', reason: 'LookupFailed' });
    expect(out.detail).toMatch(/NetworkError/);
    expect(performance.now() - start).toBeLessThan(2_000);
  });

  it('a server that never answers → LookupFailed after one timeout (the queries of a wave run in parallel)', async () => {
    const resolver = dohResolver({ urls: [`http://127.0.0.1:${hangPort}/dns-query`], timeoutMs: 200 });
    const start = performance.now();
    const out = await proofForMessage(mail('thirdParty'), resolver, OPTS);
    const elapsed = performance.now() - start;
    expect(out).toMatchObject({ kind: 'none', reason: 'LookupFailed' });
    expect(out.detail).toMatch(/Timeout/);
    expect(elapsed).toBeGreaterThanOrEqual(190);
    expect(elapsed).toBeLessThan(2_000);
  });

  it('a resolver that throws, synchronously or not → LookupFailed, never an exception', async () => {
    const sync: Resolver = {
      query: () => {
        throw new Error('boom');
      },
    };
    const rejecting: Resolver = { query: () => Promise.reject(new Error('boom')) };
    for (const resolver of [sync, rejecting]) {
      const out = await proofForMessage(mail('ecdsa'), resolver, OPTS);
      expect(out).toMatchObject({ kind: 'none', reason: 'LookupFailed' });
      expect(out.detail).toMatch(/resolver failed: boom/);
    }
  });
});

describe('proofForMessage: properties', () => {
  const outcomeOk = (out: MessageProofOutcome) => {
    if (out.kind === 'none') return typeof out.detail === 'string';
    expectWellFormed(out.proof);
    return out.names.length > 0;
  };

  it('random bytes never throw and give none', async () => {
    await fc.assert(
      fc.asyncProperty(
        binaryTextOf(['\r\n', ': ', 'From', 'DKIM-Signature', 'd=', 's=', '; ', 'h=from:subject'], 400),
        async (text) => {
          const out = await proofForMessage(bytes(text), doh(), OPTS);
          expect(out.kind).toBe('none');
          return outcomeOk(out);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('mutated signed messages never throw and give none or a well-formed attached proof', async () => {
    const sources = [mail('ecdsa'), mail('thirdParty'), mail('parentFrom')];
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: sources.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        async (i, edits) => {
          const message = edits.reduce((m, e) => (m.length === 0 ? m : applyMutation(m, e)), sources[i]!);
          const out = await proofForMessage(message, doh(), OPTS);
          expect(['none', 'attached']).toContain(out.kind);
          return outcomeOk(out);
        },
      ),
      { numRuns: 80 },
    );
  });
});

describe('proofForMessage in a canister-like sandbox', () => {
  it('bundles without Node builtins and builds the same proof where there is no Buffer, fetch or crypto', async () => {
    const entry = `
      import { proofForMessage } from './src/proof/message.ts';
      import { zoneResolver } from './src/proof/zone-resolver.ts';
      import { parseZoneFile } from './src/dns/zone-file.ts';
      import { parseAnchors } from './src/dnssec/dnskey.ts';
      import { pureCrypto } from './src/crypto/pure.ts';
      globalThis.prove = async (zoneText, message, anchorsText, now) => {
        const resolver = zoneResolver(parseZoneFile(zoneText));
        const out = await proofForMessage(message, resolver, { anchors: parseAnchors(anchorsText), now, crypto: pureCrypto });
        return out.kind === 'attached' ? { names: out.names, proof: Array.from(out.proof) } : { none: out.reason };
      };`;
    const code = await bundleIife(entry, 'neutral');
    expect(code).not.toMatch(/require\(["']/);
    const sandbox: Record<string, unknown> = { TextEncoder, TextDecoder };
    createContext(sandbox);
    runInContext(code, sandbox);
    for (const name of ['Buffer', 'process', 'require', 'crypto', 'fetch', 'setTimeout']) {
      expect(runInContext(`typeof ${name}`, sandbox)).toBe('undefined');
    }
    const toSandbox = runInContext('(b) => new Uint8Array(b)', sandbox) as (b: number[]) => Uint8Array;
    const prove = sandbox.prove as (...a: unknown[]) => Promise<{ names?: string[]; proof?: number[] }>;
    const zoneText = readFileSync(join(GENERATED_DIR, 'all-records.zone'), 'utf8');
    const anchorsText = readFileSync(join(GENERATED_DIR, 'anchors.ds'), 'utf8');
    const inside = await prove(zoneText, toSandbox([...mail('ecdsa')]), anchorsText, VERIFY_TIME);
    expect(inside.names).toEqual(['sel._domainkey.ecdsa.wxtest', '_dmarc.ecdsa.wxtest']);

    // The same bytes from Node, over the zone files and over DoH from named serving them.
    const offline = attached(await proofForMessage(mail('ecdsa'), zoneResolver(allRecords), OPTS));
    const online = attached(await proofForMessage(mail('ecdsa'), doh(), OPTS));
    expect(hex(Uint8Array.from(inside.proof!))).toBe(hex(offline.proof));
    expect(hex(online.proof)).toBe(hex(offline.proof));
  });
});

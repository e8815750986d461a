/**
 * The page's own part of NeedProof: frontend/src/ic/dns-proof.ts builds the RFC 9102 chain for the key names the
 * canister lists (and the From domain's DMARC record) over DoH against the real loopback DNS stack, with the
 * gateway's builder (src/proof/message.ts, tested in proof-message.test.ts), and the chain is read back with the
 * canister's own reader (src/challenge/proof-lookup.ts) from the test root's anchors; and
 * frontend/src/logic/proof-problem.ts, which says what went wrong when no chain is worth submitting.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ConfigView } from '../frontend/src/ic/config.ts';
import { type NeedProof, proveKeys } from '../frontend/src/ic/dns-proof.ts';
import {
  type ProofProblemKind,
  problemOfOutcome,
  proofProblemWords,
  rejected,
} from '../frontend/src/logic/proof-problem.ts';
import { proofLookup } from '../src/challenge/proof-lookup.ts';
import { webCrypto } from '../src/crypto/webcrypto.ts';
import { parseAnchors } from '../src/dnssec/dnskey.ts';
import type { ProofErrorCode } from '../src/proof/build.ts';
import { freePort, GENERATED_DIR } from './helpers/dns-servers.ts';
import { useDnsStack } from './helpers/use-dns-stack.ts';

const ANCHORS_TEXT = readFileSync(join(GENERATED_DIR, 'anchors.ds'), 'utf8').trim();

function config(providers: readonly string[]): ConfigView {
  return {
    mail_hosts: ['mail.waxseal.localhost'],
    app_origin: 'http://localhost:5173',
    root_anchors: ANCHORS_TEXT.split('\n'),
    doh: {
      allowed_domains: [],
      providers: providers.map((url, i) => ({ name: `p${i}`, url })),
      quorum: 1,
      cache_seconds: 60,
    },
    gateway_principals: [],
    identity_number_start: 10_000n,
    public_suffix_list: { custom: false, detail: 'shipped' },
  };
}

const need = (domain: string, keyNames: string[]): NeedProof => ({
  domain,
  selectors: keyNames.filter((k) => k.endsWith(`._domainkey.${domain}`)).map((k) => k.split('.')[0]!),
  key_names: keyNames,
});

/** What the canister reads from `chain` for each name: the TXT records, or why not. */
async function canisterReads(chain: Uint8Array, names: readonly string[]): Promise<Record<string, string>> {
  const reader = proofLookup(chain, {
    anchors: parseAnchors(ANCHORS_TEXT),
    now: Math.floor(Date.now() / 1000),
    crypto: webCrypto,
  });
  if (!reader.ok) throw new Error(`the proof does not parse: ${reader.detail}`);
  const out: Record<string, string> = {};
  for (const name of names) {
    const a = await reader.lookup(name);
    out[name] = a.kind === 'txt' ? a.records.join(' | ') : a.kind;
  }
  return out;
}

describe('proveKeys over DoH against the loopback DNS stack', () => {
  const stack = useDnsStack();

  it('ed25519.wxtest: one chain from which the canister reads the key and the DMARC record', async () => {
    const built = await proveKeys(
      need('ed25519.wxtest', ['sel._domainkey.ed25519.wxtest']),
      config([stack().dohUrl]),
    );
    if (built.kind !== 'proof') throw new Error(`no proof: ${JSON.stringify(built)}`);
    const read = await canisterReads(built.chain, ['sel._domainkey.ed25519.wxtest', '_dmarc.ed25519.wxtest']);
    expect(read['sel._domainkey.ed25519.wxtest']).toMatch(/^v=DKIM1; k=ed25519; p=/);
    expect(read['_dmarc.ed25519.wxtest']).toMatch(/^v=DMARC1; p=reject/);
  });

  it('a signer at an aligned subdomain (only in key_names): its key, four zones down, and the From DMARC', async () => {
    const built = await proveKeys(
      need('ecdsa.wxtest', ['rsa._domainkey.deep.ecdsa.wxtest']),
      config([stack().dohUrl]),
    );
    if (built.kind !== 'proof') throw new Error(`no proof: ${JSON.stringify(built)}`);
    const read = await canisterReads(built.chain, [
      'rsa._domainkey.deep.ecdsa.wxtest',
      '_dmarc.ecdsa.wxtest',
    ]);
    expect(read['rsa._domainkey.deep.ecdsa.wxtest']).toMatch(/^v=DKIM1; k=rsa; p=/);
    expect(read['_dmarc.ecdsa.wxtest']).toMatch(/^v=DMARC1/);
  });

  it.each([
    ['an unsigned zone', 'unsigned.wxtest', 'sel', /sel\._domainkey\.unsigned\.wxtest: DNSSEC insecure/],
    ['a broken chain', 'dsmismatch.wxtest', 'sel', /DNSSEC bogus: DsMismatch/],
    [
      'a key that is not published',
      'ed25519.wxtest',
      'nosuch',
      /nosuch\._domainkey\.ed25519\.wxtest: DNSSEC bogus/,
    ],
  ])('%s: nothing worth submitting, said as unprotected', async (_name, domain, selector, detail) => {
    const built = await proveKeys(
      need(domain, [`${selector}._domainkey.${domain}`]),
      config([stack().dohUrl]),
    );
    expect(built.kind).toBe('problem');
    if (built.kind === 'problem') {
      expect(built.problem.kind).toBe('unprotected');
      expect(built.problem.detail).toMatch(detail);
    }
  });

  it('no DoH provider answers, or none is configured: unreachable', async () => {
    const dead = `http://127.0.0.1:${await freePort()}/dns-query`;
    const keys = need('ed25519.wxtest', ['sel._domainkey.ed25519.wxtest']);
    const down = await proveKeys(keys, config([dead]));
    expect(down).toMatchObject({ kind: 'problem', problem: { kind: 'unreachable' } });
    if (down.kind === 'problem')
      expect(down.problem.detail).toMatch(/^sel\._domainkey\.ed25519\.wxtest: NetworkError: /);
    expect(await proveKeys(keys, config([]))).toEqual({
      kind: 'problem',
      problem: { kind: 'unreachable', detail: 'the canister names no DoH provider' },
    });
  });
});

describe('proof problems in words', () => {
  it('maps each build failure code to a kind; DNSSEC that proves nothing is unprotected', () => {
    const kind = (code: ProofErrorCode) =>
      problemOfOutcome({ kind: 'none', reason: 'LookupFailed', detail: 'd', code }).kind;
    const codes: ProofErrorCode[] = ['Timeout', 'NetworkError', 'HttpError', 'BadContentType'];
    expect(codes.map(kind)).toEqual(['unreachable', 'unreachable', 'unreachable', 'unreachable']);
    expect((['Malformed', 'ServerFailure', 'ProofTooLarge'] as const).map(kind)).toEqual([
      'lookup',
      'lookup',
      'lookup',
    ]);
    expect(
      problemOfOutcome({ kind: 'none', reason: 'Insecure', detail: 'x: DNSSEC insecure', code: null }),
    ).toEqual({ kind: 'unprotected', detail: 'x: DNSSEC insecure' });
    expect(problemOfOutcome({ kind: 'none', reason: 'Bogus', detail: '', code: null })).toEqual({
      kind: 'unprotected',
      detail: 'no signing key was named',
    });
  });

  it("keeps the canister's refusal as the detail", () => {
    expect(rejected({ code: 'ProofInvalid', message: 'DsMismatch at x.' })).toEqual({
      kind: 'rejected',
      detail: 'ProofInvalid: DsMismatch at x.',
    });
  });

  it('every kind has its own message naming the domain, and a next step, in plain words', () => {
    const kinds: ProofProblemKind[] = ['unreachable', 'lookup', 'unprotected', 'rejected', 'unsent'];
    const words = kinds.map((kind) => proofProblemWords({ kind, detail: 'technical' }, 'example.com'));
    for (const w of words) {
      expect(w.message).toContain('example.com');
      expect(w.nextStep.length).toBeGreaterThan(10);
      expect(`${w.message} ${w.nextStep}`).not.toMatch(/technical|DKIM|RFC|nonce/);
    }
    expect(new Set(words.map((w) => w.message)).size).toBe(kinds.length);
  });
});

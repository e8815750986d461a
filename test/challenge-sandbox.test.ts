/**
 * src/challenge must run unchanged inside the canister (QuickJS under Azle: no Buffer, no Node builtins, no atob,
 * no crypto.subtle, no Date.now). Bundle it as the canister will and run a whole recovery in a bare V8 context
 * that has only TextEncoder/TextDecoder: nonce from given bytes, store on memoryKv, a real dkimpy-signed email with
 * a real RFC 9102 proof from the generated zones, the pure crypto backend, and the DoH transform and quorum.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createContext, runInContext } from 'node:vm';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { makeNonce } from '../src/challenge/nonce.ts';
import { bytes, compose, emailProof, signMail, VERIFY_TIME } from './helpers/challenge-mail.ts';
import { GENERATED_DIR } from './helpers/dns-servers.ts';

const ROOT = join(import.meta.dirname, '..');

const ENTRY = `
import * as ch from './src/challenge/index.ts';
import { parseAnchors } from './src/dnssec/dnskey.ts';
import { pureCrypto } from './src/crypto/pure.ts';
globalThis.run = async (random, message, proof, anchorsText, nowSeconds) => {
  const now = BigInt(nowSeconds) * ch.NS_PER_SECOND;
  const store = new ch.ChallengeStore({ challenges: ch.memoryKv(), byAge: ch.memoryKv(), messages: ch.memoryKv() });
  const nonce = ch.makeNonce(random);
  const inserted = store.insert({ nonce, flow: 'recovery', address: 'Alice@ed25519.wxtest', sessionKey: new Uint8Array([1, 2]) }, now - 60n * ch.NS_PER_SECOND);
  const found = ch.nonceOfMessage(message);
  const ctx = { now, anchors: parseAnchors(anchorsText), crypto: pureCrypto };
  const d = await ch.receiveEmail(store.get(found, now), { message, flow: 'recovery', proof }, ctx);
  if (d.kind === 'verified') store.setState(nonce, ch.recoveryReady(1n, new Uint8Array([3]), now + 1n), now);
  const bytes = ch.encodeChallenge(store.get(nonce, now));
  const q = ch.quorum([ch.DOH_NO_RECORD, ch.DOH_NO_RECORD, ch.transformDohResponse(new Uint8Array([1, 2, 3])), ch.DOH_NO_RECORD], 3);
  return JSON.stringify({ inserted: inserted.ok, found: found === nonce, decision: d.kind, status: store.status(nonce, now).kind,
    roundTrip: ch.decodeChallenge(bytes).state.kind, quorum: q.kind, query: ch.dohQuery('_dmarc.gmail.com').length });
};
`;

describe('src/challenge in a QuickJS-like sandbox', () => {
  it('bundles without Node builtins and runs a whole recovery with the pure backend', async () => {
    const out = await build({
      stdin: { contents: ENTRY, resolveDir: ROOT, loader: 'ts' },
      bundle: true,
      platform: 'neutral',
      format: 'iife',
      write: false,
      logLevel: 'silent',
    });
    const code = out.outputFiles[0]!.text;
    expect(code).not.toMatch(/require\(["']/);
    // No clock or ambient randomness (noble's unused randomBytes mentions crypto.getRandomValues; the sandbox has no
    // crypto, so drawing from it would throw).
    expect(code).not.toMatch(/Date\.now|Math\.random/);
    const sandbox: Record<string, unknown> = { TextEncoder, TextDecoder };
    createContext(sandbox);
    runInContext(code, sandbox);
    for (const name of ['Buffer', 'atob', 'btoa', 'process', 'require', 'crypto', 'fetch', 'setTimeout']) {
      expect(runInContext(`typeof ${name}`, sandbox)).toBe('undefined');
    }

    const random = Uint8Array.from(randomBytes(13));
    const nonce = makeNonce(random);
    const [signed] = signMail([
      {
        message: compose({ from: 'alice@ed25519.wxtest', subject: `Recover ${nonce}` }),
        domain: 'ed25519.wxtest',
        selector: 'sel',
        key: 'ed25519',
        headers: ['From', 'To', 'Subject', 'Date'],
        timestamp: VERIFY_TIME - 30,
      },
    ]);
    const proof = await emailProof('ed25519.wxtest', ['sel']);
    const anchors = readFileSync(join(GENERATED_DIR, 'anchors.ds'), 'utf8');
    const toSandbox = runInContext('(b) => new Uint8Array(b)', sandbox) as (b: number[]) => Uint8Array;
    const run = sandbox.run as (...a: unknown[]) => Promise<string>;
    const result = JSON.parse(
      await run(
        toSandbox([...random]),
        toSandbox([...bytes(signed!)]),
        toSandbox([...proof.chain]),
        anchors,
        VERIFY_TIME,
      ),
    );
    expect(result).toEqual({
      inserted: true,
      found: true,
      decision: 'verified',
      status: 'RecoveryReady',
      roundTrip: 'RecoveryReady',
      quorum: 'nxdomain',
      query: 12 + 18 + 4 + 11,
    });
  });
});

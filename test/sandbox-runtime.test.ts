/**
 * The verification core must run unchanged inside the canister (QuickJS: no Buffer, no Node builtins, no atob,
 * no crypto.subtle). Bundle it as the canister will and run it in a bare V8 context that has only the globals
 * QuickJS under Azle provides (ic-notes.md §2.4): any stray Node or Web API use fails here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createContext, runInContext } from 'node:vm';
import { hex } from '@scure/base';
import { describe, expect, it } from 'vitest';
import { bundleIife } from './helpers/bundle.ts';
import { VECTORS } from './helpers/vectors.ts';

const ROOT = join(import.meta.dirname, '..');
const EXAMPLE = join(ROOT, 'test-vectors', 'examples', 'rfc8463');

const ENTRY = `
import { verifyEmail } from './src/verify-email.ts';
import { staticTxtLookup } from './src/dns/lookup.ts';
import { lfToCrlf } from './src/mail/message.ts';
import { verifyChain } from './src/dnssec/chain.ts';
import { parseAnchors } from './src/dnssec/dnskey.ts';
import { nameFromText } from './src/dns/name.ts';
import { pureCrypto } from './src/crypto/pure.ts';
globalThis.run = async (bytes, dns, now) => {
  const v = await verifyEmail(lfToCrlf(bytes), staticTxtLookup(dns), now);
  return JSON.stringify({ accepted: v.accepted, reason: v.reason, results: v.signatures.map((s) => s.result) });
};
globalThis.runChain = async (bytes, anchors, name, type, now) => {
  const v = await verifyChain(bytes, nameFromText(name), type, { anchors: parseAnchors(anchors), now, crypto: pureCrypto });
  return v.verdict;
};
`;

describe('core in a QuickJS-like sandbox', () => {
  it('bundles with no Node builtins; verifies the RFC 8463 example and the RFC 9102 chain with the pure backend', async () => {
    const code = await bundleIife(ENTRY, 'neutral');
    const sandbox: Record<string, unknown> = {
      TextEncoder,
      TextDecoder,
      console: { log: () => undefined },
    };
    createContext(sandbox);
    runInContext(code, sandbox);
    for (const name of ['Buffer', 'atob', 'btoa', 'process', 'require', 'crypto', 'fetch']) {
      expect(runInContext(`typeof ${name}`, sandbox)).toBe('undefined');
    }
    const bytes = new Uint8Array(readFileSync(join(EXAMPLE, 'message.eml')));
    const dns = JSON.parse(readFileSync(join(EXAMPLE, 'dns.json'), 'utf8'));
    const run = sandbox.run as (b: Uint8Array, d: unknown, n: number) => Promise<string>;
    const result = JSON.parse(
      await run(runInContext('(b) => new Uint8Array(b)', sandbox)(Array.from(bytes)), dns, 1528637909),
    );
    expect(result).toEqual({ accepted: true, reason: 'Accepted', results: ['pass', 'pass'] });

    // The DNSSEC validator too: the RFC 9102 Appendix B chain, from its test root.
    const chain = hex.decode(
      readFileSync(
        join(VECTORS, 'dnssec/third-party/rfc9102-appendix-tlsa/authentication-chain.hex'),
        'utf8',
      ).trim(),
    );
    const anchors = '. IN DS 47005 13 2 2EB6E9F2480126691594D649A5A613DE3052E37861634641BB568746F2FFC4D4';
    const runChain = sandbox.runChain as (...a: unknown[]) => Promise<string>;
    const toSandbox = runInContext('(b) => new Uint8Array(b)', sandbox) as (b: number[]) => Uint8Array;
    expect(
      await runChain(toSandbox(Array.from(chain)), anchors, '_443._tcp.www.example.com.', 52, 1575115200),
    ).toBe('secure');
    expect(
      await runChain(toSandbox(Array.from(chain)), anchors, '_443._tcp.www.example.com.', 52, 1700000000),
    ).toBe('bogus');
  });
});

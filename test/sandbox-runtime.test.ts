/**
 * The verification core must run unchanged inside the canister (QuickJS: no Buffer, no Node builtins, no atob,
 * no crypto.subtle). Bundle it as the canister will and run it in a bare V8 context that has only the globals
 * QuickJS under Azle provides (ic-notes.md §2.4): any stray Node or Web API use fails here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createContext, runInContext } from 'node:vm';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const EXAMPLE = join(ROOT, 'test-vectors', 'examples', 'rfc8463');

const ENTRY = `
import { verifyEmail } from './src/verify-email.ts';
import { staticTxtLookup } from './src/dns/lookup.ts';
import { lfToCrlf } from './src/mail/message.ts';
globalThis.run = async (bytes, dns, now) => {
  const v = await verifyEmail(lfToCrlf(bytes), staticTxtLookup(dns), now);
  return JSON.stringify({ accepted: v.accepted, reason: v.reason, results: v.signatures.map((s) => s.result) });
};
`;

describe('core in a QuickJS-like sandbox', () => {
  it('bundles with no Node builtins and verifies the RFC 8463 example with the pure backend', async () => {
    const out = await build({
      stdin: { contents: ENTRY, resolveDir: ROOT, loader: 'ts' },
      bundle: true,
      platform: 'neutral',
      format: 'iife',
      write: false,
      logLevel: 'silent',
    });
    const code = out.outputFiles[0]!.text;
    expect(code).not.toMatch(/require\(["']node:/);
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
  });
});

/**
 * The loopback DNS stack (scripts/local-stack/dns.ts) as a vitest fixture. Kept apart from that module, which
 * the local stack and scripts/bench-proof.ts import outside vitest.
 */
import { afterAll, beforeAll } from 'vitest';
import type { DnsStackOptions } from '../../scripts/local-stack/dns.ts';
import { type DnsStack, startDnsStack } from './dns-servers.ts';

const START_TIMEOUT_MS = 30_000;

/**
 * Starts the stack before the tests of the enclosing describe block (or file) and stops it after them; `options`
 * (e.g. another `zonesDir`) may be a function, called when the stack starts.
 * Returns a getter, to be called inside the tests once the stack is up.
 */
export function useDnsStack(options?: DnsStackOptions | (() => DnsStackOptions)): () => DnsStack {
  let stack: DnsStack | undefined;
  beforeAll(async () => {
    stack = await startDnsStack(typeof options === 'function' ? options() : options);
  }, START_TIMEOUT_MS);
  afterAll(async () => {
    await stack?.stop();
  });
  return () => {
    if (!stack) throw new Error('the DNS stack is not running (useDnsStack getter called outside a test?)');
    return stack;
  };
}

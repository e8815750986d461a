/**
 * The loopback DNS stack (scripts/local-stack/dns.ts) as a vitest fixture. Kept apart from that module, which
 * the local stack and scripts/bench-proof.ts import outside vitest.
 */
import { afterAll, beforeAll } from 'vitest';
import { type DnsStack, startDnsStack } from './dns-servers.ts';

const START_TIMEOUT_MS = 30_000;

/**
 * Starts the stack before the tests of the enclosing describe block (or file) and stops it after them.
 * Returns a getter, to be called inside the tests once the stack is up.
 */
export function useDnsStack(): () => DnsStack {
  let stack: DnsStack | undefined;
  beforeAll(async () => {
    stack = await startDnsStack();
  }, START_TIMEOUT_MS);
  afterAll(async () => {
    await stack?.stop();
  });
  return () => {
    if (!stack) throw new Error('the DNS stack is not running (useDnsStack getter called outside a test?)');
    return stack;
  };
}

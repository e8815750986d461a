/**
 * A devnet with the compiled canister and a real `waxseal gateway` in front of it, as a vitest fixture for the
 * gateway suites. Kept apart from gateway.ts, which scripts import outside vitest (through start-web-stack.ts).
 */
import { afterAll, beforeAll } from 'vitest';
import type { InitConfig } from './canister.ts';
import { startDevnet, type TestDevnet } from './devnet.ts';
import { removeGatewayDir, startTestGateway, type TestGateway, type TestGatewayOptions } from './gateway.ts';

const START_TIMEOUT_MS = 60_000;

export interface GatewayStack {
  /** The devnet serving the canister; throws before the stack is up. */
  readonly dn: TestDevnet;
  /** The gateway; throws before the stack is up. */
  readonly gw: TestGateway;
}

/**
 * Starts the devnet (installed with `config`) and the gateway before the tests of the enclosing describe block (or
 * file), and after them stops both and removes the gateway's folder. `options` may be a function, called when the
 * gateway starts, so it can use what an earlier beforeAll made (a certificate, a DNS stack).
 */
export function useGatewayStack(
  config: InitConfig,
  options?: TestGatewayOptions | (() => TestGatewayOptions),
): GatewayStack {
  let dn: TestDevnet | undefined;
  let gw: TestGateway | undefined;
  beforeAll(async () => {
    dn = await startDevnet(config);
    gw = await startTestGateway(
      dn.url,
      dn.devnet.canisterId.toText(),
      typeof options === 'function' ? options() : options,
    );
  }, START_TIMEOUT_MS);
  afterAll(async () => {
    await gw?.stop();
    if (gw) removeGatewayDir(gw);
    await dn?.close();
  });
  const up = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the gateway stack is not running (read outside a test?)');
    return value;
  };
  return {
    get dn() {
      return up(dn);
    },
    get gw() {
      return up(gw);
    },
  };
}

/**
 * The devnet for tests: the compiled canister behind the IC HTTP interface on a loopback port, reached only
 * through an unmodified HttpAgent (default options plus `shouldFetchRootKey`) and the generated actor, as the
 * gateway and the web app reach it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Actor, type ActorSubclass, HttpAgent, type Identity } from '@icp-sdk/core/agent';
import { type _SERVICE, idlFactory } from '../../canister/declarations/waxseal.did.ts';
import { Devnet, type DevnetOptions } from '../../src/devnet/devnet.ts';
import { type DevnetServer, serveDevnet } from '../../src/devnet/server.ts';
import { buildCanister, encodeInit, type InitConfig, WASM } from './canister.ts';

export interface TestDevnet {
  devnet: Devnet;
  server: DevnetServer;
  url: string;
  dataDir: string;
  agent(identity?: Identity): Promise<HttpAgent>;
  actor(identity?: Identity): Promise<ActorSubclass<_SERVICE>>;
  close(): Promise<void>;
}

export async function startDevnet(
  config: InitConfig = {},
  options: Pick<DevnetOptions, 'maxQueuedCalls'> = {},
): Promise<TestDevnet> {
  buildCanister();
  const dataDir = mkdtempSync(join(tmpdir(), 'waxseal-devnet-'));
  const devnet = await Devnet.open({
    dataDir,
    wasm: new Uint8Array(readFileSync(WASM)),
    arg: encodeInit(config),
    ...options,
  });
  const server = await serveDevnet(devnet);
  devnet.startTicking();
  const agent = (identity?: Identity) =>
    HttpAgent.create({ host: server.url, shouldFetchRootKey: true, ...(identity ? { identity } : {}) });
  const handle: TestDevnet = {
    devnet,
    server,
    url: server.url,
    dataDir,
    agent,
    actor: async (identity) =>
      Actor.createActor<_SERVICE>(idlFactory, {
        agent: await agent(identity),
        canisterId: devnet.canisterId,
      }),
    async close() {
      // The current server: a test may have closed the first one and served the devnet again.
      await handle.server.close();
      await devnet.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return handle;
}

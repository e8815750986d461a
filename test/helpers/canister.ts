/**
 * The compiled canister under test: builds build/waxseal.wasm once per run (scripts/build-canister.sh) and
 * installs it on the backend chooseBackend() picks (PocketIC when POCKET_IC_BIN is set, else the Node host).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { IDL } from '@icp-sdk/core/candid';
import type { Principal } from '@icp-sdk/core/principal';
import { type _SERVICE, idlFactory, init } from '../../canister/declarations/waxseal.did.ts';
import type { IcHostOptions } from '../../src/host/host.ts';
import { type Backend, type BackendActor, chooseBackend } from '../../src/host/index.ts';

const ROOT = join(import.meta.dirname, '..', '..');
export const WASM = join(ROOT, 'build', 'waxseal.wasm');
export const INSTR_WASM = join(ROOT, 'build', 'waxseal.instr.wasm');

let built = false;

/** Builds the canister unless this process already did (the build takes about 10 s). */
export function buildCanister(): void {
  if (built && existsSync(WASM) && statSync(WASM).size > 0) return;
  execFileSync('bash', [join(ROOT, 'scripts', 'build-canister.sh')], { cwd: ROOT, stdio: 'pipe' });
  built = true;
}

export type InitConfig = Parameters<typeof encodeInit>[0];

export function encodeInit(
  config: Partial<{
    mail_hosts: string[];
    app_origin: string;
    root_anchors: string[];
    gateway_principals: Principal[];
    identity_number_start: bigint;
    doh: {
      allowed_domains: string[];
      providers: { name: string; url: string }[];
      quorum: number;
      cache_seconds: number;
    };
  }> | null,
): Uint8Array {
  const opt = <T>(v: T | undefined): [] | [T] => (v === undefined ? [] : [v]);
  const arg =
    config === null
      ? []
      : [
          {
            mail_hosts: opt(config.mail_hosts),
            app_origin: opt(config.app_origin),
            root_anchors: opt(config.root_anchors),
            doh: opt(config.doh),
            gateway_principals: opt(config.gateway_principals),
            identity_number_start: opt(config.identity_number_start),
          },
        ];
  return new Uint8Array(IDL.encode(init({ IDL }), [arg]));
}

export interface Deployed {
  backend: Backend;
  id: Principal;
  actor: (identity?: { getPrincipal(): Principal }) => BackendActor<_SERVICE>;
}

export async function deploy(
  config: InitConfig = {},
  wasm = WASM,
  options: IcHostOptions = {},
): Promise<Deployed> {
  buildCanister();
  const backend = await chooseBackend(options);
  const id = await backend.install(wasm, { arg: encodeInit(config) });
  return {
    backend,
    id,
    actor: (identity) => backend.createActor<_SERVICE>(idlFactory, id, identity ? { identity } : {}),
  };
}

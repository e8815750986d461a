import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { SignIdentity } from '@icp-sdk/core/agent';
import { IDL } from '@icp-sdk/core/candid';
import { DelegationChain, DelegationIdentity } from '@icp-sdk/core/identity';
import { Principal } from '@icp-sdk/core/principal';
import { expect } from 'vitest';
import { type _SERVICE, idlFactory, init } from '../../canister/declarations/waxseal.did.ts';
import type { IcHostOptions } from '../../src/host/host.ts';
import { type Backend, type BackendActor, chooseBackend } from '../../src/host/index.ts';
import { verifyDelegationSignature } from './ic-certificates.ts';

const ROOT = join(import.meta.dirname, '..', '..');
export const WASM = join(ROOT, 'build', 'waxseal.wasm');
export const INSTR_WASM = join(ROOT, 'build', 'waxseal.instr.wasm');

/** test/global-setup.ts builds the canister once per run; this only checks that it did. */
export function buildCanister(): void {
  if (!existsSync(WASM) || statSync(WASM).size === 0) {
    throw new Error(`${WASM} is missing: run \`npm run build:canister\` (vitest's global setup does it)`);
  }
}

export type InitConfig = Parameters<typeof encodeInit>[0];

export function encodeInit(
  config: Partial<{
    mail_hosts: string[];
    app_origin: string;
    root_anchors: string[];
    gateway_principals: Principal[];
    identity_number_start: bigint;
    public_suffix_list: string;
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
            public_suffix_list: opt(config.public_suffix_list),
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

/** The canister's `GET /metrics` page (Prometheus text). */
export async function metricsText(c: Deployed): Promise<string> {
  const page = await c.actor().http_request({
    method: 'GET',
    url: '/metrics',
    headers: [],
    body: new Uint8Array(),
    certificate_version: [],
  });
  if (page.status_code !== 200) throw new Error(`/metrics answered ${page.status_code}`);
  return new TextDecoder().decode(page.body);
}

/** One unlabelled or labelled sample of the metrics page, e.g. `waxseal_doh_outcalls` or `x{code="A"}`. */
export function metricValue(text: string, sample: string): number {
  const escaped = sample.replace(/[{}"\\]/g, '\\$&');
  const m = new RegExp(`^${escaped} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : Number.NaN;
}

/**
 * Signs in with a canister-signed delegation the way a client would: the signature must verify with the TS
 * verifier against the backend's root key, and the DelegationIdentity it makes must be the identity's
 * management principal (the self-authenticating principal of `userKey`).
 */
export async function signInWithDelegation(
  c: Deployed,
  session: SignIdentity,
  userKey: Uint8Array,
  signed: { delegation: { pubkey: Uint8Array; expiration: bigint }; signature: Uint8Array },
): Promise<DelegationIdentity> {
  const { pubkey, expiration } = signed.delegation;
  const verdict = await verifyDelegationSignature(userKey, { pubkey, expiration }, signed.signature, {
    rootKey: await c.backend.rootKey(),
    expectedCanisterId: c.id.toUint8Array(),
  });
  expect(verdict.ok, JSON.stringify(verdict)).toBe(true);
  const chain = DelegationChain.fromDelegations(
    [{ delegation: { ...signed.delegation, targets: undefined }, signature: signed.signature } as never],
    userKey as never,
  );
  const delegated = DelegationIdentity.fromDelegation(session, chain);
  expect(delegated.getPrincipal().toText()).toBe(Principal.selfAuthenticating(userKey).toText());
  return delegated;
}

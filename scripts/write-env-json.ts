/**
 * Writes the web app's `/env.json` for a deployment: where the canister is, which the page reads at start
 * (frontend/src/ic/env.ts) so that one build serves every network. dfx.json runs it right after the frontend
 * build, so `dfx deploy waxseal_frontend` uploads it with the app; dfx sets CANISTER_ID_WAXSEAL (the id of the
 * `waxseal` dependency on the target network) and DFX_NETWORK for the build.
 *
 *   node --import tsx scripts/write-env-json.ts [--canister-id <id>] [--host <origin>] [--root-key <hex>]
 *                                               [--out frontend/dist/env.json]
 *
 * On the IC (DFX_NETWORK=ic or unset, or a host on icp-api.io, icp0.io or ic0.app) the document has no root key:
 * the agent has the IC's built in and must never fetch one. On any other network (a local replica, the devnet)
 * the page needs that network's key: --root-key, or else read from the host's /api/v2/status here. The document
 * is checked with the page's own parseEnv before it is written.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { HttpAgent } from '@icp-sdk/core/agent';
import { type AppEnv, EnvError, parseEnv } from '../frontend/src/ic/env.ts';
import { toHex } from '../src/encoding/bytes.ts';
import { DIST } from './frontend-build.ts';

/** The IC's API boundary nodes. */
export const IC_HOST = 'https://icp-api.io';
/** dfx's default local replica. */
export const LOCAL_HOST = 'http://127.0.0.1:4943';
const IC_DOMAINS = ['icp-api.io', 'icp0.io', 'ic0.app'] as const;

/** Whether `host` is an origin of the IC itself, whose root key the agent has built in. */
export function isIcHost(host: string): boolean {
  const { hostname } = new URL(host);
  return IC_DOMAINS.some((d) => hostname === d || hostname.endsWith(`.${d}`));
}

/**
 * The env document for `canisterId` at `host`: parseEnv's rules, plus a root key exactly when the host is not
 * the IC. @throws EnvError naming what is wrong.
 */
export function envDocument(o: { canisterId: string; host: string; rootKey?: string | undefined }): AppEnv {
  const env = parseEnv(o);
  if (isIcHost(env.host) && env.rootKey !== undefined) {
    throw new EnvError('env.json: no rootKey for the IC: its root key is built into the agent');
  }
  if (!isIcHost(env.host) && env.rootKey === undefined) {
    throw new EnvError(`env.json: rootKey is needed for ${env.host}, which is not the IC`);
  }
  return env;
}

/** A network's root key as its /api/v2/status reports it (HttpAgent's fetchRootKey). */
export async function fetchRootKey(host: string): Promise<Uint8Array> {
  const agent = await HttpAgent.create({ host, shouldFetchRootKey: true });
  if (!agent.rootKey) throw new EnvError(`env.json: ${host} reported no root key`);
  return agent.rootKey;
}

/** The host the flags or dfx's DFX_NETWORK name. */
function hostFor(flag: string | undefined, network: string | undefined): string {
  if (flag !== undefined) return flag;
  if (network === undefined || network === 'ic') return IC_HOST;
  if (network === 'local') return LOCAL_HOST;
  throw new EnvError(`env.json: no host known for the dfx network "${network}"; pass --host`);
}

/**
 * Reads the flags (falling back on dfx's environment), builds the document, writes it; returns its path and
 * content. @throws EnvError.
 */
export async function writeEnvJson(
  argv: string[],
  environment: NodeJS.ProcessEnv,
  readRootKey: (host: string) => Promise<Uint8Array> = fetchRootKey,
): Promise<{ path: string; env: AppEnv }> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'canister-id': { type: 'string' },
      host: { type: 'string' },
      'root-key': { type: 'string' },
      out: { type: 'string', default: join(DIST, 'env.json') },
    },
  });
  const canisterId = values['canister-id'] ?? environment.CANISTER_ID_WAXSEAL;
  if (canisterId === undefined) throw new EnvError('env.json: pass --canister-id (or run from dfx)');
  const host = hostFor(values.host, environment.DFX_NETWORK);
  parseEnv({ host, canisterId }); // a valid origin and id before anything is asked of the host
  const rootKey = values['root-key'] ?? (isIcHost(host) ? undefined : toHex(await readRootKey(host)));
  const env = envDocument({ canisterId, host, rootKey });
  writeFileSync(values.out, `${JSON.stringify(env, null, 2)}\n`);
  return { path: values.out, env };
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  try {
    const { path, env } = await writeEnvJson(process.argv.slice(2), process.env);
    console.log(`${path}: ${JSON.stringify(env)}`);
  } catch (e) {
    console.error(`write-env-json: ${e instanceof Error ? e.message : e}`);
    process.exit(1);
  }
}

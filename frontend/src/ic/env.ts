/**
 * Where the canister is: read at start from `/env.json`, which the local stack writes from the endpoint's ready
 * line (and a deployment writes for the IC). Nothing about the network is compiled into the bundle, so one build
 * serves every network.
 *
 * `rootKey` is present only for a local endpoint: the IC's root key is built into the agent and must never be
 * fetched.
 */
export interface AppEnv {
  /** The IC API boundary or the local endpoint, e.g. http://127.0.0.1:4943. */
  readonly host: string;
  readonly canisterId: string;
  /** DER hex of a local endpoint's root key; absent on the IC. */
  readonly rootKey?: string;
}

export class EnvError extends Error {}

const PRINCIPAL = /^[a-z0-9]{5}(-[a-z0-9]{5})*(-[a-z0-9]{1,5})?$/;

/** Checks the shape of an env document; throws EnvError naming the field. */
export function parseEnv(json: unknown): AppEnv {
  if (typeof json !== 'object' || json === null) throw new EnvError('env.json is not an object');
  const v = json as Record<string, unknown>;
  if (typeof v.host !== 'string' || !/^https?:\/\/[^/]+$/.test(v.host)) {
    throw new EnvError('env.json: host must be an http(s) origin');
  }
  if (typeof v.canisterId !== 'string' || !PRINCIPAL.test(v.canisterId)) {
    throw new EnvError('env.json: canisterId must be a principal');
  }
  if (v.rootKey !== undefined && (typeof v.rootKey !== 'string' || !/^([0-9a-f]{2})+$/.test(v.rootKey))) {
    throw new EnvError('env.json: rootKey must be hex');
  }
  return {
    host: v.host,
    canisterId: v.canisterId,
    ...(typeof v.rootKey === 'string' ? { rootKey: v.rootKey } : {}),
  };
}

export async function loadEnv(fetchImpl: typeof fetch = fetch): Promise<AppEnv> {
  const res = await fetchImpl('/env.json', { cache: 'no-store' });
  if (!res.ok) throw new EnvError(`env.json: HTTP ${res.status}`);
  return parseEnv(await res.json());
}

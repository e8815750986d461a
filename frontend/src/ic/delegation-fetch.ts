/**
 * The canister's delegation for (anchor, origin, session key) (protocol.md §1): `prepare_delegation` as an update
 * call, which certifies the signature, then the query `get_delegation` for the same values. On the IC a query may
 * reach a replica that has not yet caught up with the certified state, so `NoSuchDelegation` (and a failed query)
 * is retried a few times, briefly. Used by sign-in (session.ts) and by /authorize (authorize/delegation.ts).
 */
import type { SignedDelegation } from '../../../canister/declarations/waxseal.did.ts';
import type { Waxseal } from './actor.ts';

export type DelegationActor = Pick<Waxseal, 'prepare_delegation' | 'get_delegation'>;

export interface RetryOptions {
  /** How many times `get_delegation` is asked before giving up. */
  readonly attempts: number;
  /** Pause before each retry, in ms. */
  readonly pauseMs: number;
  readonly sleep: (ms: number) => Promise<void>;
}

export const RETRIES: RetryOptions = {
  attempts: 5,
  pauseMs: 250,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export type FetchedDelegation =
  | { readonly ok: true; readonly userKey: Uint8Array; readonly signed: SignedDelegation }
  /** `code` is the canister's refusal code, or null when the signed delegation never arrived. */
  | { readonly ok: false; readonly code: string | null; readonly message: string };

/**
 * Prepares and fetches the delegation; `ttlNs` absent asks for the canister's default lifetime.
 * @throws what the agent throws when `prepare_delegation` cannot reach the canister.
 */
export async function fetchDelegation(
  actor: DelegationActor,
  anchor: bigint,
  origin: string,
  sessionKey: Uint8Array,
  ttlNs?: bigint,
  retry: RetryOptions = RETRIES,
): Promise<FetchedDelegation> {
  const prepared = await actor.prepare_delegation(
    anchor,
    origin,
    sessionKey,
    ttlNs === undefined ? [] : [ttlNs],
  );
  if ('Err' in prepared) return { ok: false, code: prepared.Err.code, message: prepared.Err.message };
  const { user_key: userKey, expiration } = prepared.Ok;
  let last = 'no answer';
  for (let attempt = 0; attempt < retry.attempts; attempt++) {
    if (attempt > 0) await retry.sleep(retry.pauseMs);
    try {
      const got = await actor.get_delegation(anchor, origin, sessionKey, expiration);
      if ('Ok' in got) return { ok: true, userKey, signed: got.Ok };
      if (got.Err.code !== 'NoSuchDelegation')
        return { ok: false, code: got.Err.code, message: got.Err.message };
      last = got.Err.message;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
  }
  return {
    ok: false,
    code: null,
    message: `the signed delegation could not be fetched (${last.split('\n')[0]})`,
  };
}

/**
 * Signing a dApp's delegation once the person has pressed Continue (protocol.md §1): `prepare_delegation(anchor,
 * origin, session_key, ttl)` as an update call, which certifies the signature, then the query `get_delegation` for
 * the same values. On the IC a query may reach a replica that has not yet caught up with the certified state, so
 * `NoSuchDelegation` (and a failed query) is retried a few times, briefly. The caller must be authorized for the
 * identity: the signed-in session (ic/session.ts) acts as its management principal or as an authenticator.
 */
import type { Waxseal } from '../ic/actor.ts';
import { type Parsed, refuse, type SignedChain } from './request.ts';

export type DelegationActor = Pick<Waxseal, 'prepare_delegation' | 'get_delegation'>;

export interface DelegationTarget {
  /** The origin whose principal the dApp gets (its own, or its validated derivation origin). */
  readonly origin: string;
  /** DER of the dApp's session key. */
  readonly sessionKey: Uint8Array;
  /** Lifetime to ask for (ttl.ts has already capped it). */
  readonly ttlNs: bigint;
}

export interface RetryOptions {
  /** How many times `get_delegation` is asked before giving up. */
  readonly attempts: number;
  /** Pause before each retry, in ms. */
  readonly pauseMs: number;
  readonly sleep: (ms: number) => Promise<void>;
}

const RETRIES: RetryOptions = {
  attempts: 5,
  pauseMs: 250,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * The signed chain for `target`, or the canister's refusal in words.
 * @throws what the agent throws when `prepare_delegation` cannot reach the canister.
 */
export async function signDelegation(
  actor: DelegationActor,
  anchor: bigint,
  target: DelegationTarget,
  authnMethod: SignedChain['authnMethod'],
  retry: RetryOptions = RETRIES,
): Promise<Parsed<SignedChain>> {
  const { origin, sessionKey, ttlNs } = target;
  const prepared = await actor.prepare_delegation(anchor, origin, sessionKey, [ttlNs]);
  if ('Err' in prepared) return refuse('generic', prepared.Err.message);
  const { user_key: userKey, expiration } = prepared.Ok;
  let last = 'no answer';
  for (let attempt = 0; attempt < retry.attempts; attempt++) {
    if (attempt > 0) await retry.sleep(retry.pauseMs);
    try {
      const got = await actor.get_delegation(anchor, origin, sessionKey, expiration);
      if ('Ok' in got) {
        const { delegation, signature } = got.Ok;
        return {
          ok: true,
          value: {
            userKey,
            delegations: [{ pubkey: delegation.pubkey, expiration: delegation.expiration, signature }],
            authnMethod,
          },
        };
      }
      if (got.Err.code !== 'NoSuchDelegation') return refuse('generic', got.Err.message);
      last = got.Err.message;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
  }
  return refuse('generic', `the signed delegation could not be fetched (${last.split('\n')[0]})`);
}

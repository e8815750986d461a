/**
 * Signing a dApp's delegation once the person has pressed Continue (protocol.md §1), through the same
 * prepare-then-fetch as sign-in (ic/delegation-fetch.ts). The caller must be authorized for the identity: the
 * signed-in session (ic/session.ts) acts as its management principal or as an authenticator.
 */
import { type DelegationActor, fetchDelegation, RETRIES, type RetryOptions } from '../ic/delegation-fetch.ts';
import { type Parsed, refuse, type SignedChain } from './request.ts';

export type { DelegationActor, RetryOptions };

export interface DelegationTarget {
  /** The origin whose principal the dApp gets (its own, or its validated derivation origin). */
  readonly origin: string;
  /** DER of the dApp's session key. */
  readonly sessionKey: Uint8Array;
  /** Lifetime to ask for (ttl.ts has already capped it). */
  readonly ttlNs: bigint;
}

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
  const got = await fetchDelegation(actor, anchor, target.origin, target.sessionKey, target.ttlNs, retry);
  if (!got.ok) return refuse('generic', got.message);
  const { delegation, signature } = got.signed;
  return {
    ok: true,
    value: {
      userKey: got.userKey,
      delegations: [{ pubkey: delegation.pubkey, expiration: delegation.expiration, signature }],
      authnMethod,
    },
  };
}

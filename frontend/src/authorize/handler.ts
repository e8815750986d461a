/**
 * The one delegation handler behind both protocols (channel.ts feeds it ICRC-34 and legacy requests alike), in
 * the order Internet Identity's `/authorize` follows: refuse what cannot be signed (targets: an ICRC-34 account
 * delegation, which Waxseal's canister never makes, so they are refused rather than silently dropped), settle the
 * origin whose principal is used (the caller's, or a derivation origin its alternative-origins file lists:
 * alternative-origins.ts), fix the lifetime (ttl.ts), and only then ask the person. Nothing is signed before
 * `approve` resolves, and it resolves only on Continue or Cancel.
 *
 * The Waxseal app's own origin is never a dApp's: its principal is the identity's management principal
 * (protocol.md §1), which may add authenticators. A dApp cannot run there, and a derivation origin could only
 * name it if the app served an alternative-origins file; the handler refuses it all the same.
 */
import type { DelegationTarget } from './delegation.ts';
import { type DelegationRequest, type Outcome, type Parsed, refuse } from './request.ts';
import { delegationTtl } from './ttl.ts';

/** What the person is asked to approve: which dApp (`caller`) gets which origin's principal. */
export interface Approval extends DelegationTarget {
  readonly caller: string;
  readonly signal: AbortSignal;
}

export interface HandlerDeps {
  /** Origins whose principal no dApp gets: the Waxseal app's own. */
  readonly reservedOrigins: readonly string[];
  effectiveOrigin(caller: string, derivationOrigin: string | undefined): Promise<Parsed<string>>;
  /** Shows the request; resolves with the signed chain on Continue, or the user-aborted refusal on Cancel. */
  approve(approval: Approval): Promise<Outcome>;
}

export async function handleDelegation(
  request: DelegationRequest,
  caller: string,
  signal: AbortSignal,
  deps: HandlerDeps,
): Promise<Outcome> {
  if (request.targets !== undefined && request.targets.length > 0) {
    return refuse(
      'not-supported',
      'Waxseal signs delegations for the app’s own principal only (no account delegations); omit targets',
    );
  }
  const origin = await deps.effectiveOrigin(caller, request.derivationOrigin);
  if (!origin.ok) return origin;
  if (deps.reservedOrigins.includes(origin.value)) {
    return refuse('permission-denied', `${origin.value} is Waxseal’s own origin; no dApp signs in as it`);
  }
  return deps.approve({
    caller,
    origin: origin.value,
    sessionKey: request.sessionKey,
    ttlNs: delegationTtl(request.maxTimeToLive),
    signal,
  });
}

/**
 * The legacy client authentication protocol (Internet Identity spec, "Client authentication protocol"), spoken by
 * @dfinity/auth-client ≤ 3.x and @icp-sdk/auth ≤ 5: the IdP posts `authorize-ready` to its opener, the dApp
 * answers `authorize-client`, the IdP replies `authorize-client-success` or `authorize-client-failure`. Messages
 * travel by structured clone, so keys are Uint8Array and times bigint. The request maps onto the same
 * `DelegationRequest` as ICRC-34, so both protocols share one handler.
 */
import { checkDerivationOriginField } from './alternative-origins.ts';
import { checkSessionKey, type DelegationRequest, type Outcome, type Parsed, refuse } from './request.ts';
import { isValidTtl } from './ttl.ts';

export const AUTHORIZE_READY = { kind: 'authorize-ready' } as const;

/**
 * What @dfinity/auth-client reports when the person closes the window (`ERROR_USER_INTERRUPT`); Cancel reports
 * the same, so a dApp handles both alike.
 */
export const USER_INTERRUPT = 'UserInterrupt';

export function isAuthorizeClient(data: unknown): boolean {
  return (
    typeof data === 'object' && data !== null && (data as { kind?: unknown }).kind === 'authorize-client'
  );
}

/**
 * `authorize-client`: `sessionPublicKey` (DER), optional `maxTimeToLive` (ns, bigint) and `derivationOrigin`.
 * `allowPinAuthentication`, `autoSelectionPrincipal` and custom values are ignored: Waxseal has no PIN identities
 * and always shows which identity it will use.
 */
export function parseAuthorizeClient(data: unknown): Parsed<DelegationRequest> {
  if (!isAuthorizeClient(data)) return refuse('invalid-params', 'not an authorize-client message');
  const m = data as Record<string, unknown>;
  const key = m.sessionPublicKey instanceof Uint8Array ? new Uint8Array(m.sessionPublicKey) : null;
  const sessionKey = checkSessionKey(key, 'sessionPublicKey (Uint8Array)');
  if (!sessionKey.ok) return sessionKey;
  const ttl = m.maxTimeToLive;
  if (ttl !== undefined && (typeof ttl !== 'bigint' || !isValidTtl(ttl))) {
    return refuse('invalid-params', 'maxTimeToLive must be a bigint of nanoseconds, greater than 0');
  }
  const derivationOrigin = checkDerivationOriginField(m.derivationOrigin, 'derivationOrigin');
  if (!derivationOrigin.ok) return derivationOrigin;
  return {
    ok: true,
    value: {
      sessionKey: sessionKey.value,
      maxTimeToLive: ttl,
      targets: undefined,
      derivationOrigin: derivationOrigin.value,
    },
  };
}

/** The reply to `authorize-client`: the chain as Uint8Array/bigint values, or the failure text. */
export function authorizeClientReply(outcome: Outcome) {
  if (!outcome.ok) {
    return {
      kind: 'authorize-client-failure',
      text: outcome.code === 'user-aborted' ? USER_INTERRUPT : outcome.message,
    } as const;
  }
  const { chain } = outcome;
  return {
    kind: 'authorize-client-success',
    delegations: chain.delegations.map((d) => ({
      delegation: { pubkey: d.pubkey, expiration: d.expiration },
      signature: d.signature,
    })),
    userPublicKey: chain.userKey,
    authnMethod: chain.authnMethod,
  } as const;
}

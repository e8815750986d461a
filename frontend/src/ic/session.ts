/**
 * A signed-in session (protocol.md §1; issue 11, deliverable 2): sessions converge on the identity's management
 * principal, whatever got the person in. The passkey or device key signs once, a short delegation (IC interface
 * spec, "Authentication": delegation chains) to a session key made here with WebCrypto; acting as that
 * authenticator, the session key asks the canister for the identity's own delegation for the app origin
 * (`prepare_delegation`, then the query `get_delegation`), and from then on every call is the management
 * principal's, exactly as after an email recovery. The session key is not extractable and not stored; the
 * session ends when the canister's delegation expires (30 minutes) or on sign out.
 */
import type { DerEncodedPublicKey, Signature, SignIdentity } from '@icp-sdk/core/agent';
import { Delegation, DelegationChain, DelegationIdentity, ECDSAKeyIdentity } from '@icp-sdk/core/identity';
import type { SignedDelegation } from '../../../canister/declarations/waxseal.did.ts';
import { connect, type Waxseal } from './actor.ts';
import { fetchDelegation } from './delegation-fetch.ts';
import type { AppEnv } from './env.ts';

/** 30 minutes: long enough to manage an identity, short enough for a shared computer. */
export const SESSION_MS = 30 * 60_000;

export interface Session {
  readonly anchor: bigint;
  readonly actor: Waxseal;
  /** Signed in by email recovery: the page offers to add a passkey before the delegation expires. */
  readonly recovered?: boolean;
  /** The principal of the passkey or device key that signed in, when one did ("this device" on the list). */
  readonly authenticator?: string;
}

/** A refusal from the canister while signing in, with its code (`NotAuthorized`, `InvalidOrigin`, …). */
export class SignInRefused extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The canister's signed delegation (from `get_delegation` or `email_recovery_get_delegation`) to `sessionKey`,
 * as an identity whose principal is the one of `userKey`: the identity's user principal for the app origin.
 * One place for it, so that passkey sign-in and email recovery build the same chain.
 */
export function canisterDelegatedIdentity(
  sessionKey: SignIdentity,
  userKey: Uint8Array,
  signed: SignedDelegation,
): DelegationIdentity {
  const { pubkey, expiration, targets } = signed.delegation;
  const chain = DelegationChain.fromDelegations(
    [
      {
        delegation: new Delegation(pubkey, expiration, targets[0]),
        signature: signed.signature as Signature,
      },
    ],
    userKey as DerEncodedPublicKey,
  );
  return DelegationIdentity.fromDelegation(sessionKey, chain);
}

/**
 * Signs in to `anchor` with one of its authenticators: one signature by it (one passkey prompt), then the
 * canister's delegation to the management principal. When the canister has no app origin configured there is
 * no management principal (and no email recovery either); the session then acts as the authenticator itself.
 *
 * @throws SignInRefused when the canister refuses (the key is no longer an authenticator of the identity, …);
 *   a DOMException `NotAllowedError` when the passkey prompt is cancelled; transport errors as the agent throws.
 */
export async function signIn(env: AppEnv, anchor: bigint, authenticator: SignIdentity): Promise<Session> {
  const sessionKey = await ECDSAKeyIdentity.generate({ extractable: false });
  const sessionDer = new Uint8Array(sessionKey.getPublicKey().toDer());
  const origin = (await (await connect(env)).config()).app_origin;
  const chain = await DelegationChain.create(
    authenticator,
    sessionKey.getPublicKey(),
    new Date(Date.now() + SESSION_MS),
  );
  const asAuthenticator = DelegationIdentity.fromDelegation(sessionKey, chain);
  const viaAuthenticator = await connect(env, asAuthenticator);
  const base = { anchor, authenticator: authenticator.getPrincipal().toText() };
  if (!origin) return { ...base, actor: viaAuthenticator };

  const got = await fetchDelegation(viaAuthenticator, anchor, origin, sessionDer);
  if (!got.ok) throw got.code === null ? new Error(got.message) : new SignInRefused(got.code, got.message);
  const identity = canisterDelegatedIdentity(sessionKey, got.userKey, got.signed);
  return { ...base, actor: await connect(env, identity) };
}

/**
 * A signed-in session: the passkey signs once, a delegation (IC interface spec, "Authentication": delegation
 * chains) to a session key made in this browser with WebCrypto, and the session key signs every call after
 * that. Without it each call would ask for the passkey again. The session ends at `SESSION_MS` or on sign out;
 * the session key is not extractable and not stored.
 */
import type { SignIdentity } from '@icp-sdk/core/agent';
import { DelegationChain, DelegationIdentity, ECDSAKeyIdentity } from '@icp-sdk/core/identity';
import { connect, type Waxseal } from './actor.ts';
import type { AppEnv } from './env.ts';

/** 30 minutes: long enough to manage an identity, short enough for a shared computer. */
export const SESSION_MS = 30 * 60_000;

export interface Session {
  readonly anchor: bigint;
  readonly actor: Waxseal;
  /** Signed in by email recovery: the page offers to add a passkey before the delegation expires. */
  readonly recovered?: boolean;
}

export async function signIn(env: AppEnv, anchor: bigint, passkey: SignIdentity): Promise<Session> {
  const sessionKey = await ECDSAKeyIdentity.generate({ extractable: false });
  const chain = await DelegationChain.create(
    passkey,
    sessionKey.getPublicKey(),
    new Date(Date.now() + SESSION_MS),
  );
  const identity = DelegationIdentity.fromDelegation(sessionKey, chain);
  return { anchor, actor: await connect(env, identity) };
}

/**
 * The demo's legacy page: the same sign-in through @dfinity/auth-client 3.4 and @dfinity/agent 3.4, which speak
 * the Internet Identity `authorize-ready` / `authorize-client` protocol. The client forces `#authorize` onto the
 * identity provider URL and reports a closed window as `UserInterrupt`.
 */
import { Actor, HttpAgent, type Identity } from '@dfinity/agent';
import { AuthClient } from '@dfinity/auth-client';
import { DelegationIdentity } from '@dfinity/identity';
import type { Principal } from '@dfinity/principal';
import {
  type DemoClient,
  type DemoEnv,
  loadEnv,
  mountDemo,
  optionsFromQuery,
  rootKeyBytes,
  whoamiIdl,
} from './page.ts';

function client(env: DemoEnv, auth: AuthClient): DemoClient {
  const whoami = async (identity: Identity) => {
    const agent = await HttpAgent.create({ host: env.host, identity, ...rootKeyBytes(env) });
    const actor = Actor.createActor<{ whoami: () => Promise<Principal> }>(whoamiIdl, {
      agent,
      canisterId: env.canisterId,
    });
    return (await actor.whoami()).toText();
  };
  return {
    signIn: (options) =>
      new Promise((resolve, reject) => {
        void auth.login({
          identityProvider: env.identityProvider,
          ...(options.maxTimeToLive ? { maxTimeToLive: options.maxTimeToLive } : {}),
          ...(options.derivationOrigin ? { derivationOrigin: options.derivationOrigin } : {}),
          onSuccess: () => {
            const identity = auth.getIdentity();
            resolve({
              principal: identity.getPrincipal().toText(),
              expiration:
                identity instanceof DelegationIdentity
                  ? identity.getDelegation().delegations[0]!.delegation.expiration
                  : 0n,
              whoami: () => whoami(identity),
            });
          },
          onError: (why) => reject(new Error(why ?? 'sign-in failed')),
        });
      }),
    signOut: () => auth.logout(),
  };
}

const root = document.getElementById('demo')!;
const options = optionsFromQuery(location.search);
Promise.all([loadEnv(), AuthClient.create({ idleOptions: { disableIdle: true } })]).then(
  ([env, auth]) => mountDemo(root, client(env, auth), options),
  (e: unknown) => {
    root.textContent = `Cannot load the demo's settings: ${e instanceof Error ? e.message : String(e)}`;
  },
);

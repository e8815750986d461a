/**
 * The demo's main page: "Sign in with Waxseal" through @icp-sdk/auth 7.1, which speaks ICRC-29 (window
 * postMessage transport) and ICRC-34 (`icrc34_delegation`) to Waxseal's `/authorize`, then `whoami` on the
 * Waxseal canister with @icp-sdk/core 5 and the returned delegation. The AuthClient is made at page load, as
 * @icp-sdk/auth requires (`signIn` must open its window inside the click).
 */
import { AuthClient } from '@icp-sdk/auth/client';
import { Actor, HttpAgent, type Identity } from '@icp-sdk/core/agent';
import { DelegationIdentity } from '@icp-sdk/core/identity';
import { Principal } from '@icp-sdk/core/principal';
import {
  type DemoClient,
  type DemoEnv,
  loadEnv,
  mountDemo,
  optionsFromQuery,
  rootKeyBytes,
  whoamiIdl,
} from './page.ts';

function client(env: DemoEnv, derivationOrigin: string | undefined): DemoClient {
  const auth = new AuthClient({
    identityProvider: env.identityProvider,
    ...(derivationOrigin ? { derivationOrigin } : {}),
    idleOptions: { disableIdle: true },
  });
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
      auth
        .signIn({
          ...(options.maxTimeToLive ? { maxTimeToLive: options.maxTimeToLive } : {}),
          ...(options.targets ? { targets: options.targets.map((t) => Principal.fromText(t)) } : {}),
        })
        .then((identity) => ({
          principal: identity.getPrincipal().toText(),
          expiration:
            identity instanceof DelegationIdentity
              ? identity.getDelegation().delegations[0]!.delegation.expiration
              : 0n,
          whoami: () => whoami(identity),
        })),
    signOut: () => auth.signOut(),
  };
}

const root = document.getElementById('demo')!;
const options = optionsFromQuery(location.search);
loadEnv().then(
  (env) => mountDemo(root, client(env, options.derivationOrigin), options),
  (e: unknown) => {
    root.textContent = `Cannot load the demo's settings: ${e instanceof Error ? e.message : String(e)}`;
  },
);

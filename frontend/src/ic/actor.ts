/**
 * The one place that owns the agent and the actor (style.md, "Web app"): an unmodified HttpAgent and the
 * generated actor, pointed at the endpoint named by env.json. A local endpoint's root key is taken from env.json
 * (what the endpoint printed), never fetched from the network it is meant to authenticate.
 */
import { Actor, type ActorSubclass, HttpAgent, type Identity } from '@icp-sdk/core/agent';
import { hex } from '@scure/base';
import { type _SERVICE, idlFactory } from '../../../canister/declarations/waxseal.did.ts';
import type { AppEnv } from './env.ts';

export type Waxseal = ActorSubclass<_SERVICE>;

export async function connect(env: AppEnv, identity?: Identity): Promise<Waxseal> {
  const agent = await HttpAgent.create({
    host: env.host,
    ...(identity ? { identity } : {}),
    ...(env.rootKey ? { rootKey: hex.decode(env.rootKey) } : {}),
  });
  return Actor.createActor<_SERVICE>(idlFactory, { agent, canisterId: env.canisterId });
}

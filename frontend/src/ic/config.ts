/**
 * The canister's configuration (`config()` query, candid/waxseal.did `ConfigView`), read once per actor: its DoH
 * allowlist and providers and its root trust anchors are what the page's DNS checks use (ic/domain-check.ts,
 * ic/dns-proof.ts), so the page decides with the canister's settings, never with its own. A failed read is not
 * kept, so the next use asks again.
 */
import type { ConfigView } from '../../../canister/declarations/waxseal.did.ts';
import type { Waxseal } from './actor.ts';

export type { ConfigView };

const read = new WeakMap<Waxseal, Promise<ConfigView>>();

export function configOf(actor: Waxseal): Promise<ConfigView> {
  let config = read.get(actor);
  if (!config) {
    config = actor.config();
    read.set(actor, config);
    config.catch(() => read.delete(actor));
  }
  return config;
}

/**
 * The shared shape of the Public Suffix List benchmark canisters (scripts/bench-psl.ts builds them; never
 * deployed): `org(domain, n)` computes the organizational domain (RFC 7489 §3.2) of `domain` n times with one
 * implementation. The variant with Waxseal's parser also takes a list: `parse(text)` as the install argument gives
 * it (Candid text), `reload(bytes)` as the canister reads it back from stable memory (canister/suffix-list.ts),
 * and `canonical()` gives the bytes that `reload` takes.
 */
import { IDL, query, update } from 'azle';

export interface ListHooks {
  parse(text: string): number;
  reload(bytes: Uint8Array): number;
  canonical(): Uint8Array;
}

const NO_LIST: ListHooks = { parse: () => 0, reload: () => 0, canonical: () => new Uint8Array() };

export function benchCanister(org: (domain: string) => string | null, list: ListHooks = NO_LIST) {
  class Bench {
    /** The organizational domain of `domain`, computed `n` times ("" for none). */
    @query([IDL.Text, IDL.Nat32], IDL.Text)
    org(domain: string, n: number): string {
      let out: string | null = null;
      for (let i = 0; i < n; i++) out = org(domain);
      return out ?? '';
    }

    /** Parses a PSL text and returns its rule count (0 where the variant has no parser). */
    @update([IDL.Text], IDL.Nat32)
    parse(text: string): number {
      return list.parse(text);
    }

    @query([], IDL.Vec(IDL.Nat8))
    canonical(): Uint8Array {
      return list.canonical();
    }

    @update([IDL.Vec(IDL.Nat8)], IDL.Nat32)
    reload(bytes: Uint8Array): number {
      return list.reload(bytes);
    }
  }
  return Bench;
}

/**
 * The injected TXT lookup that the verifiers use, so that the canister (DNSSEC proof or DoH quorum), the CLI
 * (a JSON file) and the tests each supply records their own way. Names are lowercase, without a trailing dot.
 */

export type TxtAnswer =
  /** The name exists; each entry is one TXT record with its character-strings concatenated. */
  | { readonly kind: 'txt'; readonly records: readonly string[] }
  /** Authenticated or authoritative "no such name". */
  | { readonly kind: 'nxdomain' }
  /** The lookup could not be completed; retrying later may work. */
  | { readonly kind: 'temperror'; readonly detail: string };

export type TxtLookup = (name: string) => Promise<TxtAnswer>;

export type TxtTable = Readonly<Record<string, readonly string[] | { readonly nxdomain: true }>>;

/** A lookup over a fixed table (the CLI's dns.json, test fixtures): a name not in the table is NXDOMAIN. */
export function staticTxtLookup(table: TxtTable): TxtLookup {
  const map = new Map<string, TxtAnswer>();
  for (const [name, entry] of Object.entries(table)) {
    const key = name.toLowerCase().replace(/\.$/, '');
    map.set(key, Array.isArray(entry) ? { kind: 'txt', records: entry } : { kind: 'nxdomain' });
  }
  return (name) => Promise.resolve(map.get(name.toLowerCase().replace(/\.$/, '')) ?? { kind: 'nxdomain' });
}

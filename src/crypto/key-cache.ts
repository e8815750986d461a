/**
 * Imported public keys by id, shared by the WebCrypto and Node backends: importing a key (parsing it, and for
 * an EC key checking the point) costs more than one verification, and a DNSSEC chain or a batch of mail reuses
 * few keys. Bounded, the oldest entry evicted first, so hostile input (a new key per message) cannot grow it.
 */

export interface KeyCache<K> {
  /** The key stored under `id`, or else `load()`'s result, stored. A `load` that throws stores nothing. */
  get(id: string, load: () => K): K;
  delete(id: string): void;
}

/** Entries per cache: more than the distinct keys of a busy gateway's few minutes of mail and its zones. */
const CAPACITY = 256;

export function keyCache<K>(capacity = CAPACITY): KeyCache<K> {
  const entries = new Map<string, K>();
  return {
    get(id, load) {
      const hit = entries.get(id);
      if (hit !== undefined) return hit;
      const key = load();
      if (entries.size >= capacity) entries.delete(entries.keys().next().value!);
      entries.set(id, key);
      return key;
    },
    delete: (id) => void entries.delete(id),
  };
}

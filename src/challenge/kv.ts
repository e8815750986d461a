/**
 * The ordered byte map the challenge store (store.ts) runs on. In the canister it is an Azle `StableBTreeMap`
 * with identity serializers (keys ordered by their bytes; `items(start, length)` gives `range`); in tests and in
 * other hosts it is `memoryKv()`. Pure: no Azle import here.
 */
import { compareBytes } from '../encoding/bytes.ts';

export interface OrderedKv {
  get(key: Uint8Array): Uint8Array | undefined;
  /** Inserts or replaces. */
  set(key: Uint8Array, value: Uint8Array): void;
  delete(key: Uint8Array): void;
  size(): number;
  /** Up to `limit` entries from position `start`, in ascending unsigned lexicographic order of the keys. */
  range(start: number, limit: number): ReadonlyArray<readonly [Uint8Array, Uint8Array]>;
}

/** An OrderedKv in memory: a sorted array with binary search; appending in key order costs O(log n). */
export function memoryKv(): OrderedKv {
  const keys: Uint8Array[] = [];
  const values: Uint8Array[] = [];
  const find = (key: Uint8Array): { found: boolean; index: number } => {
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const c = compareBytes(keys[mid]!, key);
      if (c === 0) return { found: true, index: mid };
      if (c < 0) lo = mid + 1;
      else hi = mid;
    }
    return { found: false, index: lo };
  };
  return {
    get(key) {
      const f = find(key);
      return f.found ? values[f.index]!.slice() : undefined;
    },
    set(key, value) {
      const f = find(key);
      if (f.found) values[f.index] = value.slice();
      else {
        keys.splice(f.index, 0, key.slice());
        values.splice(f.index, 0, value.slice());
      }
    },
    delete(key) {
      const f = find(key);
      if (f.found) {
        keys.splice(f.index, 1);
        values.splice(f.index, 1);
      }
    },
    size: () => keys.length,
    range(start, limit) {
      const out: [Uint8Array, Uint8Array][] = [];
      for (let i = Math.max(0, start); i < keys.length && out.length < limit; i++) {
        out.push([keys[i]!.slice(), values[i]!.slice()]);
      }
      return out;
    },
  };
}

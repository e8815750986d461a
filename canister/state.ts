/**
 * Stable storage of the canister. Every `StableBTreeMap` lives here, constructed at module top level so it is
 * re-attached on init and on every post_upgrade (ic-notes.md §2.3), each under its own memory id from
 * `MEMORY`. Memory ids must never be reused for a different map: data written under an id survives upgrades.
 *
 * Keys and values are raw bytes (`bytesSerializer`) with small hand-written encodings; Azle's default
 * `stableJson` is slow and large for bytes, so it is used nowhere.
 */
import { type Serializable, StableBTreeMap } from 'azle';
import { utf8 } from '../src/encoding/bytes.ts';

/**
 * The memory ids in use. Azle reserves 254 (its file-system polyfill) and 255 (ic-stable-structures).
 * Each id costs about 8 MiB of stable memory once written. Add new maps here, never renumber.
 */
export const MEMORY = {
  /** Settings: `config` → JSON of the stored configuration (config.ts). */
  settings: 0,
  /** Secrets made once: `salt` → 32 bytes from `raw_rand` (salt.ts). */
  secrets: 1,
  /** Monotonic counters: name → u64 big-endian (8 bytes). */
  counters: 2,
  /** Identities: anchor (u64) → identity record (identities.ts). */
  identities: 3,
  /** Reverse index: SHA-256(lowercase address) → anchor (u64). */
  addressIndex: 4,
  /** Pending challenges: nonce → challenge record (src/challenge/store.ts, opened in email.ts). */
  challenges: 5,
  /** Challenge age index: created_at ‖ sequence (u64 each) → nonce, oldest first, for eviction. */
  challengeAge: 6,
  /** Messages kept while a challenge waits for DNS (NeedProof / Resolving): nonce → raw message. */
  challengeMessages: 7,
} as const;

/** Stores a `Uint8Array` key or value as is. */
export const bytesSerializer: Serializable = {
  toBytes: (data: Uint8Array) => data,
  fromBytes: (bytes: Uint8Array) => bytes,
};

/** Stores a string key or value as UTF-8. */
export const textSerializer: Serializable = {
  toBytes: (data: string) => utf8(data),
  fromBytes: (bytes: Uint8Array) => new TextDecoder().decode(bytes),
};

/** Stores a bigint in 0 ≤ n < 2^64 as 8 bytes big-endian, so byte order is numeric order. */
export const u64Serializer: Serializable = {
  toBytes: (n: bigint) => {
    if (n < 0n || n >= 1n << 64n) throw new RangeError(`u64 out of range: ${n}`);
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigUint64(0, n);
    return out;
  },
  fromBytes: (bytes: Uint8Array) => {
    if (bytes.length !== 8) throw new RangeError(`a u64 needs 8 bytes, got ${bytes.length}`);
    return new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0);
  },
};

export const settingsMap = new StableBTreeMap<string, Uint8Array>(
  MEMORY.settings,
  textSerializer,
  bytesSerializer,
);
export const secretsMap = new StableBTreeMap<string, Uint8Array>(
  MEMORY.secrets,
  textSerializer,
  bytesSerializer,
);
const countersMap = new StableBTreeMap<string, bigint>(MEMORY.counters, textSerializer, u64Serializer);

/** The persistent counters; names are also Prometheus metric suffixes (metrics.ts). */
export type CounterName = 'identities';

export function counterValue(name: CounterName): bigint {
  return countersMap.get(name) ?? 0n;
}

/** Adds `by` (default 1) to a counter and returns the new value. Only in updates, timers, init, upgrade. */
export function incrementCounter(name: CounterName, by = 1n): bigint {
  const next = counterValue(name) + by;
  countersMap.insert(name, next);
  return next;
}

/** An Azle StableBTreeMap of bytes as the store's OrderedKv (src/challenge/kv.ts). */
export function stableKv(memoryId: number) {
  const map = new StableBTreeMap<Uint8Array, Uint8Array>(memoryId, bytesSerializer, bytesSerializer);
  return {
    get: (key: Uint8Array) => map.get(key),
    set: (key: Uint8Array, value: Uint8Array) => {
      map.insert(key, value);
    },
    delete: (key: Uint8Array) => {
      map.remove(key);
    },
    size: () => Number(map.len()),
    range: (start: number, limit: number) => map.items(start, limit) as [Uint8Array, Uint8Array][],
  };
}

/**
 * Counters with one label (e.g. `challenge_states` × state), stored as `<family>:<label>` in the counters map.
 * Labels are stable machine codes, so the number of keys stays small.
 */
export function incrementLabeled(family: 'challenge_states' | 'challenge_failures', label: string): void {
  const key = `${family}:${label}`;
  countersMap.insert(key, (countersMap.get(key) ?? 0n) + 1n);
}

export function labeledCounters(family: 'challenge_states' | 'challenge_failures'): [string, bigint][] {
  const prefix = `${family}:`;
  return countersMap
    .items()
    .filter(([k]) => (k as string).startsWith(prefix))
    .map(([k, v]) => [(k as string).slice(prefix.length), v as bigint]);
}

/**
 * Pending challenges (protocol.md §3, §9) over injected ordered byte maps (kv.ts), so the canister backs it with
 * StableBTreeMaps (the entries survive upgrades) and tests with memoryKv().
 *
 * - Each insert creates a new entry and never overwrites another one: a nonce already present is refused
 *   (`NonceInUse`; with 100 random bits this means a broken random source).
 * - Cap (default 10,000): inserting first drops every expired entry, then, while the store is still full, the
 *   oldest entry. "Oldest" = smallest `createdAt`, ties broken by insertion order (`seq`, a counter kept in the
 *   challenges map, because IC messages of one round share one `time()`).
 * - TTL (default 30 min): an entry is expired when `now >= expiresAt`. Expired and unknown nonces both read as
 *   `Expired`; terminal states stay readable until the entry expires, and never change (setState refuses).
 * - No per-address limit: many challenges for one address coexist (protocol.md §3).
 * - The raw message of a NeedProof/Resolving challenge is kept in a third map and dropped with the entry or when
 *   the state moves on.
 *
 * Maps: `challenges` nonce (ASCII) → encodeChallenge bytes (+ the counter under the one-byte key 0x00, which no
 * nonce can equal); `byAge` createdAt (u64) ‖ seq (u64) → nonce, so the oldest entry is the first key;
 * `messages` nonce → message bytes. The age index assumes one TTL for all entries (then expiry order equals age
 * order); purgeExpired stops at the first live entry.
 */
import { parseAddress } from '../mail/address.ts';
import { ChallengeCodecError, decodeChallenge, encodeChallenge } from './codec.ts';
import type { OrderedKv } from './kv.ts';
import { isNonce } from './nonce.ts';
import {
  CHALLENGE_CAP,
  CHALLENGE_TTL,
  type Challenge,
  type ChallengeState,
  type Flow,
  isExpired,
  isTerminal,
  SESSION_KEY_MAX_BYTES,
  type Time,
} from './types.ts';

export interface StoreMaps {
  readonly challenges: OrderedKv;
  readonly byAge: OrderedKv;
  readonly messages: OrderedKv;
}

export interface StoreOptions {
  readonly cap?: number;
  readonly ttl?: Time;
}

export interface NewChallenge {
  readonly nonce: string;
  readonly flow: Flow;
  readonly address: string;
  /** Required for setup, absent for recovery. */
  readonly anchor?: bigint | null;
  /** Required for recovery (≤ 1024 bytes), absent for setup. */
  readonly sessionKey?: Uint8Array | null;
}

export type InsertResult =
  | { readonly ok: true; readonly challenge: Challenge; readonly evicted: readonly string[] }
  | { readonly ok: false; readonly code: 'NonceInUse' | 'InvalidChallenge'; readonly detail: string };

const COUNTER_KEY = Uint8Array.of(0);
const EXPIRED: ChallengeState = { kind: 'Expired' };
const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const text = (b: Uint8Array) => String.fromCharCode(...b);

function u64(v: bigint): Uint8Array {
  const out = new Uint8Array(8);
  for (let i = 7; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

function readU64(b: Uint8Array, offset = 0): bigint {
  let v = 0n;
  for (let i = 0; i < 8; i++) v = (v << 8n) | BigInt(b[offset + i] ?? 0);
  return v;
}

function ageKey(c: Pick<Challenge, 'createdAt' | 'seq'>): Uint8Array {
  const out = new Uint8Array(16);
  out.set(u64(c.createdAt), 0);
  out.set(u64(c.seq), 8);
  return out;
}

export class ChallengeStore {
  readonly cap: number;
  readonly ttl: Time;

  constructor(
    private readonly maps: StoreMaps,
    options: StoreOptions = {},
  ) {
    this.cap = options.cap ?? CHALLENGE_CAP;
    this.ttl = options.ttl ?? CHALLENGE_TTL;
    if (!Number.isInteger(this.cap) || this.cap < 1) throw new RangeError(`bad cap ${this.cap}`);
    if (this.ttl <= 0n) throw new RangeError('the TTL must be positive');
  }

  /** Entries stored (live or not yet purged). */
  size(): number {
    return this.maps.byAge.size();
  }

  /** Validates and stores a new Pending challenge created at `now`. */
  insert(input: NewChallenge, now: Time): InsertResult {
    const invalid = (detail: string): InsertResult => ({ ok: false, code: 'InvalidChallenge', detail });
    if (!isNonce(input.nonce)) return invalid('not a canonical nonce');
    const address = parseAddress(input.address);
    if (!address.ok) return invalid(`address: ${address.detail}`);
    const anchor = input.anchor ?? null;
    const sessionKey = input.sessionKey ?? null;
    if (input.flow === 'setup' && (anchor === null || sessionKey !== null))
      return invalid('a setup challenge has an anchor and no session key');
    if (input.flow === 'recovery' && (sessionKey === null || anchor !== null))
      return invalid('a recovery challenge has a session key and no anchor');
    if (sessionKey !== null && (sessionKey.length === 0 || sessionKey.length > SESSION_KEY_MAX_BYTES))
      return invalid(`the session key must be 1–${SESSION_KEY_MAX_BYTES} bytes`);
    if (now < 0n) return invalid('negative time');

    const evicted = this.purgeExpired(now);
    const key = ascii(input.nonce);
    if (this.maps.challenges.get(key) !== undefined)
      return { ok: false, code: 'NonceInUse', detail: 'a challenge with this nonce exists' };
    while (this.size() >= this.cap) {
      const oldest = this.maps.byAge.range(0, 1)[0];
      if (!oldest) break;
      const gone = this.dropIndexed(oldest[0], oldest[1]);
      if (gone) evicted.push(gone);
    }
    const counter = this.maps.challenges.get(COUNTER_KEY);
    const seq = counter ? readU64(counter) : 0n;
    this.maps.challenges.set(COUNTER_KEY, u64(seq + 1n));
    const challenge: Challenge = {
      nonce: input.nonce,
      flow: input.flow,
      address: address.value.address,
      anchor,
      sessionKey,
      createdAt: now,
      expiresAt: now + this.ttl,
      seq,
      state: { kind: 'Pending' },
    };
    this.maps.challenges.set(key, encodeChallenge(challenge));
    this.maps.byAge.set(ageKey(challenge), key);
    return { ok: true, challenge, evicted };
  }

  /** The stored entry, or null when unknown, expired at `now`, or unreadable. */
  get(nonce: string, now: Time): Challenge | null {
    const c = this.read(nonce);
    return c && !isExpired(c, now) ? c : null;
  }

  /** What `email_challenge_status` reports: `Expired` for unknown and expired nonces. */
  status(nonce: string, now: Time): ChallengeState {
    return this.get(nonce, now)?.state ?? EXPIRED;
  }

  /**
   * Replaces the state of a live, non-terminal challenge. Returns false (and changes nothing) when the nonce is
   * unknown or expired, or the challenge is already terminal. Leaving NeedProof/Resolving drops the kept message.
   */
  setState(nonce: string, state: ChallengeState, now: Time): boolean {
    const c = this.get(nonce, now);
    if (!c || isTerminal(c.state) || state.kind === 'Expired') return false;
    this.maps.challenges.set(ascii(nonce), encodeChallenge({ ...c, state }));
    if (state.kind !== 'NeedProof' && state.kind !== 'Resolving') this.maps.messages.delete(ascii(nonce));
    return true;
  }

  /** Keeps the raw message of a live challenge (for NeedProof / Resolving). */
  putMessage(nonce: string, message: Uint8Array, now: Time): boolean {
    if (!this.get(nonce, now)) return false;
    this.maps.messages.set(ascii(nonce), message);
    return true;
  }

  message(nonce: string, now: Time): Uint8Array | null {
    if (!this.get(nonce, now)) return null;
    return this.maps.messages.get(ascii(nonce)) ?? null;
  }

  /** Removes an entry and its message (no-op for an unknown nonce). */
  remove(nonce: string): void {
    const c = this.read(nonce);
    if (c) this.maps.byAge.delete(ageKey(c));
    this.maps.challenges.delete(ascii(nonce));
    this.maps.messages.delete(ascii(nonce));
  }

  /**
   * Drops expired entries, oldest first, at most `max` of them (a canister timer can bound its work); stops at the
   * first live entry. Returns the nonces dropped.
   */
  purgeExpired(now: Time, max = Number.POSITIVE_INFINITY): string[] {
    const dropped: string[] = [];
    while (dropped.length < max) {
      const first = this.maps.byAge.range(0, 1)[0];
      if (!first) break;
      const c = this.read(text(first[1]));
      if (c && !isExpired(c, now) && this.indexedAt(first[0], c)) break;
      const gone = this.dropIndexed(first[0], first[1]);
      if (gone) dropped.push(gone);
    }
    return dropped;
  }

  private read(nonce: string): Challenge | null {
    if (!isNonce(nonce)) return null;
    const bytes = this.maps.challenges.get(ascii(nonce));
    if (!bytes) return null;
    try {
      return decodeChallenge(bytes);
    } catch (e) {
      if (e instanceof ChallengeCodecError) return null;
      throw e;
    }
  }

  private indexedAt(indexKey: Uint8Array, c: Challenge): boolean {
    return readU64(indexKey, 0) === c.createdAt && readU64(indexKey, 8) === c.seq;
  }

  /**
   * Drops an age-index entry and the challenge it points to; an index entry that does not match its challenge
   * (left over from an unreadable entry) goes alone. Returns the nonce dropped, if any.
   */
  private dropIndexed(indexKey: Uint8Array, nonceBytes: Uint8Array): string | null {
    this.maps.byAge.delete(indexKey);
    const nonce = text(nonceBytes);
    const c = this.read(nonce);
    if (c && !this.indexedAt(indexKey, c)) return null;
    this.maps.challenges.delete(nonceBytes);
    this.maps.messages.delete(nonceBytes);
    return nonce;
  }
}

/**
 * A size-bounded map whose entries expire: the canister's DoH answer cache (protocol.md §8, times in ns) and the
 * DNSSEC zone-key cache (src/dnssec/chain.ts, times in seconds). Anyone can make the canister cache names under an
 * allowed domain, or zones of their own, so an insert into a full cache drops the expired entries first, then the
 * oldest. Pure: times are passed in.
 */
export class ExpiringCache<V, T extends number | bigint = bigint> {
  private readonly entries = new Map<string, { value: V; expiresAt: T }>();

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`bad capacity ${capacity}`);
  }

  get size(): number {
    return this.entries.size;
  }

  /** The value while `now < expiresAt`. */
  get(key: string, now: T): V | undefined {
    const entry = this.entries.get(key);
    return entry && entry.expiresAt > now ? entry.value : undefined;
  }

  set(key: string, value: V, expiresAt: T, now: T): void {
    this.entries.delete(key); // re-inserted last: a Map iterates in insertion order, oldest first
    if (this.entries.size >= this.capacity) {
      for (const [k, e] of this.entries) if (e.expiresAt <= now) this.entries.delete(k);
      for (const k of this.entries.keys()) {
        if (this.entries.size < this.capacity) break;
        this.entries.delete(k);
      }
    }
    this.entries.set(key, { value, expiresAt });
  }
}

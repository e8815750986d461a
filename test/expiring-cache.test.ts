/**
 * The bounded expiring cache behind the DoH answer and zone-key caches (src/expiring-cache.ts): entries expire at
 * their time, and an insert into a full cache drops the expired entries first, then the oldest, never growing past
 * the capacity.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExpiringCache } from '../src/expiring-cache.ts';

describe('ExpiringCache', () => {
  it('answers until the expiry time, not at it', () => {
    const c = new ExpiringCache<string>(4);
    c.set('a', 'A', 100n, 0n);
    expect(c.get('a', 99n)).toBe('A');
    expect(c.get('a', 100n)).toBeUndefined();
    expect(c.get('b', 0n)).toBeUndefined();
  });

  it('drops expired entries before live ones when full', () => {
    const c = new ExpiringCache<number>(3);
    c.set('old-live', 1, 1000n, 0n);
    c.set('expired', 2, 10n, 0n);
    c.set('live', 3, 1000n, 0n);
    c.set('new', 4, 1000n, 50n);
    expect(c.size).toBe(3);
    expect(c.get('old-live', 50n)).toBe(1);
    expect(c.get('live', 50n)).toBe(3);
    expect(c.get('new', 50n)).toBe(4);
  });

  it('then evicts the oldest insert; re-setting a key makes it the newest', () => {
    const c = new ExpiringCache<number>(2);
    c.set('a', 1, 1000n, 0n);
    c.set('b', 2, 1000n, 0n);
    c.set('a', 3, 1000n, 0n);
    c.set('c', 4, 1000n, 0n);
    expect(c.get('b', 0n)).toBeUndefined();
    expect(c.get('a', 0n)).toBe(3);
    expect(c.get('c', 0n)).toBe(4);
  });

  it('never holds more than its capacity, and always holds the latest insert', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'), fc.nat(100)), {
          maxLength: 60,
        }),
        (capacity, ops) => {
          const c = new ExpiringCache<number>(capacity);
          let now = 0n;
          for (const [key, ttl] of ops) {
            now += 1n;
            c.set(key, ttl, now + BigInt(ttl) + 1n, now);
            expect(c.size).toBeLessThanOrEqual(capacity);
            expect(c.get(key, now)).toBe(ttl);
          }
        },
      ),
      { numRuns: 300 },
    );
    expect(() => new ExpiringCache(0)).toThrow(RangeError);
  });
});

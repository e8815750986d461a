/** Mail first, deliveries second (src/gateway/delivery-pacer.ts), with time passed in. */
import { describe, expect, it } from 'vitest';
import { DeliveryPacer } from '../src/gateway/delivery-pacer.ts';

describe('DeliveryPacer', () => {
  it('lets deliveries start at once while mail arrives slowly', () => {
    const p = new DeliveryPacer({ busyPerSecond: 3, busyGapMs: 100 });
    for (const t of [0, 10, 20]) p.accepted(t);
    expect(p.busy(30)).toBe(false);
    expect([p.reserve(30), p.reserve(30), p.reserve(30)]).toEqual([0, 0, 0]);
  });

  it('during a burst spaces delivery starts by the gap, and never stops them', () => {
    const p = new DeliveryPacer({ busyPerSecond: 3, busyGapMs: 100 });
    for (const t of [0, 1, 2, 3, 4]) p.accepted(t);
    expect(p.busy(5)).toBe(true);
    expect([p.reserve(5), p.reserve(5), p.reserve(5)]).toEqual([0, 100, 200]);
    expect(p.reserve(250)).toBe(55);
  });

  it('counts only the last second: once the burst is over, deliveries run freely again', () => {
    const p = new DeliveryPacer({ busyPerSecond: 3, busyGapMs: 100 });
    for (const t of [0, 1, 2, 3, 4]) p.accepted(t);
    expect(p.busy(1_000)).toBe(true);
    expect(p.busy(1_001)).toBe(false);
    expect(p.reserve(1_001)).toBe(0);
  });
});

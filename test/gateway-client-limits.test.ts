/** Per-IP connection and message-rate limits (src/gateway/client-limits.ts), with time passed in. */
import { describe, expect, it } from 'vitest';
import { ClientLimits } from '../src/gateway/client-limits.ts';

describe('ClientLimits', () => {
  it('caps open connections per IP and frees a slot on disconnect', () => {
    const l = new ClientLimits({ connectionsPerIp: 2, messagesPerMinute: 10 });
    expect(l.connect('10.0.0.1')).toBe(true);
    expect(l.connect('10.0.0.1')).toBe(true);
    expect(l.connect('10.0.0.1')).toBe(false);
    expect(l.connect('10.0.0.2')).toBe(true);
    l.disconnect('10.0.0.1');
    expect(l.openConnections('10.0.0.1')).toBe(1);
    expect(l.connect('10.0.0.1')).toBe(true);
  });

  it('allows a burst of the minute allowance, then refills continuously', () => {
    const l = new ClientLimits({ connectionsPerIp: 1, messagesPerMinute: 3 });
    const t0 = 1_000_000;
    expect([1, 2, 3, 4].map(() => l.takeMessage('ip', t0))).toEqual([true, true, true, false]);
    expect(l.takeMessage('ip', t0 + 19_000)).toBe(false);
    expect(l.takeMessage('ip', t0 + 20_000)).toBe(true);
    expect(l.takeMessage('ip', t0 + 20_000)).toBe(false);
    expect(l.takeMessage('other', t0)).toBe(true);
  });

  it('a clock that goes backwards never mints messages', () => {
    const l = new ClientLimits({ connectionsPerIp: 1, messagesPerMinute: 1 });
    expect(l.takeMessage('ip', 5_000_000)).toBe(true);
    expect(l.takeMessage('ip', 1_000)).toBe(false);
  });
});

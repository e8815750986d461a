/** The polling rule (frontend/src/logic/poll-schedule.ts): 0, 1, 2, 4, then 5 s; stop, pause, resume. */
import { describe, expect, it } from 'vitest';
import { nextPoll, nsToMs, pollDelay, STEADY_DELAY_MS } from '../frontend/src/logic/poll-schedule.ts';

const NOW = 1_750_000_000_000;
const LIVE = { now: NOW, expiresAt: NOW + 30 * 60_000, visible: true, terminal: false };

describe('nextPoll', () => {
  it('polls at once, then after 1 s, 2 s, 4 s, then every 5 s', () => {
    const delays = Array.from({ length: 8 }, (_, attempt) => nextPoll({ ...LIVE, attempt }));
    expect(delays.map((s) => (s.kind === 'wait' ? s.delayMs : s.kind))).toEqual([
      0, 1_000, 2_000, 4_000, 5_000, 5_000, 5_000, 5_000,
    ]);
    expect(pollDelay(10_000)).toBe(STEADY_DELAY_MS);
  });

  it('stops for good at a terminal state, even when hidden or past expiry', () => {
    expect(nextPoll({ ...LIVE, attempt: 3, terminal: true })).toEqual({ kind: 'stop', reason: 'terminal' });
    expect(
      nextPoll({ ...LIVE, attempt: 3, terminal: true, visible: false, now: LIVE.expiresAt + 1 }),
    ).toEqual({
      kind: 'stop',
      reason: 'terminal',
    });
  });

  it('stops at expiry, and never waits past it', () => {
    expect(nextPoll({ ...LIVE, attempt: 5, now: LIVE.expiresAt })).toEqual({
      kind: 'stop',
      reason: 'expired',
    });
    expect(nextPoll({ ...LIVE, attempt: 5, now: LIVE.expiresAt - 1_500 })).toEqual({
      kind: 'wait',
      delayMs: 1_500,
    });
    expect(nextPoll({ ...LIVE, attempt: 5, visible: false, now: LIVE.expiresAt + 1 })).toMatchObject({
      kind: 'stop',
    });
  });

  it('pauses while hidden; a visible tab restarts at attempt 0 with an immediate poll', () => {
    expect(nextPoll({ ...LIVE, attempt: 6, visible: false })).toEqual({ kind: 'pause' });
    expect(nextPoll({ ...LIVE, attempt: 0 })).toEqual({ kind: 'wait', delayMs: 0 });
  });

  it('converts the canister nanoseconds', () => {
    expect(nsToMs(1_750_000_000_123_456_789n)).toBe(1_750_000_000_123);
  });
});

/**
 * The status polling rule of the recovery and setup wizards (issue 11, protocol.md §3 `email_challenge_status`):
 * one pure function of (attempt, now, expiry, visibility, terminal) so the React hook that polls holds no timing
 * rules of its own and the rules are unit-tested here.
 *
 * - The first poll of a run is immediate, then the gaps are 1 s, 2 s, 4 s, then 5 s for as long as it runs.
 * - A terminal state (done, failed, expired) or reaching the challenge's expiry stops the run for good.
 * - A hidden tab pauses it. When the tab is visible again a new run starts (attempt 0): an immediate poll, then
 *   the short gaps again. Coming back to the tab is the moment the person most likely just sent the email from
 *   their mail app, so that is when a fast answer matters; the cost is a few cheap query calls.
 *
 * Times are milliseconds since the epoch (`Date.now()` in the hook); the canister's nanosecond `expires_at` is
 * converted once with `nsToMs`.
 */

/** The gap before each poll of a run, by attempt number; later attempts use `STEADY_DELAY_MS`. */
export const POLL_DELAYS_MS: readonly number[] = [0, 1_000, 2_000, 4_000];
/** The gap between polls once the short ones are used up. */
export const STEADY_DELAY_MS = 5_000;

export interface PollInput {
  /** Polls already made in this run (0 when the view opens or the tab becomes visible again). */
  readonly attempt: number;
  /** Milliseconds since the epoch. */
  readonly now: number;
  /** The challenge's expiry, milliseconds since the epoch. */
  readonly expiresAt: number;
  /** `document.visibilityState === 'visible'`, passed in so this stays DOM-free. */
  readonly visible: boolean;
  /** The last status read was terminal (challengeView(...).terminal). */
  readonly terminal: boolean;
}

export type PollStep =
  /** Never poll again in this challenge. */
  | { readonly kind: 'stop'; readonly reason: 'terminal' | 'expired' }
  /** Poll nothing until the tab is visible again; then restart with attempt 0. */
  | { readonly kind: 'pause' }
  /** Poll after `delayMs`. */
  | { readonly kind: 'wait'; readonly delayMs: number };

/** The gap before poll number `attempt` (0-based) of a run. */
export function pollDelay(attempt: number): number {
  return POLL_DELAYS_MS[Math.max(0, Math.floor(attempt))] ?? STEADY_DELAY_MS;
}

/**
 * What the hook does next. Stopping wins over pausing (a finished challenge needs no resume), and the wait never
 * reaches past the expiry: at the expiry the run stops and the page shows the expired view itself.
 */
export function nextPoll(input: PollInput): PollStep {
  if (input.terminal) return { kind: 'stop', reason: 'terminal' };
  if (input.now >= input.expiresAt) return { kind: 'stop', reason: 'expired' };
  if (!input.visible) return { kind: 'pause' };
  return { kind: 'wait', delayMs: Math.min(pollDelay(input.attempt), input.expiresAt - input.now) };
}

/** The canister's `expires_at` (nanoseconds, Candid nat64) in milliseconds, rounded down. */
export function nsToMs(ns: bigint): number {
  return Number(ns / 1_000_000n);
}

/**
 * Mail first, deliveries second. Relaying a message costs the gateway far more CPU than accepting one (the agent
 * checks a BLS signature, tens of milliseconds in pure JS, for each certified reply it has not seen), so during a
 * burst the relay would take the CPU the SMTP sessions need, and the 250s would slow down for everyone. While
 * messages arrive faster than `busyPerSecond`, deliveries start at most one per `busyGapMs`: they keep moving
 * (an attacker's flood cannot stall them), and catch up at full concurrency once the burst is over; the spool and
 * the 30-minute age limit leave room for that. Time is passed in.
 */

export interface PacerSettings {
  /** Accepted messages per second above which the gateway counts as busy. */
  readonly busyPerSecond: number;
  /** While busy, the least time between two delivery starts. */
  readonly busyGapMs: number;
}

const WINDOW_MS = 1_000;

export class DeliveryPacer {
  /** Accept times in the last window, oldest first. */
  readonly #accepts: number[] = [];
  #nextStart = 0;

  constructor(private readonly settings: PacerSettings) {}

  accepted(now: number): void {
    this.#accepts.push(now);
    this.#trim(now);
  }

  #trim(now: number): void {
    let drop = 0;
    while (drop < this.#accepts.length && this.#accepts[drop]! <= now - WINDOW_MS) drop++;
    if (drop > 0) this.#accepts.splice(0, drop);
  }

  busy(now: number): boolean {
    this.#trim(now);
    return this.#accepts.length > this.settings.busyPerSecond;
  }

  /** How long a delivery that wants to start now must wait (0: start), reserving its slot. */
  reserve(now: number): number {
    if (!this.busy(now)) return 0;
    const start = Math.max(now, this.#nextStart);
    this.#nextStart = start + this.settings.busyGapMs;
    return start - now;
  }
}

/**
 * The relay worker: hands spooled messages to the canister (`smtp_request`, through the `deliver` function the
 * gateway supplies), asynchronously, so that the 250 depends only on the spool (design/gateway-notes.md §2).
 *
 * - A message leaves the spool only once the canister answered (Ok or Err, both final) or once it is older than
 *   `maxAgeMs` (the challenge TTL: the canister could no longer use it). A crash between the answer and the
 *   unlink sends it again at the next start, which the canister tolerates (idempotent per nonce).
 * - `deliver()` throwing, or still running after `attemptTimeoutMs`, is transient: the attempt's signal is
 *   aborted and the message retried after an exponential backoff with full jitter (delay uniform in
 *   [0, min(retryMaxMs, retryBaseMs · 2^(n−1))), as in the AWS Architecture Blog's "Exponential Backoff and
 *   Jitter"), never past its expiry.
 * - The endpoint backs off too: the first transient failure of each round of attempts holds every new attempt
 *   for the same kind of jittered, growing delay; any answer ends the hold. While the endpoint is down, attempts
 *   therefore come in rounds of at most `concurrency`, however many messages wait.
 * - At most `concurrency` attempts run at once; the rest queue in arrival order. Never two `deliver()` calls
 *   for one message at once: a call that ignores its abort is waited for (within the next attempt's timeout)
 *   before that message is tried again; its late answer is ignored.
 */
import { compareEntries, type Spool, type SpoolEntry, SpoolError } from './spool.ts';

export type DeliveryOutcome =
  /** The canister answered Ok. */
  | { readonly kind: 'delivered' }
  /** The canister answered Err: its final word on this message. */
  | { readonly kind: 'rejected'; readonly code: number; readonly message: string };

export type RelayEvent =
  /** `latencyMs`: from `receivedAt` to the canister's answer. */
  | { kind: 'delivered'; entry: SpoolEntry; attempts: number; latencyMs: number }
  | { kind: 'rejected'; entry: SpoolEntry; attempts: number; code: number; message: string }
  | { kind: 'retry'; entry: SpoolEntry; attempts: number; delayMs: number; error: string }
  | { kind: 'expired'; entry: SpoolEntry; attempts: number; ageMs: number }
  /** The spool file was missing or corrupt (the spool quarantined it): dropped from the relay. */
  | { kind: 'unreadable'; entry: SpoolEntry; attempts: number; error: string };

export interface RelayOptions {
  readonly spool: Spool;
  /** Resolves with the canister's answer; throws on anything transient. Should give up once `signal` aborts. */
  readonly deliver: (entry: SpoolEntry, message: Uint8Array, signal: AbortSignal) => Promise<DeliveryOutcome>;
  /** Attempts in flight at most. */
  readonly concurrency: number;
  /** Older messages are dropped, not delivered: meant to be the challenge TTL (30 min). */
  readonly maxAgeMs: number;
  readonly attemptTimeoutMs: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  /** ms since the epoch, compared with `receivedAt` (default Date.now). */
  readonly now?: () => number;
  /** Uniform in [0, 1), for the jitter (default Math.random). */
  readonly random?: () => number;
  /** Called synchronously; a listener that throws surfaces as an uncaught exception. */
  readonly onEvent?: (e: RelayEvent) => void;
}

/** Rejects with the signal's reason as soon as it aborts, else settles as `promise` does. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** How soon a message found expired after a failed turn is looked at again. */
const EXPIRED_RECHECK_MS = 1_000;

export class Relay {
  private readonly now: () => number;
  private readonly random: () => number;
  /** Every message the relay holds (queued, in flight or waiting to retry), with its attempts so far. */
  private readonly attempts = new Map<string, number>();
  private queue: SpoolEntry[] = [];
  private readonly active = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** `deliver()` calls not yet settled, by message id (they may outlive their attempt). */
  private readonly calls = new Map<string, Promise<void>>();
  /** Endpoint backoff: failed rounds in a row, the current round, and the timer holding new attempts. */
  private streak = 0;
  private round = 0;
  private hold: NodeJS.Timeout | undefined;
  private started = false;
  private stopped = false;

  constructor(private readonly opts: RelayOptions) {
    if (!Number.isInteger(opts.concurrency) || opts.concurrency < 1)
      throw new RangeError(`concurrency must be a positive integer, got ${opts.concurrency}`);
    for (const key of ['maxAgeMs', 'attemptTimeoutMs', 'retryBaseMs', 'retryMaxMs'] as const) {
      if (!(opts[key] > 0 && Number.isFinite(opts[key]))) throw new RangeError(`${key} must be positive`);
    }
    if (opts.retryMaxMs < opts.retryBaseMs) throw new RangeError('retryMaxMs must not be below retryBaseMs');
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
  }

  get inFlight(): number {
    return this.active.size;
  }

  get waiting(): number {
    return this.timers.size;
  }

  /** Takes on everything already spooled (what an earlier run left), oldest first. */
  start(): void {
    if (this.stopped) throw new Error('relay stopped');
    if (this.started) return;
    this.started = true;
    for (const entry of this.opts.spool.list()) this.track(entry);
    this.queue.sort(compareEntries);
    this.pump();
  }

  /** A message just spooled. Ignored when the relay already holds it or has stopped (it stays spooled). */
  enqueue(entry: SpoolEntry): void {
    if (this.stopped) return;
    this.track(entry);
    this.pump();
  }

  /**
   * Starts nothing more, aborts the attempts in flight and waits for them; whatever was not answered stays in
   * the spool for the next run. No timer is left behind.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    clearTimeout(this.hold);
    this.hold = undefined;
    this.queue = [];
    const running = [...this.active.values()];
    for (const a of running) a.controller.abort(new Error('relay stopped'));
    await Promise.all(running.map((a) => a.done));
    this.attempts.clear();
  }

  private track(entry: SpoolEntry): void {
    if (this.attempts.has(entry.id)) return;
    this.attempts.set(entry.id, 0);
    this.queue.push(entry);
  }

  private pump(): void {
    while (this.started && !this.stopped && !this.hold && this.active.size < this.opts.concurrency) {
      const entry = this.queue.shift();
      if (!entry) return;
      this.launch(entry);
    }
  }

  private launch(entry: SpoolEntry): void {
    const controller = new AbortController();
    const done = this.run(entry, controller.signal).finally(() => {
      this.active.delete(entry.id);
      this.pump();
    });
    this.active.set(entry.id, { controller, done });
  }

  /** One turn for one message: settles the message, or schedules its retry. Never rejects. */
  private async run(entry: SpoolEntry, signal: AbortSignal): Promise<void> {
    const round = this.round;
    let event: RelayEvent;
    try {
      event = await this.turn(entry, signal);
    } catch (e) {
      if (this.stopped) return;
      this.emit(this.retry(entry, errorText(e), round));
      return;
    }
    this.attempts.delete(entry.id);
    if (event.kind === 'delivered' || event.kind === 'rejected') this.answered();
    this.emit(event);
  }

  /** Expires the message, or reads it and delivers it once; throws when the attempt failed transiently. */
  private async turn(entry: SpoolEntry, signal: AbortSignal): Promise<RelayEvent> {
    const { spool } = this.opts;
    const ageMs = this.now() - entry.receivedAt;
    const before = this.attempts.get(entry.id) ?? 0;
    if (ageMs >= this.opts.maxAgeMs) {
      await spool.remove(entry.id);
      return { kind: 'expired', entry, attempts: before, ageMs };
    }
    const attempts = before + 1;
    this.attempts.set(entry.id, attempts);
    let message: Uint8Array;
    try {
      message = await spool.read(entry.id);
    } catch (e) {
      if (e instanceof SpoolError) return { kind: 'unreadable', entry, attempts, error: e.message };
      throw e;
    }
    const outcome = await this.call(entry, message, signal);
    await spool.remove(entry.id);
    return outcome.kind === 'delivered'
      ? { kind: 'delivered', entry, attempts, latencyMs: this.now() - entry.receivedAt }
      : { kind: 'rejected', entry, attempts, code: outcome.code, message: outcome.message };
  }

  /**
   * `deliver()` under the attempt timeout. An earlier call for the same message that outlived its abort is
   * waited for first, so calls never overlap.
   */
  private async call(entry: SpoolEntry, message: Uint8Array, signal: AbortSignal): Promise<DeliveryOutcome> {
    signal.throwIfAborted();
    const controller = new AbortController();
    const forward = () => controller.abort(signal.reason);
    signal.addEventListener('abort', forward, { once: true });
    const ms = this.opts.attemptTimeoutMs;
    const timer = setTimeout(() => controller.abort(new Error(`attempt timed out after ${ms} ms`)), ms);
    timer.unref();
    try {
      const previous = this.calls.get(entry.id);
      if (previous) await raceAbort(previous, controller.signal);
      controller.signal.throwIfAborted();
      const pending = (async () => this.opts.deliver(entry, message, controller.signal))();
      const settled = pending.then(
        () => undefined,
        () => undefined,
      );
      this.calls.set(entry.id, settled);
      void settled.then(() => {
        if (this.calls.get(entry.id) === settled) this.calls.delete(entry.id);
      });
      return await raceAbort(pending, controller.signal);
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', forward);
    }
  }

  /** Full-jitter exponential backoff for the n-th failure in a row (n ≥ 1). */
  private backoff(n: number): number {
    const { retryBaseMs, retryMaxMs } = this.opts;
    return Math.floor(this.random() * Math.min(retryMaxMs, retryBaseMs * 2 ** (n - 1)));
  }

  /** Schedules the message's next turn, and holds the endpoint once per round of failures. */
  private retry(entry: SpoolEntry, error: string, round: number): RelayEvent {
    if (round === this.round) {
      this.round++;
      this.streak++;
      clearTimeout(this.hold);
      this.hold = setTimeout(() => {
        this.hold = undefined;
        this.pump();
      }, this.backoff(this.streak));
      this.hold.unref();
    }
    const attempts = this.attempts.get(entry.id) ?? 0;
    const backoff = this.backoff(Math.max(1, attempts));
    // Wake up when it expires if that comes first. One that already has (it expired during this attempt, or its
    // removal failed) is looked at again within a second: dropped then, without waiting for the endpoint.
    const untilExpiry = entry.receivedAt + this.opts.maxAgeMs - this.now();
    // (+1: Date.now() has millisecond steps, and a wake-up a hair before the expiry would queue it behind a hold.)
    const delayMs = Math.min(backoff, untilExpiry > 0 ? untilExpiry + 1 : EXPIRED_RECHECK_MS);
    const timer = setTimeout(() => {
      this.timers.delete(entry.id);
      this.wake(entry);
    }, delayMs);
    timer.unref();
    this.timers.set(entry.id, timer);
    return { kind: 'retry', entry, attempts, delayMs, error };
  }

  /** A retry is due. An expired message is dropped at once (that needs no endpoint); the rest queue. */
  private wake(entry: SpoolEntry): void {
    if (this.now() - entry.receivedAt >= this.opts.maxAgeMs) this.launch(entry);
    else {
      this.queue.push(entry);
      this.pump();
    }
  }

  /** The canister answered: the endpoint works, so the hold ends. */
  private answered(): void {
    this.streak = 0;
    clearTimeout(this.hold);
    this.hold = undefined;
  }

  /** A throwing listener surfaces as an uncaught exception, never as a failed delivery. */
  private emit(event: RelayEvent): void {
    try {
      this.opts.onEvent?.(event);
    } catch (e) {
      queueMicrotask(() => {
        throw e;
      });
    }
  }
}

/**
 * Per-client-IP limits, which smtp-server lacks (it has one global `maxClients`): open connections per IP
 * (over it: 421 at connect, RFC 5321 §3.8) and messages per IP per minute (over it: 450 at RCPT, a transient
 * refusal the sender's queue retries later, §4.2.5). The message rate is a token bucket refilled continuously,
 * so a burst up to the minute's allowance passes and a steady sender gets exactly the allowance. Time is passed
 * in. Idle full buckets are dropped, so memory follows the active clients, not every IP ever seen.
 */

export interface ClientLimitSettings {
  readonly connectionsPerIp: number;
  readonly messagesPerMinute: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

const MINUTE_MS = 60_000;
/** Sweep idle buckets once this many exist. */
const SWEEP_AT = 10_000;

export class ClientLimits {
  readonly #open = new Map<string, number>();
  readonly #buckets = new Map<string, Bucket>();

  constructor(private readonly settings: ClientLimitSettings) {}

  /** Counts a new connection; false when the IP already has its maximum open (the caller answers 421). */
  connect(ip: string): boolean {
    const n = this.#open.get(ip) ?? 0;
    if (n >= this.settings.connectionsPerIp) return false;
    this.#open.set(ip, n + 1);
    return true;
  }

  /** Only for connections that `connect` counted. */
  disconnect(ip: string): void {
    const n = (this.#open.get(ip) ?? 0) - 1;
    if (n > 0) this.#open.set(ip, n);
    else this.#open.delete(ip);
  }

  openConnections(ip: string): number {
    return this.#open.get(ip) ?? 0;
  }

  #refilled(ip: string, now: number): Bucket {
    const cap = this.settings.messagesPerMinute;
    const b = this.#buckets.get(ip);
    if (!b) return { tokens: cap, at: now };
    const tokens = Math.min(cap, b.tokens + (Math.max(0, now - b.at) * cap) / MINUTE_MS);
    return { tokens, at: now };
  }

  /** Takes one message from the IP's allowance; false when it is spent (the caller answers 450). */
  takeMessage(ip: string, now: number): boolean {
    const b = this.#refilled(ip, now);
    if (b.tokens < 1) {
      this.#buckets.set(ip, b);
      return false;
    }
    b.tokens -= 1;
    if (this.#buckets.size >= SWEEP_AT) this.#sweep(now);
    this.#buckets.set(ip, b);
    return true;
  }

  #sweep(now: number): void {
    for (const ip of this.#buckets.keys()) {
      if (this.#refilled(ip, now).tokens >= this.settings.messagesPerMinute) this.#buckets.delete(ip);
    }
  }
}

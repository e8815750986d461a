/**
 * The relay worker (src/gateway/relay.ts) over a real spool in a temp folder, with a fake `deliver` standing in
 * for the canister: what leaves the spool and when, retries and their backoff, timeouts, expiry, the concurrency
 * bound, restarts and stop().
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type DeliveryOutcome, Relay, type RelayEvent, type RelayOptions } from '../src/gateway/relay.ts';
import { Spool, type SpoolEntry } from '../src/gateway/spool.ts';
import { tempDirs } from './helpers/temp-dirs.ts';

const tempDir = tempDirs('waxseal-relay-');
const relays: Relay[] = [];
afterEach(async () => {
  await Promise.all(relays.splice(0).map((r) => r.stop()));
});

type Deliver = RelayOptions['deliver'];

interface Harness {
  spool: Spool;
  dir: string;
  events: RelayEvent[];
  relay: (deliver: Deliver, opts?: Partial<RelayOptions>) => Relay;
  put: (text: string, receivedAt?: number) => Promise<SpoolEntry>;
}

async function harness(dir = tempDir()): Promise<Harness> {
  const { spool } = await Spool.open(dir);
  const events: RelayEvent[] = [];
  return {
    spool,
    dir,
    events,
    relay(deliver, opts = {}) {
      const relay = new Relay({
        spool,
        deliver,
        concurrency: 4,
        maxAgeMs: 60_000,
        attemptTimeoutMs: 2_000,
        retryBaseMs: 10,
        retryMaxMs: 40,
        random: () => 0.5,
        onEvent: (e) => events.push(e),
        ...opts,
      });
      relays.push(relay);
      return relay;
    },
    put: (text, receivedAt = Date.now()) =>
      spool.put(
        {
          envelope: { mail_from: 'a@example.org', rcpt_to: ['register@example.com'] },
          clientIp: '::1',
          receivedAt,
        },
        new TextEncoder().encode(text),
      ),
  };
}

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const delivered: DeliveryOutcome = { kind: 'delivered' };
const kinds = (events: RelayEvent[]) => events.map((e) => e.kind);

/** A deliver() that waits for its signal and then rejects with the signal's reason, as fetch() does. */
function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) =>
    signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
  );
}

describe('answers', () => {
  it('delivered: the exact bytes go out once, then the message leaves the spool', async () => {
    const h = await harness();
    const entry = await h.put('Subject: hi\r\n\r\nbody\r\n', 1_000);
    const calls: { id: string; text: string }[] = [];
    const relay = h.relay(
      async (e, message) => {
        calls.push({ id: e.id, text: new TextDecoder().decode(message) });
        return delivered;
      },
      { now: () => 2_500 },
    );
    relay.start();
    await waitFor(() => h.events.length === 1);
    expect(h.events[0]).toEqual({ kind: 'delivered', entry, attempts: 1, latencyMs: 1_500 });
    expect(calls).toEqual([{ id: entry.id, text: 'Subject: hi\r\n\r\nbody\r\n' }]);
    expect(h.spool.depth).toBe(0);
    expect(existsSync(join(h.dir, `${entry.id}.msg`))).toBe(false);
  });

  it('rejected (canister Err): removed, reported, never retried', async () => {
    const h = await harness();
    const entry = await h.put('x');
    let calls = 0;
    const relay = h.relay(async () => {
      calls++;
      return { kind: 'rejected', code: 550, message: 'no such mailbox here' };
    });
    relay.start();
    await waitFor(() => h.events.length === 1);
    await sleep(100);
    expect(h.events).toEqual([
      { kind: 'rejected', entry, attempts: 1, code: 550, message: 'no such mailbox here' },
    ]);
    expect(calls).toBe(1);
    expect(h.spool.depth).toBe(0);
  });

  it('a message enqueued twice and also found by start() is delivered once', async () => {
    const h = await harness();
    const entry = await h.put('x');
    let calls = 0;
    const relay = h.relay(async () => {
      calls++;
      await sleep(20);
      return delivered;
    });
    relay.enqueue(entry);
    relay.enqueue(entry);
    relay.start();
    relay.enqueue(entry);
    await waitFor(() => h.events.length === 1);
    await sleep(50);
    expect(calls).toBe(1);
  });

  it('an unreadable spool file is reported and quarantined, never delivered', async () => {
    const h = await harness();
    const entry = await h.put('soon damaged');
    const path = join(h.dir, `${entry.id}.msg`);
    const file = readFileSync(path);
    file[20]! ^= 1;
    writeFileSync(path, file);
    let calls = 0;
    const relay = h.relay(async () => {
      calls++;
      return delivered;
    });
    relay.start();
    await waitFor(() => h.events.length === 1);
    expect(h.events[0]).toMatchObject({ kind: 'unreadable', entry, attempts: 1 });
    expect(calls).toBe(0);
    expect(existsSync(join(h.dir, 'quarantine', `${entry.id}.msg`))).toBe(true);
    expect(h.spool.depth).toBe(0);
  });
});

describe('transient failures', () => {
  it('a throwing deliver() is retried with growing, capped delays, then delivered', async () => {
    const h = await harness();
    const entry = await h.put('x');
    const starts: number[] = [];
    const relay = h.relay(async () => {
      starts.push(performance.now());
      if (starts.length <= 4) throw new Error(`endpoint said 503 (${starts.length})`);
      return delivered;
    });
    relay.start();
    await waitFor(() => h.events.some((e) => e.kind === 'delivered'));
    // random() = 0.5 of min(40, 10 · 2^(n−1)): 5, 10, 20, then the cap.
    const retries = h.events.flatMap((e) => (e.kind === 'retry' ? [e] : []));
    expect(retries.map((e) => e.delayMs)).toEqual([5, 10, 20, 20]);
    expect(retries.map((e) => e.attempts)).toEqual([1, 2, 3, 4]);
    expect(retries[0]!.error).toBe('endpoint said 503 (1)');
    for (const [i, r] of retries.entries())
      expect(starts[i + 1]! - starts[i]!).toBeGreaterThanOrEqual(r.delayMs - 1);
    expect(h.events.at(-1)).toMatchObject({ kind: 'delivered', entry, attempts: 5 });
    expect(h.spool.depth).toBe(0);
  });

  it('an attempt past attemptTimeoutMs is aborted and retried', async () => {
    const h = await harness();
    await h.put('x');
    const signals: AbortSignal[] = [];
    const relay = h.relay(
      async (_e, _m, signal) => {
        signals.push(signal);
        if (signals.length === 1) return untilAborted(signal);
        return delivered;
      },
      { attemptTimeoutMs: 50 },
    );
    relay.start();
    await waitFor(() => h.events.some((e) => e.kind === 'delivered'));
    expect(signals).toHaveLength(2);
    expect(signals[0]!.aborted).toBe(true);
    expect(signals[1]!.aborted).toBe(false);
    expect(h.events[0]).toMatchObject({ kind: 'retry', attempts: 1, error: 'attempt timed out after 50 ms' });
    expect(h.events[1]).toMatchObject({ kind: 'delivered', attempts: 2 });
  });

  it('a deliver() that ignores its abort is waited for before the same message is tried again', async () => {
    const h = await harness();
    await h.put('x');
    const log: string[] = [];
    let release: (o: DeliveryOutcome) => void = () => {};
    let running = 0;
    let overlap = false;
    const relay = h.relay(
      (_e, _m) => {
        overlap ||= running > 0;
        running++;
        log.push(`call ${log.filter((l) => l.startsWith('call')).length + 1}`);
        const done = () => {
          running--;
          log.push('settled');
        };
        if (log.length === 1)
          return new Promise<DeliveryOutcome>((resolve) => {
            release = resolve;
          }).finally(done);
        done();
        return Promise.resolve(delivered);
      },
      { attemptTimeoutMs: 40, retryBaseMs: 1, retryMaxMs: 1 },
    );
    relay.start();
    await waitFor(() => h.events.length >= 1);
    expect(h.events[0]).toMatchObject({ kind: 'retry', error: 'attempt timed out after 40 ms' });
    await sleep(60); // the retry is due, and its own timeout passes while the first call still runs
    expect(log).toEqual(['call 1']);
    release(delivered); // a late answer: ignored, the message is sent again
    await waitFor(() => h.events.some((e) => e.kind === 'delivered'));
    expect(overlap).toBe(false);
    expect(log).toEqual(['call 1', 'settled', 'call 2', 'settled']);
    expect(h.spool.depth).toBe(0);
  });

  it('with the endpoint down, attempts come in bounded rounds; once it is back, everything goes', async () => {
    const h = await harness();
    for (let i = 0; i < 60; i++) await h.put(`m${i}`);
    let up = false;
    const tried = new Set<string>();
    let calls = 0;
    const relay = h.relay(
      async (e) => {
        calls++;
        tried.add(e.id);
        if (!up) throw new Error('connect ECONNREFUSED');
        return delivered;
      },
      { concurrency: 10, retryBaseMs: 20, retryMaxMs: 100 },
    );
    relay.start();
    await sleep(1_000);
    // Per-message backoff alone would make ~60 × 1000 / 50 = 1200 calls in this second; held rounds of ≤ 10
    // calls, at least 50 ms apart once the hold is capped, make ~200.
    expect(calls).toBeLessThan(400);
    await waitFor(() => tried.size === 60);
    up = true;
    await waitFor(() => h.spool.depth === 0);
    expect(h.events.filter((e) => e.kind === 'delivered')).toHaveLength(60);
  });
});

describe('expiry', () => {
  it('a message older than maxAgeMs at start is dropped, never delivered', async () => {
    const h = await harness();
    const entry = await h.put('stale', 1_000);
    let calls = 0;
    const relay = h.relay(
      async () => {
        calls++;
        return delivered;
      },
      { maxAgeMs: 30 * 60_000, now: () => 1_000 + 30 * 60_000 + 5 },
    );
    relay.start();
    await waitFor(() => h.events.length === 1);
    expect(h.events[0]).toEqual({ kind: 'expired', entry, attempts: 0, ageMs: 30 * 60_000 + 5 });
    expect(calls).toBe(0);
    expect(h.spool.depth).toBe(0);
  });

  it('a message that expires while waiting for its retry is dropped when it expires, not after the backoff', async () => {
    const h = await harness();
    const entry = await h.put('x');
    let calls = 0;
    const relay = h.relay(
      async () => {
        calls++;
        throw new Error('down');
      },
      { maxAgeMs: 150, retryBaseMs: 60_000, retryMaxMs: 60_000 },
    );
    relay.start();
    await waitFor(() => h.events.some((e) => e.kind === 'expired'), 2_000);
    const retry = h.events.find((e) => e.kind === 'retry');
    expect(retry && retry.kind === 'retry' && retry.delayMs).toBeLessThanOrEqual(151);
    expect(h.events.at(-1)).toMatchObject({ kind: 'expired', entry, attempts: 1 });
    expect(calls).toBe(1);
    expect(h.spool.depth).toBe(0);
    expect(relay.waiting).toBe(0);
  });
});

describe('expiry during an attempt', () => {
  it('a message that expires while its failing attempt runs is dropped within a second, not after the backoff', async () => {
    const h = await harness();
    const entry = await h.put('slow');
    const relay = h.relay(
      async () => {
        await new Promise((r) => setTimeout(r, 200));
        throw new Error('down');
      },
      { maxAgeMs: 100, retryBaseMs: 60_000, retryMaxMs: 60_000, random: () => 0.999 },
    );
    relay.start();
    await waitFor(() => h.events.some((e) => e.kind === 'expired'), 3_000);
    const retry = h.events.find((e) => e.kind === 'retry');
    expect(retry && retry.kind === 'retry' && retry.delayMs).toBeLessThanOrEqual(1_000);
    expect(h.events.at(-1)).toMatchObject({ kind: 'expired', entry });
    expect(h.spool.depth).toBe(0);
  });
});

describe('bounds, restarts and stop', () => {
  it('never more than `concurrency` attempts at once', async () => {
    const h = await harness();
    for (let i = 0; i < 12; i++) await h.put(`m${i}`);
    let running = 0;
    let peak = 0;
    const relay = h.relay(
      async () => {
        peak = Math.max(peak, ++running);
        await sleep(20);
        running--;
        return delivered;
      },
      { concurrency: 3 },
    );
    relay.start();
    await waitFor(() => relay.inFlight === 3);
    await waitFor(() => h.spool.depth === 0);
    expect(peak).toBe(3);
    expect(h.events.filter((e) => e.kind === 'delivered')).toHaveLength(12);
  });

  it('after a restart, pending messages are picked up and delivered oldest first', async () => {
    const dir = tempDir();
    const first = await harness(dir);
    const now = Date.now();
    const late = await first.put('late', now - 1_000);
    const early = await first.put('early', now - 3_000);
    const middle = await first.put('middle', now - 2_000);
    const down = first.relay(async () => {
      throw new Error('down');
    });
    down.start();
    await waitFor(() => first.events.length >= 3);
    await down.stop();
    expect(first.spool.depth).toBe(3);

    const second = await harness(dir);
    const order: string[] = [];
    second
      .relay(
        async (e) => {
          order.push(e.id);
          return delivered;
        },
        { concurrency: 1 },
      )
      .start();
    await waitFor(() => second.spool.depth === 0);
    expect(order).toEqual([early.id, middle.id, late.id]);
  });

  it('stop() aborts the attempt in flight, clears retry timers and leaves both messages spooled', async () => {
    const h = await harness();
    const failing = await h.put('fails once', Date.now() - 10);
    const hanging = await h.put('hangs');
    const signals = new Map<string, AbortSignal>();
    let calls = 0;
    const relay = h.relay(
      async (e, _m, signal) => {
        calls++;
        signals.set(e.id, signal);
        if (e.id === failing.id) throw new Error('down');
        return untilAborted(signal);
      },
      { concurrency: 2, retryBaseMs: 60_000, retryMaxMs: 60_000 },
    );
    relay.start();
    await waitFor(() => signals.has(hanging.id));
    expect(relay.waiting).toBe(1);
    expect(relay.inFlight).toBe(1);
    await relay.stop();
    expect(signals.get(hanging.id)!.aborted).toBe(true);
    expect(relay.waiting).toBe(0);
    expect(relay.inFlight).toBe(0);
    relay.enqueue(await h.put('after stop'));
    await sleep(50);
    expect(calls).toBe(2);
    expect(kinds(h.events)).toEqual(['retry']);
    expect(h.spool.depth).toBe(3);
    for (const e of [failing, hanging]) expect(existsSync(join(h.dir, `${e.id}.msg`))).toBe(true);
  });

  it('stop() does not wait for a deliver() that ignores its abort; that message stays spooled', async () => {
    const h = await harness();
    const entry = await h.put('x');
    let started = false;
    const relay = h.relay(async () => {
      started = true;
      await sleep(300); // ignores the abort; its late answer is not waited for
      return delivered;
    });
    relay.start();
    await waitFor(() => started);
    const t0 = performance.now();
    await relay.stop();
    expect(performance.now() - t0).toBeLessThan(250);
    await sleep(350);
    expect(h.events).toEqual([]);
    expect(h.spool.list().map((e) => e.id)).toEqual([entry.id]);
  });
});

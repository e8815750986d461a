/**
 * The cap of 10,000 pending challenges (protocol.md §9) on the compiled canister wasm, through its public methods
 * only: anonymous `email_recovery_prepare` calls fill the store, the backend clock ages them, and
 * `email_challenge_status` and the `/metrics` gauge `waxseal_pending_challenges` show what is left.
 *
 * test/challenge-store.test.ts covers the store's rules over an in-memory map; this checks that the canister keeps
 * them with its StableBTreeMaps and its clock: an insert into a full store first drops the expired entries (and
 * then evicts nothing live), and once the store is full of live entries each insert evicts exactly the oldest one.
 * All entries of a batch share one `time()` (the backend clock does not move between calls), so "oldest" among them
 * is decided by the insertion counter alone. Evicted and expired nonces both read `Expired` (canister/status.ts over
 * ChallengeStore.status), so eviction is observed on entries that are still within their TTL, and purging on the
 * gauge, which counts stored entries, expired or not.
 *
 * About 10,000 prepares at 4–5 ms each in the Node host (every prepare awaits `raw_rand`, so each is several
 * messages, each with a heap snapshot): the suite takes under a minute, on one deploy of the plain wasm (the
 * instrumented one is slower per call).
 */

import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHALLENGE_CAP, CHALLENGE_TTL } from '../src/challenge/types.ts';
import { type Deployed, deploy, metricsText, metricValue } from './helpers/canister.ts';
import { ok } from './helpers/result.ts';

const HOST = 'mail.waxseal.test';
const NS = 1_000_000_000n;
const MINUTE = 60n * NS;
/** 2026-01-01T00:00:00Z (Node host; PocketIC keeps its own clock, and every time below is relative). */
const T0 = 1_767_225_600n * NS;

/** Batch A: prepared at t0, expired when C arrives. */
const A_SIZE = 10;
/** Batch B: prepared half a TTL later, filling the store to exactly the cap; still live when C arrives. */
const B_SIZE = CHALLENGE_CAP - A_SIZE;
/** Entries evicted from B in step 3, one per insert into the full store. */
const EVICTED = 5;
const HALF_TTL = CHALLENGE_TTL / 2n;

let c: Deployed;
const sessionKey = new Uint8Array(Ed25519KeyIdentity.generate().getPublicKey().toDer());

beforeAll(async () => {
  c = await deploy({ mail_hosts: [HOST] }, undefined, { now: T0 });
}, 120_000);
afterAll(async () => c?.backend.tearDown());

let prepared = 0;
async function prepare(tag: string) {
  const ch = ok(await c.actor().email_recovery_prepare(`${tag}${prepared++}@example.test`, sessionKey));
  return { nonce: ch.nonce, expiresAt: ch.expires_at };
}

const status = (nonce: string) => c.actor().email_challenge_status(nonce);
const metric = async (sample: string) => metricValue(await metricsText(c), sample);
const stored = () => metric('waxseal_pending_challenges');

// The steps run in order on one canister, each building on the store the previous one left.
describe('the pending-challenge cap', () => {
  const a: string[] = [];
  const b: string[] = [];
  let aExpiresAt = 0n;

  it('step 1: batch A, then half a TTL later batch B fills the store to exactly the cap', async () => {
    for (let i = 0; i < A_SIZE; i++) {
      const ch = await prepare('a');
      a.push(ch.nonce);
      aExpiresAt = ch.expiresAt;
    }
    expect(await stored()).toBe(A_SIZE);

    await c.backend.advanceTime(HALF_TTL);
    let bExpiresAt = 0n;
    for (let i = 0; i < B_SIZE; i++) {
      const ch = await prepare('b');
      b.push(ch.nonce);
      bExpiresAt = ch.expiresAt;
    }
    expect(new Set([...a, ...b]).size).toBe(CHALLENGE_CAP);
    expect(bExpiresAt - aExpiresAt).toBeGreaterThanOrEqual(HALF_TTL);
    expect(bExpiresAt - aExpiresAt).toBeLessThan(HALF_TTL + MINUTE);
    expect(await stored()).toBe(CHALLENGE_CAP);
    expect(await status(a[0]!)).toEqual({ Pending: null });
    expect(await status(b[0]!)).toEqual({ Pending: null });

    // A past its TTL, B not: expired entries read Expired at once, but stay stored until an insert purges them.
    await c.backend.advanceTime(HALF_TTL + MINUTE);
    for (const nonce of a) expect(await status(nonce)).toEqual({ Expired: null });
    expect(await status(b[0]!)).toEqual({ Pending: null });
    expect(await stored()).toBe(CHALLENGE_CAP);
  }, 300_000);

  it('step 2: one more challenge purges the expired batch A and evicts nothing live', async () => {
    const ch = await prepare('c');
    expect(await stored()).toBe(CHALLENGE_CAP - A_SIZE + 1);
    expect(await status(ch.nonce)).toEqual({ Pending: null });
    for (const nonce of a) expect(await status(nonce)).toEqual({ Expired: null });
    for (const nonce of b.slice(0, 20)) expect(await status(nonce)).toEqual({ Pending: null });
    expect(await status(b.at(-1)!)).toEqual({ Pending: null });
  });

  it('step 3: full of live entries, each insert evicts exactly the oldest one; the gauge stays at the cap', async () => {
    const later: string[] = [];
    // Refill the room batch A left (A_SIZE - 1 after C): the store reaches the cap without evicting.
    for (let i = 0; i < A_SIZE - 1; i++) later.push((await prepare('d')).nonce);
    expect(await stored()).toBe(CHALLENGE_CAP);
    expect(await status(b[0]!)).toEqual({ Pending: null });

    for (let k = 0; k < EVICTED; k++) {
      later.push((await prepare('e')).nonce);
      expect(await stored()).toBe(CHALLENGE_CAP);
      // B[k] was the oldest entry and is evicted although its TTL has not run out; B[k + 1] is now the oldest.
      expect(await status(b[k]!)).toEqual({ Expired: null });
      expect(await status(b[k + 1]!)).toEqual({ Pending: null });
    }

    for (const nonce of b.slice(0, EVICTED)) expect(await status(nonce)).toEqual({ Expired: null });
    for (const nonce of b.slice(EVICTED, EVICTED + 20))
      expect(await status(nonce)).toEqual({ Pending: null });
    expect(await status(b.at(-1)!)).toEqual({ Pending: null });
    for (const nonce of later) expect(await status(nonce)).toEqual({ Pending: null });
    // Every prepare entered Pending once, evicted or not.
    expect(await metric('waxseal_challenge_transitions_total{state="Pending"}')).toBe(prepared);
    expect(prepared).toBe(CHALLENGE_CAP + 1 + (A_SIZE - 1) + EVICTED);
  });
});

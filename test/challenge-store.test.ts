/**
 * The pending-challenge store (protocol.md §3, §9) on memoryKv, and its binary codec: insert rules, TTL, cap
 * eviction at the real 10,000 entries (expired first, then oldest by createdAt then insertion order), independence
 * of concurrent challenges, terminal states, kept messages, round trip (property) and typed decode errors.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ChallengeCodecError,
  CODEC_LIMITS,
  decodeChallenge,
  encodeChallenge,
} from '../src/challenge/codec.ts';
import { memoryKv } from '../src/challenge/kv.ts';
import { makeNonce } from '../src/challenge/nonce.ts';
import { ChallengeStore, type StoreMaps } from '../src/challenge/store.ts';
import { failed } from '../src/challenge/transitions.ts';
import {
  CHALLENGE_CAP,
  CHALLENGE_CODES,
  CHALLENGE_TTL,
  type Challenge,
  type ChallengeState,
  type Check,
  NS_PER_SECOND,
} from '../src/challenge/types.ts';
import { compareBytes } from '../src/encoding/bytes.ts';

const T0 = 1_767_225_600n * NS_PER_SECOND;
const nonce = () => makeNonce(Uint8Array.from(randomBytes(13)));
const KEY = Uint8Array.from(randomBytes(44));

function maps(): StoreMaps {
  return { challenges: memoryKv(), byAge: memoryKv(), messages: memoryKv() };
}

function setup(store: ChallengeStore, now: bigint, address = 'alice@example.com', n = nonce()) {
  const r = store.insert({ nonce: n, flow: 'setup', address, anchor: 10_001n }, now);
  if (!r.ok) throw new Error(r.detail);
  return r;
}

describe('ChallengeStore', () => {
  it('insert: a Pending entry with a 30-minute TTL, the address lowercased; unknown nonces read as Expired', () => {
    const store = new ChallengeStore(maps());
    const { challenge } = setup(store, T0, 'Alice@Example.COM');
    expect(challenge).toMatchObject({
      flow: 'setup',
      address: 'alice@example.com',
      anchor: 10_001n,
      sessionKey: null,
      createdAt: T0,
      expiresAt: T0 + CHALLENGE_TTL,
      state: { kind: 'Pending' },
    });
    expect(CHALLENGE_TTL).toBe(1_800n * NS_PER_SECOND);
    expect(store.status(challenge.nonce, T0 + CHALLENGE_TTL - 1n)).toEqual({ kind: 'Pending' });
    expect(store.status(challenge.nonce, T0 + CHALLENGE_TTL)).toEqual({ kind: 'Expired' });
    expect(store.status(nonce(), T0)).toEqual({ kind: 'Expired' });
    expect(store.status('not a nonce', T0)).toEqual({ kind: 'Expired' });
    expect(store.get(nonce(), T0)).toBeNull();
  });

  it('refuses invalid input and never overwrites an existing nonce', () => {
    const store = new ChallengeStore(maps());
    const n = nonce();
    const bad = [
      { nonce: 'WX-short', flow: 'setup', address: 'a@b.c', anchor: 1n },
      { nonce: n, flow: 'setup', address: 'not an address', anchor: 1n },
      { nonce: n, flow: 'setup', address: 'a@b.c' },
      { nonce: n, flow: 'setup', address: 'a@b.c', anchor: 1n, sessionKey: KEY },
      { nonce: n, flow: 'recovery', address: 'a@b.c' },
      { nonce: n, flow: 'recovery', address: 'a@b.c', sessionKey: new Uint8Array(1025) },
      { nonce: n, flow: 'recovery', address: 'a@bücher.example', sessionKey: KEY },
    ] as const;
    for (const input of bad)
      expect(store.insert(input, T0)).toMatchObject({ ok: false, code: 'InvalidChallenge' });
    expect(
      store.insert({ nonce: n, flow: 'recovery', address: 'a@b.c', sessionKey: new Uint8Array(1024) }, T0).ok,
    ).toBe(true);
    expect(store.insert({ nonce: n, flow: 'setup', address: 'x@y.z', anchor: 2n }, T0 + 1n)).toMatchObject({
      ok: false,
      code: 'NonceInUse',
    });
    expect(store.get(n, T0)?.address).toBe('a@b.c');
  });

  it('many challenges for one address coexist and do not interfere', () => {
    const store = new ChallengeStore(maps());
    const all = Array.from({ length: 50 }, (_, i) =>
      store.insert(
        { nonce: nonce(), flow: 'recovery', address: 'victim@example.com', sessionKey: KEY },
        T0 + BigInt(i),
      ),
    ).map((r) => (r.ok ? r.challenge : null)!);
    const target = all[17]!;
    expect(store.setState(target.nonce, failed('DkimFailed', 'no'), T0 + 100n)).toBe(true);
    expect(
      store.setState(all[3]!.nonce, { kind: 'SetupComplete', address: 'victim@example.com' }, T0 + 100n),
    ).toBe(true);
    for (const c of all) {
      const kind = store.status(c.nonce, T0 + 100n).kind;
      expect(kind).toBe(c === target ? 'Failed' : c === all[3] ? 'SetupComplete' : 'Pending');
    }
    expect(store.size()).toBe(50);
  });

  it('terminal states stay readable until expiry and never change; leaving NeedProof drops the kept message', () => {
    const store = new ChallengeStore(maps());
    const { challenge } = setup(store, T0);
    const need: ChallengeState = {
      kind: 'NeedProof',
      domain: 'example.com',
      selectors: ['s1'],
      keyNames: ['s1._domainkey.example.com'],
      pendingMessageHash: new Uint8Array(32),
    };
    expect(store.setState(challenge.nonce, need, T0 + 1n)).toBe(true);
    expect(store.putMessage(challenge.nonce, Uint8Array.of(1, 2, 3), T0 + 1n)).toBe(true);
    expect(store.message(challenge.nonce, T0 + 2n)).toEqual(Uint8Array.of(1, 2, 3));
    const done: ChallengeState = { kind: 'SetupComplete', address: 'alice@example.com' };
    expect(store.setState(challenge.nonce, done, T0 + 2n)).toBe(true);
    expect(store.message(challenge.nonce, T0 + 2n)).toBeNull();
    expect(store.setState(challenge.nonce, { kind: 'Pending' }, T0 + 3n)).toBe(false);
    expect(store.setState(challenge.nonce, failed('DkimFailed', 'late'), T0 + 3n)).toBe(false);
    expect(store.status(challenge.nonce, challenge.expiresAt - 1n)).toEqual(done);
    expect(store.status(challenge.nonce, challenge.expiresAt)).toEqual({ kind: 'Expired' });
    expect(store.setState(challenge.nonce, need, challenge.expiresAt)).toBe(false);
    expect(store.putMessage(challenge.nonce, Uint8Array.of(1), challenge.expiresAt)).toBe(false);
    store.remove(challenge.nonce);
    expect(store.size()).toBe(0);
  });

  it(`cap of ${CHALLENGE_CAP}: with equal createdAt the first inserted is the oldest`, () => {
    const m = maps();
    const store = new ChallengeStore(m);
    const first = Array.from({ length: CHALLENGE_CAP }, () => setup(store, T0).challenge.nonce);
    expect(store.size()).toBe(CHALLENGE_CAP);
    const r = setup(store, T0);
    expect(r.evicted).toEqual([first[0]]);
    expect(store.size()).toBe(CHALLENGE_CAP);
    expect(store.get(first[0]!, T0)).toBeNull();
    expect(store.get(first[1]!, T0)).not.toBeNull();
    expect(setup(store, T0).evicted).toEqual([first[1]]);
    expect(m.challenges.size()).toBe(CHALLENGE_CAP + 1); // + the insertion counter
  });

  it('cap: expired entries go first (all of them), then the oldest live one', () => {
    const m = maps();
    const store = new ChallengeStore(m);
    const old = Array.from({ length: 5 }, (_, i) => setup(store, T0 + BigInt(i)).challenge.nonce);
    const live: string[] = [];
    for (let i = 0; i < CHALLENGE_CAP - 5; i++)
      live.push(setup(store, T0 + 60n * NS_PER_SECOND).challenge.nonce);
    for (const n of old) store.putMessage(n, Uint8Array.of(9), T0 + 10n);
    expect(store.size()).toBe(CHALLENGE_CAP);
    // At T0 + TTL + 4 the five old ones have expired (expiresAt = T0 + i + TTL ≤ now), the rest are live.
    const now = T0 + CHALLENGE_TTL + 4n;
    const r = setup(store, now);
    expect(r.evicted).toEqual(old);
    expect(store.size()).toBe(CHALLENGE_CAP - 4);
    expect(m.messages.size()).toBe(0);
    for (let i = 0; i < 4; i++) expect(setup(store, now).evicted).toEqual([]);
    expect(setup(store, now).evicted).toEqual([live[0]]);
    expect(store.get(live[1]!, now)).not.toBeNull();
  });

  it('purgeExpired is bounded and stops at the first live entry', () => {
    const store = new ChallengeStore(maps(), { cap: 100, ttl: 10n });
    for (let i = 0; i < 10; i++) setup(store, BigInt(i));
    expect(store.purgeExpired(15n, 3)).toHaveLength(3);
    expect(store.purgeExpired(15n)).toHaveLength(3);
    expect(store.size()).toBe(4);
  });

  it('an unreadable entry reads as Expired and is dropped by the next purge', () => {
    const m = maps();
    const store = new ChallengeStore(m);
    const { challenge } = setup(store, T0);
    m.challenges.set(
      Uint8Array.from(challenge.nonce, (c) => c.charCodeAt(0)),
      Uint8Array.of(1, 2, 3),
    );
    expect(store.status(challenge.nonce, T0)).toEqual({ kind: 'Expired' });
    expect(store.purgeExpired(T0)).toEqual([challenge.nonce]);
    expect(store.size()).toBe(0);
  });
});

describe('memoryKv', () => {
  it('keeps keys in unsigned byte order', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 6 }), { maxLength: 40 }), (keys) => {
        const kv = memoryKv();
        for (const k of keys) kv.set(k, k);
        const got = kv.range(0, 1000).map(([k]) => Buffer.from(k).toString('hex'));
        const want = [...new Set(keys.map((k) => Buffer.from(k).toString('hex')))].sort((a, b) =>
          compareBytes(Buffer.from(a, 'hex'), Buffer.from(b, 'hex')),
        );
        expect(got).toEqual(want);
      }),
    );
  });
});

// ---------------------------------------------------------------------------------------------------------------

const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const utf8 = new TextEncoder();
const text = (maxBytes: number) =>
  fc
    .string({ unit: 'grapheme', maxLength: Math.floor(maxBytes / 8) })
    .filter((s) => utf8.encode(s).length <= maxBytes);
const names = fc.array(text(255), { maxLength: CODEC_LIMITS.names });
const hash = fc.option(fc.uint8Array({ minLength: 32, maxLength: 32 }), { nil: null });
const check: fc.Arbitrary<Check> = fc.record({
  name: text(255),
  status: fc.constantFrom('Pass', 'Fail', 'Skipped'),
  detail: text(CODEC_LIMITS.detailBytes),
});
const state: fc.Arbitrary<ChallengeState> = fc.oneof(
  fc.constant({ kind: 'Pending' as const }),
  fc.constant({ kind: 'Expired' as const }),
  fc.record({
    kind: fc.constant('NeedProof' as const),
    domain: text(255),
    selectors: names,
    keyNames: names,
    pendingMessageHash: hash,
  }),
  fc.record({ kind: fc.constant('Resolving' as const), names, pendingMessageHash: hash }),
  fc.record({ kind: fc.constant('SetupComplete' as const), address: text(255) }),
  fc.record({
    kind: fc.constant('RecoveryReady' as const),
    anchor: u64,
    userKey: fc.uint8Array({ maxLength: 200 }),
    expiration: u64,
  }),
  fc.record({
    kind: fc.constant('Failed' as const),
    code: fc.constantFrom(...CHALLENGE_CODES),
    message: text(CODEC_LIMITS.messageBytes),
    checks: fc.array(check, { maxLength: 12 }),
  }),
);
const challenge: fc.Arbitrary<Challenge> = fc.record({
  nonce: fc.uint8Array({ minLength: 13, maxLength: 13 }).map(makeNonce),
  flow: fc.constantFrom('setup', 'recovery'),
  address: text(255),
  anchor: fc.option(u64, { nil: null }),
  sessionKey: fc.option(fc.uint8Array({ maxLength: 1024 }), { nil: null }),
  createdAt: u64,
  expiresAt: u64,
  seq: u64,
  state,
});

describe('challenge codec', () => {
  it('round trip (property)', () => {
    fc.assert(
      fc.property(challenge, (c) => {
        expect(decodeChallenge(encodeChallenge(c))).toEqual(c);
      }),
      { numRuns: 500 },
    );
  });

  it('compact: a Pending recovery challenge with a 44-byte session key is about 120 bytes', () => {
    const c: Challenge = {
      nonce: nonce(),
      flow: 'recovery',
      address: 'alice@example.com',
      anchor: null,
      sessionKey: KEY,
      createdAt: T0,
      expiresAt: T0 + CHALLENGE_TTL,
      seq: 5n,
      state: { kind: 'Pending' },
    };
    expect(encodeChallenge(c).length).toBe(3 + 20 + 18 + 46 + 24 + 1);
  });

  it('every strict prefix, a trailing byte, another version and random bytes give typed errors only', () => {
    fc.assert(
      fc.property(challenge, (c) => {
        const bytes = encodeChallenge(c);
        for (let i = 0; i < bytes.length; i++) {
          expect(() => decodeChallenge(bytes.subarray(0, i))).toThrow(ChallengeCodecError);
        }
        expect(() => decodeChallenge(Uint8Array.from([...bytes, 0]))).toThrow(
          expect.objectContaining({ code: 'TrailingBytes' }),
        );
        const v2 = bytes.slice();
        v2[0] = 2;
        expect(() => decodeChallenge(v2)).toThrow(expect.objectContaining({ code: 'UnsupportedVersion' }));
      }),
      { numRuns: 50 },
    );
    expect(() => decodeChallenge(new Uint8Array(0))).toThrow(expect.objectContaining({ code: 'Empty' }));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (garbage) => {
        try {
          decodeChallenge(garbage);
        } catch (e) {
          expect(e).toBeInstanceOf(ChallengeCodecError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('encode enforces the bounds; failed() clamps long text so it always encodes', () => {
    const base: Challenge = {
      nonce: nonce(),
      flow: 'setup',
      address: 'a@b.c',
      anchor: 1n,
      sessionKey: null,
      createdAt: 0n,
      expiresAt: 1n,
      seq: 0n,
      state: { kind: 'Pending' },
    };
    const long = 'é'.repeat(5000);
    expect(() =>
      encodeChallenge({ ...base, state: { kind: 'Failed', code: 'DkimFailed', message: long, checks: [] } }),
    ).toThrow(ChallengeCodecError);
    expect(() => encodeChallenge({ ...base, createdAt: 1n << 64n })).toThrow(ChallengeCodecError);
    expect(() => encodeChallenge({ ...base, nonce: 'WX-x' })).toThrow(ChallengeCodecError);
    const checks = Array.from({ length: 300 }, (_, i) => ({
      name: `c${i}`,
      status: 'Pass' as const,
      detail: long,
    }));
    const state = failed('DkimFailed', long, checks);
    const round = decodeChallenge(encodeChallenge({ ...base, state }));
    expect(round.state).toEqual(state);
    if (state.kind !== 'Failed') throw new Error();
    expect(state.checks).toHaveLength(CODEC_LIMITS.checks);
    expect(utf8.encode(state.message).length).toBeLessThanOrEqual(CODEC_LIMITS.messageBytes);
    expect(state.message.endsWith('…')).toBe(true);
  });
});

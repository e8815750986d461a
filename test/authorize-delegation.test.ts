/**
 * Signing the dApp's delegation (frontend/src/authorize/delegation.ts): `prepare_delegation`, then
 * `get_delegation` for the same values, retried while the signature is not yet there.
 */
import { describe, expect, it } from 'vitest';
import type { GetDelegationResult, PrepareDelegationResult } from '../canister/declarations/waxseal.did.ts';
import { type DelegationActor, signDelegation } from '../frontend/src/authorize/delegation.ts';

const TARGET = { origin: 'https://app.example.org', sessionKey: Uint8Array.of(7), ttlNs: 60n };
const PREPARED: PrepareDelegationResult = { Ok: { user_key: Uint8Array.of(1, 2), expiration: 99n } };
const SIGNED: GetDelegationResult = {
  Ok: { delegation: { pubkey: Uint8Array.of(7), expiration: 99n, targets: [] }, signature: Uint8Array.of(3) },
};
const MISSING: GetDelegationResult = { Err: { code: 'NoSuchDelegation', message: 'not yet' } };
const noWait = { attempts: 3, pauseMs: 10, sleep: async () => {} };

function actor(prepare: PrepareDelegationResult, gets: (GetDelegationResult | Error)[]) {
  const calls: unknown[][] = [];
  const a = {
    prepare_delegation: async (...args: unknown[]) => {
      calls.push(['prepare', ...args]);
      return prepare;
    },
    get_delegation: async (...args: unknown[]) => {
      calls.push(['get', ...args]);
      const next = gets.shift()!;
      if (next instanceof Error) throw next;
      return next;
    },
  } as unknown as DelegationActor;
  return { a, calls };
}

describe('signDelegation', () => {
  it('prepares with the capped lifetime, fetches with the prepared expiration, and returns the chain', async () => {
    const { a, calls } = actor(PREPARED, [SIGNED]);
    const got = await signDelegation(a, 10_000n, TARGET, 'passkey', noWait);
    expect(got).toEqual({
      ok: true,
      value: {
        userKey: Uint8Array.of(1, 2),
        delegations: [{ pubkey: Uint8Array.of(7), expiration: 99n, signature: Uint8Array.of(3) }],
        authnMethod: 'passkey',
      },
    });
    expect(calls).toEqual([
      ['prepare', 10_000n, TARGET.origin, TARGET.sessionKey, [60n]],
      ['get', 10_000n, TARGET.origin, TARGET.sessionKey, 99n],
    ]);
  });

  it('retries while the signature is missing or the query fails, then succeeds', async () => {
    const { a, calls } = actor(PREPARED, [MISSING, new Error('replica behind'), SIGNED]);
    expect((await signDelegation(a, 1n, TARGET, 'recovery', noWait)).ok).toBe(true);
    expect(calls.filter((c) => c[0] === 'get')).toHaveLength(3);
  });

  it('gives up after the last attempt, saying why', async () => {
    const { a } = actor(PREPARED, [MISSING, MISSING, MISSING]);
    expect(await signDelegation(a, 1n, TARGET, 'passkey', noWait)).toMatchObject({
      ok: false,
      code: 'generic',
      message: 'the signed delegation could not be fetched (not yet)',
    });
  });

  it('a refusal other than NoSuchDelegation stops at once; a refused prepare never fetches', async () => {
    const { a, calls } = actor(PREPARED, [{ Err: { code: 'NotAuthorized', message: 'no' } }, SIGNED]);
    expect(await signDelegation(a, 1n, TARGET, 'passkey', noWait)).toMatchObject({
      ok: false,
      message: 'no',
    });
    expect(calls).toHaveLength(2);
    const refused = actor({ Err: { code: 'NotAuthorized', message: 'not yours' } }, []);
    expect(await signDelegation(refused.a, 1n, TARGET, 'passkey', noWait)).toMatchObject({
      ok: false,
      message: 'not yours',
    });
    expect(refused.calls).toHaveLength(1);
  });
});

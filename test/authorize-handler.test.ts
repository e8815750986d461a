/**
 * The one delegation handler behind ICRC-34 and the legacy protocol (frontend/src/authorize/handler.ts): what is
 * refused before the person is asked, and what the person is asked to approve.
 */
import { describe, expect, it } from 'vitest';
import { type Approval, type HandlerDeps, handleDelegation } from '../frontend/src/authorize/handler.ts';
import { type DelegationRequest, type Outcome, refuse } from '../frontend/src/authorize/request.ts';

const HOUR_NS = 3_600_000_000_000n;
const CALLER = 'https://app.example.org';
const SIGNED: Outcome = {
  ok: true,
  chain: { userKey: Uint8Array.of(1), delegations: [], authnMethod: 'passkey' },
};

function request(fields: Partial<DelegationRequest> = {}): DelegationRequest {
  return {
    sessionKey: Uint8Array.of(9),
    maxTimeToLive: undefined,
    targets: undefined,
    derivationOrigin: undefined,
    ...fields,
  };
}

function deps(origin: Awaited<ReturnType<HandlerDeps['effectiveOrigin']>> = { ok: true, value: CALLER }) {
  const asked: Approval[] = [];
  const d: HandlerDeps = {
    reservedOrigins: ['https://waxseal.example'],
    effectiveOrigin: async () => origin,
    approve: async (a) => {
      asked.push(a);
      return SIGNED;
    },
  };
  return { d, asked };
}

const signal = new AbortController().signal;

describe('handleDelegation', () => {
  it('asks the person with the caller, its origin, the session key and 8 h when no lifetime is asked for', async () => {
    const { d, asked } = deps();
    expect(await handleDelegation(request(), CALLER, signal, d)).toBe(SIGNED);
    expect(asked).toEqual([
      { caller: CALLER, origin: CALLER, sessionKey: Uint8Array.of(9), ttlNs: 8n * HOUR_NS, signal },
    ]);
  });

  it('caps the lifetime at 30 days before asking', async () => {
    const { d, asked } = deps();
    await handleDelegation(request({ maxTimeToLive: 10_000n * HOUR_NS }), CALLER, signal, d);
    expect(asked[0]!.ttlNs).toBe(720n * HOUR_NS);
  });

  it('a validated derivation origin is the origin whose principal is approved', async () => {
    const { d, asked } = deps({ ok: true, value: 'https://main.example.org' });
    await handleDelegation(request({ derivationOrigin: 'https://main.example.org' }), CALLER, signal, d);
    expect(asked[0]).toMatchObject({ caller: CALLER, origin: 'https://main.example.org' });
  });

  it('a refused derivation origin is the answer, and the person is never asked', async () => {
    const refusal = refuse('permission-denied', 'not listed');
    const { d, asked } = deps(refusal);
    expect(
      await handleDelegation(request({ derivationOrigin: 'https://x.example' }), CALLER, signal, d),
    ).toBe(refusal);
    expect(asked).toEqual([]);
  });

  it('the Waxseal app’s own origin (the management principal) is never a dApp’s, even as a derivation origin', async () => {
    const { d, asked } = deps({ ok: true, value: 'https://waxseal.example' });
    const got = await handleDelegation(
      request({ derivationOrigin: 'https://waxseal.example' }),
      CALLER,
      signal,
      d,
    );
    expect(got).toMatchObject({ ok: false, code: 'permission-denied' });
    expect(asked).toEqual([]);
  });

  it('targets (an account delegation) are refused as not supported, never dropped; empty targets are none', async () => {
    const { d, asked } = deps();
    const got = await handleDelegation(
      request({ targets: ['ryjl3-tyaaa-aaaaa-aaaba-cai'] }),
      CALLER,
      signal,
      d,
    );
    expect(got).toMatchObject({ ok: false, code: 'not-supported' });
    expect(asked).toEqual([]);
    expect(await handleDelegation(request({ targets: [] }), CALLER, signal, d)).toBe(SIGNED);
  });
});

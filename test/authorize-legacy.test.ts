/**
 * The legacy Internet Identity protocol of /authorize (frontend/src/authorize/legacy.ts), as
 * @dfinity/auth-client 3.4 speaks it: `authorize-client` in, `authorize-client-success` / `-failure` out, with
 * Uint8Array and bigint values.
 */
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AUTHORIZE_READY,
  authorizeClientReply,
  isAuthorizeClient,
  parseAuthorizeClient,
  USER_INTERRUPT,
} from '../frontend/src/authorize/legacy.ts';
import { refuse } from '../frontend/src/authorize/request.ts';

const key = new Uint8Array(Ed25519KeyIdentity.generate().getPublicKey().toDer());
const EIGHT_HOURS = 28_800_000_000_000n;

describe('authorize-client', () => {
  it('the page announces itself with {kind: "authorize-ready"}', () => {
    expect(AUTHORIZE_READY).toEqual({ kind: 'authorize-ready' });
  });

  it('reads sessionPublicKey, maxTimeToLive and derivationOrigin; ignores PIN and auto-selection options', () => {
    const got = parseAuthorizeClient({
      kind: 'authorize-client',
      sessionPublicKey: key,
      maxTimeToLive: EIGHT_HOURS,
      allowPinAuthentication: true,
      autoSelectionPrincipal: 'aaaaa-aa',
      derivationOrigin: 'https://example.org',
    });
    expect(got).toEqual({
      ok: true,
      value: {
        sessionKey: key,
        maxTimeToLive: EIGHT_HOURS,
        targets: undefined,
        derivationOrigin: 'https://example.org',
      },
    });
  });

  it('maxTimeToLive and derivationOrigin may be omitted', () => {
    const got = parseAuthorizeClient({ kind: 'authorize-client', sessionPublicKey: key });
    expect(got.ok && got.value.maxTimeToLive).toBeUndefined();
    expect(got.ok && got.value.derivationOrigin).toBeUndefined();
  });

  it.each([
    ['a key as an array', { sessionPublicKey: [...key] }, 'sessionPublicKey'],
    ['a key of another kind', { sessionPublicKey: Uint8Array.of(1, 2) }, 'sessionPublicKey'],
    ['maxTimeToLive as a number', { sessionPublicKey: key, maxTimeToLive: 1000 }, 'maxTimeToLive'],
    ['maxTimeToLive zero', { sessionPublicKey: key, maxTimeToLive: 0n }, 'maxTimeToLive'],
    ['derivationOrigin not a string', { sessionPublicKey: key, derivationOrigin: 3 }, 'derivationOrigin'],
  ])('%s: refused as invalid', (_, fields, field) => {
    const got = parseAuthorizeClient({ kind: 'authorize-client', ...fields });
    expect(got.ok).toBe(false);
    if (!got.ok) {
      expect(got.code).toBe('invalid-params');
      expect(got.message).toContain(field);
    }
  });

  it('never throws on arbitrary messages; only authorize-client with a valid key passes', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything({ withBigInt: true, withTypedArray: true }),
          fc.record(
            {
              kind: fc.constantFrom('authorize-client', 'authorize-ready', 'x'),
              sessionPublicKey: fc.oneof(fc.uint8Array(), fc.constant(key), fc.anything()),
              maxTimeToLive: fc.oneof(fc.bigInt(), fc.anything({ withBigInt: true })),
              derivationOrigin: fc.anything(),
            },
            { requiredKeys: ['kind'] },
          ),
        ),
        (data) => {
          const got = parseAuthorizeClient(data);
          expect(isAuthorizeClient(data) || !got.ok).toBe(true);
          if (got.ok) expect(got.value.sessionKey).toEqual(key);
        },
      ),
    );
  });
});

describe('replies', () => {
  const chain = {
    userKey: Uint8Array.of(1),
    delegations: [{ pubkey: key, expiration: 42n, signature: Uint8Array.of(2) }],
    authnMethod: 'recovery' as const,
  };

  it('success carries Uint8Array keys, a bigint expiration and the authentication method', () => {
    expect(authorizeClientReply({ ok: true, chain })).toEqual({
      kind: 'authorize-client-success',
      delegations: [{ delegation: { pubkey: key, expiration: 42n }, signature: Uint8Array.of(2) }],
      userPublicKey: Uint8Array.of(1),
      authnMethod: 'recovery',
    });
  });

  it('Cancel is reported as UserInterrupt, as a closed window; other refusals by their message', () => {
    expect(authorizeClientReply(refuse('user-aborted', 'cancelled'))).toEqual({
      kind: 'authorize-client-failure',
      text: USER_INTERRUPT,
    });
    expect(authorizeClientReply(refuse('permission-denied', 'not listed'))).toEqual({
      kind: 'authorize-client-failure',
      text: 'not listed',
    });
  });
});

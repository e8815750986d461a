/**
 * The ICRC side of /authorize (frontend/src/authorize/icrc.ts): ICRC-25 standards and permissions, ICRC-34
 * `icrc34_delegation` params as @icp-sdk/auth 7.1 sends them, and the result it reads back.
 */
import { ECDSAKeyIdentity, Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { base64 } from '@scure/base';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  delegationResult,
  PERMISSIONS,
  parseDelegationParams,
  SUPPORTED_STANDARDS,
} from '../frontend/src/authorize/icrc.ts';

const ed25519 = new Uint8Array(Ed25519KeyIdentity.generate().getPublicKey().toDer());
const CANISTER = 'ryjl3-tyaaa-aaaaa-aaaba-cai';

describe('ICRC-25', () => {
  it('icrc25_supported_standards lists ICRC-25, 29, 34 and 95, each with a URL', () => {
    expect(SUPPORTED_STANDARDS.supportedStandards.map((s) => s.name)).toEqual([
      'ICRC-25',
      'ICRC-29',
      'ICRC-34',
      'ICRC-95',
    ]);
    for (const s of SUPPORTED_STANDARDS.supportedStandards)
      expect(s.url).toMatch(/^https:\/\/.+ICRC-\d+\.md$/);
  });

  it('icrc25_permissions reports icrc34_delegation granted', () => {
    expect(PERMISSIONS).toEqual({ scopes: [{ scope: { method: 'icrc34_delegation' }, state: 'granted' }] });
  });
});

describe('icrc34_delegation params', () => {
  it('reads what @icp-sdk/auth 7.1 sends: base64 DER key, decimal-string maxTimeToLive', async () => {
    const p256 = new Uint8Array((await ECDSAKeyIdentity.generate()).getPublicKey().toDer());
    const got = parseDelegationParams({ publicKey: base64.encode(p256), maxTimeToLive: '28800000000000' });
    expect(got).toEqual({
      ok: true,
      value: {
        sessionKey: p256,
        maxTimeToLive: 28_800_000_000_000n,
        targets: undefined,
        derivationOrigin: undefined,
      },
    });
  });

  it('keeps targets and icrc95DerivationOrigin for the handler to judge', () => {
    const got = parseDelegationParams({
      publicKey: base64.encode(ed25519),
      targets: [CANISTER],
      icrc95DerivationOrigin: 'https://example.org',
    });
    expect(got.ok && got.value.targets).toEqual([CANISTER]);
    expect(got.ok && got.value.derivationOrigin).toBe('https://example.org');
  });

  it('maxTimeToLive may be omitted', () => {
    const got = parseDelegationParams({ publicKey: base64.encode(ed25519) });
    expect(got.ok && got.value.maxTimeToLive).toBeUndefined();
  });

  it.each([
    ['no params', undefined, 'icrc34_delegation needs params'],
    ['params as an array', [], 'icrc34_delegation needs params'],
    ['no publicKey', {}, 'publicKey'],
    ['publicKey not base64', { publicKey: '%%%' }, 'publicKey'],
    ['publicKey of an unsupported kind', { publicKey: base64.encode(Uint8Array.of(1, 2, 3)) }, 'publicKey'],
    [
      'maxTimeToLive as a number',
      { publicKey: base64.encode(ed25519), maxTimeToLive: 1000 },
      'maxTimeToLive',
    ],
    ['maxTimeToLive zero', { publicKey: base64.encode(ed25519), maxTimeToLive: '0' }, 'maxTimeToLive'],
    ['targets not an array', { publicKey: base64.encode(ed25519), targets: CANISTER }, 'targets'],
    ['a target that is no principal', { publicKey: base64.encode(ed25519), targets: ['nope'] }, 'targets'],
    [
      'a derivation origin that is no string',
      { publicKey: base64.encode(ed25519), icrc95DerivationOrigin: 1 },
      'icrc95DerivationOrigin',
    ],
    [
      'a derivation origin longer than any origin',
      { publicKey: base64.encode(ed25519), icrc95DerivationOrigin: `https://${'a'.repeat(300)}` },
      'icrc95DerivationOrigin',
    ],
  ])('%s: invalid params naming the field', (_, params, field) => {
    const got = parseDelegationParams(params);
    expect(got.ok).toBe(false);
    if (!got.ok) {
      expect(got.code).toBe('invalid-params');
      expect(got.message).toContain(field);
    }
  });

  it('never throws on arbitrary params, and accepts only a valid session key', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything(),
          fc.record(
            {
              publicKey: fc.oneof(fc.string(), fc.constant(base64.encode(ed25519))),
              maxTimeToLive: fc.oneof(
                fc.string(),
                fc.bigInt({ min: 0n, max: 2n ** 64n }).map(String),
                fc.anything(),
              ),
              targets: fc.oneof(fc.array(fc.string()), fc.constant([CANISTER]), fc.anything()),
              icrc95DerivationOrigin: fc.anything(),
            },
            { requiredKeys: [] },
          ),
        ),
        (params) => {
          const got = parseDelegationParams(params);
          if (got.ok) {
            expect(got.value.sessionKey).toEqual(ed25519);
            expect(got.value.maxTimeToLive === undefined || got.value.maxTimeToLive > 0n).toBe(true);
          } else {
            expect(got.code).toBe('invalid-params');
          }
        },
      ),
    );
  });
});

describe('icrc34_delegation result', () => {
  it('base64 keys and signature, the expiration as a decimal string, no targets (ICRC-34 "Result")', () => {
    const chain = {
      userKey: Uint8Array.of(1, 2, 3),
      delegations: [
        { pubkey: Uint8Array.of(4, 5), expiration: 1_702_683_438_614_940_079n, signature: Uint8Array.of(6) },
      ],
      authnMethod: 'passkey' as const,
    };
    expect(delegationResult(chain)).toEqual({
      publicKey: 'AQID',
      signerDelegation: [
        { delegation: { pubkey: 'BAU=', expiration: '1702683438614940079' }, signature: 'Bg==' },
      ],
    });
  });
});

/**
 * Identities and delegations on the compiled canister wasm (protocol.md §1–§2): create_identity, authenticators,
 * identity_info with the audit log, prepare_delegation / get_delegation verified like the IC verifies them.
 */
import { DelegationChain, DelegationIdentity, Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { Principal } from '@icp-sdk/core/principal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Deployed, deploy } from './helpers/canister.ts';
import { verifyDelegationSignature } from './helpers/ic-certificates.ts';
import { ok } from './helpers/result.ts';

let c: Deployed;
const alice = Ed25519KeyIdentity.generate();
const bob = Ed25519KeyIdentity.generate();
const ORIGIN = 'https://app.waxseal.test';

beforeAll(async () => {
  c = await deploy({ app_origin: ORIGIN, mail_hosts: ['mail.waxseal.test'], identity_number_start: 20_000n });
}, 120_000);
afterAll(async () => c?.backend.tearDown());

describe('identities', () => {
  it('refuses an anonymous caller', async () => {
    const r = await c.actor().create_identity();
    expect(r).toEqual({ Err: { code: 'AnonymousCaller', message: expect.any(String) } });
  });

  it('allocates numbers sequentially from identity_number_start', async () => {
    const first = ok(await c.actor(alice).create_identity());
    const second = ok(await c.actor(bob).create_identity());
    expect(second).toBe(first + 1n);
    expect(first).toBeGreaterThanOrEqual(20_000n);
  });

  it('adds and removes authenticators, keeps an audit log, and refuses outsiders', async () => {
    const anchor = ok(await c.actor(alice).create_identity());
    const device = Ed25519KeyIdentity.generate();
    expect(await c.actor(bob).add_authenticator(anchor, device.getPrincipal())).toEqual({
      Err: { code: 'NotAuthorized', message: expect.any(String) },
    });
    ok(await c.actor(alice).add_authenticator(anchor, device.getPrincipal()));
    // The new device is now authorized itself.
    const info = ok(await c.actor(device).identity_info(anchor));
    expect(info.authenticators.map((p) => p.toText()).sort()).toEqual(
      [alice.getPrincipal().toText(), device.getPrincipal().toText()].sort(),
    );
    expect(info.log.map((e) => Object.keys(e.kind)[0])).toEqual(['IdentityCreated', 'AuthenticatorAdded']);
    expect(info.log[1]!.caller.toText()).toBe(alice.getPrincipal().toText());
    expect(info.recovery_address).toEqual([]);
    ok(await c.actor(device).remove_authenticator(anchor, alice.getPrincipal()));
    expect(await c.actor(device).remove_authenticator(anchor, device.getPrincipal())).toEqual({
      Err: { code: 'LastAuthenticator', message: expect.any(String) },
    });
    expect(await c.actor(alice).identity_info(anchor)).toEqual({
      Err: { code: 'NotAuthorized', message: expect.any(String) },
    });
  });

  it('reports an unknown identity', async () => {
    expect(await c.actor(alice).identity_info(1n)).toEqual({
      Err: { code: 'UnknownIdentity', message: expect.any(String) },
    });
  });
});

describe('delegations', () => {
  it('issues a delegation the IC accepts: verified signature, DelegationIdentity principal, whoami', async () => {
    const anchor = ok(await c.actor(alice).create_identity());
    const session = Ed25519KeyIdentity.generate();
    const sessionKey = new Uint8Array(session.getPublicKey().toDer());
    const prepared = ok(await c.actor(alice).prepare_delegation(anchor, ORIGIN, sessionKey, []));
    const signed = ok(await c.actor(alice).get_delegation(anchor, ORIGIN, sessionKey, prepared.expiration));

    const rootKey = await c.backend.rootKey();
    const verdict = await verifyDelegationSignature(
      prepared.user_key,
      { pubkey: sessionKey, expiration: prepared.expiration },
      signed.signature,
      { rootKey, expectedCanisterId: c.id.toUint8Array() },
    );
    expect(verdict.ok, JSON.stringify(verdict)).toBe(true);
    // A changed expiration does not verify.
    const other = await verifyDelegationSignature(
      prepared.user_key,
      { pubkey: sessionKey, expiration: prepared.expiration + 1n },
      signed.signature,
      { rootKey },
    );
    expect(other).toMatchObject({ ok: false, reason: 'SignatureNotInTree' });

    const chain = DelegationChain.fromDelegations(
      [{ delegation: { ...signed.delegation, targets: undefined }, signature: signed.signature } as never],
      prepared.user_key as never,
    );
    const delegated = DelegationIdentity.fromDelegation(session, chain);
    const whoami = await c.actor(delegated).whoami();
    expect(whoami.toText()).toBe(Principal.selfAuthenticating(prepared.user_key).toText());

    // The management principal (ORIGIN is the app origin) is authorized for the identity.
    ok(await c.actor(delegated).add_authenticator(anchor, Ed25519KeyIdentity.generate().getPrincipal()));
    const info = ok(await c.actor(delegated).identity_info(anchor));
    expect(info.authenticators).toHaveLength(2);
  });

  it('caps the TTL at 30 days and defaults to 30 minutes', async () => {
    const anchor = ok(await c.actor(alice).create_identity());
    const key = new Uint8Array(Ed25519KeyIdentity.generate().getPublicKey().toDer());
    const a = ok(await c.actor(alice).prepare_delegation(anchor, ORIGIN, key, []));
    const b = ok(await c.actor(alice).prepare_delegation(anchor, ORIGIN, key, [10n ** 18n]));
    expect(b.expiration - a.expiration).toBe(30n * 24n * 3600n * 10n ** 9n - 30n * 60n * 10n ** 9n);
  });

  it('refuses bad session keys, outsiders, and unknown or expired delegations', async () => {
    const anchor = ok(await c.actor(alice).create_identity());
    const key = new Uint8Array(Ed25519KeyIdentity.generate().getPublicKey().toDer());
    expect(await c.actor(alice).prepare_delegation(anchor, ORIGIN, new Uint8Array(44), [])).toEqual({
      Err: { code: 'InvalidSessionKey', message: expect.any(String) },
    });
    expect(await c.actor(bob).prepare_delegation(anchor, ORIGIN, key, [])).toEqual({
      Err: { code: 'NotAuthorized', message: expect.any(String) },
    });
    const p = ok(await c.actor(alice).prepare_delegation(anchor, ORIGIN, key, []));
    expect(await c.actor(alice).get_delegation(anchor, ORIGIN, key, p.expiration + 1n)).toEqual({
      Err: { code: 'NoSuchDelegation', message: expect.any(String) },
    });
    await c.backend.advanceTime(61n * 10n ** 9n);
    // Another prepare prunes the expired signature.
    ok(await c.actor(alice).prepare_delegation(anchor, 'https://other.test', key, []));
    expect(await c.actor(alice).get_delegation(anchor, ORIGIN, key, p.expiration)).toEqual({
      Err: { code: 'NoSuchDelegation', message: expect.any(String) },
    });
  });
});

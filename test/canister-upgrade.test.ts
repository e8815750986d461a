/**
 * Upgrade safety on the compiled canister wasm (protocol.md §3, ic-notes.md §2.5): a challenge in NeedProof
 * finishes after an upgrade; identities, bindings, the audit log, the salt (same principals) and the config
 * survive; an upgrade with an omitted config field keeps it; a recovery that is RecoveryReady can still fetch its
 * delegation after an upgrade (the heap signature map is rebuilt), and the delegation works. Also the anti-enumeration property of recovery
 * prepare: same answer shape and instruction counts within 10 % for registered and unknown addresses.
 */

import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { describe, expect, it } from 'vitest';
import { encodeInit, INSTR_WASM, signInWithDelegation, WASM } from './helpers/canister.ts';
import { deliverChallengeMail, emailProof } from './helpers/challenge-mail.ts';
import {
  NS_PER_SECOND,
  TEST_APP_ORIGIN,
  TEST_MAIL_HOST,
  useEmailCanister,
} from './helpers/email-canister.ts';
import { ok } from './helpers/result.ts';

const owner = Ed25519KeyIdentity.generate();

describe('upgrade', () => {
  const c = useEmailCanister({ identity_number_start: 500n });

  it('keeps state and finishes a NeedProof challenge across upgrades', async () => {
    const anchor = ok(await c.actor(owner).create_identity());
    const first = 'ivy@ed25519.wxtest';
    const proof = await emailProof('ed25519.wxtest', ['sel']);
    const bound = ok(await c.actor(owner).email_setup_prepare(anchor, first));
    await deliverChallengeMail(c, first, bound, proof.chain);
    const session = new Uint8Array(Ed25519KeyIdentity.generate().getPublicKey().toDer());
    const before = ok(await c.actor(owner).prepare_delegation(anchor, TEST_APP_ORIGIN, session, []));
    const infoBefore = ok(await c.actor(owner).identity_info(anchor));
    const configBefore = await c.actor().config();

    // A second identity's challenge waits for a proof across the upgrade.
    const anchor2 = ok(await c.actor(owner).create_identity());
    const pending = ok(await c.actor(owner).email_setup_prepare(anchor2, 'jack@ed25519.wxtest'));
    await deliverChallengeMail(c, 'jack@ed25519.wxtest', pending);
    expect(await c.actor().email_challenge_status(pending.nonce)).toMatchObject({ NeedProof: {} });

    // Upgrade with every field omitted, then with only mail_hosts changed.
    await c.backend.upgrade(c.id, WASM, { arg: encodeInit(null) });
    expect(await c.actor().config()).toEqual(configBefore);
    await c.backend.upgrade(c.id, WASM, {
      arg: encodeInit({ mail_hosts: [TEST_MAIL_HOST, 'mx2.waxseal.test'] }),
    });
    const configAfter = await c.actor().config();
    expect(configAfter).toEqual({ ...configBefore, mail_hosts: [TEST_MAIL_HOST, 'mx2.waxseal.test'] });

    expect(ok(await c.actor(owner).identity_info(anchor))).toEqual(infoBefore);
    // Same salt: the same user key for the same identity and origin.
    const after = ok(await c.actor(owner).prepare_delegation(anchor, TEST_APP_ORIGIN, session, []));
    expect(after.user_key).toEqual(before.user_key);
    // Numbering continues.
    expect(ok(await c.actor(owner).create_identity())).toBe(anchor2 + 1n);
    // The waiting challenge finishes after the upgrade.
    const proof2 = await emailProof('ed25519.wxtest', ['sel']);
    expect(ok(await c.actor().email_challenge_submit_proof(pending.nonce, proof2.chain))).toEqual({
      SetupComplete: { address: 'jack@ed25519.wxtest' },
    });
  });

  it('keeps a RecoveryReady delegation fetchable across an upgrade', async () => {
    const address = 'kate@ecdsa.wxtest';
    const proof = await emailProof('ecdsa.wxtest', ['sel']);
    const anchor = ok(await c.actor(owner).create_identity());
    const setup = ok(await c.actor(owner).email_setup_prepare(anchor, address));
    await deliverChallengeMail(c, address, setup, proof.chain);
    const session = Ed25519KeyIdentity.generate();
    const sessionKey = new Uint8Array(session.getPublicKey().toDer());
    const ch = ok(await c.actor().email_recovery_prepare(address, sessionKey));
    await deliverChallengeMail(c, address, ch, proof.chain);
    const status = await c.actor().email_challenge_status(ch.nonce);
    if (!('RecoveryReady' in status)) throw new Error(`not RecoveryReady: ${Object.keys(status)[0]}`);
    const { user_key, expiration } = status.RecoveryReady;
    const before = ok(await c.actor().email_recovery_get_delegation(ch.nonce, sessionKey, expiration));

    // An ordinary prepared delegation (one-minute signature) is not carried over; the recovery one is.
    const other = new Uint8Array(Ed25519KeyIdentity.generate().getPublicKey().toDer());
    const plain = ok(await c.actor(owner).prepare_delegation(anchor, TEST_APP_ORIGIN, other, []));
    await c.backend.upgrade(c.id, WASM, { arg: encodeInit(null) });
    expect(
      await c.actor(owner).get_delegation(anchor, TEST_APP_ORIGIN, other, plain.expiration),
    ).toMatchObject({
      Err: { code: 'NoSuchDelegation' },
    });

    const after = ok(await c.actor().email_recovery_get_delegation(ch.nonce, sessionKey, expiration));
    expect(after.delegation).toEqual(before.delegation);
    const delegated = await signInWithDelegation(c, session, user_key, after);
    ok(await c.actor(delegated).add_authenticator(anchor, Ed25519KeyIdentity.generate().getPrincipal()));

    // Once the challenge expires, the next upgrade does not bring the signature back.
    await c.backend.advanceTime(31n * 60n * NS_PER_SECOND);
    await c.backend.upgrade(c.id, WASM, { arg: encodeInit(null) });
    expect(await c.actor().email_recovery_get_delegation(ch.nonce, sessionKey, expiration)).toMatchObject({
      Err: { code: 'NotReady' },
    });
  });
});

describe('anti-enumeration (instrumented wasm)', () => {
  const c = useEmailCanister({}, INSTR_WASM);

  // PocketIC reports no instruction counts, so this one runs on the Node host only.
  it.runIf(!process.env.POCKET_IC_BIN)(
    'recovery prepare answers alike for registered and unknown addresses (Node host)',
    async () => {
      const anchor = ok(await c.actor(owner).create_identity());
      const address = 'kate@ed25519.wxtest';
      const proof = await emailProof('ed25519.wxtest', ['sel']);
      const setup = ok(await c.actor(owner).email_setup_prepare(anchor, address));
      await deliverChallengeMail(c, address, setup, proof.chain);
      expect(await c.actor().email_challenge_status(setup.nonce)).toEqual({ SetupComplete: { address } });

      const key = new Uint8Array(Ed25519KeyIdentity.generate().getPublicKey().toDer());
      const measure = async (addr: string) => {
        const r = ok(await c.actor().email_recovery_prepare(addr, key));
        return {
          shape: Object.keys(r).sort(),
          mailbox: r.mailbox,
          instructions: c.backend.instructionsOfLastCall()!,
        };
      };
      const runs: Array<Awaited<ReturnType<typeof measure>>> = [];
      for (let i = 0; i < 3; i++)
        runs.push(await measure(address), await measure('nobody.here@ed25519.wxtest'));
      const known = runs.filter((_, i) => i % 2 === 0);
      const unknown = runs.filter((_, i) => i % 2 === 1);
      expect(known[0]!.shape).toEqual(unknown[0]!.shape);
      expect(known[0]!.mailbox).toBe(unknown[0]!.mailbox);
      const avg = (xs: typeof runs) => xs.reduce((n, r) => n + Number(r.instructions), 0) / xs.length;
      const [a, b] = [avg(known), avg(unknown)];
      expect(a).toBeGreaterThan(0);
      expect(Math.abs(a - b) / Math.max(a, b)).toBeLessThan(0.1);
    },
  );
});

/**
 * PocketIC live mode: a real HttpAgent, signed in with the DelegationIdentity that email recovery produced, calls
 * `whoami` through PocketIC's HTTP gateway, so a replica (not our host) checks the canister signature.
 *
 * Needs a pocket-ic server binary in POCKET_IC_BIN (@dfinity/pic's postinstall download cannot run here); without
 * one the suite is skipped with the reason printed. It has not been run in this repository's CI for that reason.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Actor, HttpAgent } from '@icp-sdk/core/agent';
import { DelegationChain, DelegationIdentity, Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { Principal } from '@icp-sdk/core/principal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type _SERVICE, idlFactory } from '../canister/declarations/waxseal.did.ts';
import { encodeInit, WASM } from './helpers/canister.ts';
import { challengeMail, emailProof, VERIFY_TIME } from './helpers/challenge-mail.ts';
import { GENERATED_DIR } from './helpers/dns-servers.ts';

const BIN = process.env.POCKET_IC_BIN;
if (!BIN)
  console.info(
    'pocketic-live: skipped, POCKET_IC_BIN is not set (no pocket-ic server binary on this machine)',
  );

const HOST = 'mail.waxseal.test';
const ORIGIN = 'https://app.waxseal.test';

describe.skipIf(!BIN)('PocketIC live mode (needs POCKET_IC_BIN)', () => {
  // biome-ignore lint/suspicious/noExplicitAny: @dfinity/pic is loaded lazily so the module is optional
  let pic: any;
  // biome-ignore lint/suspicious/noExplicitAny: see above
  let server: any;
  beforeAll(async () => {
    const mod = await import('@dfinity/pic');
    server = await mod.PocketIcServer.start({ binPath: BIN });
    pic = await mod.PocketIc.create(server.getUrl());
    await pic.setTime(VERIFY_TIME * 1000);
  }, 120_000);
  afterAll(async () => {
    await pic?.tearDown();
    await server?.stop();
  });

  it('a replica accepts the recovered delegation: whoami is the identity principal', async () => {
    const anchors = readFileSync(join(GENERATED_DIR, 'anchors.ds'), 'utf8').trim().split('\n');
    const fixture = await pic.setupCanister({
      idlFactory,
      wasm: WASM,
      arg: encodeInit({ app_origin: ORIGIN, mail_hosts: [HOST], root_anchors: anchors }),
    });
    await pic.tick(3);
    const actor = fixture.actor;
    const owner = Ed25519KeyIdentity.generate();
    actor.setIdentity(owner);
    const anchor = (await actor.create_identity()).Ok as bigint;
    const address = 'live@ecdsa.wxtest';
    const proof = await emailProof('ecdsa.wxtest', ['sel']);
    const sign = (nonce: string, to: string) => challengeMail(address, nonce, to);
    const setup = (await actor.email_setup_prepare(anchor, address)).Ok;
    await actor.smtp_request({
      envelope: { mail_from: 'x@y', rcpt_to: [setup.mailbox] },
      message: sign(setup.nonce, setup.mailbox),
      dns_proof: [proof.chain],
    });

    const session = Ed25519KeyIdentity.generate();
    const sessionKey = new Uint8Array(session.getPublicKey().toDer());
    const ch = (await actor.email_recovery_prepare(address, sessionKey)).Ok;
    await actor.smtp_request({
      envelope: { mail_from: 'x@y', rcpt_to: [ch.mailbox] },
      message: sign(ch.nonce, ch.mailbox),
      dns_proof: [proof.chain],
    });
    const status = await actor.email_challenge_status(ch.nonce);
    const { user_key, expiration } = status.RecoveryReady;
    const signed = (await actor.email_recovery_get_delegation(ch.nonce, sessionKey, expiration)).Ok;
    const chain = DelegationChain.fromDelegations(
      [{ delegation: { ...signed.delegation, targets: undefined }, signature: signed.signature } as never],
      user_key as never,
    );
    const delegated = DelegationIdentity.fromDelegation(session, chain);

    const port = await pic.makeLive();
    try {
      const agent = await HttpAgent.create({
        host: `http://127.0.0.1:${port}`,
        identity: delegated,
        shouldFetchRootKey: true,
      });
      const live = Actor.createActor<_SERVICE>(idlFactory, { agent, canisterId: fixture.canisterId });
      const me = await live.whoami();
      expect(me.toText()).toBe(Principal.selfAuthenticating(user_key).toText());
    } finally {
      await pic.stopLive();
    }
  }, 300_000);
});

/**
 * The devnet through an unmodified HttpAgent (@icp-sdk/core 6.1, default options plus `shouldFetchRootKey`):
 * status and root key, signed queries checked against the node key, certified update replies (v4) and polling
 * (v2), certified rejects, every kind of sender key, and the full email recovery flow ending in a
 * canister-signed delegation that the endpoint accepts (design note ic-endpoint-and-signin.md, checklist A).
 */
import {
  Cbor,
  Certificate,
  HttpAgent,
  lookupResultToBuffer,
  polling,
  RejectError,
} from '@icp-sdk/core/agent';
import { IDL } from '@icp-sdk/core/candid';
import { ECDSAKeyIdentity, Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { Secp256k1KeyIdentity } from '@icp-sdk/core/identity/secp256k1';
import { Principal } from '@icp-sdk/core/principal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInWithDelegation } from './helpers/canister.ts';
import { challengeMail, emailProof } from './helpers/challenge-mail.ts';
import { startDevnet, type TestDevnet } from './helpers/devnet.ts';
import { DEPLOY_TIMEOUT_MS, emailCanisterConfig } from './helpers/email-canister.ts';
import { ok } from './helpers/result.ts';

let d: TestDevnet;

beforeAll(async () => {
  d = await startDevnet(emailCanisterConfig());
}, DEPLOY_TIMEOUT_MS);
afterAll(async () => d?.close());

const noArgs = () => new Uint8Array(IDL.encode([], []));
const decodePrincipal = (bytes: Uint8Array) => IDL.decode([IDL.Principal], bytes)[0] as unknown as Principal;

describe('status and root key', () => {
  it('GET /api/v2/status carries the 133-byte DER root key that the agent then uses', async () => {
    const res = await fetch(`${d.url}/api/v2/status`);
    expect(res.status).toBe(200);
    const raw = new Uint8Array(await res.arrayBuffer());
    expect([...raw.subarray(0, 3)]).toEqual([0xd9, 0xd9, 0xf7]); // self-describe tag 55799
    const status = Cbor.decode<{ root_key: Uint8Array }>(raw);
    expect(status.root_key).toHaveLength(133);
    expect(status.root_key).toEqual(d.devnet.rootKey);
    const agent = await d.agent();
    expect(new Uint8Array(agent.rootKey!)).toEqual(d.devnet.rootKey);
  });

  it('read_state of /subnet gives the node key the agent checks query signatures with', async () => {
    const agent = await d.agent();
    const keys = await agent.fetchSubnetKeys({ canisterId: d.devnet.canisterId });
    expect([...keys.values()].map((k) => new Uint8Array(k))).toEqual([d.devnet.node.publicKeyDer]);
  });
});

describe('callers', () => {
  const identities = [
    ['anonymous', async () => undefined],
    ['Ed25519', async () => Ed25519KeyIdentity.generate()],
    ['ECDSA P-256', async () => ECDSAKeyIdentity.generate()],
    ['secp256k1', async () => Secp256k1KeyIdentity.generate()],
  ] as const;

  for (const [name, make] of identities) {
    it(`${name}: whoami as a signed query and as a certified update returns the caller`, async () => {
      const identity = await make();
      const expected = identity ? identity.getPrincipal() : Principal.anonymous();
      const actor = await d.actor(identity);
      expect((await actor.whoami()).toText()).toBe(expected.toText());
      const agent = await d.agent(identity);
      const { reply } = await agent.update(d.devnet.canisterId, { methodName: 'whoami', arg: noArgs() });
      expect(decodePrincipal(new Uint8Array(reply)).toText()).toBe(expected.toText());
    });
  }

  it('an update method through the actor changes state (create_identity with an ECDSA key)', async () => {
    const identity = await ECDSAKeyIdentity.generate();
    const actor = await d.actor(identity);
    const anchor = ok(await actor.create_identity());
    const info = ok(await actor.identity_info(anchor));
    expect(info.authenticators.map((p) => p.toText())).toContain(identity.getPrincipal().toText());
  });
});

describe('update paths', () => {
  it('v2 (callSync: false) answers 202 and the agent polls read_state to the certified reply', async () => {
    const identity = Ed25519KeyIdentity.generate();
    const agent = await d.agent(identity);
    const { requestId, response } = await agent.call(d.devnet.canisterId, {
      methodName: 'whoami',
      arg: noArgs(),
      callSync: false,
    });
    expect(response.status).toBe(202);
    const { reply } = await polling.pollForResponse(agent, { canisterId: d.devnet.canisterId }, requestId);
    expect(decodePrincipal(new Uint8Array(reply)).toText()).toBe(identity.getPrincipal().toText());
  });

  it('a trapping call is a certified reject with its code and message (bad Candid: code 5)', async () => {
    const agent = await d.agent();
    const err = await agent
      .update(d.devnet.canisterId, { methodName: 'create_identity', arg: Uint8Array.of(1, 2, 3) })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RejectError);
    const code = (err as RejectError).cause.code as unknown as { rejectCode: number; rejectMessage: string };
    expect(code.rejectCode).toBe(5);
    expect(code.rejectMessage).toMatch(/Candid/i);
  });

  it('an unknown method is a certified reject with code 3', async () => {
    const agent = await d.agent();
    const err = await agent
      .update(d.devnet.canisterId, { methodName: 'no_such_method', arg: noArgs() })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RejectError);
    expect(((err as RejectError).cause.code as unknown as { rejectCode: number }).rejectCode).toBe(3);
  });

  it('the v4 certificate verifies with Certificate.create and reveals only the caller’s own request', async () => {
    const agent = await d.agent(Ed25519KeyIdentity.generate());
    const { requestId, response } = await agent.call(d.devnet.canisterId, {
      methodName: 'whoami',
      arg: noArgs(),
    });
    expect(response.status).toBe(200);
    // The agent has already decoded the body.
    const body = response.body as unknown as { status: string; certificate: Uint8Array };
    expect(body.status).toBe('replied');
    const cert = await Certificate.create({
      certificate: body.certificate,
      rootKey: d.devnet.rootKey,
      principal: { canisterId: d.devnet.canisterId },
    });
    const status = lookupResultToBuffer(cert.lookup_path(['request_status', requestId, 'status']));
    expect(new TextDecoder().decode(status)).toBe('replied');
    expect(lookupResultToBuffer(cert.lookup_path(['time']))).toBeDefined();
  });

  it('a replayed call is answered from its recorded status and not executed again', async () => {
    const identity = Ed25519KeyIdentity.generate();
    const actor = await d.actor(identity);
    const before = d.devnet.callsExecuted;
    // Send the identical signed body twice by capturing it with a fetch wrapper.
    const bodies: Uint8Array[] = [];
    const agent = await HttpAgent.create({
      host: d.url,
      shouldFetchRootKey: true,
      identity,
      fetch: async (input, init) => {
        if (String(input).endsWith('/call') && init?.body)
          bodies.push(new Uint8Array(init.body as ArrayBuffer));
        return fetch(input, init);
      },
    });
    const anchor1 = ok(
      IDL.decode(
        [IDL.Variant({ Ok: IDL.Nat64, Err: IDL.Record({ code: IDL.Text, message: IDL.Text }) })],
        new Uint8Array(
          (await agent.update(d.devnet.canisterId, { methodName: 'create_identity', arg: noArgs() })).reply,
        ),
      )[0] as { Ok: bigint },
    );
    expect(bodies).toHaveLength(1);
    const replay = await fetch(`${d.url}/api/v4/canister/${d.devnet.canisterId.toText()}/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/cbor' },
      body: bodies[0] as Uint8Array<ArrayBuffer>,
    });
    expect(replay.status).toBe(200);
    expect(d.devnet.callsExecuted).toBe(before + 1);
    // Exactly one identity was created for this caller.
    const next = ok(await actor.create_identity());
    expect(next).toBe(anchor1 + 1n);
  });
});

describe('email recovery over HTTP', () => {
  it('ends in a canister-signed delegation that the endpoint accepts: whoami is the identity, add_authenticator works', async () => {
    const owner = Ed25519KeyIdentity.generate();
    const ownerActor = await d.actor(owner);
    const gateway = await d.actor(Ed25519KeyIdentity.generate());
    const anonymous = await d.actor();
    const address = 'grace@ecdsa.wxtest';
    const proof = await emailProof('ecdsa.wxtest', ['sel']);

    const anchor = ok(await ownerActor.create_identity());
    const setup = ok(await ownerActor.email_setup_prepare(anchor, address));
    const deliver = (ch: { nonce: string; mailbox: string }) =>
      gateway.smtp_request({
        envelope: { mail_from: 'someone@example.test', rcpt_to: [ch.mailbox] },
        message: challengeMail(address, ch.nonce, ch.mailbox),
        dns_proof: [proof.chain],
      });
    expect(await deliver(setup)).toEqual({ Ok: null });
    expect(await anonymous.email_challenge_status(setup.nonce)).toEqual({ SetupComplete: { address } });

    const session = Ed25519KeyIdentity.generate();
    const sessionKey = new Uint8Array(session.getPublicKey().toDer());
    const ch = ok(await anonymous.email_recovery_prepare(address, sessionKey));
    expect(await deliver(ch)).toEqual({ Ok: null });
    const status = await anonymous.email_challenge_status(ch.nonce);
    if (!('RecoveryReady' in status)) throw new Error(`not RecoveryReady: ${Object.keys(status)[0]}`);
    const { user_key, expiration } = status.RecoveryReady;
    const signed = ok(await anonymous.email_recovery_get_delegation(ch.nonce, sessionKey, expiration));

    const deployed = {
      id: d.devnet.canisterId,
      backend: { rootKey: async () => d.devnet.rootKey },
    } as unknown as Parameters<typeof signInWithDelegation>[0];
    const delegated = await signInWithDelegation(deployed, session, user_key, signed);
    const asIdentity = await d.actor(delegated);
    // The endpoint verified the canister signature: the caller is the identity's management principal.
    expect((await asIdentity.whoami()).toText()).toBe(Principal.selfAuthenticating(user_key).toText());
    const device = Ed25519KeyIdentity.generate().getPrincipal();
    ok(await asIdentity.add_authenticator(anchor, device));
    const info = ok(await asIdentity.identity_info(anchor));
    expect(info.authenticators.map((p) => p.toText())).toContain(device.toText());
  });
});

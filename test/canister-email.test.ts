/**
 * Email setup and recovery on the compiled canister wasm (protocol.md §2–§4): real mail signed by dkimpy with keys
 * published in the BIND-signed test zones, proofs built over those zones, the SMTP interface, NeedProof and
 * proof submission, recovery delegations used by a DelegationIdentity, and the failure codes.
 */

import type { SignIdentity } from '@icp-sdk/core/agent';
import { ECDSAKeyIdentity, Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { describe, expect, it } from 'vitest';
import { nameToText } from '../src/dns/name.ts';
import { encodeChain, parseChain } from '../src/dns/record.ts';
import { TYPE } from '../src/dns/types.ts';
import { deploy, metricsText, metricValue, signInWithDelegation } from './helpers/canister.ts';
import { bytes, challengeMail, compose, emailProof, ZONE_WITHOUT_DMARC } from './helpers/challenge-mail.ts';
import {
  NS_PER_SECOND,
  TEST_APP_ORIGIN,
  TEST_MAIL_HOST,
  useEmailCanister,
} from './helpers/email-canister.ts';
import { ok } from './helpers/result.ts';

const c = useEmailCanister();
const owner = Ed25519KeyIdentity.generate();

const gateway = () => c.actor(Ed25519KeyIdentity.generate());

const mail = (from: string, nonce: string, to: string, domain?: string, opts: { headers?: string[] } = {}) =>
  challengeMail(from, nonce, to, { ...(domain ? { domain } : {}), ...opts });

async function send(message: Uint8Array, to: string, proof?: Uint8Array) {
  return gateway().smtp_request({
    envelope: { mail_from: 'someone@example.test', rcpt_to: [to] },
    message,
    dns_proof: proof ? [proof] : [],
  });
}

/** A new identity whose recovery address is `address` (at ecdsa.wxtest), set up with an attached proof. */
async function identityWithAddress(address: string) {
  const anchor = await newIdentity();
  const proof = await emailProof('ecdsa.wxtest', ['sel']);
  const setup = ok(await c.actor(owner).email_setup_prepare(anchor, address));
  await send(mail(address, setup.nonce, setup.mailbox), setup.mailbox, proof.chain);
  expect(await c.actor().email_challenge_status(setup.nonce)).toEqual({ SetupComplete: { address } });
  return { anchor, proof };
}

/** Recovers by email with `session` as the session key: the delegated identity (the management principal). */
async function recoverByEmail(address: string, proof: Uint8Array, session: SignIdentity) {
  const sessionKey = new Uint8Array(session.getPublicKey().toDer());
  const ch = ok(await c.actor().email_recovery_prepare(address, sessionKey));
  await send(mail(address, ch.nonce, ch.mailbox), ch.mailbox, proof);
  const status = await c.actor().email_challenge_status(ch.nonce);
  if (!('RecoveryReady' in status)) throw new Error(`not RecoveryReady: ${Object.keys(status)[0]}`);
  const { user_key, expiration } = status.RecoveryReady;
  const signed = ok(await c.actor().email_recovery_get_delegation(ch.nonce, sessionKey, expiration));
  return signInWithDelegation(c, session, user_key, signed);
}

async function newIdentity() {
  return ok(await c.actor(owner).create_identity());
}

describe('setup', () => {
  it('completes with the proof attached by the gateway, and records the address', async () => {
    const anchor = await newIdentity();
    const address = 'alice@ecdsa.wxtest';
    const ch = ok(await c.actor(owner).email_setup_prepare(anchor, address));
    expect(ch.mailbox).toBe(`register@${TEST_MAIL_HOST}`);
    expect(ch.nonce).toMatch(/^WX-[a-z2-7]{20}$/);
    expect(await c.actor().email_challenge_status(ch.nonce)).toEqual({ Pending: null });
    const proof = await emailProof('ecdsa.wxtest', ['sel']);
    expect(await send(mail(address, ch.nonce, ch.mailbox), ch.mailbox, proof.chain)).toEqual({ Ok: null });
    expect(await c.actor().email_challenge_status(ch.nonce)).toEqual({ SetupComplete: { address } });
    const info = ok(await c.actor(owner).identity_info(anchor));
    expect(info.recovery_address[0]?.address).toBe(address);
    expect(info.log.map((e) => Object.keys(e.kind)[0])).toContain('RecoveryEmailAdded');
  });

  it('without a proof waits in NeedProof, then completes on submit (DKIM key behind a cross-zone CNAME, no _dmarc)', async () => {
    const anchor = await newIdentity();
    const address = 'bob@cname-src.wxtest';
    const ch = ok(await c.actor(owner).email_setup_prepare(anchor, address));
    expect(await send(mail(address, ch.nonce, ch.mailbox), ch.mailbox)).toEqual({ Ok: null });
    const status = await c.actor().email_challenge_status(ch.nonce);
    expect(status).toMatchObject({ NeedProof: { domain: 'cname-src.wxtest', selectors: ['sel'] } });
    const proof = await emailProof('cname-src.wxtest', ['sel'], ZONE_WITHOUT_DMARC);
    const after = ok(await c.actor().email_challenge_submit_proof(ch.nonce, proof.chain));
    expect(after).toEqual({ SetupComplete: { address } });
  });

  it('refuses a tampered proof without ending the challenge, then accepts the real one', async () => {
    const anchor = await newIdentity();
    const address = 'carol@ed25519.wxtest';
    const ch = ok(await c.actor(owner).email_setup_prepare(anchor, address));
    await send(mail(address, ch.nonce, ch.mailbox), ch.mailbox);
    const proof = await emailProof('ed25519.wxtest', ['sel']);
    // Flip one byte of the DKIM key's TXT RDATA (the record the verdict depends on).
    const records = parseChain(proof.chain, 200).map((rr) => {
      if (rr.type !== TYPE.TXT || !nameToText(rr.name).startsWith('sel._domainkey.')) return rr;
      const rdata = rr.rdata.slice();
      rdata[rdata.length - 3]! ^= 1;
      return { ...rr, rdata };
    });
    const tampered = encodeChain(records);
    expect(tampered).not.toEqual(proof.chain);
    expect(await c.actor().email_challenge_submit_proof(ch.nonce, tampered)).toMatchObject({
      Err: { code: 'ProofInvalid' },
    });
    expect(ok(await c.actor().email_challenge_submit_proof(ch.nonce, proof.chain))).toEqual({
      SetupComplete: { address },
    });
  });

  it('fails with AddressMismatch, SubjectNotSigned, WrongFlow and AddressAlreadyRegistered', async () => {
    const anchor = await newIdentity();
    const proof = await emailProof('ecdsa.wxtest', ['sel']);
    const a = ok(await c.actor(owner).email_setup_prepare(anchor, 'dave@ecdsa.wxtest'));
    await send(mail('eve@ecdsa.wxtest', a.nonce, a.mailbox), a.mailbox, proof.chain);
    expect(await c.actor().email_challenge_status(a.nonce)).toMatchObject({
      Failed: { code: 'AddressMismatch' },
    });

    const b = ok(await c.actor(owner).email_setup_prepare(anchor, 'dave@ecdsa.wxtest'));
    const unsignedSubject = mail('dave@ecdsa.wxtest', b.nonce, b.mailbox, undefined, {
      headers: ['from', 'to', 'date'],
    });
    await send(unsignedSubject, b.mailbox, proof.chain);
    expect(await c.actor().email_challenge_status(b.nonce)).toMatchObject({
      Failed: { code: 'SubjectNotSigned' },
    });

    const d = ok(await c.actor(owner).email_setup_prepare(anchor, 'dave@ecdsa.wxtest'));
    const recoverBox = `recover@${TEST_MAIL_HOST}`;
    await send(mail('dave@ecdsa.wxtest', d.nonce, recoverBox), recoverBox, proof.chain);
    expect(await c.actor().email_challenge_status(d.nonce)).toMatchObject({ Failed: { code: 'WrongFlow' } });

    // alice@ecdsa.wxtest belongs to the identity of the first test.
    const other = await newIdentity();
    const e = ok(await c.actor(owner).email_setup_prepare(other, 'alice@ecdsa.wxtest'));
    await send(mail('alice@ecdsa.wxtest', e.nonce, e.mailbox), e.mailbox, proof.chain);
    expect(await c.actor().email_challenge_status(e.nonce)).toMatchObject({
      Failed: { code: 'AddressAlreadyRegistered' },
    });
  });

  it('fails on a tampered body and on a DMARC mismatch', async () => {
    const anchor = await newIdentity();
    const proof = await emailProof('ecdsa.wxtest', ['sel']);
    const a = ok(await c.actor(owner).email_setup_prepare(anchor, 'ida@ecdsa.wxtest'));
    const body = mail('ida@ecdsa.wxtest', a.nonce, a.mailbox);
    const tampered = bytes(
      new TextDecoder('latin1').decode(body).replace('Please recover', 'Please destroy'),
    );
    await send(tampered, a.mailbox, proof.chain);
    expect(await c.actor().email_challenge_status(a.nonce)).toMatchObject({ Failed: { code: 'DkimFailed' } });

    // Signed by ed25519.wxtest for a From address at ecdsa.wxtest: the signature passes, but does not align.
    const b = ok(await c.actor(owner).email_setup_prepare(anchor, 'ida@ecdsa.wxtest'));
    const other = await emailProof('ed25519.wxtest', ['sel']);
    await send(mail('ida@ecdsa.wxtest', b.nonce, b.mailbox, 'ed25519.wxtest'), b.mailbox, other.chain);
    expect(await c.actor().email_challenge_status(b.nonce)).toMatchObject({
      Failed: { code: 'DmarcNotAligned' },
    });
  });

  it('fails with DomainNotSupported when the proof shows the domain is unsigned and DoH does not cover it', async () => {
    const anchor = await newIdentity();
    const address = 'kim@unsigned.wxtest';
    const ch = ok(await c.actor(owner).email_setup_prepare(anchor, address));
    await send(mail(address, ch.nonce, ch.mailbox), ch.mailbox);
    expect(await c.actor().email_challenge_status(ch.nonce)).toMatchObject({
      NeedProof: { domain: 'unsigned.wxtest' },
    });
    const proof = await emailProof('unsigned.wxtest', ['sel']);
    expect(proof.names.map((n) => n.verdict.verdict)).toContain('insecure');
    const after = ok(await c.actor().email_challenge_submit_proof(ch.nonce, proof.chain));
    expect(after).toMatchObject({ Failed: { code: 'DomainNotSupported' } });
  });

  it('an email after the 30-minute TTL finds the challenge Expired', async () => {
    const anchor = await newIdentity();
    const address = 'jill@ecdsa.wxtest';
    const proof = await emailProof('ecdsa.wxtest', ['sel']);
    const ch = ok(await c.actor(owner).email_setup_prepare(anchor, address));
    await c.backend.advanceTime(31n * 60n * NS_PER_SECOND);
    await send(mail(address, ch.nonce, ch.mailbox), ch.mailbox, proof.chain);
    expect(await c.actor().email_challenge_status(ch.nonce)).toEqual({ Expired: null });
    expect(ok(await c.actor(owner).identity_info(anchor)).recovery_address).toEqual([]);
  });

  it('a second email for a finished nonce changes nothing; an expired nonce reads Expired', async () => {
    const anchor = await newIdentity();
    const address = 'frank@ecdsa.wxtest';
    const proof = await emailProof('ecdsa.wxtest', ['sel']);
    const ch = ok(await c.actor(owner).email_setup_prepare(anchor, address));
    const m = mail(address, ch.nonce, ch.mailbox);
    await send(m, ch.mailbox, proof.chain);
    expect(await c.actor().email_challenge_status(ch.nonce)).toEqual({ SetupComplete: { address } });
    expect(await send(m, ch.mailbox, proof.chain)).toEqual({ Ok: null });
    expect(await c.actor().email_challenge_status(ch.nonce)).toEqual({ SetupComplete: { address } });
    expect(await c.actor().email_challenge_status('WX-aaaaaaaaaaaaaaaaaaaa')).toEqual({ Expired: null });
  });
});

describe('SMTP envelope and bounds', () => {
  it.each([
    [['recover@mail.waxseal.test'], { Ok: null }],
    [['REGISTER@MAIL.WAXSEAL.TEST'], { Ok: null }],
    [['someone@mail.waxseal.test'], { Err: { code: 550 } }],
    [['recover@elsewhere.test'], { Err: { code: 550 } }],
    [['recover@mail.waxseal.test', 'x@y.test'], { Err: { code: 551 } }],
    [[], { Err: { code: 551 } }],
  ])('validate %j', async (rcpt, expected) => {
    expect(await c.actor().smtp_request_validate({ mail_from: 'a@b.test', rcpt_to: rcpt })).toMatchObject(
      expected,
    );
  });

  it('refuses oversize messages and proofs with 552, and too many header fields with 554', async () => {
    const to = `recover@${TEST_MAIL_HOST}`;
    const big = new Uint8Array(64 * 1024 + 1).fill(0x61);
    expect(await send(big, to)).toMatchObject({ Err: { code: 552 } });
    expect(await send(bytes(compose({ from: 'a@b.test' })), to, new Uint8Array(32 * 1024 + 1))).toMatchObject(
      {
        Err: { code: 552 },
      },
    );
    const many = compose({
      from: 'a@b.test',
      extraHeaders: Array.from({ length: 100 }, (_, i) => `X-H${i}: v`),
    });
    expect(await send(bytes(many), to)).toMatchObject({ Err: { code: 554 } });
    const longLine = compose({ from: 'a@b.test', extraHeaders: [`X-Long: ${'v'.repeat(8200)}`] });
    expect(await send(bytes(longLine), to)).toMatchObject({ Err: { code: 554 } });
  });

  it('answers Ok for mail that names no challenge, or is not mail at all', async () => {
    const to = `recover@${TEST_MAIL_HOST}`;
    expect(await send(new Uint8Array([0, 1, 2, 3]), to)).toEqual({ Ok: null });
    expect(await send(bytes(compose({ from: 'a@b.test', subject: 'WX-bbbbbbbbbbbbbbbbbbbb' })), to)).toEqual({
      Ok: null,
    });
  });
});

describe('bindings and edges', () => {
  const kinds = (info: { log: { kind: object }[] }) => info.log.map((e) => Object.keys(e.kind)[0]);

  it('a new address replaces the old one (which becomes free); the same address again changes nothing', async () => {
    const { anchor, proof } = await identityWithAddress('kim@ecdsa.wxtest');
    const setup = async (a: bigint, address: string) => {
      const ch = ok(await c.actor(owner).email_setup_prepare(a, address));
      await send(mail(address, ch.nonce, ch.mailbox), ch.mailbox, proof.chain);
      return c.actor().email_challenge_status(ch.nonce);
    };
    expect(await setup(anchor, 'lou@ecdsa.wxtest')).toEqual({
      SetupComplete: { address: 'lou@ecdsa.wxtest' },
    });
    const info = ok(await c.actor(owner).identity_info(anchor));
    expect(info.recovery_address[0]?.address).toBe('lou@ecdsa.wxtest');
    // The old address is free for another identity; the new one is taken.
    const other = await newIdentity();
    expect(await setup(other, 'kim@ecdsa.wxtest')).toEqual({
      SetupComplete: { address: 'kim@ecdsa.wxtest' },
    });
    expect(await setup(other, 'lou@ecdsa.wxtest')).toMatchObject({
      Failed: { code: 'AddressAlreadyRegistered' },
    });
    // Binding the same address again succeeds and changes nothing.
    expect(await setup(anchor, 'lou@ecdsa.wxtest')).toEqual({
      SetupComplete: { address: 'lou@ecdsa.wxtest' },
    });
    expect(ok(await c.actor(owner).identity_info(anchor))).toEqual(info);
  });

  it('email_credential_remove unbinds the address, logs RecoveryEmailRemoved, and frees it', async () => {
    const { anchor, proof } = await identityWithAddress('max@ecdsa.wxtest');
    expect(await c.actor(owner).email_credential_remove(anchor)).toEqual({ Ok: null });
    const info = ok(await c.actor(owner).identity_info(anchor));
    expect(info.recovery_address).toEqual([]);
    expect(kinds(info).slice(-2)).toEqual(['RecoveryEmailAdded', 'RecoveryEmailRemoved']);
    expect(JSON.stringify(info.log, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).not.toContain(
      'max@',
    );
    expect(await c.actor(owner).email_credential_remove(anchor)).toMatchObject({
      Err: { code: 'NoRecoveryAddress' },
    });
    // A recovery for the removed address now ends AddressNotRegistered.
    const key = new Uint8Array(Ed25519KeyIdentity.generate().getPublicKey().toDer());
    const ch = ok(await c.actor().email_recovery_prepare('max@ecdsa.wxtest', key));
    await send(mail('max@ecdsa.wxtest', ch.nonce, ch.mailbox), ch.mailbox, proof.chain);
    expect(await c.actor().email_challenge_status(ch.nonce)).toMatchObject({
      Failed: { code: 'AddressNotRegistered' },
    });
  });

  it('submit_proof is refused while Pending and after the end; a wrong expiration gets no delegation', async () => {
    const { proof } = await identityWithAddress('ned@ecdsa.wxtest');
    const key = new Uint8Array(Ed25519KeyIdentity.generate().getPublicKey().toDer());
    const ch = ok(await c.actor().email_recovery_prepare('ned@ecdsa.wxtest', key));
    expect(await c.actor().email_challenge_submit_proof(ch.nonce, proof.chain)).toMatchObject({
      Err: { code: 'NotAwaitingProof' },
    });
    await send(mail('ned@ecdsa.wxtest', ch.nonce, ch.mailbox), ch.mailbox, proof.chain);
    const status = await c.actor().email_challenge_status(ch.nonce);
    if (!('RecoveryReady' in status)) throw new Error(`not RecoveryReady: ${Object.keys(status)[0]}`);
    expect(await c.actor().email_challenge_submit_proof(ch.nonce, proof.chain)).toMatchObject({
      Err: { code: 'NotAwaitingProof' },
    });
    const { expiration } = status.RecoveryReady;
    for (const wrong of [expiration - 1n, expiration + 1n, 0n]) {
      expect(await c.actor().email_recovery_get_delegation(ch.nonce, key, wrong)).toMatchObject({
        Err: { code: 'NoSuchDelegation' },
      });
    }
    expect(await c.actor().email_recovery_get_delegation(ch.nonce, key, expiration)).toMatchObject({
      Ok: {},
    });
  });

  it('a second Subject field fails the challenge it names with HeaderOccurrence (protocol.md §4)', async () => {
    const { proof } = await identityWithAddress('ora@ecdsa.wxtest');
    const key = new Uint8Array(Ed25519KeyIdentity.generate().getPublicKey().toDer());
    const ch = ok(await c.actor().email_recovery_prepare('ora@ecdsa.wxtest', key));
    const signed = mail('ora@ecdsa.wxtest', ch.nonce, ch.mailbox);
    const twice = new Uint8Array([...bytes('Subject: and another one\r\n'), ...signed]);
    expect(await send(twice, ch.mailbox, proof.chain)).toEqual({ Ok: null });
    expect(await c.actor().email_challenge_status(ch.nonce)).toMatchObject({
      Failed: { code: 'HeaderOccurrence' },
    });
  });

  it('accepts a message of exactly 64 KiB and a proof of exactly 32 KiB (552 is for one byte more)', async () => {
    const to = `recover@${TEST_MAIL_HOST}`;
    const head = bytes(compose({ from: 'a@b.test', subject: 'no nonce' }));
    const exact = new Uint8Array(64 * 1024).fill(0x61);
    exact.set(head);
    expect(await send(exact, to)).toEqual({ Ok: null });
    expect(await send(head, to, new Uint8Array(32 * 1024))).toEqual({ Ok: null });
  });

  it('with gateway_principals set, only those principals may call smtp_request (554 otherwise)', async () => {
    const relay = Ed25519KeyIdentity.generate();
    const g = await deploy({
      app_origin: TEST_APP_ORIGIN,
      mail_hosts: [TEST_MAIL_HOST],
      gateway_principals: [relay.getPrincipal()],
    });
    try {
      const request = {
        envelope: { mail_from: 'a@b.test', rcpt_to: [`recover@${TEST_MAIL_HOST}`] },
        message: bytes(compose({ from: 'a@b.test' })),
        dns_proof: [] as [],
      };
      expect(await g.actor(relay).smtp_request(request)).toEqual({ Ok: null });
      expect(await g.actor(Ed25519KeyIdentity.generate()).smtp_request(request)).toMatchObject({
        Err: { code: 554 },
      });
      expect(await g.actor().smtp_request(request)).toMatchObject({ Err: { code: 554 } });
    } finally {
      await g.backend.tearDown();
    }
  });
});

describe('recovery', () => {
  it('signs the person back in: RecoveryReady, delegation verified, DelegationIdentity is the management principal', async () => {
    const address = 'grace@ecdsa.wxtest';
    const { anchor, proof } = await identityWithAddress(address);

    const session = Ed25519KeyIdentity.generate();
    const sessionKey = new Uint8Array(session.getPublicKey().toDer());
    const ch = ok(await c.actor().email_recovery_prepare(address, sessionKey));
    expect(ch.mailbox).toBe(`recover@${TEST_MAIL_HOST}`);
    await send(mail(address, ch.nonce, ch.mailbox), ch.mailbox, proof.chain);
    const status = await c.actor().email_challenge_status(ch.nonce);
    if (!('RecoveryReady' in status))
      throw new Error(JSON.stringify(status, (_k, v) => (typeof v === 'bigint' ? String(v) : v)));
    const { user_key, expiration } = status.RecoveryReady;
    expect(status.RecoveryReady.anchor).toBe(anchor);

    const signed = ok(await c.actor().email_recovery_get_delegation(ch.nonce, sessionKey, expiration));
    const delegated = await signInWithDelegation(c, session, user_key, signed);
    // Authorized for the identity: it can add a new device.
    ok(await c.actor(delegated).add_authenticator(anchor, Ed25519KeyIdentity.generate().getPrincipal()));
    const info = ok(await c.actor(delegated).identity_info(anchor));
    expect(info.log.map((e) => Object.keys(e.kind)[0])).toContain('RecoveredByEmail');
    expect(info.recovery_address[0]?.last_used).toHaveLength(1);

    // A different session key or expiration gets nothing.
    const otherKey = new Uint8Array(Ed25519KeyIdentity.generate().getPublicKey().toDer());
    expect(await c.actor().email_recovery_get_delegation(ch.nonce, otherKey, expiration)).toMatchObject({
      Err: { code: 'NoSuchDelegation' },
    });
  });

  it('recovers with an ECDSA P-256 session key too (WebCrypto key pair, as a browser makes it)', async () => {
    const address = 'ida@ecdsa.wxtest';
    const { anchor, proof } = await identityWithAddress(address);
    const delegated = await recoverByEmail(address, proof.chain, await ECDSAKeyIdentity.generate());
    ok(await c.actor(delegated).add_authenticator(anchor, Ed25519KeyIdentity.generate().getPrincipal()));
  });

  it('keeps one way in: the last device goes only with an address set, the address only with a device left', async () => {
    const address = 'jon@ecdsa.wxtest';
    const { anchor, proof } = await identityWithAddress(address);
    // With the address set, the owner may remove its own, last, authenticator; it is then no longer authorized.
    ok(await c.actor(owner).remove_authenticator(anchor, owner.getPrincipal()));
    expect(await c.actor(owner).identity_info(anchor)).toMatchObject({ Err: { code: 'NotAuthorized' } });

    const delegated = await recoverByEmail(address, proof.chain, Ed25519KeyIdentity.generate());
    // The address is now the only way in: removing it is refused and changes nothing.
    const before = ok(await c.actor(delegated).identity_info(anchor));
    expect(before.authenticators).toEqual([]);
    expect(await c.actor(delegated).email_credential_remove(anchor)).toMatchObject({
      Err: { code: 'LastWayIn' },
    });
    expect(ok(await c.actor(delegated).identity_info(anchor))).toEqual(before);
    // With a device added it may go; then that device is the last one and stays.
    const device = Ed25519KeyIdentity.generate();
    ok(await c.actor(delegated).add_authenticator(anchor, device.getPrincipal()));
    ok(await c.actor(device).email_credential_remove(anchor));
    expect(await c.actor(device).remove_authenticator(anchor, device.getPrincipal())).toMatchObject({
      Err: { code: 'LastAuthenticator' },
    });
  });

  it('concurrent challenges for one address do not interfere', async () => {
    const address = 'hank@ecdsa.wxtest';
    const { proof } = await identityWithAddress(address);
    const keys = [0, 1, 2].map(() => new Uint8Array(Ed25519KeyIdentity.generate().getPublicKey().toDer()));
    const challenges = [];
    for (const key of keys) challenges.push(ok(await c.actor().email_recovery_prepare(address, key)));
    expect(new Set(challenges.map((ch) => ch.nonce)).size).toBe(3);
    const middle = challenges[1]!;
    await send(mail(address, middle.nonce, middle.mailbox), middle.mailbox, proof.chain);
    const statuses = await Promise.all(challenges.map((ch) => c.actor().email_challenge_status(ch.nonce)));
    expect(statuses.map((st) => Object.keys(st)[0])).toEqual(['Pending', 'RecoveryReady', 'Pending']);
  });

  it('an unregistered address gets the same answer; only its verified email learns AddressNotRegistered', async () => {
    const sessionKey = new Uint8Array(Ed25519KeyIdentity.generate().getPublicKey().toDer());
    const ch = ok(await c.actor().email_recovery_prepare('nobody@ecdsa.wxtest', sessionKey));
    expect(Object.keys(ch).sort()).toEqual(['expires_at', 'mailbox', 'nonce']);
    const proof = await emailProof('ecdsa.wxtest', ['sel']);
    await send(mail('nobody@ecdsa.wxtest', ch.nonce, ch.mailbox), ch.mailbox, proof.chain);
    expect(await c.actor().email_challenge_status(ch.nonce)).toMatchObject({
      Failed: { code: 'AddressNotRegistered' },
    });
  });

  it('refuses a bad session key and a bad address with typed errors', async () => {
    expect(await c.actor().email_recovery_prepare('x@ecdsa.wxtest', new Uint8Array(10))).toMatchObject({
      Err: { code: 'InvalidSessionKey' },
    });
    const key = new Uint8Array(Ed25519KeyIdentity.generate().getPublicKey().toDer());
    expect(await c.actor().email_recovery_prepare('not an address', key)).toMatchObject({
      Err: { code: 'InvalidAddress' },
    });
  });
});

describe('metrics', () => {
  it('reports identities, bindings, challenges by state, failures by code and the cycle balance', async () => {
    const text = await metricsText(c); // throws unless the page answers 200
    const value = (sample: string) => metricValue(text, sample);
    expect(value('waxseal_identities')).toBeGreaterThan(5);
    expect(value('waxseal_bound_addresses')).toBeGreaterThan(3);
    expect(value('waxseal_challenge_transitions_total{state="Pending"}')).toBeGreaterThan(10);
    expect(value('waxseal_challenge_transitions_total{state="SetupComplete"}')).toBeGreaterThan(3);
    expect(value('waxseal_challenge_failures_total{code="AddressMismatch"}')).toBe(1);
    expect(value('waxseal_challenge_failures_total{code="DmarcNotAligned"}')).toBe(1);
    expect(text).toMatch(/^waxseal_cycle_balance \d+$/m);
    expect(text).toMatch(/^waxseal_pending_challenges \d+$/m);
  });
});

describe('pending challenges', () => {
  it('inserting drops expired challenges first (the 10,000 cap itself is tested on the store)', async () => {
    const pending = async () => metricValue(await metricsText(c), 'waxseal_pending_challenges');
    const key = new Uint8Array(Ed25519KeyIdentity.generate().getPublicKey().toDer());
    for (let i = 0; i < 3; i++) ok(await c.actor().email_recovery_prepare(`old${i}@ecdsa.wxtest`, key));
    const before = await pending();
    expect(before).toBeGreaterThanOrEqual(3);
    await c.backend.advanceTime(31n * 60n * NS_PER_SECOND);
    const fresh = ok(await c.actor().email_recovery_prepare('new@ecdsa.wxtest', key));
    expect(await pending()).toBe(1);
    expect(await c.actor().email_challenge_status(fresh.nonce)).toEqual({ Pending: null });
  });
});

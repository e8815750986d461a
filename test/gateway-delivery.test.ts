/**
 * End to end through a real `waxseal gateway` process: dkimpy-signed mail sent by swaks and nodemailer, the proof
 * built over DoH from BIND's signed zones (dnsdist in front), relayed with `smtp_request` to the compiled
 * canister behind the devnet endpoint. A DNSSEC-signed domain finishes in one step (no NeedProof); an unsigned
 * one arrives without a proof and waits (NeedProof) or is fetched by the canister (Resolving, DoH allowlist).
 */

import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { createTransport } from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { challengeMail } from './helpers/challenge-mail.ts';
import { startDevnet, type TestDevnet } from './helpers/devnet.ts';
import {
  MAIL_HOST,
  mailCanisterConfig,
  removeGatewayDir,
  startTestGateway,
  type TestGateway,
  watchChallenge,
} from './helpers/gateway.ts';
import { ok } from './helpers/result.ts';
import { useDnsStack } from './helpers/use-dns-stack.ts';

const run = promisify(execFile);
const stack = useDnsStack();
const owner = Ed25519KeyIdentity.generate();
let dn: TestDevnet;
let gw: TestGateway;

beforeAll(async () => {
  dn = await startDevnet(mailCanisterConfig(stack().dohUrl));
  gw = await startTestGateway(dn.url, dn.devnet.canisterId.toText(), { dohUrls: [stack().dohUrl] });
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  if (gw) removeGatewayDir(gw);
  await dn?.close();
});

async function setupChallenge(address: string) {
  const actor = await dn.actor(owner);
  const anchor = ok(await actor.create_identity());
  return { anchor, ...ok(await actor.email_setup_prepare(anchor, address)) };
}

/** swaks with the message sent byte for byte (-ndf: no line-end or dot fixing; the terminator is ours). */
async function swaksRaw(message: Uint8Array, rcpt: string): Promise<string> {
  const file = join(gw.dir, `mail-${Math.random().toString(36).slice(2)}.eml`);
  writeFileSync(file, Buffer.concat([message, Buffer.from('.\r\n')]));
  const r = await run('swaks', [
    '--server',
    gw.host,
    '--port',
    String(gw.port),
    '--from',
    'sender@outside.test',
    '--to',
    rcpt,
    '--data',
    `@${file}`,
    '-ndf',
    '--timeout',
    '10',
  ]);
  const id = /<- {2}250 queued as (\S+)/.exec(r.stdout)?.[1];
  if (!id) throw new Error(`swaks: no 250:\n${r.stdout}`);
  return id;
}

async function nodemailerRaw(message: Uint8Array, rcpt: string): Promise<string> {
  const t = createTransport({ host: gw.host, port: gw.port, secure: false, ignoreTLS: true });
  const info = await t.sendMail({
    envelope: { from: 'sender@outside.test', to: rcpt },
    raw: Buffer.from(message),
  });
  t.close();
  const id = /^250 queued as (\S+)/.exec(info.response)?.[1];
  if (!id) throw new Error(`nodemailer: ${info.response}`);
  return id;
}

const proofLine = (id: string) =>
  gw
    .waitFor((l) => l.some((x) => x.event === 'proof' && x.queue_id === id))
    .then(() => gw.events('proof').find((x) => x.queue_id === id)!);

describe('a DNSSEC-signed domain: the proof goes with the mail, one step', () => {
  const address = 'alice@ed25519.wxtest';
  let anchor: bigint;
  let setupMail: Uint8Array;

  it('setup with swaks reaches SetupComplete and never waits in NeedProof', async () => {
    const ch = await setupChallenge(address);
    anchor = ch.anchor;
    expect(ch.mailbox).toBe(`register@${MAIL_HOST}`);
    setupMail = challengeMail(address, ch.nonce, ch.mailbox);
    const actor = await dn.actor();
    const id = await swaksRaw(setupMail, ch.mailbox);
    const { seen, last } = await watchChallenge(() => actor.email_challenge_status(ch.nonce));
    expect(last).toEqual({ SetupComplete: { address } });
    expect(seen).not.toContain('NeedProof');
    const proof = await proofLine(id);
    expect(proof.outcome).toBe('attached');
    expect(proof.names).toEqual(['sel._domainkey.ed25519.wxtest', '_dmarc.ed25519.wxtest']);
  });

  it('recovery with nodemailer reaches RecoveryReady for the same identity', async () => {
    const session = Ed25519KeyIdentity.generate().getPublicKey().toDer();
    const actor = await dn.actor();
    const ch = ok(await actor.email_recovery_prepare(address, new Uint8Array(session)));
    expect(ch.mailbox).toBe(`recover@${MAIL_HOST}`);
    const id = await nodemailerRaw(challengeMail(address, ch.nonce, ch.mailbox), ch.mailbox);
    const { seen, last } = await watchChallenge(() => actor.email_challenge_status(ch.nonce));
    expect(seen).not.toContain('NeedProof');
    expect(last).toMatchObject({ RecoveryReady: { anchor } });
    expect((await proofLine(id)).outcome).toBe('attached');
  });

  it('the same setup mail relayed again changes nothing: one RecoveryEmailAdded in the log', async () => {
    const before = gw.events('delivery', 'delivered').length;
    await swaksRaw(setupMail, `register@${MAIL_HOST}`);
    await gw.waitFor(
      (l) => l.filter((x) => x.event === 'delivery' && x.outcome === 'delivered').length > before,
    );
    const info = ok(await (await dn.actor(owner)).identity_info(anchor));
    const kinds = info.log.map((e) => Object.keys(e.kind)[0]);
    expect(kinds.filter((k) => k === 'RecoveryEmailAdded')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'RecoveredByEmail')).toHaveLength(1);
  });
});

describe('a domain without DNSSEC: no proof, the canister decides how to go on', () => {
  it('not on the DoH allowlist: arrives without a proof and waits in NeedProof', async () => {
    const address = 'bob@unsigned.wxtest';
    const ch = await setupChallenge(address);
    const id = await swaksRaw(challengeMail(address, ch.nonce, ch.mailbox), ch.mailbox);
    const { last } = await watchChallenge(
      async () => (await dn.actor()).email_challenge_status(ch.nonce),
      (s) => s !== 'Pending',
    );
    expect(last).toMatchObject({ NeedProof: { domain: 'unsigned.wxtest', selectors: ['sel'] } });
    const proof = await proofLine(id);
    expect(proof).toMatchObject({ outcome: 'none', reason: 'Insecure' });
  });

  it('on the DoH allowlist: arrives without a proof, Resolving, and the canister completes it over DoH', async () => {
    const address = 'carol@wxplain';
    const ch = await setupChallenge(address);
    const actor = await dn.actor();
    const id = await nodemailerRaw(challengeMail(address, ch.nonce, ch.mailbox), ch.mailbox);
    const { seen, last } = await watchChallenge(() => actor.email_challenge_status(ch.nonce));
    expect((await proofLine(id)).outcome).toBe('none');
    expect(seen).toContain('Resolving');
    expect(last).toEqual({ SetupComplete: { address } });
  });
});

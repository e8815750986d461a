/**
 * What operators rely on the gateway for: nothing lost. A real `waxseal gateway` process is SIGKILLed in the middle
 * of a burst, and the canister endpoint goes away for a while; every message that got a 250 must still reach the
 * compiled canister (behind the devnet endpoint), nothing may be bound twice, and past the maximum age a message
 * is dropped and counted.
 */
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { createTransport } from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveDevnet } from '../src/devnet/server.ts';
import { challengeMail } from './helpers/challenge-mail.ts';
import { startDevnet, type TestDevnet } from './helpers/devnet.ts';
import {
  mailCanisterConfig,
  removeGatewayDir,
  startTestGateway,
  stateOf,
  type TestGateway,
  watchChallenge,
} from './helpers/gateway.ts';
import { ok } from './helpers/result.ts';
import { useDnsStack } from './helpers/use-dns-stack.ts';

const stack = useDnsStack();
let dn: TestDevnet;

beforeAll(async () => {
  dn = await startDevnet(mailCanisterConfig(stack().dohUrl));
}, 60_000);

afterAll(async () => {
  await dn?.close();
});

interface Prepared {
  owner: Ed25519KeyIdentity;
  anchor: bigint;
  nonce: string;
  mailbox: string;
  address: string;
  message: Uint8Array;
}

async function prepare(n: number, domain: string): Promise<Prepared[]> {
  const out: Prepared[] = [];
  for (let i = 0; i < n; i++) {
    const owner = Ed25519KeyIdentity.generate();
    const actor = await dn.actor(owner);
    const anchor = ok(await actor.create_identity());
    const address = `user${i}.${Math.random().toString(36).slice(2, 8)}@${domain}`;
    const ch = ok(await actor.email_setup_prepare(anchor, address));
    out.push({ owner, anchor, address, ...ch, message: challengeMail(address, ch.nonce, ch.mailbox) });
  }
  return out;
}

/** One SMTP transaction on its own connection; resolves with the 250 reply, rejects on anything else. */
async function send(g: TestGateway, p: Prepared): Promise<string> {
  const t = createTransport({
    host: g.host,
    port: g.port,
    secure: false,
    ignoreTLS: true,
    socketTimeout: 5000,
  });
  try {
    const info = await t.sendMail({
      envelope: { from: 'x@outside.test', to: p.mailbox },
      raw: Buffer.from(p.message),
    });
    return info.response;
  } finally {
    t.close();
  }
}

const statusOf = async (p: Prepared) => stateOf(await (await dn.actor()).email_challenge_status(p.nonce));

describe('kill -9 during a burst', () => {
  it('every message answered 250 reaches the canister after a restart; none is bound twice', async () => {
    const N = 24;
    const WORKERS = 4;
    const KILL_AFTER = 8;
    const mails = await prepare(N, 'ed25519.wxtest');
    const gw = await startTestGateway(dn.url, dn.devnet.canisterId.toText(), { dohUrls: [stack().dohUrl] });
    const acked = new Set<number>();
    const failed = new Set<number>();
    let next = 0;
    let killed: Promise<void> | null = null;
    const worker = async () => {
      while (next < N && !killed) {
        const i = next++;
        try {
          await send(gw, mails[i]!);
          acked.add(i);
          if (acked.size === KILL_AFTER) killed = gw.kill9();
        } catch {
          failed.add(i);
        }
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, worker));
    await killed;
    expect(acked.size).toBeGreaterThanOrEqual(KILL_AFTER);
    const neverSent = mails.map((_, i) => i).filter((i) => !acked.has(i) && !failed.has(i));
    expect(neverSent.length).toBeGreaterThan(0);

    const again = await startTestGateway(dn.url, dn.devnet.canisterId.toText(), {
      dir: gw.dir,
      dohUrls: [stack().dohUrl],
    });
    try {
      expect(again.principal).toBe(gw.principal);
      const opened = again.events('spool')[0]!;
      expect(opened.quarantined).toBe(0);
      for (const i of acked) {
        const { last } = await watchChallenge(async () =>
          (await dn.actor()).email_challenge_status(mails[i]!.nonce),
        );
        expect(stateOf(last), `message ${i} got a 250`).toBe('SetupComplete');
      }
      await again.waitFor(() => again.spooled().length === 0, 20_000, 'an empty spool');
      // A message cut before its 250 may or may not have been spooled (the 250 can be lost after the fsync):
      // at most one per connection in flight. One never sent cannot arrive.
      let cutButDelivered = 0;
      for (const i of failed) if ((await statusOf(mails[i]!)) !== 'Pending') cutButDelivered++;
      expect(cutButDelivered).toBeLessThanOrEqual(WORKERS);
      for (const i of neverSent) expect(await statusOf(mails[i]!)).toBe('Pending');
      for (const i of acked) {
        const info = ok(await (await dn.actor(mails[i]!.owner)).identity_info(mails[i]!.anchor));
        const added = info.log.filter((e) => 'RecoveryEmailAdded' in e.kind);
        expect(added, `identity of message ${i}`).toHaveLength(1);
        expect(info.recovery_address[0]?.address).toBe(mails[i]!.address);
      }
    } finally {
      await again.stop();
      removeGatewayDir(again);
    }
  }, 120_000);
});

describe('the canister endpoint goes away', () => {
  it('messages stay spooled and back off while it is down, and are all delivered when it returns', async () => {
    const mails = await prepare(3, 'unsigned.wxtest');
    const gw = await startTestGateway(dn.url, dn.devnet.canisterId.toText(), {
      relay: { retryBaseMs: 100, retryMaxMs: 800, attemptTimeoutS: 2 },
    });
    const port = Number(new URL(dn.url).port);
    await dn.server.close();
    let server: Awaited<ReturnType<typeof serveDevnet>> | null = null;
    try {
      for (const m of mails) expect(await send(gw, m)).toMatch(/^250 queued as/);
      await gw.waitFor(
        (l) => l.filter((x) => x.event === 'delivery' && x.outcome === 'retry').length >= 6,
        20_000,
      );
      expect(gw.spooled()).toHaveLength(3);
      const delays = gw.events('delivery', 'retry').map((x) => Number(x.delay_ms));
      expect(Math.max(...delays)).toBeGreaterThan(0);
      expect(Math.max(...delays)).toBeLessThanOrEqual(800);
      expect(await gw.metrics()).toMatch(/waxseal_gateway_spool_messages 3/);

      server = await serveDevnet(dn.devnet, { port });
      await gw.waitFor(
        (l) => l.filter((x) => x.event === 'delivery' && x.outcome === 'delivered').length === 3,
      );
      expect(gw.spooled()).toHaveLength(0);
      for (const m of mails) expect(await statusOf(m)).toBe('NeedProof');
    } finally {
      await gw.stop();
      removeGatewayDir(gw);
      dn.server = server ?? (await serveDevnet(dn.devnet, { port }));
    }
  }, 60_000);

  it('past the maximum age a message is dropped, logged and counted, and never delivered', async () => {
    const [mail] = await prepare(1, 'unsigned.wxtest');
    const gw = await startTestGateway(dn.url, dn.devnet.canisterId.toText(), {
      relay: { retryBaseMs: 100, retryMaxMs: 300, maxAgeS: 2, attemptTimeoutS: 1 },
    });
    const port = Number(new URL(dn.url).port);
    await dn.server.close();
    try {
      expect(await send(gw, mail!)).toMatch(/^250 queued as/);
      await gw.waitFor(
        (l) => l.some((x) => x.event === 'delivery' && x.outcome === 'expired'),
        10_000,
        'expiry',
      );
      expect(gw.spooled()).toHaveLength(0);
      expect(await gw.metrics()).toMatch(/waxseal_gateway_deliveries_total\{outcome="expired"\} 1/);
      dn.server = await serveDevnet(dn.devnet, { port });
      await new Promise((r) => setTimeout(r, 1000));
      expect(await statusOf(mail!)).toBe('Pending');
      expect(gw.events('delivery', 'delivered')).toHaveLength(0);
    } finally {
      await gw.stop();
      removeGatewayDir(gw);
    }
  }, 60_000);
});

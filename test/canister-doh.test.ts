/**
 * The DoH fallback on the compiled canister (protocol.md §8): the canister's own HTTPS outcalls go to five real
 * DoH listeners (dnsdist in front of BIND on loopback), two of which lie about the DKIM key. Three identical
 * answers are accepted; below the quorum the challenge fails with DnsLookupFailed; cached names make no new
 * outcalls; a domain that is not on the allowlist is never fetched.
 */
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Deployed, deploy, encodeInit, metricsText, metricValue, WASM } from './helpers/canister.ts';
import { deliverChallengeMail, VERIFY_TIME } from './helpers/challenge-mail.ts';
import { type DnsStack, freePort, startDnsStack } from './helpers/dns-servers.ts';
import { ok } from './helpers/result.ts';

const HOST = 'mail.waxseal.test';
const DOMAIN = 'unsigned.wxtest';
const KEY_NAME = `sel._domainkey.${DOMAIN}.`;
const NS = 1_000_000_000n;
const owner = Ed25519KeyIdentity.generate();

let stack: DnsStack;
beforeAll(async () => {
  stack = await startDnsStack({
    dohListeners: 5,
    spoof: [
      {
        listener: 3,
        name: KEY_NAME,
        txt: 'v=DKIM1; k=ed25519; p=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
      },
      {
        listener: 4,
        name: KEY_NAME,
        txt: 'v=DKIM1; k=ed25519; p=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
      },
    ],
  });
}, 60_000);
afterAll(async () => stack?.stop());

function dohSettings(allowedDomains: string[], providers: string[], cacheSeconds = 3600) {
  return {
    allowed_domains: allowedDomains,
    providers: providers.map((url, i) => ({ name: `p${i}`, url })),
    quorum: 3,
    cache_seconds: cacheSeconds,
  };
}

async function deployWith(providers: string[], cacheSeconds = 3600): Promise<Deployed> {
  return deploy(
    {
      app_origin: 'https://app.waxseal.test',
      mail_hosts: [HOST],
      doh: dohSettings([DOMAIN], providers, cacheSeconds),
    },
    undefined,
    { now: BigInt(VERIFY_TIME) * NS },
  );
}

async function outcalls(c: Deployed): Promise<number> {
  return metricValue(await metricsText(c), 'waxseal_doh_outcalls');
}

/** Starts a setup for `address` and delivers its email without a proof (the DoH fetch is then due); the nonce. */
async function sendWithoutProof(c: Deployed, address: string): Promise<string> {
  const anchor = ok(await c.actor(owner).create_identity());
  const ch = ok(await c.actor(owner).email_setup_prepare(anchor, address));
  await deliverChallengeMail(c, address, ch);
  return ch.nonce;
}

/** Ticks until the challenge is no longer Resolving (at most 20 rounds); its status. */
async function settle(c: Deployed, nonce: string) {
  for (let i = 0; i < 20; i++) {
    const s = await c.actor().email_challenge_status(nonce);
    if (!('Resolving' in s)) return s;
    await c.backend.tick();
  }
  return c.actor().email_challenge_status(nonce);
}

/** Runs a setup for `address` without a proof and waits until the DoH fetch has settled. */
async function setupOverDoh(c: Deployed, address: string) {
  return settle(c, await sendWithoutProof(c, address));
}

// PocketIC does not perform HTTPS outcalls by itself (they must be answered with mockPendingHttpsOutcall), so these
// suites, which send the canister's outcalls to real DoH servers, run on the Node host only.
const ON_POCKET_IC = Boolean(process.env.POCKET_IC_BIN);
if (ON_POCKET_IC)
  console.info('canister-doh: Node host only (PocketIC does not perform HTTPS outcalls itself)');

describe.runIf(!ON_POCKET_IC)('DoH quorum', () => {
  it('accepts three identical answers out of five (two providers lie), and reuses the cache', async () => {
    const c = await deployWith(stack.dohUrls);
    try {
      expect(await setupOverDoh(c, `ann@${DOMAIN}`)).toEqual({ SetupComplete: { address: `ann@${DOMAIN}` } });
      const first = await outcalls(c);
      // The DKIM key and the _dmarc record, each from five providers.
      expect(first).toBe(10);
      expect(await setupOverDoh(c, `ben@${DOMAIN}`)).toEqual({ SetupComplete: { address: `ben@${DOMAIN}` } });
      expect(await outcalls(c)).toBe(first);
    } finally {
      await c.backend.tearDown();
    }
  }, 120_000);

  it('two challenges resolving the same names at once share one fetch per provider (no cache involved)', async () => {
    // cache_seconds 0: nothing is served from the cache, so only the shared in-flight fetch can save outcalls.
    const c = await deployWith(stack.dohUrls, 0);
    try {
      const pending = [];
      for (const address of [`gus@${DOMAIN}`, `hal@${DOMAIN}`]) {
        pending.push({ nonce: await sendWithoutProof(c, address), address });
      }
      // Both are waiting before any fetch has run.
      for (const p of pending)
        expect(await c.actor().email_challenge_status(p.nonce)).toEqual({ Resolving: null });
      for (let i = 0; i < 20; i++) await c.backend.tick();
      for (const p of pending) {
        expect(await c.actor().email_challenge_status(p.nonce)).toEqual({
          SetupComplete: { address: p.address },
        });
      }
      expect(await outcalls(c)).toBe(10);
      // Without a cache, a later challenge for the same names fetches again.
      expect(await setupOverDoh(c, `ida@${DOMAIN}`)).toEqual({ SetupComplete: { address: `ida@${DOMAIN}` } });
      expect(await outcalls(c)).toBe(20);
    } finally {
      await c.backend.tearDown();
    }
  }, 120_000);

  it('fails with DnsLookupFailed when no answer reaches the quorum (two honest, two liars, one down)', async () => {
    const closed = `http://127.0.0.1:${await freePort()}/dns-query`;
    const urls = stack.dohUrls;
    const c = await deployWith([urls[0]!, urls[1]!, urls[3]!, urls[4]!, closed]);
    try {
      expect(await setupOverDoh(c, `cal@${DOMAIN}`)).toMatchObject({ Failed: { code: 'DnsLookupFailed' } });
    } finally {
      await c.backend.tearDown();
    }
  }, 120_000);

  it('never fetches a domain that is not on the allowlist: it waits for a DNSSEC proof', async () => {
    const c = await deployWith(stack.dohUrls);
    try {
      expect(await setupOverDoh(c, 'dan@ecdsa.wxtest')).toMatchObject({
        NeedProof: { domain: 'ecdsa.wxtest' },
      });
      expect(await outcalls(c)).toBe(0);
    } finally {
      await c.backend.tearDown();
    }
  }, 120_000);
});

describe.runIf(!ON_POCKET_IC)('DoH across an upgrade', () => {
  it('a challenge still Resolving when the canister is upgraded is resumed and finishes', async () => {
    const c = await deployWith(stack.dohUrls);
    try {
      const address = `eve@${DOMAIN}`;
      const nonce = await sendWithoutProof(c, address);
      expect(await c.actor().email_challenge_status(nonce)).toEqual({ Resolving: null });
      // Upgrade before the fetch timer has run: timers are lost, post_upgrade must re-arm the fetch.
      await c.backend.upgrade(c.id, WASM, { arg: encodeInit(null), tick: false });
      expect(await c.actor().email_challenge_status(nonce)).toEqual({ Resolving: null });
      expect(await settle(c, nonce)).toEqual({ SetupComplete: { address } });
    } finally {
      await c.backend.tearDown();
    }
  }, 120_000);
  it('an upgrade that takes the domain off the allowlist stops its fetch: no outcall, the challenge fails', async () => {
    const c = await deployWith(stack.dohUrls);
    try {
      const address = `fay@${DOMAIN}`;
      const nonce = await sendWithoutProof(c, address);
      expect(await c.actor().email_challenge_status(nonce)).toEqual({ Resolving: null });
      const doh = dohSettings(['other.example'], stack.dohUrls);
      await c.backend.upgrade(c.id, WASM, { arg: encodeInit({ doh }), tick: false });
      expect(await settle(c, nonce)).toMatchObject({ Failed: { code: 'DnsLookupFailed' } });
      expect(await outcalls(c)).toBe(0);
    } finally {
      await c.backend.tearDown();
    }
  }, 120_000);
});

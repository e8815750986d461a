/**
 * The page's own part of the DNS work, in a real browser (Debian Chromium via playwright-core) against the real
 * stack (test/helpers/web-stack.ts): named and dnsdist with the signed test zones, the compiled canister behind
 * the devnet endpoint (the local stack's configuration: DoH allowlist `unsigned.wxtest` and `wxplain`), the SMTP
 * gateway with proof attachment off (no DoH resolvers), and mail sent by `waxseal send-test-mail` (dkimpy-signed).
 *
 * - NeedProof (protocol.md §3, §7): mail from the signed `ed25519.wxtest` arrives without a proof, the canister
 *   waits, and the page looks the key up over DoH, builds the RFC 9102 proof, submits it and ends SetupComplete;
 *   when the DoH provider is down, it says so, and "Try again" finishes once it is back.
 * - Resolving (§8): mail from the DoH-allowed `unsigned.wxtest`; the canister fetches the key over DoH itself and
 *   the page says so meanwhile.
 *
 * The DoH provider the canister is configured with (and the page therefore uses) is a relay in front of dnsdist,
 * forwarding every query unchanged: it records who asked what, can hold the canister's fetch until the test has
 * seen the page during it, and can answer 503 as a provider that is down.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { localConfig } from '../scripts/local-stack/devnet.ts';
import { UI_TIMEOUT_MS } from './helpers/browser.ts';
import { decodeMessage } from './helpers/dns-servers.ts';
import { useWebStack } from './helpers/web-stack.ts';

interface Relay {
  url: string;
  /** pass: forward; hold: wait for release(), then forward; fail: 503. */
  mode: 'pass' | 'hold' | 'fail';
  /** Every query received: HTTP method and question name (`sel._domainkey.ed25519.wxtest.`). */
  seen: { method: string; name: string }[];
  /** Queries waiting in hold mode. */
  held(): number;
  /** Forwards the held queries and goes back to pass. */
  release(): void;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

async function startRelay(target: string): Promise<Relay> {
  const waiting: (() => void)[] = [];
  const cors = { 'access-control-allow-origin': '*' };
  const server = createServer(async (req, res) => {
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { ...cors, 'access-control-allow-headers': 'accept, content-type' }).end();
      return;
    }
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://relay');
    const query = req.method === 'GET' ? Buffer.from(url.searchParams.get('dns') ?? '', 'base64url') : body;
    relay.seen.push({ method: req.method ?? '?', name: decodeMessage(query).question[0]?.name ?? '?' });
    if (relay.mode === 'hold') await new Promise<void>((resolve) => waiting.push(resolve));
    if (relay.mode === 'fail') {
      res.writeHead(503, cors).end();
      return;
    }
    const upstream = await fetch(`${target}${url.search}`, {
      method: req.method ?? 'GET',
      headers: {
        accept: 'application/dns-message',
        ...(req.method === 'POST' ? { 'content-type': 'application/dns-message' } : {}),
      },
      ...(req.method === 'POST' ? { body: new Uint8Array(body) } : {}),
    });
    res.writeHead(upstream.status, { ...cors, 'content-type': upstream.headers.get('content-type') ?? '' });
    res.end(Buffer.from(await upstream.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const relay: Relay = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/dns-query`,
    mode: 'pass',
    seen: [],
    held: () => waiting.length,
    release() {
      relay.mode = 'pass';
      for (const go of waiting.splice(0)) go();
    },
    close: () =>
      new Promise<void>((resolve) => {
        relay.release();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return relay;
}

let relay: Relay | undefined;
// No DoH resolvers at the gateway: it attaches no proof, so the canister waits for one (NeedProof) or fetches.
const web = useWebStack({
  attachProofs: false,
  canister: async (dns) => {
    relay = await startRelay(dns.dohUrl);
    return localConfig(relay.url);
  },
});
afterAll(() => relay?.close());

/** The relay the canister's configuration names, once the stack is up. */
function doh(): Relay {
  if (!relay) throw new Error('the DoH relay is not running');
  return relay;
}

/**
 * A new identity, signed in, on a fresh page with a virtual passkey, that records every view of the mail step
 * (`data-view` of SendStep) and every announcement of its live region, in order, as the page shows them.
 */
async function signedIn(): Promise<{ page: Page; anchor: string }> {
  const page = await web().freshPage();
  await page.evaluate(() => {
    const w = window as unknown as { views: string[]; said: string[] };
    w.views = [];
    w.said = [];
    const note = (list: string[], value: string | null | undefined) => {
      if (value && list.at(-1) !== value) list.push(value);
    };
    new MutationObserver(() => {
      note(w.views, document.querySelector('.send-step')?.getAttribute('data-view'));
      note(w.said, document.querySelector('.send-step [aria-live]')?.textContent);
    }).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
  });
  return { page, anchor: await web().signedIn(page) };
}

/** The views and announcements recorded so far on `page` (see signedIn). */
const recorded = (page: Page) =>
  page.evaluate(() => {
    const w = window as unknown as { views: string[]; said: string[] };
    return { views: w.views, said: w.said };
  });

/** Types `address` into the setup form and continues to the mail to send. */
async function startSetup(page: Page, address: string): Promise<void> {
  await page.getByRole('button', { name: 'Add recovery email' }).click();
  await page.getByLabel('Your email address').fill(address);
  await page.getByRole('button', { name: 'Continue', exact: true }).click();
  await page.getByTestId('nonce').waitFor({ timeout: UI_TIMEOUT_MS });
}

const addressOnCard = (page: Page, anchor: string, address: string) =>
  page
    .getByRole('region', { name: `Identity ${anchor}` })
    .getByText(`Recovery email: ${address}`)
    .waitFor({ timeout: UI_TIMEOUT_MS });

describe('NeedProof: the page builds and submits the DNSSEC proof', () => {
  it('ed25519.wxtest: the gateway attaches nothing, the page proves the key over DoH, setup completes', async () => {
    const { page, anchor } = await signedIn();
    const address = 'nina@ed25519.wxtest';
    const needProof = await web().metric('waxseal_challenge_transitions_total{state="NeedProof"}');
    await startSetup(page, address);
    const asked = doh().seen.length;
    await web().sendShownMail(page, address);
    await addressOnCard(page, anchor, address);

    expect(await web().metric('waxseal_challenge_transitions_total{state="NeedProof"}')).toBe(needProof + 1);
    expect(web().gateway.events('proof', 'none').at(-1)).toMatchObject({ reason: 'Disabled' });
    // The page (GET, as the browser's DoH client asks) looked up the key and the DMARC record after the mail.
    const pageAsked = doh()
      .seen.slice(asked)
      .filter((q) => q.method === 'GET')
      .map((q) => q.name);
    expect(pageAsked).toEqual(
      expect.arrayContaining(['sel._domainkey.ed25519.wxtest.', '_dmarc.ed25519.wxtest.']),
    );
    const { views, said } = await recorded(page);
    expect(views[0]).toBe('waiting');
    expect(views).toContain('checking');
    expect(views.at(-1)).toBe('done-setup');
    expect(views.indexOf('checking')).toBeLessThan(views.indexOf('done-setup'));
    expect(said).toEqual(expect.arrayContaining(['Email received, checking it', 'Recovery email added']));
    await page.context().close();
  });

  it('the DoH provider is down: the page says so and offers Try again, which completes once it is back', async () => {
    const { page, anchor } = await signedIn();
    const address = 'otto@ed25519.wxtest';
    await startSetup(page, address);
    doh().mode = 'fail';
    try {
      await web().sendShownMail(page, address);
      const alert = page.locator('.send-step').getByRole('alert');
      await alert.waitFor({ timeout: UI_TIMEOUT_MS });
      expect(await alert.textContent()).toBe(
        "This page could not reach the DNS lookup services it uses to find ed25519.wxtest's signing key." +
          'What to do: Check your internet connection, then try again.',
      );
      expect(await page.getByRole('heading', { name: 'Email received' }).count()).toBe(1);
      expect(await page.locator('.send-step details').textContent()).toMatch(/HttpError: HTTP 503/);
    } finally {
      doh().mode = 'pass';
    }
    await page.getByRole('button', { name: 'Try again' }).click();
    await addressOnCard(page, anchor, address);
    expect((await recorded(page)).views.at(-1)).toBe('done-setup');
    await page.context().close();
  });
});

describe('Resolving: the canister fetches the key over DoH itself', () => {
  it('unsigned.wxtest (on the DoH allowlist): the page shows the canister fetching, then setup completes', async () => {
    const { page, anchor } = await signedIn();
    const address = 'rita@unsigned.wxtest';
    await startSetup(page, address);
    const asked = doh().seen.length;
    doh().mode = 'hold';
    try {
      await web().sendShownMail(page, address);
      const step = page.locator('.send-step[data-view="resolving"]');
      await step.waitFor({ timeout: UI_TIMEOUT_MS });
      // The canister is mid-fetch: its query (POST, RFC 8484) waits at the relay while the page shows Resolving.
      // The page can show Resolving a moment before the host's outcall reaches the relay, so wait for it.
      await expect.poll(() => doh().held(), { timeout: UI_TIMEOUT_MS }).toBeGreaterThan(0);
      expect(await step.isVisible()).toBe(true);
      expect(doh().seen.slice(asked)).toContainEqual({
        method: 'POST',
        name: 'sel._domainkey.unsigned.wxtest.',
      });
      expect(
        doh()
          .seen.slice(asked)
          .filter((q) => q.method === 'GET'),
      ).toEqual([]);
      expect(await step.getByRole('heading').textContent()).toBe('Checking your email');
      expect(await step.getByTestId('view-body').textContent()).toBe(
        "Your email arrived. Waxseal is asking several independent DNS services for your provider's signing key.",
      );
      expect(await step.getByTestId('live').textContent()).toBe('Email received, checking it');
      expect(await step.getByRole('progressbar', { name: 'Checking your email' }).count()).toBe(1);
    } finally {
      doh().release();
    }
    await addressOnCard(page, anchor, address);
    const { views } = await recorded(page);
    expect(views.slice(views.indexOf('resolving'))).toEqual(['resolving', 'done-setup']);
    await page.context().close();
  });
});

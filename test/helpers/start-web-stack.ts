/**
 * The real web stack for a browser suite or a script, without vitest's hooks: named and dnsdist with the signed
 * test zones, the compiled canister behind the devnet endpoint (mailCanisterConfig), the SMTP gateway, the web app
 * built into a temporary folder and served with `/env.json` (scripts/local-stack/web.ts), and Debian's Chromium.
 * The suites take it through the fixture in web-stack.ts; scripts/screenshots.ts starts it directly.
 *
 * The page helpers act as a person would: a fresh browser profile with a platform passkey, "Create with a passkey"
 * and "Sign in as identity …", and the mail the page shows sent with `waxseal send-test-mail` (dkimpy-signed).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { buildFrontend } from '../../scripts/frontend-build.ts';
import { type DnsStack, startDnsStack } from '../../scripts/local-stack/dns.ts';
import { serveWeb } from '../../scripts/local-stack/web.ts';
import { toHex } from '../../src/encoding/bytes.ts';
import { launchChromium, pageWithPasskeys } from './browser.ts';
import { waxseal } from './cli.ts';
import { startDevnet, type TestDevnet } from './devnet.ts';
import { mailCanisterConfig, removeGatewayDir, startTestGateway, type TestGateway } from './gateway.ts';

/** The two widths every view is checked and photographed at. */
export const VIEWPORTS = {
  desktop: { width: 1280, height: 900 },
  phone: { width: 360, height: 780 },
} as const;
export type Viewport = { readonly width: number; readonly height: number };

export interface WebStackOptions {
  /**
   * Whether the gateway attaches an RFC 9102 proof (from the local DoH) to each mail it relays; default true, so
   * a wxtest mail completes in one step. False leaves the proof to the canister's DoH or the page (NeedProof).
   */
  attachProofs?: boolean;
}

export interface WebStack {
  /** The web app, e.g. http://localhost:40123. */
  url: string;
  dns: DnsStack;
  devnet: TestDevnet;
  gateway: TestGateway;
  browser: Browser;
  /**
   * A new browser profile (no passkeys, nothing stored) with a virtual platform authenticator, at `viewport`,
   * on the app's first page once it says it is connected. Close it with `page.context().close()`.
   */
  freshPage(viewport?: Viewport): Promise<Page>;
  /** Creates an identity with a passkey on `page` (a fresh one), signs in with it; returns its number. */
  signedIn(page: Page): Promise<string>;
  /**
   * Reads the mail to send from `page` (To, Subject) and sends it from `from` through the gateway with
   * `waxseal send-test-mail`, plus its `options` (e.g. `'--sign-headers', 'from,to,date'`). @throws when the
   * command fails.
   */
  sendShownMail(page: Page, from: string, ...options: string[]): Promise<{ mailbox: string; nonce: string }>;
  /** Stops everything started, in reverse order. */
  stop(): Promise<void>;
}

const UI_TIMEOUT_MS = 30_000;

/** Starts the stack; on a failure part-way, stops what had started and rethrows. */
export async function startWebStack(options: WebStackOptions = {}): Promise<WebStack> {
  const stops: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const s of stops.splice(0).reverse()) await s();
  };
  try {
    const out = mkdtempSync(join(tmpdir(), 'waxseal-web-'));
    stops.push(async () => rmSync(out, { recursive: true, force: true }));
    const dns = await startDnsStack();
    stops.push(() => dns.stop());
    const [devnet] = await Promise.all([startDevnet(mailCanisterConfig(dns.dohUrl)), buildFrontend(out)]);
    stops.push(() => devnet.close());
    const canisterId = devnet.devnet.canisterId.toText();
    const gateway = await startTestGateway(devnet.url, canisterId, {
      dohUrls: options.attachProofs === false ? [] : [dns.dohUrl],
    });
    stops.push(async () => {
      await gateway.stop();
      removeGatewayDir(gateway);
    });
    const web = await serveWeb(
      out,
      { host: devnet.url, canisterId, rootKey: toHex(devnet.devnet.rootKey) },
      0,
    );
    stops.push(() => web.close());
    const browser = await launchChromium();
    stops.push(() => browser.close());
    return { url: web.url, dns, devnet, gateway, browser, ...pageHelpers(browser, web.url, gateway), stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

function pageHelpers(browser: Browser, url: string, gateway: TestGateway) {
  return {
    async freshPage(viewport: Viewport = VIEWPORTS.desktop): Promise<Page> {
      const context = await browser.newContext({ viewport });
      const { page } = await pageWithPasskeys(context);
      await page.goto(`${url}/`);
      await page.getByText('Connected to canister').waitFor({ timeout: UI_TIMEOUT_MS });
      return page;
    },
    async signedIn(page: Page): Promise<string> {
      await page.getByRole('button', { name: 'Create with a passkey' }).click();
      const anchor = (await page.getByTestId('anchor').textContent({ timeout: UI_TIMEOUT_MS }))!.trim();
      await page.getByRole('button', { name: `Sign in as identity ${anchor}` }).click();
      await page.getByRole('heading', { name: `Identity ${anchor}` }).waitFor({ timeout: UI_TIMEOUT_MS });
      return anchor;
    },
    async sendShownMail(
      page: Page,
      from: string,
      ...options: string[]
    ): Promise<{ mailbox: string; nonce: string }> {
      const mailbox = (await page.getByTestId('mailbox').textContent({ timeout: UI_TIMEOUT_MS }))!;
      const nonce = (await page.getByTestId('nonce').textContent())!;
      const args = ['send-test-mail', '--from', from, '--to', mailbox, '--subject', nonce, ...options];
      const sent = await waxseal(...args, '--server', gateway.smtp);
      if (sent.code !== 0) throw new Error(`waxseal send-test-mail exited ${sent.code}: ${sent.stderr}`);
      return { mailbox, nonce };
    },
  };
}

/**
 * The real web stack for a browser suite or a script, without vitest's hooks: named and dnsdist with the signed
 * test zones, the compiled canister behind the devnet endpoint (mailCanisterConfig, or the suite's own
 * configuration), the SMTP gateway, the web app built into a temporary folder and served with `/env.json`
 * (scripts/local-stack/web.ts), and Debian's Chromium. The suites take it through the fixture in web-stack.ts;
 * scripts/screenshots.ts starts it directly.
 *
 * The page helpers act as a person would: a fresh browser profile with a platform passkey (or without WebAuthn),
 * "Create with …" and "Sign in as identity …", and the mail the page shows sent with `waxseal send-test-mail`
 * (dkimpy-signed). `metric` reads the canister's /metrics through the generated actor, as a monitor would.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, CDPSession, Page } from 'playwright-core';
import { buildFrontend } from '../../scripts/frontend-build.ts';
import { type DnsStack, startDnsStack } from '../../scripts/local-stack/dns.ts';
import { serveWeb } from '../../scripts/local-stack/web.ts';
import { toHex } from '../../src/encoding/bytes.ts';
import { launchChromium, pageWithPasskeys, UI_TIMEOUT_MS } from './browser.ts';
import { type InitConfig, metricValue } from './canister.ts';
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
  /**
   * The canister's configuration, once the DNS stack is up (e.g. a DoH provider in front of it, or one that is
   * down); default mailCanisterConfig(dns.dohUrl).
   */
  canister?: (dns: DnsStack) => InitConfig | Promise<InitConfig>;
}

export interface PageOptions {
  /** False: a browser in which WebAuthn does not exist, as in some embedded browsers; default true. */
  webAuthn?: boolean;
  /** Runs in the page before any of the app's scripts, on every load. */
  init?: () => void;
}

export interface WebStack {
  /** The web app, e.g. http://localhost:40123. */
  url: string;
  dns: DnsStack;
  devnet: TestDevnet;
  gateway: TestGateway;
  browser: Browser;
  /**
   * A new browser profile (no keys, nothing stored), with a virtual platform authenticator unless
   * `webAuthn: false`, at `viewport`, on the app's first page once it says it is connected. Close it with
   * `page.context().close()`.
   */
  freshPage(viewport?: Viewport, options?: PageOptions): Promise<Page>;
  /** How many passkeys the virtual authenticator of `page` (a freshPage) holds. */
  passkeysOn(page: Page): Promise<number>;
  /**
   * Creates an identity on `page` (a fresh one) with the kind of key it offers, signs in with it, and waits until
   * the manage page has read the identity; returns its number.
   */
  signedIn(page: Page): Promise<string>;
  /**
   * Reads the mail to send from `page` (To, Subject) and sends it from `from` through the gateway with
   * `waxseal send-test-mail`, plus its `options` (e.g. `'--sign-headers', 'from,to,date'`). @throws when the
   * command fails.
   */
  sendShownMail(page: Page, from: string, ...options: string[]): Promise<{ mailbox: string; nonce: string }>;
  /** A sample of the canister's /metrics (`waxseal_identities`, `name{label="…"}`); 0 when absent. */
  metric(sample: string): Promise<number>;
  /** Stops everything started, in reverse order. */
  stop(): Promise<void>;
}

/**
 * What has the keyboard on `page`, named as a person hears it: its aria-label, its field's label, or its text;
 * null when nothing has (the body).
 */
export function focusedName(page: Page): Promise<string | null> {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const label = el instanceof HTMLInputElement ? el.labels?.[0]?.textContent : null;
    return el.getAttribute('aria-label') ?? label ?? el.textContent;
  });
}

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
    const config = await (options.canister ?? ((d: DnsStack) => mailCanisterConfig(d.dohUrl)))(dns);
    const [devnet] = await Promise.all([startDevnet(config), buildFrontend(out)]);
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
    return {
      url: web.url,
      dns,
      devnet,
      gateway,
      browser,
      ...pageHelpers(browser, web.url, devnet, gateway),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

function pageHelpers(browser: Browser, url: string, devnet: TestDevnet, gateway: TestGateway) {
  const authenticators = new WeakMap<Page, { cdp: CDPSession; authenticatorId: string }>();
  return {
    async freshPage(viewport: Viewport = VIEWPORTS.desktop, options: PageOptions = {}): Promise<Page> {
      const context = await browser.newContext({ viewport });
      let page: Page;
      if (options.webAuthn === false) {
        await context.addInitScript(() => {
          // biome-ignore lint/suspicious/noExplicitAny: removing a DOM global the page feature-detects
          delete (window as any).PublicKeyCredential;
        });
        page = await context.newPage();
      } else {
        const { page: withPasskeys, ...authenticator } = await pageWithPasskeys(context);
        page = withPasskeys;
        authenticators.set(page, authenticator);
      }
      // Run on every navigation from here on, the first one included.
      if (options.init) await context.addInitScript(options.init);
      await page.goto(`${url}/`);
      await page.getByText('Connected to canister').waitFor({ timeout: UI_TIMEOUT_MS });
      return page;
    },
    async passkeysOn(page: Page): Promise<number> {
      const a = authenticators.get(page);
      if (!a) throw new Error('passkeysOn: not a page made by freshPage with WebAuthn');
      const { credentials } = await a.cdp.send('WebAuthn.getCredentials', {
        authenticatorId: a.authenticatorId,
      });
      return credentials.length;
    },
    async signedIn(page: Page): Promise<string> {
      await page.getByRole('button', { name: /^Create with a (passkey|key in this browser)$/ }).click();
      const anchor = (await page.getByTestId('anchor').textContent({ timeout: UI_TIMEOUT_MS }))!.trim();
      await page.getByRole('button', { name: `Sign in as identity ${anchor}` }).click();
      await page
        .getByRole('region', { name: `Identity ${anchor}` })
        .getByText(/can sign in\.$/)
        .waitFor({ timeout: UI_TIMEOUT_MS });
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
    async metric(sample: string): Promise<number> {
      const page = await (await devnet.actor()).http_request({
        method: 'GET',
        url: '/metrics',
        headers: [],
        body: new Uint8Array(),
        certificate_version: [],
      });
      return metricValue(new TextDecoder().decode(page.body), sample) || 0;
    },
  };
}

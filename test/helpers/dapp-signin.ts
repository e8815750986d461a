/**
 * Signing in to the demo dApp (examples/demo-dapp) through Waxseal's `/authorize`, in Chromium on the real web
 * stack (start-web-stack.ts), as a person would: for test/frontend-authorize.test.ts and scripts/bench-signin.ts.
 *
 * - `startDemo` builds the demo into a temporary folder and serves it (scripts/local-stack/demo.ts) on one port,
 *   reachable as two dApps: http://localhost:<port> and http://127.0.0.1:<port>. Its alternative-origins file
 *   lists the 127.0.0.1 origin only.
 * - `Profile` is a browser profile whose every page, popups included, gets a CDP virtual platform authenticator
 *   holding the passkeys the profile has made so far, as one authenticator would across windows (CDP's virtual
 *   authenticators belong to one page each, so the credentials are copied).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { buildDemo, serveDemo } from '../../scripts/local-stack/demo.ts';
import { freePort } from '../../scripts/local-stack/process.ts';
import { toHex } from '../../src/encoding/bytes.ts';
import { addPlatformAuthenticator, UI_TIMEOUT_MS } from './browser.ts';
import { VIEWPORTS, type WebStack } from './start-web-stack.ts';

export interface Demo {
  /** http://localhost:<port>: one dApp. */
  readonly local: string;
  /** http://127.0.0.1:<port>: another dApp, listed in the server's alternative-origins file. */
  readonly ip: string;
  close(): Promise<void>;
}

export async function startDemo(stack: WebStack): Promise<Demo> {
  const dist = mkdtempSync(join(tmpdir(), 'waxseal-demo-'));
  try {
    await buildDemo(dist);
    const port = await freePort();
    const ip = `http://127.0.0.1:${port}`;
    const env = {
      identityProvider: `${stack.url}/authorize`,
      host: stack.devnet.url,
      canisterId: stack.devnet.devnet.canisterId.toText(),
      rootKey: toHex(stack.devnet.devnet.rootKey),
    };
    const server = await serveDemo(dist, env, port, { alternativeOrigins: [ip] });
    return {
      local: `http://localhost:${port}`,
      ip,
      async close() {
        await server.close();
        rmSync(dist, { recursive: true, force: true });
      },
    };
  } catch (e) {
    rmSync(dist, { recursive: true, force: true });
    throw e;
  }
}

/** The subset of CDP's WebAuthn.Credential that addCredential takes back. */
type Credential = Record<string, unknown> & { credentialId: string };

export class Profile {
  private readonly credentials = new Map<string, Credential>();
  private readonly authenticators = new Map<Page, Promise<{ cdp: CDPSession; id: string }>>();

  private constructor(readonly context: BrowserContext) {
    context.on('page', (page) => this.authenticators.set(page, this.equip(page)));
  }

  static async open(browser: Browser): Promise<Profile> {
    return new Profile(await browser.newContext({ viewport: VIEWPORTS.desktop }));
  }

  private async equip(page: Page): Promise<{ cdp: CDPSession; id: string }> {
    const cdp = await this.context.newCDPSession(page);
    const id = await addPlatformAuthenticator(cdp);
    for (const credential of this.credentials.values()) {
      await cdp.send('WebAuthn.addCredential', { authenticatorId: id, credential: credential as never });
    }
    return { cdp, id };
  }

  /** Copies the passkeys `page`'s authenticator holds into the profile, for the pages opened after. */
  async keep(page: Page): Promise<void> {
    const { cdp, id } = await this.authenticators.get(page)!;
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId: id });
    for (const c of credentials) this.credentials.set(c.credentialId, c as unknown as Credential);
  }

  async page(url: string): Promise<Page> {
    const page = await this.context.newPage();
    await page.goto(url);
    return page;
  }

  close(): Promise<void> {
    return this.context.close();
  }
}

/** The web app in `profile`, signed in to a new identity made with a passkey (kept for later pages). */
export async function newIdentity(stack: WebStack, profile: Profile): Promise<{ app: Page; anchor: string }> {
  const app = await profile.page(`${stack.url}/`);
  await app.getByText('Connected to canister').waitFor({ timeout: UI_TIMEOUT_MS });
  const anchor = await stack.signedIn(app);
  await profile.keep(app);
  return { app, anchor };
}

/** Clicks "Sign in with Waxseal" on the dApp page; resolves with the Waxseal window it opens. */
export async function openSignIn(dapp: Page): Promise<Page> {
  const [popup] = await Promise.all([
    dapp.waitForEvent('popup'),
    dapp.getByRole('button', { name: 'Sign in with Waxseal' }).click(),
  ]);
  return popup;
}

export const continueButton = (page: Page) => page.getByRole('button', { name: 'Continue', exact: true });

/** The text of a demo field once it holds a value. */
export async function field(dapp: Page, testid: string): Promise<string> {
  const handle = await dapp.waitForFunction(
    (id) => {
      const text = document.querySelector(`[data-testid="${id}"]`)?.textContent ?? '';
      return text !== '—' && text !== '…' && text !== '' ? text : null;
    },
    testid,
    { timeout: UI_TIMEOUT_MS },
  );
  return (await handle.jsonValue()) as string;
}

/** Signs in on `dapp` through the popup (Continue); resolves with the principal the dApp shows. */
export async function signInWithContinue(dapp: Page): Promise<string> {
  const popup = await openSignIn(dapp);
  await continueButton(popup).click({ timeout: UI_TIMEOUT_MS });
  return field(dapp, 'principal');
}

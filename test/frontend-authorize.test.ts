/**
 * Signing in to a dApp with a Waxseal identity (issue 12), in Debian's Chromium against the real stack
 * (test/helpers/web-stack.ts): the demo dApp of examples/demo-dapp, built and served on its own loopback origin
 * (scripts/local-stack/demo.ts), signs in through `/authorize` with @icp-sdk/auth 7.1 (ICRC-29/34) and
 * @dfinity/auth-client 3.4 (the legacy protocol), then calls `whoami` on the canister through the delegation, so
 * the devnet endpoint checks the canister signature and the expiration as a replica does.
 *
 * The same demo server answers at two origins, http://localhost:<port> and http://127.0.0.1:<port>: two dApps to
 * the browser and to the principal derivation. Its `/.well-known/ii-alternative-origins` lists the 127.0.0.1
 * origin only. Passkeys are CDP virtual authenticators, one per page (popups included), holding copies of the
 * profile's credentials, as one platform authenticator would across windows.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import AxeBuilder from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UI_TIMEOUT_MS } from './helpers/browser.ts';
import {
  continueButton,
  type Demo,
  field,
  newIdentity,
  openSignIn,
  Profile,
  signInWithContinue,
  startDemo,
} from './helpers/dapp-signin.ts';
import { useWebStack } from './helpers/web-stack.ts';

const web = useWebStack();

const NS_PER_MS = 1_000_000n;
const HOUR_NS = 3_600_000_000_000n;
const DAY_NS = 24n * HOUR_NS;

let demo: Demo;
let redirector: Server;
/** The two origins of the demo server: two dApps. */
const localDapp = () => demo.local;
const ipDapp = () => demo.ip;

beforeAll(async () => {
  demo = await startDemo(web());
  // A derivation origin whose alternative-origins file is behind a redirect (to a file that would list the caller).
  redirector = createServer((_req, res) => {
    res.writeHead(302, {
      location: `${localDapp()}/.well-known/ii-alternative-origins`,
      'access-control-allow-origin': '*',
    });
    res.end();
  });
  await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
}, 120_000);

afterAll(async () => {
  redirector?.closeAllConnections();
  await new Promise((resolve) => redirector?.close(resolve));
  await demo?.close();
});

/** Update calls the devnet has executed so far (its operator counters). */
async function updateCalls(): Promise<number> {
  const stats = await (await fetch(`${web().devnet.url}/_devnet/stats`)).json();
  return stats.callsExecuted as number;
}

async function dappError(dapp: Page): Promise<{ code: string; text: string }> {
  const text = await field(dapp, 'error');
  return { text, code: (await dapp.getByTestId('error').getAttribute('data-code')) ?? '' };
}

let main: { profile: Profile; app: Page; anchor: string };
let principalAtLocal: string;

beforeAll(async () => {
  const profile = await Profile.open(web().browser);
  main = { profile, ...(await newIdentity(web(), profile)) };
}, 60_000);

afterAll(async () => {
  await main?.profile.close();
});

describe('/authorize with @icp-sdk/auth 7.1', () => {
  it('the popup names the dApp; Continue signs in, and whoami through the delegation returns the principal', async () => {
    const dapp = await main.profile.page(`${localDapp()}/`);
    const started = BigInt(Date.now()) * NS_PER_MS;
    const popup = await openSignIn(dapp);
    expect(new URL(popup.url()).pathname).toBe('/authorize');
    expect(await popup.getByTestId('app-origin').textContent({ timeout: UI_TIMEOUT_MS })).toBe(localDapp());
    expect(await popup.getByTestId('identity').textContent()).toContain(main.anchor);
    const closed = popup.waitForEvent('close', { timeout: UI_TIMEOUT_MS });
    await continueButton(popup).click();
    principalAtLocal = await field(dapp, 'principal');
    expect(principalAtLocal).toMatch(/^[a-z0-9]{5}(-[a-z0-9]{5})*(-[a-z0-9]{1,5})?$/);
    expect(await field(dapp, 'whoami')).toBe(principalAtLocal);
    // AuthClient asks for 8 h when the dApp names no lifetime.
    const expiration = BigInt((await dapp.getByTestId('expiration').getAttribute('data-ns'))!);
    expect(expiration - started).toBeGreaterThan(8n * HOUR_NS - 60_000n * NS_PER_MS);
    expect(expiration - started).toBeLessThanOrEqual(8n * HOUR_NS + 60_000n * NS_PER_MS);
    await closed; // the dApp closes the window, not the page itself
    await dapp.close();
  });

  it('the same identity on the same dApp later gets the same principal; another dApp origin another one', async () => {
    const dapp = await main.profile.page(`${localDapp()}/`);
    const first = await signInWithContinue(dapp);
    await dapp.getByRole('button', { name: 'Sign out' }).click();
    await dapp.getByText('Signed out.').waitFor();
    const again = await signInWithContinue(dapp);
    expect(again).toBe(first);
    const other = await main.profile.page(`${ipDapp()}/`);
    const elsewhere = await signInWithContinue(other);
    expect(elsewhere).not.toBe(first);
    expect(await field(other, 'whoami')).toBe(elsewhere);
    await Promise.all([dapp.close(), other.close()]);
  });

  it('Cancel gives the dApp the user-aborted error, 3001, and nothing is signed', async () => {
    const dapp = await main.profile.page(`${localDapp()}/`);
    const popup = await openSignIn(dapp);
    await continueButton(popup).waitFor({ timeout: UI_TIMEOUT_MS });
    const calls = await updateCalls();
    await popup.getByRole('button', { name: 'Cancel' }).click();
    const { code } = await dappError(dapp);
    expect(code).toBe('3001');
    expect(await dapp.getByTestId('principal').textContent()).toBe('—');
    expect(await updateCalls()).toBe(calls);
    await dapp.close();
  });

  it('closing the window makes signIn reject with the user-aborted error', async () => {
    const dapp = await main.profile.page(`${localDapp()}/`);
    const popup = await openSignIn(dapp);
    await continueButton(popup).waitFor({ timeout: UI_TIMEOUT_MS });
    await popup.close({ runBeforeUnload: true });
    // The page answers 3001 as it unloads (pagehide); without that the heartbeat would end it with 4000.
    const { code, text } = await dappError(dapp);
    expect(code, text).toBe('3001');
    expect(await dapp.getByTestId('principal').textContent()).toBe('—');
    await dapp.close();
  });

  it('maxTimeToLive above 30 days is capped at 30 days', async () => {
    const dapp = await main.profile.page(`${localDapp()}/?maxTimeToLive=${40n * DAY_NS}`);
    const started = BigInt(Date.now()) * NS_PER_MS;
    await signInWithContinue(dapp);
    const expiration = BigInt((await dapp.getByTestId('expiration').getAttribute('data-ns'))!);
    expect(expiration - started).toBeLessThanOrEqual(30n * DAY_NS + 60_000n * NS_PER_MS);
    expect(expiration - started).toBeGreaterThan(30n * DAY_NS - 60_000n * NS_PER_MS);
    await dapp.close();
  });

  it('a derivation origin that lists the caller is honoured; unlisted, or behind a redirect, it is refused unsigned', async () => {
    // 127.0.0.1 asks for localhost's principal; localhost's file (the same server) lists 127.0.0.1.
    const listed = await main.profile.page(
      `${ipDapp()}/?derivationOrigin=${encodeURIComponent(localDapp())}`,
    );
    const popup = await openSignIn(listed);
    expect(await popup.getByTestId('derivation-origin').textContent({ timeout: UI_TIMEOUT_MS })).toContain(
      localDapp(),
    );
    await continueButton(popup).click();
    expect(await field(listed, 'principal')).toBe(await principalAt(localDapp()));

    const refusals = [
      // localhost asks for 127.0.0.1's principal, but the file lists only 127.0.0.1 itself.
      [localDapp(), ipDapp(), 'does not list'],
      [ipDapp(), `http://127.0.0.1:${(redirector.address() as AddressInfo).port}`, 'redirects'],
    ] as const;
    for (const [caller, derivation, why] of refusals) {
      const dapp = await main.profile.page(`${caller}/?derivationOrigin=${encodeURIComponent(derivation)}`);
      const calls = await updateCalls();
      await openSignIn(dapp);
      const { code, text } = await dappError(dapp);
      expect(code, text).toBe('3000');
      expect(text).toContain(why);
      expect(await dapp.getByTestId('principal').textContent()).toBe('—');
      expect(await updateCalls()).toBe(calls); // no prepare_delegation: nothing signed
      await dapp.close();
    }
    await listed.close();
  });

  it('targets (an account delegation) are refused as not supported, 2000, and nothing is signed', async () => {
    const dapp = await main.profile.page(
      `${localDapp()}/?targets=${web().devnet.devnet.canisterId.toText()}`,
    );
    const calls = await updateCalls();
    await openSignIn(dapp);
    const { code, text } = await dappError(dapp);
    expect(code, text).toBe('2000');
    expect(await updateCalls()).toBe(calls);
    await dapp.close();
  });

  it('a visitor without an identity creates one in the window, then continues with it', async () => {
    const fresh = await Profile.open(web().browser);
    const dapp = await fresh.page(`${localDapp()}/`);
    const popup = await openSignIn(dapp);
    await popup.getByRole('button', { name: 'Create a new identity' }).click({ timeout: UI_TIMEOUT_MS });
    await popup.getByRole('button', { name: 'Create with a passkey' }).click();
    const anchor = (await popup.getByTestId('anchor').textContent({ timeout: UI_TIMEOUT_MS }))!.trim();
    expect(anchor).not.toBe(main.anchor);
    await popup.getByRole('button', { name: 'Back to sign-in' }).click();
    expect(await popup.getByTestId('identity').textContent()).toContain(anchor);
    await continueButton(popup).click();
    const principal = await field(dapp, 'principal');
    expect(principal).not.toBe(await principalAt(localDapp()));
    expect(await field(dapp, 'whoami')).toBe(principal);
    await fresh.close();
  });

  it('messages from an origin other than the opener are ignored', async () => {
    const dapp = await main.profile.page(`${localDapp()}/`);
    const popup = await openSignIn(dapp);
    await continueButton(popup).waitFor({ timeout: UI_TIMEOUT_MS });
    // A frame of another origin inside the popup sends requests to it, and listens for any answer.
    await popup.evaluate((src) => {
      const frame = document.createElement('iframe');
      frame.src = src;
      frame.title = 'other origin';
      document.body.append(frame);
      return new Promise((resolve) => frame.addEventListener('load', resolve));
    }, `${ipDapp()}/legacy.html`);
    const frame = popup.frames().find((f) => f.url().startsWith(ipDapp()))!;
    const answers = await frame.evaluate(async () => {
      const seen: unknown[] = [];
      addEventListener('message', (e) => seen.push(e.data));
      const key = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign']);
      const spki = new Uint8Array(await crypto.subtle.exportKey('spki', key.publicKey));
      const publicKey = btoa(String.fromCharCode(...spki));
      for (const [id, method, params] of [
        ['s', 'icrc29_status', undefined],
        ['d', 'icrc34_delegation', { publicKey, maxTimeToLive: '60000000000' }],
        ['p', 'icrc25_supported_standards', undefined],
      ] as const) {
        parent.postMessage({ jsonrpc: '2.0', id, method, params }, '*');
      }
      parent.postMessage({ kind: 'authorize-client', sessionPublicKey: spki }, '*');
      await new Promise((r) => setTimeout(r, 1500));
      return seen;
    });
    expect(answers).toEqual([]);
    // The page still shows the opener's request, and Continue answers the opener alone.
    expect(await popup.getByTestId('app-origin').textContent()).toBe(localDapp());
    await continueButton(popup).click();
    expect(await field(dapp, 'principal')).toBe(await principalAt(localDapp()));
    await dapp.close();
  });

  it('a delegation used after its expiration is rejected by the endpoint', async () => {
    const ttlMs = 4_000n;
    const dapp = await main.profile.page(`${localDapp()}/?maxTimeToLive=${ttlMs * NS_PER_MS}`);
    const principal = await signInWithContinue(dapp);
    const expiration = BigInt((await dapp.getByTestId('expiration').getAttribute('data-ns'))!);
    const untilExpired = Number(expiration / NS_PER_MS) - Date.now() + 1_500;
    expect(untilExpired).toBeLessThan(Number(ttlMs) + 2_000);
    await new Promise((r) => setTimeout(r, Math.max(0, untilExpired)));
    await dapp.getByRole('button', { name: 'Call whoami' }).click();
    const { text } = await dappError(dapp);
    expect(text.toLowerCase()).toContain('expire');
    expect(await dapp.getByTestId('whoami').textContent()).toBe('refused');
    expect(await dapp.getByTestId('principal').textContent()).toBe(principal);
    await dapp.close();
  });
});

/** The principal `main` gets at `origin` with @icp-sdk/auth 7.1 (memoised: the same every time, as tested). */
async function principalAt(origin: string): Promise<string> {
  if (origin === localDapp() && principalAtLocal) return principalAtLocal;
  const dapp = await main.profile.page(`${origin}/`);
  const principal = await signInWithContinue(dapp);
  await dapp.close();
  if (origin === localDapp()) principalAtLocal = principal;
  return principal;
}

describe('/authorize with the legacy @dfinity/auth-client 3.4', () => {
  it('gets the same principal as @icp-sdk/auth 7.1 for the same origin, and whoami agrees', async () => {
    const dapp = await main.profile.page(`${localDapp()}/legacy.html`);
    const popup = await openSignIn(dapp);
    expect(popup.url()).toContain('#authorize');
    expect(await popup.getByTestId('app-origin').textContent({ timeout: UI_TIMEOUT_MS })).toBe(localDapp());
    await continueButton(popup).click();
    const principal = await field(dapp, 'principal');
    expect(principal).toBe(await principalAt(localDapp()));
    expect(await field(dapp, 'whoami')).toBe(principal);
    await dapp.close();
  });

  it('Cancel reports UserInterrupt, as closing the window does', async () => {
    const dapp = await main.profile.page(`${localDapp()}/legacy.html`);
    const cancelled = await openSignIn(dapp);
    await cancelled.getByRole('button', { name: 'Cancel' }).click({ timeout: UI_TIMEOUT_MS });
    expect((await dappError(dapp)).text).toBe('UserInterrupt');
    const closed = await openSignIn(dapp); // the click clears the shown error
    await continueButton(closed).waitFor({ timeout: UI_TIMEOUT_MS });
    await closed.close({ runBeforeUnload: true });
    expect((await dappError(dapp)).text).toBe('UserInterrupt');
    await dapp.close();
  });
});

describe('/authorize after losing every device', () => {
  const address = 'dapp-user@ed25519.wxtest';

  it('recovery by email in a fresh profile gives the same principal for the dApp, in the popup or the app', async () => {
    const before = await principalAt(localDapp());
    const { app } = main;
    await app.getByRole('button', { name: 'Add recovery email' }).click();
    await app.getByLabel('Your email address').fill(address);
    await continueButton(app).click();
    await web().sendShownMail(app, address);
    await app.getByText(`Recovery email: ${address}`).waitFor({ timeout: UI_TIMEOUT_MS });

    // A fresh profile: no passkey; "Lost access?" in the popup itself, then Continue.
    const fresh = await Profile.open(web().browser);
    const dapp = await fresh.page(`${localDapp()}/`);
    const popup = await openSignIn(dapp);
    await popup
      .getByRole('button', { name: 'Lost access? Recover by email' })
      .click({ timeout: UI_TIMEOUT_MS });
    await popup.getByLabel('Your recovery email address').fill(address);
    await continueButton(popup).click();
    await web().sendShownMail(popup, address);
    await popup.getByTestId('identity').getByText(main.anchor).waitFor({ timeout: UI_TIMEOUT_MS });
    await continueButton(popup).click();
    expect(await field(dapp, 'principal')).toBe(before);
    expect(await field(dapp, 'whoami')).toBe(before);
    await fresh.close();

    // Another fresh profile: recovery in the web app, a passkey added there, then the dApp with that passkey.
    const other = await Profile.open(web().browser);
    const page = await other.page(`${web().url}/`);
    await page.getByLabel('Your recovery email address').fill(address);
    await continueButton(page).click();
    await web().sendShownMail(page, address);
    await page
      .getByRole('button', { name: 'Add a passkey on this device' })
      .click({ timeout: UI_TIMEOUT_MS });
    await page.getByText(/2 passkeys or devices can sign in/).waitFor({ timeout: UI_TIMEOUT_MS });
    await other.keep(page);
    const again = await other.page(`${localDapp()}/`);
    expect(await signInWithContinue(again)).toBe(before);
    await other.close();
  });
});

describe('/authorize accessibility', () => {
  it('axe: no serious or critical violations on the sign-in screen, light and dark', async () => {
    const report: string[] = [];
    for (const colorScheme of ['light', 'dark'] as const) {
      const dapp = await main.profile.page(`${localDapp()}/`);
      const popup = await openSignIn(dapp);
      await popup.emulateMedia({ colorScheme });
      await continueButton(popup).waitFor({ timeout: UI_TIMEOUT_MS });
      const { violations } = await new AxeBuilder({ page: popup }).analyze();
      for (const v of violations.filter((x) => x.impact === 'serious' || x.impact === 'critical')) {
        report.push(
          `${colorScheme} [${v.impact}] ${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
        );
      }
      await popup.getByRole('button', { name: 'Cancel' }).click();
      await dapp.close();
    }
    const direct = await main.profile.page(`${web().url}/authorize`);
    await direct.getByRole('heading', { name: 'Sign in to an app' }).waitFor({ timeout: UI_TIMEOUT_MS });
    const { violations } = await new AxeBuilder({ page: direct }).analyze();
    for (const v of violations.filter((x) => x.impact === 'serious' || x.impact === 'critical')) {
      report.push(`opened directly [${v.impact}] ${v.id}`);
    }
    await direct.close();
    expect(report).toEqual([]);
  });
});

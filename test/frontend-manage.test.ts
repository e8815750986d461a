/**
 * Managing an identity in a real browser (issue 11, deliverables 2 and 3; protocol.md §1–§3): Debian Chromium
 * via playwright-core against the real stack (named and dnsdist with the signed test zones, the compiled
 * canister behind the devnet endpoint, the SMTP gateway, mail sent with `waxseal send-test-mail`).
 *
 * Sessions act as the identity's management principal whatever got the person in (a passkey, a key kept in
 * the browser, an email recovery); passkeys and devices are added and removed behind confirmations, the last
 * one behind a warning that names the consequence; the recovery email is added, replaced and removed; the audit
 * log reads newest first in words; a browser without WebAuthn gets a key kept in IndexedDB; unreadable storage
 * never breaks the page.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFrontend } from '../scripts/frontend-build.ts';
import { serveWeb, type WebServer } from '../scripts/local-stack/web.ts';
import { toHex } from '../src/encoding/bytes.ts';
import { launchChromium, pageWithPasskeys } from './helpers/browser.ts';
import { waxseal } from './helpers/cli.ts';
import { startDevnet, type TestDevnet } from './helpers/devnet.ts';
import {
  mailCanisterConfig,
  removeGatewayDir,
  startTestGateway,
  type TestGateway,
} from './helpers/gateway.ts';
import { useDnsStack } from './helpers/use-dns-stack.ts';

const SHOTS = process.env.WAXSEAL_SCREENSHOTS;
const MAIL_MS = 40_000;
const stack = useDnsStack();
let dn: TestDevnet;
let gw: TestGateway;
let out: string;
let web: WebServer;
let browser: Browser;

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), 'waxseal-web-'));
  [dn] = await Promise.all([startDevnet(mailCanisterConfig(stack().dohUrl)), buildFrontend(out)]);
  gw = await startTestGateway(dn.url, dn.devnet.canisterId.toText(), { dohUrls: [stack().dohUrl] });
  const env = { host: dn.url, canisterId: dn.devnet.canisterId.toText(), rootKey: toHex(dn.devnet.rootKey) };
  web = await serveWeb(out, env, 0);
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await web?.close();
  await gw?.stop();
  if (gw) removeGatewayDir(gw);
  await dn?.close();
  rmSync(out, { recursive: true, force: true });
});

/** A fresh browser profile with a virtual passkey authenticator, on the app. */
async function passkeyPage(width = 1280) {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  const p = await pageWithPasskeys(context);
  await p.page.goto(`${web.url}/`);
  return p;
}

/** A fresh browser profile in which WebAuthn does not exist, as in some embedded browsers. */
async function noWebAuthnContext(init?: () => void): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 360, height: 800 } });
  await context.addInitScript(() => {
    // biome-ignore lint/suspicious/noExplicitAny: removing a DOM global the page feature-detects
    delete (window as any).PublicKeyCredential;
  });
  if (init) await context.addInitScript(init);
  return context;
}

/** Creates an identity with the page's kind of key and signs in to it; returns its number and the card. */
async function createAndSignIn(page: Page, button = 'Create with a passkey') {
  await page.getByRole('button', { name: button, exact: true }).click();
  const anchor = (await page.getByTestId('anchor').textContent({ timeout: 30_000 }))!.trim();
  await page.getByRole('button', { name: `Sign in as identity ${anchor}` }).click();
  const card = page.getByRole('region', { name: `Identity ${anchor}` });
  await card.getByText(/can sign in\.$/).waitFor({ timeout: 30_000 });
  return { anchor, card };
}

/** `whoami()` through the session, as the page shows it. */
async function principalOf(card: Locator): Promise<string> {
  const text = (await card.getByTestId('principal').textContent())!.trim();
  expect(text).toMatch(/^[a-z0-9]{5}(-[a-z0-9]{5})+-[a-z0-9]{1,5}$/);
  return text;
}

/** The full principals on the authenticator list, in its order. */
async function listed(card: Locator): Promise<string[]> {
  const codes = card.getByRole('region', { name: 'Passkeys and devices' }).locator('li code');
  return Promise.all((await codes.all()).map(async (c) => (await c.getAttribute('title'))!));
}

function auditKinds(card: Locator): Promise<string[]> {
  return card.getByTestId('audit-kind').allTextContents();
}

/** The list item of one authenticator, by its full principal. */
function itemOf(card: Locator, principal: string): Locator {
  return card.getByRole('listitem').filter({ has: card.page().locator(`code[title="${principal}"]`) });
}

/** Reads the mail to send from the page and sends it through the gateway with `waxseal send-test-mail`. */
async function sendShownMail(page: Page, from: string): Promise<void> {
  const mailbox = (await page.getByTestId('mailbox').textContent({ timeout: 20_000 }))!;
  const nonce = (await page.getByTestId('nonce').textContent())!;
  const sent = await waxseal(
    ...['send-test-mail', '--from', from, '--to', mailbox, '--subject', nonce, '--server', gw.smtp],
  );
  expect(sent.code, sent.stderr).toBe(0);
}

/** Fills the setup wizard the card opened with `address`, sends the mail, waits until the card shows it. */
async function verifyAddress(page: Page, card: Locator, address: string): Promise<void> {
  await page.getByLabel('Your email address').fill(address);
  await page.getByRole('button', { name: 'Continue' }).click();
  await sendShownMail(page, address);
  await card.getByText(`Recovery email: ${address}`).waitFor({ timeout: MAIL_MS });
}

async function activeName(page: Page): Promise<string | null> {
  return page.evaluate(
    () => document.activeElement?.getAttribute('aria-label') ?? document.activeElement?.textContent ?? null,
  );
}

describe('manage an identity in Chromium', () => {
  it('acts as the management principal, adds and removes a passkey, and guards the last one', async () => {
    const { page, cdp, authenticatorId } = await passkeyPage();
    const { anchor, card } = await createAndSignIn(page);
    const [first] = await listed(card);
    const principal = await principalOf(card);
    // The session is the identity's own principal, not the passkey's.
    expect(principal).not.toBe(first);
    expect(await itemOf(card, first!).getByText('this device').count()).toBe(1);

    await card.getByRole('button', { name: 'Add a passkey', exact: true }).click();
    await card.getByText('2 passkeys or devices can sign in.').waitFor({ timeout: 30_000 });
    expect((await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials).toHaveLength(2);
    const second = (await listed(card)).find((p) => p !== first)!;
    expect(await card.getByRole('status').textContent()).toBe('Passkey added: it can now sign in.');
    const storedPasskeys = async () =>
      (JSON.parse((await page.evaluate(() => localStorage.getItem('waxseal.passkeys')))!) as unknown[])
        .length;
    expect(await storedPasskeys()).toBe(2);

    // Remove the passkey this session signed in with: the session goes on, as the management principal.
    await itemOf(card, first!)
      .getByRole('button', { name: /^Remove / })
      .click();
    const dialog = page.getByRole('dialog', { name: 'Remove this passkey or device?' });
    await dialog.waitFor();
    expect(await activeName(page)).toBe('Cancel');
    await dialog.getByRole('button', { name: 'Yes, remove it' }).click();
    await card.getByText('1 passkey or device can sign in.').waitFor({ timeout: 30_000 });
    expect(await listed(card)).toEqual([second]);
    expect(await activeName(page)).toBe('Passkeys and devices');
    // This browser forgets the removed passkey; the other one still signs in (below).
    expect(await storedPasskeys()).toBe(1);

    // The last one: the warning names the consequence; Cancel (and Escape) change nothing.
    const before = { list: await listed(card), log: await auditKinds(card) };
    const status = await card.getByRole('status').textContent();
    expect(status).toMatch(/^Removed: .+ can no longer sign in\.$/);
    const removeLast = itemOf(card, second).getByRole('button', { name: /^Remove / });
    await removeLast.click();
    const last = page.getByRole('dialog', { name: 'Remove your only way to sign in?' });
    await last.waitFor();
    expect(await last.textContent()).toContain('has no recovery email');
    expect(await last.textContent()).toContain('it is lost for good');
    const consequence = last.getByRole('button', { name: `Remove it and lose identity ${anchor} for good` });
    expect(await consequence.count()).toBe(1);
    if (SHOTS) await page.screenshot({ path: join(SHOTS, 'manage-last-authenticator.png') });
    await last.getByRole('button', { name: 'Cancel' }).click();
    await last.waitFor({ state: 'detached' });
    expect(await activeName(page)).toBe(await removeLast.getAttribute('aria-label'));
    await removeLast.click();
    await page.keyboard.press('Escape');
    await last.waitFor({ state: 'detached' });
    expect(await card.getByRole('status').textContent()).toBe(status);
    expect({ list: await listed(card), log: await auditKinds(card) }).toEqual(before);

    // Confirmed anyway: the canister keeps the last one, and the page says so and offers a retry.
    await removeLast.click();
    await consequence.click();
    const alert = card.getByRole('alert');
    await alert.waitFor({ timeout: 30_000 });
    expect(await alert.textContent()).toContain('Waxseal keeps the last passkey or device');
    expect(await alert.getByRole('button', { name: 'Try again' }).count()).toBe(1);
    expect({ list: await listed(card), log: await auditKinds(card) }).toEqual(before);

    // Read fresh from the canister after signing in again with the other passkey: nothing changed, and the
    // session is the same principal as with the first passkey.
    await card.getByRole('button', { name: 'Sign out' }).click();
    await page.reload();
    await page.getByRole('button', { name: `Sign in as identity ${anchor}` }).click();
    await card.getByText('1 passkey or device can sign in.').waitFor({ timeout: 30_000 });
    expect(await principalOf(card)).toBe(principal);
    expect(await listed(card)).toEqual([second]);
    expect(await auditKinds(card)).toEqual([
      'Passkey or device removed',
      'Passkey or device added',
      'Identity created',
    ]);
    // The identity was created by the first passkey, which is gone now.
    const short = (p: string) => `${p.split('-').slice(0, 2).join('-')}…${p.split('-').at(-1)}`;
    expect(await card.locator('.audit-meta').allTextContents()).toEqual([
      expect.stringMatching(/, by you$/),
      expect.stringMatching(/, by you$/),
      expect.stringMatching(new RegExp(`, by ${short(first!)}, a passkey or device removed since$`)),
    ]);
    await page.context().close();
  });

  it('adds, replaces and removes the recovery email; the log lists it newest first in words', async () => {
    const started = Date.now();
    const { page } = await passkeyPage();
    const { card } = await createAndSignIn(page);
    expect(await card.textContent()).toContain('No recovery email yet.');

    await card.getByRole('button', { name: 'Add recovery email' }).click();
    await verifyAddress(page, card, 'alice@ed25519.wxtest');
    const today = await page.evaluate(() =>
      new Intl.DateTimeFormat(undefined, { dateStyle: 'long' }).format(),
    );
    expect(await card.getByText(`Added on ${today}.`).count()).toBe(1);
    expect(await card.textContent()).toContain('Never used to sign in yet.');

    await card.getByRole('button', { name: 'Replace recovery email' }).click();
    expect(await card.textContent()).toContain(
      'alice@ed25519.wxtest keeps working until the email from the new',
    );
    await verifyAddress(page, card, 'bob@ed25519.wxtest');
    expect(await card.textContent()).not.toContain('alice@ed25519.wxtest');

    // Cancel first: still bob. Then remove.
    await card.getByRole('button', { name: 'Remove recovery email' }).click();
    const dialog = page.getByRole('dialog', { name: 'Remove your recovery email?' });
    expect(await dialog.textContent()).toContain('bob@ed25519.wxtest will no longer get you back');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect(await activeName(page)).toBe('Remove recovery email');
    expect(await card.getByText('Recovery email: bob@ed25519.wxtest').count()).toBe(1);
    await card.getByRole('button', { name: 'Remove recovery email' }).click();
    await dialog.getByRole('button', { name: 'Yes, remove it' }).click();
    await card.getByText('No recovery email yet.').waitFor({ timeout: 30_000 });
    expect(await card.getByRole('status').textContent()).toBe('Recovery email removed.');

    expect(await auditKinds(card)).toEqual([
      'Recovery email removed',
      'Recovery email added',
      'Recovery email added',
      'Identity created',
    ]);
    const meta = await card.locator('.audit-meta').allTextContents();
    expect(meta[0]).toMatch(/, by you$/);
    expect(meta[1]).toMatch(/, by the mail service, after your email$/);
    expect(meta[2]).toMatch(/, by the mail service, after your email$/);
    const times = await card
      .locator('.audit time')
      .evaluateAll((ts) => ts.map((t) => Date.parse(t.getAttribute('datetime')!)));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    for (const t of times) expect(t).toBeGreaterThanOrEqual(started - 1000);
    if (SHOTS) await page.screenshot({ path: join(SHOTS, 'manage-desktop.png'), fullPage: true });
    await page.context().close();
  });

  it('is the same management principal after a passkey sign-in and after an email recovery', async () => {
    const address = 'carol@ed25519.wxtest';
    const { page: first } = await passkeyPage();
    const { anchor, card } = await createAndSignIn(first);
    const principal = await principalOf(card);
    await card.getByRole('button', { name: 'Add recovery email' }).click();
    await verifyAddress(first, card, address);
    await first.context().close();

    const { page } = await passkeyPage();
    await page.getByLabel('Your recovery email address').fill(address);
    await page.getByRole('button', { name: 'Continue' }).click();
    await sendShownMail(page, address);
    const recovered = page.getByRole('region', { name: `Identity ${anchor}` });
    await recovered.getByText('1 passkey or device can sign in.').waitFor({ timeout: MAIL_MS });
    expect(await principalOf(recovered)).toBe(principal);
    expect(await recovered.textContent()).toMatch(/Last used to sign in on /);
    expect((await auditKinds(recovered))[0]).toBe('Signed in with recovery email');

    // Then a passkey on this device, and a sign-in with it: the same principal a third way.
    await recovered.getByRole('button', { name: 'Add a passkey on this device' }).click();
    await recovered.getByText('2 passkeys or devices can sign in.').waitFor({ timeout: 30_000 });
    await recovered.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: `Sign in as identity ${anchor}` }).click();
    await recovered.getByText('2 passkeys or devices can sign in.').waitFor({ timeout: 30_000 });
    expect(await principalOf(recovered)).toBe(principal);
    await page.context().close();
  });

  it('without WebAuthn, keeps a non-extractable key in this browser that signs in again (360 px)', async () => {
    const context = await noWebAuthnContext();
    const page = await context.newPage();
    await page.goto(`${web.url}/`);
    expect(await page.getByRole('button', { name: 'Create with a passkey' }).count()).toBe(0);
    expect(await page.getByTestId('browser-key-warning').textContent()).toContain(
      "Clearing this site's data (cookies and site data) deletes it for good",
    );
    const { anchor, card } = await createAndSignIn(page, 'Create with a key in this browser');
    const [key] = await listed(card);
    const principal = await principalOf(card);
    expect(principal).not.toBe(key);
    const item = itemOf(card, key!);
    expect(await item.getByText('this device').count()).toBe(1);
    expect(
      await item.getByText("Key kept in this browser: clearing this site's data deletes it.").count(),
    ).toBe(1);
    expect(await card.getByRole('button', { name: 'Add a key in this browser' }).count()).toBe(1);
    expect(await card.getByRole('button', { name: 'Add a passkey' }).count()).toBe(0);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    if (SHOTS) await page.screenshot({ path: join(SHOTS, 'manage-device-key-360.png'), fullPage: true });

    // IndexedDB holds the key pair itself, its private half not extractable.
    const stored = await page.evaluate(
      () =>
        new Promise<{ anchor: string; principal: string; extractable: boolean }[]>((resolve, reject) => {
          const open = indexedDB.open('waxseal');
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const all = open.result.transaction('device-keys').objectStore('device-keys').getAll();
            all.onsuccess = () =>
              resolve(
                all.result.map((r) => ({
                  anchor: r.anchor,
                  principal: r.principal,
                  extractable: r.keyPair.privateKey.extractable,
                })),
              );
          };
        }),
    );
    expect(stored).toEqual([{ anchor, principal: key, extractable: false }]);

    // Signed out and the page reloaded: the key is still here and signs in as the same principal.
    await card.getByRole('button', { name: 'Sign out' }).click();
    await page.reload();
    const again = page.getByRole('button', { name: `Sign in as identity ${anchor}` });
    expect(await again.getAttribute('aria-describedby')).toBeTruthy();
    expect(await page.getByText('with the key kept in this browser').count()).toBe(1);
    await again.click();
    await card.getByText('1 passkey or device can sign in.').waitFor({ timeout: 30_000 });
    expect(await principalOf(card)).toBe(principal);
    await context.close();
  });

  it('reads unreadable storage as nothing stored, and refuses to make a key it could not keep', async () => {
    const metrics = async () => {
      const r = await (await dn.actor()).http_request({
        method: 'GET',
        url: '/metrics',
        headers: [],
        body: new Uint8Array(),
        certificate_version: [],
      });
      return /^waxseal_identities (\d+)$/m.exec(new TextDecoder().decode(r.body))![1];
    };
    const context = await noWebAuthnContext(() => {
      localStorage.setItem('waxseal.passkeys', '{not json');
      Object.defineProperty(window, 'indexedDB', { value: undefined });
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${web.url}/`);
    const create = page.getByRole('button', { name: 'Create with a key in this browser' });
    await create.waitFor({ timeout: 20_000 });
    expect(await page.getByRole('heading', { name: 'Sign in' }).count()).toBe(0);
    const identities = await metrics();
    await create.click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toBe(
      'This browser cannot keep a key for Waxseal: its storage for websites is switched off or unavailable.',
    );
    expect(await page.getByRole('button', { name: 'Try again' }).count()).toBe(1);
    expect(await metrics()).toBe(identities);
    expect(errors).toEqual([]);
    await context.close();
  });
});

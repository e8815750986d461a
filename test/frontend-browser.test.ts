/**
 * The web app in a real browser (Debian Chromium via playwright-core) against the compiled canister behind the
 * devnet endpoint: the page reads env.json, connects with an unmodified HttpAgent and shows what it is connected
 * to; an endpoint that does not answer gives a plain message and a retry, on a phone-sized screen too.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFrontend } from '../scripts/frontend-build.ts';
import { serveWeb, type WebServer } from '../scripts/local-stack/web.ts';
import { toHex } from '../src/encoding/bytes.ts';
import { launchChromium, pageWithPasskeys, UI_TIMEOUT_MS } from './helpers/browser.ts';
import { startDevnet, type TestDevnet } from './helpers/devnet.ts';
import { freePort } from './helpers/dns-servers.ts';
import { MAIL_HOST } from './helpers/gateway.ts';

const SHOTS = process.env.WAXSEAL_SCREENSHOTS;
let dn: TestDevnet;
let out: string;
let web: WebServer;
let dead: WebServer;
let browser: Browser;

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), 'waxseal-web-'));
  [dn] = await Promise.all([startDevnet({ mail_hosts: [MAIL_HOST] }), buildFrontend(out)]);
  const env = { host: dn.url, canisterId: dn.devnet.canisterId.toText(), rootKey: toHex(dn.devnet.rootKey) };
  web = await serveWeb(out, env, 0);
  dead = await serveWeb(out, { ...env, host: `http://127.0.0.1:${await freePort()}` }, 0);
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await web?.close();
  await dead?.close();
  await dn?.close();
  rmSync(out, { recursive: true, force: true });
});

describe('web app shell in Chromium', () => {
  it('connects through env.json and shows the canister and its mail host', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${web.url}/`);
    const status = page.locator('section[aria-live="polite"]');
    await status.getByText('Connected to canister').waitFor({ timeout: 20_000 });
    expect(await status.textContent()).toContain(dn.devnet.canisterId.toText());
    expect(await status.textContent()).toContain(MAIL_HOST);
    expect(await page.title()).toBe('Waxseal');
    if (SHOTS) await page.screenshot({ path: join(SHOTS, 'shell-desktop.png'), fullPage: true });
    await page.close();
  });

  it('creates an identity with a passkey (CDP virtual authenticator) and shows its number to write down', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const { page, cdp, authenticatorId } = await pageWithPasskeys(context);
    await page.goto(`${web.url}/`);
    await page.getByRole('button', { name: 'Create with a passkey' }).click();
    const anchor = page.getByTestId('anchor');
    await anchor.waitFor({ timeout: UI_TIMEOUT_MS });
    const number = BigInt((await anchor.textContent())!.trim());
    expect(number).toBeGreaterThanOrEqual(10_000n);
    expect(await page.getByText('Write this number down.').count()).toBe(1);
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(credentials).toHaveLength(1);
    // The canister counts it (its /metrics), and this browser remembers which passkey belongs to it.
    const metrics = await (await dn.actor()).http_request({
      method: 'GET',
      url: '/metrics',
      headers: [],
      body: new Uint8Array(),
      certificate_version: [],
    });
    expect(new TextDecoder().decode(metrics.body)).toMatch(/^waxseal_identities 1$/m);
    const stored = await page.evaluate(() => localStorage.getItem('waxseal.passkeys'));
    expect(JSON.parse(stored!)[0].anchor).toBe(number.toString());
    if (SHOTS) await page.screenshot({ path: join(SHOTS, 'create-done-desktop.png'), fullPage: true });

    // On return (a reload), the same passkey signs one delegation, and the identity's details load with it.
    await page.reload();
    await page.getByRole('button', { name: `Sign in as identity ${number}` }).click();
    const manage = page.getByRole('region', { name: `Identity ${number}` });
    await manage.getByText('1 passkey or device can sign in.').waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await manage.textContent()).toContain('No recovery email yet.');
    if (SHOTS) await page.screenshot({ path: join(SHOTS, 'manage-desktop.png'), fullPage: true });
    await manage.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: `Sign in as identity ${number}` }).waitFor();
    expect(await page.getByRole('region', { name: `Identity ${number}` }).count()).toBe(0);
    await context.close();
  });

  it('says plainly when the endpoint does not answer, and offers a retry a keyboard reaches (360 px)', async () => {
    const page = await browser.newPage({ viewport: { width: 360, height: 740 } });
    await page.goto(`${dead.url}/`);
    const alert = page.getByRole('alert');
    await alert.waitFor({ timeout: 20_000 });
    expect(await alert.textContent()).toMatch(
      /^Cannot reach Waxseal: http:\/\/127\.0\.0\.1:\d+ did not answer\. Check your connection, then try again\.$/,
    );
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Try again');
    if (SHOTS) await page.screenshot({ path: join(SHOTS, 'shell-error-360.png'), fullPage: true });
    await page.close();
  });
});

/**
 * Adding a recovery email in a real browser (Debian Chromium via playwright-core) against the real stack: named
 * and dnsdist with the signed test zones, the compiled canister behind the devnet endpoint, the SMTP gateway, and
 * the mail sent with `waxseal send-test-mail` (dkimpy-signed). The page shows the mail to send, polls, and ends
 * with the address on the identity's card.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFrontend } from '../scripts/frontend-build.ts';
import { serveWeb, type WebServer } from '../scripts/local-stack/web.ts';
import { toHex } from '../src/encoding/bytes.ts';
import { launchChromium, pageWithPasskeys } from './helpers/browser.ts';
import { waxseal } from './helpers/cli.ts';
import { startDevnet, type TestDevnet } from './helpers/devnet.ts';
import {
  MAIL_HOST,
  mailCanisterConfig,
  removeGatewayDir,
  startTestGateway,
  type TestGateway,
} from './helpers/gateway.ts';
import { useDnsStack } from './helpers/use-dns-stack.ts';

const SHOTS = process.env.WAXSEAL_SCREENSHOTS;
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

/** A fresh browser profile (no keys, nothing stored) with a virtual passkey authenticator. */
async function freshPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const { page } = await pageWithPasskeys(context);
  await page.goto(`${web.url}/`);
  return page;
}

/** Reads the mail to send from the page and sends it through the gateway with `waxseal send-test-mail`. */
async function sendShownMail(page: Page, from: string): Promise<{ mailbox: string; nonce: string }> {
  const mailbox = (await page.getByTestId('mailbox').textContent({ timeout: 20_000 }))!;
  const nonce = (await page.getByTestId('nonce').textContent())!;
  const sent = await waxseal(
    ...['send-test-mail', '--from', from, '--to', mailbox, '--subject', nonce, '--server', gw.smtp],
  );
  expect(sent.code, sent.stderr).toBe(0);
  return { mailbox, nonce };
}

/** A page with a virtual passkey authenticator, signed in to a new identity. */
async function signedIn(): Promise<{ page: Page; anchor: string }> {
  const page = await freshPage();
  await page.getByRole('button', { name: 'Create with a passkey' }).click();
  const anchor = (await page.getByTestId('anchor').textContent({ timeout: 30_000 }))!.trim();
  await page.getByRole('button', { name: `Sign in as identity ${anchor}` }).click();
  await page.getByRole('button', { name: 'Add recovery email' }).waitFor({ timeout: 30_000 });
  return { page, anchor };
}

describe('add a recovery email in Chromium', () => {
  it('explains a Unicode domain and offers its A-label form, before anything is sent', async () => {
    const { page } = await signedIn();
    await page.getByRole('button', { name: 'Add recovery email' }).click();
    await page.getByLabel('Your email address').fill('hans@münchen.de');
    await page.getByRole('button', { name: 'Continue' }).click();
    const alert = page.getByRole('alert');
    expect(await alert.textContent()).toContain('xn--mnchen-3ya.de');
    await page.getByRole('button', { name: 'Use hans@xn--mnchen-3ya.de' }).click();
    expect(await page.getByLabel('Your email address').inputValue()).toBe('hans@xn--mnchen-3ya.de');
    await page.context().close();
  });

  it('shows the mail to send, and once the gateway relays it the card shows the address', async () => {
    const { page, anchor } = await signedIn();
    const address = 'alice@ed25519.wxtest';
    await page.getByRole('button', { name: 'Add recovery email' }).click();
    await page.getByLabel('Your email address').fill(address);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByTestId('nonce').waitFor({ timeout: 20_000 });
    expect(await page.getByTestId('time-left').textContent()).toMatch(/^(29|30):\d\d$/);
    if (SHOTS) await page.screenshot({ path: join(SHOTS, 'setup-send-desktop.png'), fullPage: true });
    const { mailbox, nonce } = await sendShownMail(page, address);
    expect(mailbox).toBe(`register@${MAIL_HOST}`);
    expect(nonce).toMatch(/^WX-[a-z2-7]{20}$/);
    expect(await page.getByRole('link', { name: /Open your mail app/ }).getAttribute('href')).toBe(
      `mailto:${mailbox}?subject=${nonce}`,
    );
    const card = page.getByRole('region', { name: `Identity ${anchor}` });
    await card.getByText(`Recovery email: ${address}`).waitFor({ timeout: 30_000 });
    expect(await page.getByRole('button', { name: 'Add recovery email' }).count()).toBe(0);
    if (SHOTS) await page.screenshot({ path: join(SHOTS, 'setup-done-desktop.png'), fullPage: true });
    await page.context().close();
  });

  it('recovers from a fresh browser by email: the same identity, then a new passkey that signs in again', async () => {
    const address = 'carol@ed25519.wxtest';
    const { page: first, anchor } = await signedIn();
    await first.getByRole('button', { name: 'Add recovery email' }).click();
    await first.getByLabel('Your email address').fill(address);
    await first.getByRole('button', { name: 'Continue' }).click();
    await sendShownMail(first, address);
    await first.getByText(`Recovery email: ${address}`).waitFor({ timeout: 30_000 });
    await first.context().close();

    const page = await freshPage();
    expect(await page.getByRole('button', { name: /Sign in as identity/ }).count()).toBe(0);
    await page.getByLabel('Your recovery email address').fill(address);
    await page.getByRole('button', { name: 'Continue' }).click();
    const { mailbox } = await sendShownMail(page, address);
    expect(mailbox).toBe(`recover@${MAIL_HOST}`);
    const card = page.getByRole('region', { name: `Identity ${anchor}` });
    await card.getByText('1 passkey or device can sign in.').waitFor({ timeout: 30_000 });
    if (SHOTS) await page.screenshot({ path: join(SHOTS, 'recovered-desktop.png'), fullPage: true });
    await card.getByRole('button', { name: 'Add a passkey on this device' }).click();
    await card.getByText('2 passkeys or devices can sign in.').waitFor({ timeout: 30_000 });
    await card.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: `Sign in as identity ${anchor}` }).click();
    await page
      .getByRole('region', { name: `Identity ${anchor}` })
      .getByText(`Recovery email: ${address}`)
      .waitFor({
        timeout: 30_000,
      });
    await page.context().close();
  });
});

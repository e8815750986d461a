/**
 * Adding a recovery email in a real browser (Debian Chromium via playwright-core) against the real stack
 * (test/helpers/web-stack.ts): named and dnsdist with the signed test zones, the compiled canister behind the
 * devnet endpoint, the SMTP gateway, and the mail sent with `waxseal send-test-mail` (dkimpy-signed). The page
 * shows the mail to send, polls, and ends with the address on the identity's card; then recovery by email from a
 * fresh browser.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { UI_TIMEOUT_MS } from './helpers/browser.ts';
import { MAIL_HOST } from './helpers/gateway.ts';
import { focusedName, useWebStack } from './helpers/web-stack.ts';

const web = useWebStack();

/** A fresh page, signed in to a new identity, with the setup form open. */
async function setupForm(): Promise<{ page: Page; anchor: string }> {
  const page = await web().freshPage();
  const anchor = await web().signedIn(page);
  await page.getByRole('button', { name: 'Add recovery email' }).click();
  return { page, anchor };
}

/** Types `address` into the form labelled `label` and continues to the mail to send. */
async function prepare(page: Page, label: string, address: string): Promise<void> {
  await page.getByLabel(label).fill(address);
  await page.getByRole('button', { name: 'Continue', exact: true }).click();
  await page.getByTestId('nonce').waitFor({ timeout: UI_TIMEOUT_MS });
}

describe('add a recovery email in Chromium', () => {
  it('explains a Unicode domain and offers its A-label form, before anything is sent', async () => {
    const { page } = await setupForm();
    await page.getByLabel('Your email address').fill('hans@münchen.de');
    await page.getByRole('button', { name: 'Continue' }).click();
    const alert = page.getByRole('alert');
    expect(await alert.textContent()).toContain('xn--mnchen-3ya.de');
    await page.getByRole('button', { name: 'Use hans@xn--mnchen-3ya.de' }).click();
    expect(await page.getByLabel('Your email address').inputValue()).toBe('hans@xn--mnchen-3ya.de');
    await page.context().close();
  });

  it('shows the mail to send, and once the gateway relays it the card shows the address and says so', async () => {
    const { page, anchor } = await setupForm();
    const address = 'alice@ed25519.wxtest';
    await prepare(page, 'Your email address', address);
    // The Continue that was pressed is gone: the step's heading has the keyboard.
    expect(await focusedName(page)).toBe('Waiting for your email');
    expect(await page.getByTestId('time-left').textContent()).toMatch(/^(29|30):\d\d$/);
    const { mailbox, nonce } = await web().sendShownMail(page, address);
    expect(mailbox).toBe(`register@${MAIL_HOST}`);
    expect(nonce).toMatch(/^WX-[a-z2-7]{20}$/);
    expect(await page.getByRole('link', { name: /Open your mail app/ }).getAttribute('href')).toBe(
      `mailto:${mailbox}?subject=${nonce}`,
    );
    const card = page.getByRole('region', { name: `Identity ${anchor}` });
    await card.getByText(`Recovery email: ${address}`).waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await page.getByRole('button', { name: 'Add recovery email' }).count()).toBe(0);
    // The mail step that announced its progress is gone; the section's status line says it, and its heading
    // has the keyboard.
    const section = card.getByRole('region', { name: 'Recovery email' });
    expect(await section.getByRole('status').textContent()).toBe('Recovery email added.');
    expect(await focusedName(page)).toBe('Recovery email');
    await page.context().close();
  });

  it('recovers from a fresh browser by email: the same identity, then a new passkey that signs in again', async () => {
    const address = 'carol@ed25519.wxtest';
    const { page: first, anchor } = await setupForm();
    await prepare(first, 'Your email address', address);
    await web().sendShownMail(first, address);
    await first.getByText(`Recovery email: ${address}`).waitFor({ timeout: UI_TIMEOUT_MS });
    await first.context().close();

    const page = await web().freshPage();
    expect(await page.getByRole('button', { name: /Sign in as identity/ }).count()).toBe(0);
    await prepare(page, 'Your recovery email address', address);
    const { mailbox } = await web().sendShownMail(page, address);
    expect(mailbox).toBe(`recover@${MAIL_HOST}`);
    const card = page.getByRole('region', { name: `Identity ${anchor}` });
    await card.getByText('1 passkey or device can sign in.').waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await focusedName(page)).toBe(`Identity ${anchor}`);
    await card.getByRole('button', { name: 'Add a passkey on this device' }).click();
    await card.getByText('2 passkeys or devices can sign in.').waitFor({ timeout: UI_TIMEOUT_MS });
    // The notice and its button are gone: the keyboard is on the list's heading.
    expect(await focusedName(page)).toBe('Passkeys and devices');
    await card.getByRole('button', { name: 'Sign out' }).click();
    expect(await focusedName(page)).toBe('Waxseal');
    await page.getByRole('button', { name: `Sign in as identity ${anchor}` }).click();
    await card.getByText(`Recovery email: ${address}`).waitFor({ timeout: UI_TIMEOUT_MS });
    await page.context().close();
  });
});

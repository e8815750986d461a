/**
 * Managing an identity in a real browser (issue 11, deliverables 2 and 3; protocol.md §1–§3): Debian Chromium
 * via playwright-core against the real stack (test/helpers/web-stack.ts: named and dnsdist with the signed test
 * zones, the compiled canister behind the devnet endpoint, the SMTP gateway, mail sent with
 * `waxseal send-test-mail`).
 *
 * Sessions act as the identity's management principal whatever got the person in (a passkey, a key kept in
 * the browser, an email recovery); passkeys and devices are added and removed behind confirmations, the last
 * one behind a warning that names the consequence; with a recovery email set, the last one goes, the page says
 * that only the email gets the person in, and the email then stays (`LastWayIn`) until a passkey is added; the
 * recovery email is added, replaced and removed; the audit log reads newest first in words; a browser without
 * WebAuthn gets a key kept in IndexedDB; unreadable storage never breaks the page.
 */
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { REFUSAL_TEXT } from '../frontend/src/logic/refusal-text.ts';
import { UI_TIMEOUT_MS } from './helpers/browser.ts';
import { focusedName, useWebStack, VIEWPORTS } from './helpers/web-stack.ts';

const MAIL_MS = 40_000;
const web = useWebStack();

/** A fresh page (a passkey authenticator, or no WebAuthn at all), signed in to a new identity: its number and card. */
async function signedInCard(page: Page): Promise<{ anchor: string; card: Locator }> {
  const anchor = await web().signedIn(page);
  return { anchor, card: page.getByRole('region', { name: `Identity ${anchor}` }) };
}

/** `whoami()` through the session, as the page shows it. */
async function principalOf(card: Locator): Promise<string> {
  const text = (await card.getByTestId('principal').textContent())!.trim();
  expect(text).toMatch(/^[a-z0-9]{5}(-[a-z0-9]{5})+-[a-z0-9]{1,5}$/);
  return text;
}

const passkeysSection = (card: Locator) => card.getByRole('region', { name: 'Passkeys and devices' });
const recoverySection = (card: Locator) => card.getByRole('region', { name: 'Recovery email' });

/** The full principals on the authenticator list, in its order. */
async function listed(card: Locator): Promise<string[]> {
  const codes = passkeysSection(card).locator('li code');
  return Promise.all((await codes.all()).map(async (c) => (await c.getAttribute('title'))!));
}

function auditKinds(card: Locator): Promise<string[]> {
  return card.getByTestId('audit-kind').allTextContents();
}

/** The list item of one authenticator, by its full principal. */
function itemOf(card: Locator, principal: string): Locator {
  return card.getByRole('listitem').filter({ has: card.page().locator(`code[title="${principal}"]`) });
}

/** Fills the setup wizard the card opened with `address`, sends the mail, waits until the card shows it. */
async function verifyAddress(page: Page, card: Locator, address: string): Promise<void> {
  await page.getByLabel('Your email address').fill(address);
  await page.getByRole('button', { name: 'Continue' }).click();
  await web().sendShownMail(page, address);
  await card.getByText(`Recovery email: ${address}`).waitFor({ timeout: MAIL_MS });
}

describe('manage an identity in Chromium', () => {
  it('acts as the management principal, adds and removes a passkey, and guards the last one', async () => {
    const page = await web().freshPage();
    const { anchor, card } = await signedInCard(page);
    const [first] = await listed(card);
    const principal = await principalOf(card);
    // The session is the identity's own principal, not the passkey's.
    expect(principal).not.toBe(first);
    expect(await itemOf(card, first!).getByText('this device').count()).toBe(1);

    await card.getByRole('button', { name: 'Add a passkey', exact: true }).click();
    await card.getByText('2 passkeys or devices can sign in.').waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await web().passkeysOn(page)).toBe(2);
    const second = (await listed(card)).find((p) => p !== first)!;
    const status = passkeysSection(card).getByRole('status');
    expect(await status.textContent()).toBe('Passkey added: it can now sign in.');
    // The button waited while the passkey was made, and kept the keyboard.
    expect(await focusedName(page)).toBe('Add a passkey');
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
    expect(await focusedName(page)).toBe('Cancel');
    await dialog.getByRole('button', { name: 'Yes, remove it' }).click();
    await card.getByText('1 passkey or device can sign in.').waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await listed(card)).toEqual([second]);
    expect(await focusedName(page)).toBe('Passkeys and devices');
    // This browser forgets the removed passkey; the other one still signs in (below).
    expect(await storedPasskeys()).toBe(1);

    // The last one: the warning names the consequence; Cancel (and Escape) change nothing.
    const before = { list: await listed(card), log: await auditKinds(card) };
    const said = await status.textContent();
    expect(said).toMatch(/^Removed: .+ can no longer sign in\.$/);
    const removeLast = itemOf(card, second).getByRole('button', { name: /^Remove / });
    await removeLast.click();
    const last = page.getByRole('dialog', { name: 'Remove your only way to sign in?' });
    await last.waitFor();
    expect(await last.textContent()).toContain('has no recovery email');
    expect(await last.textContent()).toContain('it is lost for good');
    const consequence = last.getByRole('button', { name: `Remove it and lose identity ${anchor} for good` });
    expect(await consequence.count()).toBe(1);
    await last.getByRole('button', { name: 'Cancel' }).click();
    await last.waitFor({ state: 'detached' });
    expect(await focusedName(page)).toBe(await removeLast.getAttribute('aria-label'));
    await removeLast.click();
    await page.keyboard.press('Escape');
    await last.waitFor({ state: 'detached' });
    expect(await status.textContent()).toBe(said);
    expect({ list: await listed(card), log: await auditKinds(card) }).toEqual(before);

    // Confirmed anyway: the canister keeps the last one, and the page says so and offers a retry.
    await removeLast.click();
    await consequence.click();
    const alert = card.getByRole('alert');
    await alert.waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await alert.textContent()).toContain(REFUSAL_TEXT.LastAuthenticator);
    expect(await alert.getByRole('button', { name: 'Try again' }).count()).toBe(1);
    expect({ list: await listed(card), log: await auditKinds(card) }).toEqual(before);
    expect(await focusedName(page)).toBe(await removeLast.getAttribute('aria-label'));

    // Read fresh from the canister after signing in again with the other passkey: nothing changed, and the
    // session is the same principal as with the first passkey.
    await card.getByRole('button', { name: 'Sign out' }).click();
    await page.reload();
    await page.getByRole('button', { name: `Sign in as identity ${anchor}` }).click();
    await card.getByText('1 passkey or device can sign in.').waitFor({ timeout: UI_TIMEOUT_MS });
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
    const page = await web().freshPage();
    const { card } = await signedInCard(page);
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
    expect(await focusedName(page)).toBe('Remove recovery email');
    expect(await card.getByText('Recovery email: bob@ed25519.wxtest').count()).toBe(1);
    await card.getByRole('button', { name: 'Remove recovery email' }).click();
    await dialog.getByRole('button', { name: 'Yes, remove it' }).click();
    await card.getByText('No recovery email yet.').waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await recoverySection(card).getByRole('status').textContent()).toBe('Recovery email removed.');
    // Replace and Remove are gone with the address: the keyboard is on the section's heading.
    expect(await focusedName(page)).toBe('Recovery email');

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
    await page.context().close();
  });

  it('with a recovery email, removes the only passkey: only the email gets in, and stays until a passkey is added', async () => {
    const address = 'dora@ed25519.wxtest';
    const page = await web().freshPage();
    const { card } = await signedInCard(page);
    await card.getByRole('button', { name: 'Add recovery email' }).click();
    await verifyAddress(page, card, address);
    const [only] = await listed(card);
    await itemOf(card, only!)
      .getByRole('button', { name: /^Remove / })
      .click();
    const last = page.getByRole('dialog', { name: 'Remove your only way to sign in?' });
    expect(await last.textContent()).toContain(
      `Without it, the only way back in is an email from your recovery address, ${address}.`,
    );
    await last.getByRole('button', { name: 'Remove it: only my recovery email will get me in' }).click();

    const keys = passkeysSection(card);
    const notice = keys.getByText('No passkey or device can sign in to this identity.');
    await notice.waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await listed(card)).toEqual([]);
    expect(await keys.getByText(/can sign in\.$/).count()).toBe(0);
    expect(await keys.getByRole('status').textContent()).toMatch(/^Removed: .+ can no longer sign in\.$/);
    expect(await keys.textContent()).toContain(
      `No passkey or device can sign in to this identity. Only an email from your recovery address, ${address}, gets you in now.`,
    );
    expect(await focusedName(page)).toBe('Passkeys and devices');
    expect(await page.evaluate(() => localStorage.getItem('waxseal.passkeys'))).toBe('[]');
    const log = await auditKinds(card);
    expect(log.slice(0, 2)).toEqual(['Passkey or device removed', 'Recovery email added']);

    // The email is now the only way in: the canister keeps it, and the page says why; nothing changes.
    await card.getByRole('button', { name: 'Remove recovery email' }).click();
    await page
      .getByRole('dialog', { name: 'Remove your recovery email?' })
      .getByRole('button', { name: 'Yes, remove it' })
      .click();
    const alert = recoverySection(card).getByRole('alert');
    await alert.waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await alert.textContent()).toContain(REFUSAL_TEXT.LastWayIn);
    expect(await focusedName(page)).toBe('Remove recovery email');
    expect(await card.getByText(`Recovery email: ${address}`).count()).toBe(1);
    expect(await listed(card)).toEqual([]);
    expect(await auditKinds(card)).toEqual(log);

    // A passkey on this device: one way in besides the email again, and the notice is gone.
    await keys.getByRole('button', { name: 'Add a passkey on this device' }).click();
    await keys.getByText('1 passkey or device can sign in.').waitFor({ timeout: UI_TIMEOUT_MS });
    const [added] = await listed(card);
    expect(await itemOf(card, added!).getByText('this device').count()).toBe(1);
    expect(await notice.count()).toBe(0);
    expect(await keys.getByRole('button', { name: 'Add a passkey', exact: true }).count()).toBe(1);
    expect(await focusedName(page)).toBe('Passkeys and devices');
    expect((await auditKinds(card))[0]).toBe('Passkey or device added');
    await page.context().close();
  });

  it('is the same management principal after a passkey sign-in and after an email recovery', async () => {
    const address = 'carol@ed25519.wxtest';
    const first = await web().freshPage();
    const { anchor, card } = await signedInCard(first);
    const principal = await principalOf(card);
    await card.getByRole('button', { name: 'Add recovery email' }).click();
    await verifyAddress(first, card, address);
    await first.context().close();

    const page = await web().freshPage();
    await page.getByLabel('Your recovery email address').fill(address);
    await page.getByRole('button', { name: 'Continue' }).click();
    await web().sendShownMail(page, address);
    const recovered = page.getByRole('region', { name: `Identity ${anchor}` });
    await recovered.getByText('1 passkey or device can sign in.').waitFor({ timeout: MAIL_MS });
    expect(await principalOf(recovered)).toBe(principal);
    expect(await recovered.textContent()).toMatch(/Last used to sign in on /);
    expect((await auditKinds(recovered))[0]).toBe('Signed in with recovery email');

    // Then a passkey on this device, and a sign-in with it: the same principal a third way.
    await recovered.getByRole('button', { name: 'Add a passkey on this device' }).click();
    await recovered.getByText('2 passkeys or devices can sign in.').waitFor({ timeout: UI_TIMEOUT_MS });
    await recovered.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: `Sign in as identity ${anchor}` }).click();
    await recovered.getByText('2 passkeys or devices can sign in.').waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await principalOf(recovered)).toBe(principal);
    await page.context().close();
  });

  it('without WebAuthn, keeps a non-extractable key in this browser that signs in again (360 px)', async () => {
    const page = await web().freshPage(VIEWPORTS.phone, { webAuthn: false });
    expect(await page.getByRole('button', { name: 'Create with a passkey' }).count()).toBe(0);
    expect(await page.getByTestId('browser-key-warning').textContent()).toContain(
      "Clearing this site's data (cookies and site data) deletes it for good",
    );
    const { anchor, card } = await signedInCard(page);
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
    await card.getByText('1 passkey or device can sign in.').waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await principalOf(card)).toBe(principal);
    await page.context().close();
  });

  it('reads unreadable storage as nothing stored, and refuses to make a key it could not keep', async () => {
    const page = await web().freshPage(VIEWPORTS.phone, {
      webAuthn: false,
      init: () => {
        localStorage.setItem('waxseal.passkeys', '{not json');
        Object.defineProperty(window, 'indexedDB', { value: undefined });
      },
    });
    // Load it again, now listening: nothing may be thrown from the first script on.
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.reload();
    const create = page.getByRole('button', { name: 'Create with a key in this browser' });
    await create.waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await page.getByRole('heading', { name: 'Sign in' }).count()).toBe(0);
    const identities = await web().metric('waxseal_identities');
    await create.click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toBe(
      'This browser cannot keep a key for Waxseal: its storage for websites is switched off or unavailable.',
    );
    expect(await page.getByRole('button', { name: 'Try again' }).count()).toBe(1);
    expect(await web().metric('waxseal_identities')).toBe(identities);
    expect(errors).toEqual([]);
    await page.context().close();
  });
});

/**
 * The failure views of the setup and recovery wizards, in a real browser (Debian Chromium via playwright-core)
 * against the real stack (test/helpers/web-stack.ts): named and dnsdist with the signed test zones, the compiled
 * canister behind the devnet endpoint, the SMTP gateway, and mail sent by `waxseal send-test-mail` (dkimpy-signed). Each view has its own
 * title, its own explanation for the canister's code, the six-line checklist (frontend/src/logic/
 * reason-checklist.ts) and "Start again", which goes back to the address form with the address typed before.
 *
 * - AddressMismatch: the mail comes from bob@ when alice@ was entered (protocol.md §6).
 * - SubjectNotSigned: the signature's h= leaves out Subject (`send-test-mail --sign-headers from,to,date`, §5).
 * - An unsupported domain, said before anything is prepared (§7, §8): `island.wxtest` (signed, but no DS in its
 *   parent, so provably unsigned) in setup and `dsmismatch.wxtest` (its parent's DS is for another key, a broken
 *   chain) in recovery; neither is on the DoH allowlist (`wxplain` only).
 * - Expired: the canister's clock moves past the 30-minute TTL (its host's time, src/host/host.ts advanceTime),
 *   and the canister reports Expired while the page's own countdown still has 29 minutes to go. This runs on a
 *   second stack whose canister names a DoH provider that is down, so its address form first says the domain
 *   could not be checked and offers "Continue anyway".
 * Each view takes the keyboard to its heading, and "Start again" gives it to the address field (WCAG 2.4.3).
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { UI_TIMEOUT_MS } from './helpers/browser.ts';
import { freePort } from './helpers/dns-servers.ts';
import { mailCanisterConfig } from './helpers/gateway.ts';
import { focusedName, useWebStack, type WebStack } from './helpers/web-stack.ts';

const NS_PER_MINUTE = 60_000_000_000n;

/** Signs in to a new identity on a fresh page and opens the setup form. */
async function setupForm(web: WebStack): Promise<Page> {
  const page = await web.freshPage();
  await web.signedIn(page);
  await page.getByRole('button', { name: 'Add recovery email' }).click();
  return page;
}

const continueButton = (page: Page) => page.getByRole('button', { name: 'Continue', exact: true });

/** The checklist as the page shows it: item → data-state, and the words next to each line. */
async function checklistOn(page: Page): Promise<{ states: Record<string, string>; words: string[] }> {
  const lines = page.getByRole('list', { name: 'What was checked' }).getByRole('listitem');
  const states: Record<string, string> = {};
  for (const line of await lines.all()) {
    states[(await line.getAttribute('data-item'))!] = (await line.getAttribute('data-state'))!;
  }
  return { states, words: await lines.allTextContents() };
}

const NOTHING_CHECKED = {
  signature: 'not-reached',
  key: 'not-reached',
  dnssec: 'not-reached',
  alignment: 'not-reached',
  subject: 'not-reached',
  from: 'not-reached',
};

/** "Start again" leads back to the address form, holding the address of the attempt. */
async function startAgain(page: Page, label: string, address: string): Promise<void> {
  await page.getByRole('button', { name: 'Start again' }).click();
  await page.getByLabel(label).waitFor();
  expect(await page.getByLabel(label).inputValue()).toBe(address);
  expect(await focusedName(page)).toBe(label);
  expect(await continueButton(page).isEnabled()).toBe(true);
  expect(await page.getByRole('button', { name: 'Start again' }).count()).toBe(0);
}

describe('failure views after the email arrived (setup)', () => {
  const web = useWebStack();

  /** Enters `address`, then sends the mail the page shows from `from`, with extra send-test-mail options. */
  async function sendFrom(page: Page, address: string, from: string, ...options: string[]): Promise<void> {
    await page.getByLabel('Your email address').fill(address);
    await continueButton(page).click();
    await web().sendShownMail(page, from, ...options);
    await page.getByRole('heading', { name: 'That did not work' }).waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await focusedName(page)).toBe('That did not work');
  }

  it('AddressMismatch: the mail came from bob@ while alice@ was entered', async () => {
    const page = await setupForm(web());
    const address = 'alice@ed25519.wxtest';
    await sendFrom(page, address, 'bob@ed25519.wxtest');
    expect(await page.getByTestId('failure-explanation').textContent()).toBe(
      'The email came from a different address than the one you entered (alice@ed25519.wxtest).',
    );
    expect(await page.getByTestId('failure-next').textContent()).toBe(
      'What to do: Send it again from exactly alice@ed25519.wxtest, or start again with the address you sent from.',
    );
    const { states, words } = await checklistOn(page);
    expect(states).toEqual({ ...NOTHING_CHECKED, from: 'failed' });
    expect(words.at(-1)).toBe('The email came from the address you entered: failed');
    expect(words[0]).toBe('Your email provider signed the email: not checked');
    expect(await page.locator('.send-step details').textContent()).toContain(
      'the email is from bob@ed25519.wxtest, the challenge is for alice@ed25519.wxtest',
    );
    expect(await page.getByTestId('live').textContent()).toBe('Verification failed');
    await startAgain(page, 'Your email address', address);
    await page.context().close();
  });

  it('SubjectNotSigned: the signature leaves the Subject (with the code) out', async () => {
    const page = await setupForm(web());
    const address = 'carol@ed25519.wxtest';
    await sendFrom(page, address, address, '--sign-headers', 'from,to,date');
    expect(await page.getByTestId('failure-explanation').textContent()).toBe(
      "Your email provider's signature does not cover the Subject line, so the code in it cannot be trusted.",
    );
    expect(await page.getByTestId('failure-next').textContent()).toMatch(
      /^What to do: Send it again from your provider's own web or phone app/,
    );
    const { states } = await checklistOn(page);
    expect(states).toEqual({ ...NOTHING_CHECKED, subject: 'failed', from: 'passed' });
    expect(await page.locator('.send-step details').textContent()).toContain(
      'no aligned signature covers Subject',
    );
    await startAgain(page, 'Your email address', address);
    await page.context().close();
  });

  /** Types `address` under `label`, continues, and waits for the refusal; nothing may be prepared meanwhile. */
  async function refused(page: Page, label: string, address: string): Promise<void> {
    const pending = 'waxseal_challenge_transitions_total{state="Pending"}';
    const prepared = await web().metric(pending);
    await page.getByLabel(label).fill(address);
    await continueButton(page).click();
    await page
      .getByRole('heading', { name: 'This address cannot be used' })
      .waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await page.getByTestId('nonce').count()).toBe(0);
    expect(await web().metric(pending)).toBe(prepared);
    expect(await focusedName(page)).toBe('This address cannot be used');
  }

  const domainWords = (domain: string) =>
    `Waxseal cannot check emails from ${domain}. An email provider signs each email it sends and publishes the key ` +
    `to check that signature in DNS, the internet's public directory. ${domain}'s DNS is not protected by DNSSEC ` +
    `(or its protection is broken), and ${domain} is not on Waxseal's list of providers it checks another way, so ` +
    'Waxseal cannot trust the key, nor the signature.';

  it('an unsupported domain, in setup: island.wxtest is provably unsigned; said before anything is sent', async () => {
    const page = await setupForm(web());
    const address = 'dave@island.wxtest';
    await refused(page, 'Your email address', address);
    expect(await page.getByTestId('failure-explanation').textContent()).toBe(domainWords('island.wxtest'));
    expect(await page.getByTestId('failure-next').textContent()).toBe(
      'What to do: Use an address at another email provider.',
    );
    const { states, words } = await checklistOn(page);
    expect(states).toEqual({ ...NOTHING_CHECKED, dnssec: 'failed' });
    expect(words[2]).toBe('The DNS answer is protected by DNSSEC: failed');
    expect(await page.locator('.address-step details').textContent()).toContain(
      'island.wxtest. is provably unsigned',
    );
    await startAgain(page, 'Your email address', address);
    await page.context().close();
  });

  it('an unsupported domain, in recovery: dsmismatch.wxtest has a broken chain; said before anything is sent', async () => {
    const page = await web().freshPage();
    const address = 'erin@dsmismatch.wxtest';
    await refused(page, 'Your recovery email address', address);
    expect(await page.getByTestId('failure-explanation').textContent()).toBe(
      domainWords('dsmismatch.wxtest'),
    );
    const { states } = await checklistOn(page);
    expect(states).toEqual({ ...NOTHING_CHECKED, dnssec: 'failed' });
    expect(await page.locator('.address-step details').textContent()).toMatch(/DsMismatch: /);
    await startAgain(page, 'Your recovery email address', address);
    await page.context().close();
  });
});

describe('the expired view (recovery), on a stack whose DoH provider is down', () => {
  const web = useWebStack({
    canister: async () => mailCanisterConfig(`http://127.0.0.1:${await freePort()}/dns-query`),
  });

  it('the domain could not be checked: continue anyway; then the canister, past the TTL, says Expired', async () => {
    const started = Date.now();
    const page = await web().freshPage();
    const address = 'fred@ed25519.wxtest';
    await page.getByLabel('Your recovery email address').fill(address);
    await continueButton(page).click();
    const notice = page.getByRole('alert');
    await notice.waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await notice.textContent()).toBe(
      'This page could not check whether Waxseal can verify email from ed25519.wxtest: the DNS lookup services ' +
        'did not answer. You can continue anyway; if ed25519.wxtest cannot be used, Waxseal will tell you once ' +
        'your email arrives.',
    );
    await page.getByRole('button', { name: 'Continue anyway' }).click();
    const nonce = (await page.getByTestId('nonce').textContent({ timeout: UI_TIMEOUT_MS }))!;
    expect(await page.getByTestId('time-left').textContent()).toMatch(/^(29|30):\d\d$/);

    // An actor that has read the subnet's keys before the jump: after it, its queries are still signed with the
    // wall clock, which is where this process's clock is too.
    const probe = await web().devnet.actor();
    expect(await probe.email_challenge_status(nonce)).toEqual({ Pending: null });
    web().devnet.devnet.host.advanceTime(31n * NS_PER_MINUTE);
    expect(await probe.email_challenge_status(nonce)).toEqual({ Expired: null });

    await page.getByRole('heading', { name: 'This request expired' }).waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await focusedName(page)).toBe('This request expired');
    // Not the page's own countdown: the browser's clock is where it was, far from the 30 minutes.
    expect(Date.now() - started).toBeLessThan(5 * 60_000);
    expect(await page.getByTestId('failure-explanation').textContent()).toBe(
      'This request expired: the email has to arrive within 30 minutes.',
    );
    expect(await page.getByTestId('failure-next').textContent()).toBe(
      'What to do: Start again to get a new code, and send the new email within 30 minutes.',
    );
    const { states } = await checklistOn(page);
    expect(states).toEqual(NOTHING_CHECKED);
    expect(await page.getByTestId('live').textContent()).toBe('Request expired');
    await startAgain(page, 'Your recovery email address', address);
    await page.context().close();
  });
});

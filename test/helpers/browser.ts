/**
 * Debian's Chromium driven by playwright-core (no browser download): headless, sandbox off (the suites run as
 * root in CI containers), no network beyond what the page asks of loopback servers.
 */
import { type Browser, type BrowserContext, type CDPSession, chromium, type Page } from 'playwright-core';
import { findBinary } from '../../scripts/local-stack/process.ts';

/** How long a browser test waits for a page to show a step: the stack answers in well under a second when idle. */
export const UI_TIMEOUT_MS = 30_000;

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: findBinary('chromium'),
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
  });
}

/**
 * A new page in `context` with a CDP virtual authenticator (WebAuthn.addVirtualAuthenticator): a platform
 * passkey that always verifies the user, as a phone or laptop would after a fingerprint.
 */
/** Enables WebAuthn on `cdp`'s page with a platform authenticator that says yes to every prompt. */
export async function addPlatformAuthenticator(cdp: CDPSession): Promise<string> {
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return authenticatorId;
}

export async function pageWithPasskeys(
  context: BrowserContext,
): Promise<{ page: Page; cdp: CDPSession; authenticatorId: string }> {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  return { page, cdp, authenticatorId: await addPlatformAuthenticator(cdp) };
}

/**
 * Debian's Chromium driven by playwright-core (no browser download): headless, sandbox off (the suites run as
 * root in CI containers), no network beyond what the page asks of loopback servers.
 */
import { type Browser, chromium } from 'playwright-core';
import { findBinary } from '../../scripts/local-stack/process.ts';

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: findBinary('chromium'),
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
  });
}

/**
 * Accessibility of the web app (issue 11, "Accessibility"), in Debian's Chromium against the real stack
 * (test/helpers/web-stack.ts):
 * - axe-core (@axe-core/playwright, its default WCAG 2.x A/AA and best-practice rules) on every view of
 *   test/helpers/web-views.ts, at desktop and phone width, in the light and the dark scheme: no violation of
 *   impact serious or critical;
 * - adding a recovery email with the keyboard alone (WCAG 2.1.1, 2.4.3, 2.4.7): every control reached by Tab shows
 *   its focus, Tab moves through the page in reading order, from "Add recovery email" to the mail sent, and a
 *   control that goes away leaves the keyboard on the step that replaced it.
 */
import AxeBuilder from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { UI_TIMEOUT_MS } from './helpers/browser.ts';
import { focusedName, useWebStack, VIEWPORTS } from './helpers/web-stack.ts';
import { WALK_STACK, walkViews } from './helpers/web-views.ts';

const web = useWebStack(WALK_STACK);

const COLOR_SCHEMES = ['light', 'dark'] as const;
const BLOCKING = new Set(['serious', 'critical']);
const WALK_TIMEOUT_MS = 420_000;

/** axe's serious and critical violations on the page as it is, one readable block each. */
async function blockingViolations(page: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  return violations
    .filter((v) => BLOCKING.has(v.impact ?? ''))
    .map((v) => {
      const nodes = v.nodes.map(
        (n) => `    ${n.target.join(' ')}\n      ${n.failureSummary?.replace(/\n/g, '\n      ')}`,
      );
      return `  [${v.impact}] ${v.id}: ${v.help} (${v.helpUrl})\n${nodes.join('\n')}`;
    });
}

describe('axe on every view', () => {
  it.each(Object.entries(VIEWPORTS))(
    '%s: no serious or critical violations, light and dark',
    async (size, viewport) => {
      const report: string[] = [];
      let checked = 0;
      await walkViews(web(), viewport, `axe-${size}`, async (view, page) => {
        for (const colorScheme of COLOR_SCHEMES) {
          await page.emulateMedia({ colorScheme });
          const found = await blockingViolations(page);
          if (found.length > 0) report.push(`${view.name} (${size}, ${colorScheme}):\n${found.join('\n')}`);
          checked++;
        }
        await page.emulateMedia({ colorScheme: null });
      });
      expect(report.join('\n\n'), `axe found serious or critical violations:\n${report.join('\n\n')}`).toBe(
        '',
      );
      expect(checked).toBeGreaterThan(0);
    },
    WALK_TIMEOUT_MS,
  );
});

/** Where the focused control is on the page (document coordinates), its name, and how its focus is drawn. */
interface FocusStop {
  name: string;
  x: number;
  y: number;
  width: number;
  height: number;
  outline: string;
  boxShadow: string;
}

async function focused(page: Page): Promise<FocusStop | null> {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!(el instanceof HTMLElement) || el === document.body) return null;
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    const label = el instanceof HTMLInputElement ? el.labels?.[0]?.textContent : null;
    return {
      name: (el.getAttribute('aria-label') ?? label ?? el.textContent ?? '').trim(),
      x: r.left + window.scrollX,
      y: r.top + window.scrollY,
      width: r.width,
      height: r.height,
      outline:
        s.outlineStyle === 'none' || Number.parseFloat(s.outlineWidth) === 0
          ? 'none'
          : `${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}`,
      boxShadow: s.boxShadow,
    };
  });
}

const MAX_TABS = 20;

/**
 * Presses Tab (or Shift+Tab) until the control named `name` has the focus, unless it has it already; returns
 * every stop on the way, `name`'s last. Fails when it is not reached within MAX_TABS presses.
 */
async function tabTo(page: Page, name: string, key: 'Tab' | 'Shift+Tab' = 'Tab'): Promise<FocusStop[]> {
  const here = await focused(page);
  if (here?.name === name) return [here]; // the page moved the focus there itself
  const stops: FocusStop[] = [];
  for (let i = 0; i < MAX_TABS; i++) {
    await page.keyboard.press(key);
    const stop = await focused(page);
    if (!stop) continue;
    stops.push(stop);
    if (stop.name === name) return stops;
  }
  throw new Error(`"${name}" not reached with ${key}; stops: ${stops.map((s) => s.name).join(', ')}`);
}

/** Focus is drawn: an outline of some width, or a box shadow. */
const showsFocus = (s: FocusStop) => s.outline !== 'none' || s.boxShadow !== 'none';

/** `b` comes after `a` in reading order: on a later line, or on the same line further right. */
function readsAfter(a: FocusStop, b: FocusStop): boolean {
  const sameLine = b.y < a.y + a.height && a.y < b.y + b.height;
  return sameLine ? b.x >= a.x + a.width - 1 : b.y >= a.y + a.height - 1;
}

function expectVisibleFocusInReadingOrder(stops: FocusStop[], key: 'Tab' | 'Shift+Tab' = 'Tab'): void {
  for (const s of stops) {
    expect(showsFocus(s), `focus on "${s.name}" is not visible`).toBe(true);
  }
  for (let i = 1; i < stops.length; i++) {
    const [a, b] = key === 'Tab' ? [stops[i - 1]!, stops[i]!] : [stops[i]!, stops[i - 1]!];
    expect(readsAfter(a, b), `${key} went from "${stops[i - 1]!.name}" to "${stops[i]!.name}"`).toBe(true);
  }
}

describe('keyboard only', () => {
  it.each(Object.entries(VIEWPORTS))(
    '%s: adds a recovery email from the signed-in page with Tab, Shift+Tab, typing, Enter and Space',
    async (size, viewport) => {
      const page = await web().freshPage(viewport);
      await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
      const anchor = await web().signedIn(page);
      const address = `keys-${size}@ed25519.wxtest`;
      // From here on, page.keyboard only: no clicks.
      const toAdd = await tabTo(page, 'Add recovery email');
      await page.keyboard.press('Enter');
      const toField = await tabTo(page, 'Your email address');
      await page.keyboard.type(address);
      await page.keyboard.press('Enter');
      await page.getByTestId('nonce').waitFor({ timeout: 20_000 });
      // The Continue that was pressed is gone: the step's heading has the keyboard (2.4.3).
      expect(await focusedName(page)).toBe('Waiting for your email');
      const toLink = await tabTo(page, 'Open your mail app with this filled in');
      expect(toLink.map((s) => s.name)).toEqual(
        expect.arrayContaining([
          'Copy the address',
          'Copy the subject',
          'Open your mail app with this filled in',
        ]),
      );
      const backToCopy = await tabTo(page, 'Copy the address', 'Shift+Tab');
      for (const stops of [toAdd, toField, toLink]) expectVisibleFocusInReadingOrder(stops);
      expectVisibleFocusInReadingOrder(backToCopy, 'Shift+Tab');

      await page.keyboard.press('Space');
      // Said and shown beside the button, whose name stays "Copy the address" (2.5.3, 4.1.3).
      await page
        .getByRole('status')
        .filter({ hasText: /^Copied$/ })
        .waitFor();
      expect(await focusedName(page)).toBe('Copy the address');
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(
        await page.getByTestId('mailbox').textContent(),
      );
      await web().sendShownMail(page, address);
      await page
        .getByRole('region', { name: `Identity ${anchor}` })
        .getByText(`Recovery email: ${address}`)
        .waitFor({ timeout: UI_TIMEOUT_MS });
      await page.context().close();
    },
    WALK_TIMEOUT_MS,
  );
});

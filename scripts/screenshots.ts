/**
 * `npm run screenshots`: every view of the web app (test/helpers/web-views.ts) photographed on the real stack
 * (test/helpers/start-web-stack.ts: DNS, devnet with the compiled canister, gateway, the app built into a
 * temporary folder, Chromium), at desktop and phone width, as frontend/screenshots/<view>-<desktop|phone>.png:
 * the full page (the screen when a modal dialog is open), light scheme, overwritten. Prints the files written.
 * For reviewing the layout by eye and for the README's table; the accessibility checks themselves are
 * test/frontend-a11y.test.ts.
 */
import { mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { startWebStack, VIEWPORTS } from '../test/helpers/start-web-stack.ts';
import { WALK_STACK, walkViews } from '../test/helpers/web-views.ts';

const ROOT = join(import.meta.dirname, '..');
const SCREENSHOTS = join(ROOT, 'frontend', 'screenshots');

mkdirSync(SCREENSHOTS, { recursive: true });
const stack = await startWebStack(WALK_STACK);
try {
  for (const [size, viewport] of Object.entries(VIEWPORTS)) {
    await walkViews(stack, viewport, size, async (view, page) => {
      const path = join(SCREENSHOTS, `${view.name}-${size}.png`);
      // A modal's backdrop covers only the first screen of a full-page shot: photograph the screen.
      const modal = (await page.locator('dialog[open]').count()) > 0;
      await page.screenshot({ path, fullPage: !modal });
      console.log(`${relative(ROOT, path)}  ${view.title}`);
    });
  }
} finally {
  await stack.stop();
}

/**
 * The real web stack (start-web-stack.ts) as a vitest fixture for the browser suites: started once before the
 * tests of the enclosing describe block (or file), stopped after them. Kept apart from start-web-stack.ts, which
 * scripts/screenshots.ts runs outside vitest.
 *
 *   const web = useWebStack();       // or useWebStack({ attachProofs: false }), useWebStack({ canister: … })
 *   it('…', async () => {
 *     const page = await web().freshPage(VIEWPORTS.phone);
 *     const anchor = await web().signedIn(page);
 *     …
 *     await web().sendShownMail(page, 'alice@ed25519.wxtest');
 *     await page.context().close();
 *   });
 */
import { afterAll, beforeAll } from 'vitest';
import { startWebStack, type WebStack, type WebStackOptions } from './start-web-stack.ts';

export {
  focusedName,
  type PageOptions,
  VIEWPORTS,
  type Viewport,
  type WebStack,
  type WebStackOptions,
} from './start-web-stack.ts';

/** DNS, devnet, canister install, frontend build, gateway and Chromium, on 2 busy cores. */
const START_TIMEOUT_MS = 180_000;

/** Returns a getter for the running stack, to be called inside the tests. */
export function useWebStack(options: WebStackOptions = {}): () => WebStack {
  let stack: WebStack | undefined;
  beforeAll(async () => {
    stack = await startWebStack(options);
  }, START_TIMEOUT_MS);
  afterAll(async () => {
    await stack?.stop();
  });
  return () => {
    if (!stack) throw new Error('the web stack is not running (useWebStack getter called outside a test?)');
    return stack;
  };
}

/**
 * Every view of the web app reachable today, as data: a name, what a person sees, and how to get there from the
 * view before it. One walk goes through all of them in one browser profile per viewport, as a person would: create
 * an identity, sign in, open (and cancel) removing its passkey, add a recovery email (a mistyped address, a mail
 * from the wrong address, then the right one), and recover it from a new browser. test/frontend-a11y.test.ts runs axe on each view;
 * scripts/screenshots.ts photographs each. A new view is one entry, placed where the walk reaches it.
 */
import type { Page } from 'playwright-core';
import type { Viewport, WebStack } from './start-web-stack.ts';

/** Where a walk is: its page (replaced when the walk moves to a new browser) and the address it registers. */
export interface Walk {
  readonly stack: WebStack;
  readonly viewport: Viewport;
  /** The recovery address of this walk's identity; unique per walk, since an address binds one identity. */
  readonly address: string;
  page: Page;
}

export interface View {
  /** File-name safe: frontend/screenshots/<name>-<desktop|phone>.png. */
  readonly name: string;
  /** What the person sees. */
  readonly title: string;
  /** From the previous view of the walk to this one; resolves once it is shown. */
  reach(walk: Walk): Promise<void>;
  /** For a view the walk only looks into (a dialog): back to where `reach` started. */
  leave?(walk: Walk): Promise<void>;
}

const UI_TIMEOUT_MS = 30_000;
/** A Unicode domain: the form explains it and offers the A-label form. */
const IDN_ADDRESS = 'hans@münchen.de';

const continueButton = (page: Page) => page.getByRole('button', { name: 'Continue', exact: true });

/** Types the walk's address into the setup form and continues to the mail to send. */
async function prepareSetup(w: Walk): Promise<void> {
  await w.page.getByLabel('Your email address').fill(w.address);
  await continueButton(w.page).click();
  await w.page.getByTestId('nonce').waitFor({ timeout: UI_TIMEOUT_MS });
}

export const VIEWS: readonly View[] = [
  {
    name: 'home',
    title: 'Connected: create an identity, or recover one',
    reach: async () => {},
  },
  {
    name: 'identity-created',
    title: 'Identity created: its number, to write down',
    async reach(w) {
      await w.page.getByRole('button', { name: 'Create with a passkey' }).click();
      await w.page.getByTestId('anchor').waitFor({ timeout: UI_TIMEOUT_MS });
    },
  },
  {
    name: 'signed-in',
    title: 'Signed in: the identity, its passkeys, no recovery email yet',
    async reach(w) {
      await w.page.getByRole('button', { name: /^Sign in as identity/ }).click();
      await w.page.getByRole('button', { name: 'Add recovery email' }).waitFor({ timeout: UI_TIMEOUT_MS });
    },
  },
  {
    name: 'confirm-remove-passkey',
    title: 'Removing the only passkey: the confirmation dialog',
    async reach(w) {
      await w.page.getByRole('button', { name: /^Remove / }).click();
      await w.page.getByRole('dialog').waitFor();
    },
    async leave(w) {
      await w.page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
      await w.page.getByRole('dialog').waitFor({ state: 'detached' });
    },
  },
  {
    name: 'setup-address',
    title: 'Add a recovery email: the address',
    async reach(w) {
      await w.page.getByRole('button', { name: 'Add recovery email' }).click();
      await w.page.getByLabel('Your email address').waitFor();
    },
  },
  {
    name: 'setup-address-error',
    title: 'The address refused before anything is sent (a Unicode domain, with its A-label form)',
    async reach(w) {
      await w.page.getByLabel('Your email address').fill(IDN_ADDRESS);
      await continueButton(w.page).click();
      await w.page.getByRole('alert').waitFor();
    },
  },
  {
    name: 'setup-send',
    title: 'The mail to send, waiting for it',
    reach: prepareSetup,
  },
  {
    name: 'setup-failed',
    title: 'The mail came from another address: what passed, what failed, what to do',
    async reach(w) {
      await w.stack.sendShownMail(w.page, `other-${w.address}`);
      await w.page.getByRole('heading', { name: 'That did not work' }).waitFor({ timeout: UI_TIMEOUT_MS });
    },
  },
  {
    name: 'setup-done',
    title: 'Sent again from the right address: the recovery email is on the card',
    async reach(w) {
      await w.page.getByRole('button', { name: 'Start again' }).click();
      await prepareSetup(w);
      await w.stack.sendShownMail(w.page, w.address);
      await w.page.getByText(`Recovery email: ${w.address}`).waitFor({ timeout: UI_TIMEOUT_MS });
    },
  },
  {
    name: 'recover-address',
    title: 'A new browser: the recovery address typed in',
    async reach(w) {
      await w.page.context().close();
      w.page = await w.stack.freshPage(w.viewport);
      await w.page.getByLabel('Your recovery email address').fill(w.address);
    },
  },
  {
    name: 'recover-send',
    title: 'Recovery: the mail to send, waiting for it',
    async reach(w) {
      await continueButton(w.page).click();
      await w.page.getByTestId('nonce').waitFor({ timeout: UI_TIMEOUT_MS });
    },
  },
  {
    name: 'recovered',
    title: 'Recovered: signed in by email, offered a passkey on this device',
    async reach(w) {
      await w.stack.sendShownMail(w.page, w.address);
      await w.page.getByText('1 passkey or device can sign in.').waitFor({ timeout: UI_TIMEOUT_MS });
    },
  },
];

/**
 * Walks every view on a fresh page at `viewport`, calling `atEach` once each is shown; `tag` makes the walk's
 * address unique in the stack. Closes the page at the end.
 */
export async function walkViews(
  stack: WebStack,
  viewport: Viewport,
  tag: string,
  atEach: (view: View, page: Page) => Promise<void>,
): Promise<void> {
  const walk: Walk = {
    stack,
    viewport,
    address: `walk-${tag}@ed25519.wxtest`,
    page: await stack.freshPage(viewport),
  };
  try {
    for (const view of VIEWS) {
      await view.reach(walk);
      await atEach(view, walk.page);
      await view.leave?.(walk);
    }
  } finally {
    await walk.page.context().close();
  }
}

/**
 * Every view of the web app reachable today, as data: a name, what a person sees, and how to get there from the
 * view before it. One walk goes through all of them in one browser profile per viewport, as a person would:
 * create an identity, sign in, open (and cancel) removing its passkey, add a recovery email (a mistyped address,
 * a domain Waxseal cannot check, a mail from the wrong address, a page whose DNS lookups fail, then the right
 * one), open (and cancel) removing the email, remove the passkey so that only the email gets in and add one back,
 * recover the identity from a new browser, and let a request expire in another. test/frontend-a11y.test.ts runs
 * axe on each view; scripts/screenshots.ts photographs each. A new view is one entry, placed where the walk
 * reaches it.
 *
 * Not here: NeedProof's "Checking your email" and Resolving's views last as long as a lookup does (the page's
 * DoH client gives up after 5 s), so holding them still would race a timeout; frontend-proof.test.ts checks them.
 */
import type { Locator, Page } from 'playwright-core';
import { UI_TIMEOUT_MS } from './browser.ts';
import type { Viewport, WebStack, WebStackOptions } from './start-web-stack.ts';

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
  /** For a view the walk only looks into (a dialog, a detour): back to where the next view starts. */
  leave?(walk: Walk): Promise<void>;
}

/**
 * The stack the walk needs: the gateway attaches no proof, so the mail waits in NeedProof and the page proves
 * the signing key itself, which is what `setup-proof-problem` interrupts.
 */
export const WALK_STACK: WebStackOptions = { attachProofs: false };

/** A Unicode domain: the form explains it and offers the A-label form. */
const IDN_ADDRESS = 'hans@münchen.de';
/** Signed, but provably unsigned from the root (no DS in its parent): Waxseal cannot check its mail. */
const UNSIGNED_ADDRESS = 'dave@island.wxtest';
/** How long a challenge lives (protocol.md §3), and a minute more. */
const PAST_EXPIRY = '31:00';

const dialog = (page: Page) => page.getByRole('dialog');

/** Clicks `button` (a button's exact name, or a locator), then waits until `shown` (a text, or a locator) is. */
async function press(page: Page, button: string | RegExp | Locator, shown: string | Locator): Promise<void> {
  const b =
    typeof button === 'string' || button instanceof RegExp
      ? page.getByRole('button', { name: button, exact: true })
      : button;
  await b.click();
  await (typeof shown === 'string' ? page.getByText(shown) : shown).waitFor({ timeout: UI_TIMEOUT_MS });
}

/** Types `address` into the field labelled `label` and continues; resolves once `shown` is. */
async function enter(page: Page, label: string, address: string, shown: Locator): Promise<void> {
  await page.getByLabel(label).fill(address);
  await press(page, 'Continue', shown);
}

/** Types the walk's address into the setup form and continues to the mail to send. */
const prepareSetup = (w: Walk) => enter(w.page, 'Your email address', w.address, w.page.getByTestId('nonce'));

/** The Remove button of the (only) passkey. */
const removePasskey = (page: Page) =>
  page.getByRole('region', { name: 'Passkeys and devices' }).getByRole('button', { name: /^Remove / });

async function cancelDialog(w: Walk): Promise<void> {
  await dialog(w.page).getByRole('button', { name: 'Cancel' }).click();
  await dialog(w.page).waitFor({ state: 'detached' });
}

/** A new browser profile on the app: the walk's page from now on. */
async function newBrowser(w: Walk): Promise<void> {
  await w.page.context().close();
  w.page = await w.stack.freshPage(w.viewport);
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
    reach: (w) => press(w.page, 'Create with a passkey', w.page.getByTestId('anchor')),
  },
  {
    name: 'signed-in',
    title: 'Signed in: the identity, its passkeys, no recovery email yet',
    reach: (w) =>
      press(w.page, /^Sign in as identity/, w.page.getByRole('button', { name: 'Add recovery email' })),
  },
  {
    name: 'confirm-remove-passkey',
    title: 'Removing the only passkey, without a recovery email: the identity would be lost',
    reach: (w) => press(w.page, removePasskey(w.page), dialog(w.page)),
    leave: cancelDialog,
  },
  {
    name: 'setup-address',
    title: 'Add a recovery email: the address',
    reach: (w) => press(w.page, 'Add recovery email', w.page.getByLabel('Your email address')),
  },
  {
    name: 'setup-address-error',
    title: 'The address refused before anything is sent (a Unicode domain, with its A-label form)',
    reach: (w) => enter(w.page, 'Your email address', IDN_ADDRESS, w.page.getByRole('alert')),
  },
  {
    name: 'setup-unsupported',
    title: 'A domain Waxseal cannot check (no DNSSEC): said before anything is sent',
    reach: (w) =>
      enter(
        w.page,
        'Your email address',
        UNSIGNED_ADDRESS,
        w.page.getByRole('heading', { name: 'This address cannot be used' }),
      ),
    leave: (w) => press(w.page, 'Start again', w.page.getByLabel('Your email address')),
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
    name: 'setup-proof-problem',
    title: "The mail arrived, but this page cannot reach the DNS services to prove its provider's key",
    async reach(w) {
      await press(w.page, 'Start again', w.page.getByLabel('Your email address'));
      await prepareSetup(w);
      // Every DNS-over-HTTPS query of the page fails, as on a network that blocks them.
      await w.page.route(
        (url) => url.href.startsWith(w.stack.dns.dohUrl),
        (route) => route.abort('internetdisconnected'),
      );
      await w.stack.sendShownMail(w.page, w.address);
      await w.page.getByRole('button', { name: 'Try again' }).waitFor({ timeout: UI_TIMEOUT_MS });
    },
  },
  {
    name: 'setup-done',
    title: 'Try again, and the key is proven: the recovery email is on the card, with Replace and Remove',
    async reach(w) {
      await w.page.unrouteAll();
      await press(w.page, 'Try again', `Recovery email: ${w.address}`);
    },
  },
  {
    name: 'confirm-remove-email',
    title: 'Removing the recovery email: the confirmation dialog',
    reach: (w) => press(w.page, 'Remove recovery email', dialog(w.page)),
    leave: cancelDialog,
  },
  {
    name: 'confirm-remove-last-passkey',
    title: 'Removing the only passkey while a recovery email is set: only the email would get you in',
    reach: (w) => press(w.page, removePasskey(w.page), dialog(w.page)),
  },
  {
    name: 'no-passkey',
    title: 'Removed: no passkey or device can sign in, only the recovery email; add a passkey here',
    reach: (w) =>
      press(
        w.page,
        dialog(w.page).getByRole('button', { name: 'Remove it: only my recovery email will get me in' }),
        'No passkey or device can sign in to this identity.',
      ),
    leave: (w) => press(w.page, 'Add a passkey on this device', '1 passkey or device can sign in.'),
  },
  {
    name: 'recover-address',
    title: 'A new browser: the recovery address typed in',
    async reach(w) {
      await newBrowser(w);
      await w.page.getByLabel('Your recovery email address').fill(w.address);
    },
  },
  {
    name: 'recover-send',
    title: 'Recovery: the mail to send, waiting for it',
    reach: (w) => press(w.page, 'Continue', w.page.getByTestId('nonce')),
  },
  {
    name: 'recovered',
    title: 'Recovered: signed in by email, offered a passkey on this device',
    async reach(w) {
      await w.stack.sendShownMail(w.page, w.address);
      await w.page.getByText('1 passkey or device can sign in.').waitFor({ timeout: UI_TIMEOUT_MS });
    },
  },
  {
    name: 'expired',
    title: 'Another browser, and no email within 30 minutes: the request expired',
    async reach(w) {
      await newBrowser(w);
      // The page's own clock, made to jump past the expiry: the canister's is left alone.
      await w.page.clock.install();
      await w.page.reload();
      await enter(w.page, 'Your recovery email address', w.address, w.page.getByTestId('nonce'));
      await w.page.clock.fastForward(PAST_EXPIRY);
      await w.page.getByRole('heading', { name: 'This request expired' }).waitFor({ timeout: UI_TIMEOUT_MS });
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

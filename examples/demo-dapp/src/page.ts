/**
 * What both demo pages share, whatever client library signs in: the settings, the page (a Sign in button, the
 * principal, `whoami` through the delegation, the delegation's expiration, how long the sign-in took, errors),
 * and the `whoami` interface. Each page supplies a `DemoClient` around its library (modern.ts, legacy.ts).
 *
 * Settings come from `/env.json`, which the server that serves this demo writes (scripts/local-stack/demo.ts):
 * the Waxseal sign-in URL and the IC endpoint with its canister. The page's query string adds sign-in options,
 * for trying them out: `?maxTimeToLive=<ns>&derivationOrigin=<origin>&targets=<canister id>,…`.
 */

export interface DemoEnv {
  /** Waxseal's sign-in page, e.g. http://localhost:5173/authorize. */
  readonly identityProvider: string;
  /** The IC endpoint, e.g. http://127.0.0.1:4943. */
  readonly host: string;
  readonly canisterId: string;
  /** DER hex of a local endpoint's root key; absent on the IC. */
  readonly rootKey?: string;
}

export interface SignInOptions {
  readonly maxTimeToLive?: bigint;
  readonly derivationOrigin?: string;
  readonly targets?: string[];
}

export interface SignedIn {
  readonly principal: string;
  /** Expiration of the first delegation, ns since the epoch. */
  readonly expiration: bigint;
  /** Calls `whoami` on the canister as this identity; resolves with the principal the canister saw. */
  whoami(): Promise<string>;
}

export interface DemoClient {
  /** Must open the sign-in window before its first await: browsers allow popups only inside the click. */
  signIn(options: SignInOptions): Promise<SignedIn>;
  signOut(): Promise<void>;
}

/** The canister's `whoami : () -> (principal) query`, for either library's IDL. */
export function whoamiIdl<T>({
  IDL,
}: {
  IDL: { Service(f: object): T; Func(...a: unknown[]): unknown; Principal: unknown };
}): T {
  return IDL.Service({ whoami: IDL.Func([], [IDL.Principal], ['query']) });
}

export function rootKeyBytes(env: DemoEnv): { rootKey: Uint8Array } | Record<string, never> {
  if (!env.rootKey) return {};
  const pairs = env.rootKey.match(/../g) ?? [];
  return { rootKey: Uint8Array.from(pairs, (b) => Number.parseInt(b, 16)) };
}

export async function loadEnv(): Promise<DemoEnv> {
  const res = await fetch('/env.json', { cache: 'no-store' });
  if (!res.ok) throw new Error(`/env.json: HTTP ${res.status}`);
  return (await res.json()) as DemoEnv;
}

/** Sign-in options from the query string; a `maxTimeToLive` that is not a whole number of ns is left out. */
export function optionsFromQuery(search: string): SignInOptions {
  const q = new URLSearchParams(search);
  const ttl = q.get('maxTimeToLive');
  const origin = q.get('derivationOrigin');
  const targets = q.get('targets');
  return {
    ...(ttl && /^\d{1,20}$/.test(ttl) ? { maxTimeToLive: BigInt(ttl) } : {}),
    ...(origin ? { derivationOrigin: origin } : {}),
    ...(targets ? { targets: targets.split(',') } : {}),
  };
}

/** A sign-in error as text, with the JSON-RPC code when the library gives one (SignerError.code). */
function describe(e: unknown): { text: string; code: string } {
  const code =
    typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : '';
  const text = e instanceof Error ? e.message : String(e);
  return { text: code ? `${code}: ${text}` : text, code };
}

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<HTMLElementTagNameMap[K]> & { testid?: string } = {},
): HTMLElementTagNameMap[K] {
  const { testid, ...rest } = props;
  const el = Object.assign(document.createElement(tag), rest);
  if (testid) el.dataset.testid = testid;
  return el;
}

/** Builds the page in `root` around `client`. */
export function mountDemo(root: HTMLElement, client: DemoClient, options: SignInOptions): void {
  const signIn = element('button', { type: 'button', textContent: 'Sign in with Waxseal' });
  const whoami = element('button', { type: 'button', textContent: 'Call whoami', disabled: true });
  const signOut = element('button', { type: 'button', textContent: 'Sign out', disabled: true });
  const status = element('p', { testid: 'status' });
  status.setAttribute('aria-live', 'polite');
  const error = element('p', { testid: 'error', role: 'alert' });
  const list = element('dl');
  const field = (label: string, testid: string) => {
    const dd = element('dd', { testid, textContent: '—' });
    list.append(element('dt', { textContent: label }), dd);
    return dd;
  };
  const principal = field('Principal', 'principal');
  const seen = field('whoami says', 'whoami');
  const expires = field('Delegation expires', 'expiration');
  const took = field('Sign-in took', 'elapsed');
  root.append(signIn, whoami, signOut, status, error, list);

  let current: SignedIn | null = null;
  const fail = (e: unknown) => {
    const { text, code } = describe(e);
    error.textContent = text;
    error.dataset.code = code;
  };
  const callWhoami = async () => {
    if (!current) return;
    seen.textContent = '…';
    try {
      seen.textContent = await current.whoami();
    } catch (e) {
      seen.textContent = 'refused';
      fail(e);
    }
  };

  signIn.addEventListener('click', () => {
    const started = performance.now();
    error.textContent = '';
    delete error.dataset.code;
    status.textContent = 'Signing in…';
    let signingIn: Promise<SignedIn>;
    try {
      signingIn = client.signIn(options); // opens the window now, inside the click
    } catch (e) {
      signingIn = Promise.reject(e); // e.g. a target in the query string that is no principal
    }
    signingIn.then(
      async (s) => {
        current = s;
        principal.textContent = s.principal;
        took.textContent = `${Math.round(performance.now() - started)} ms`;
        expires.textContent = new Date(Number(s.expiration / 1_000_000n)).toISOString();
        expires.dataset.ns = s.expiration.toString();
        status.textContent = 'Signed in.';
        whoami.disabled = signOut.disabled = false;
        await callWhoami();
      },
      (e: unknown) => {
        status.textContent = 'Not signed in.';
        fail(e);
      },
    );
  });
  whoami.addEventListener('click', () => void callWhoami());
  signOut.addEventListener('click', () => {
    void client.signOut().then(() => {
      current = null;
      for (const dd of [principal, seen, expires, took]) dd.textContent = '—';
      whoami.disabled = signOut.disabled = true;
      status.textContent = 'Signed out.';
    });
  });
}

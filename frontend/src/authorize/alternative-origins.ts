/**
 * Derivation origins (ICRC-95; Internet Identity spec, "Alternative Frontend Origins"): a dApp served at several
 * origins may ask for the principal of one of them, its derivation origin, and gets it only when that origin
 * vouches for the caller: `<derivation origin>/.well-known/ii-alternative-origins` must answer 200, without a
 * redirect, a JSON document `{"alternativeOrigins": [...]}` of at most 10 origins that lists the caller's.
 * Otherwise the request is refused and nothing is signed.
 *
 * Internet Identity fetches the file from the derivation canister's certified domain; Waxseal fetches it from the
 * derivation origin itself, which must therefore send CORS headers (`Access-Control-Allow-Origin`) admitting the
 * Waxseal app.
 */
import { type Parsed, refuse } from './request.ts';

export const ALTERNATIVE_ORIGINS_PATH = '/.well-known/ii-alternative-origins';
/** Internet Identity spec: "The list … must contain at most 10 entries." */
export const MAX_ALTERNATIVE_ORIGINS = 10;
/** Ten origins of at most 255 bytes and some JSON: anything far larger is not such a file. */
export const MAX_DOCUMENT_BYTES = 16 * 1024;

/** No origin longer than this is one the canister accepts (MAX_ORIGIN_BYTES of src/identity/delegation.ts). */
const MAX_ORIGIN_CHARS = 255;

/** The derivation origin `field` of a request: absent, or a string short enough to be an origin. */
export function checkDerivationOriginField(value: unknown, field: string): Parsed<string | undefined> {
  return value === undefined || (typeof value === 'string' && value.length <= MAX_ORIGIN_CHARS)
    ? { ok: true, value }
    : refuse('invalid-params', `${field} must be an origin of at most ${MAX_ORIGIN_CHARS} characters`);
}

/** Hosts a browser treats as potentially trustworthy over plain http (W3C Secure Contexts §3.1). */
function isLoopbackHost(hostname: string): boolean {
  return (
    hostname === 'localhost' ||
    hostname.endsWith('.localhost') ||
    hostname === '127.0.0.1' ||
    hostname === '[::1]'
  );
}

/**
 * `text` as an origin (RFC 6454 serialisation: scheme, host, port if not the default), or null when it is not
 * one: https, or http on a loopback host; no credentials, path, query or fragment (a trailing `/` is allowed,
 * since `new URL(origin).toString()` adds one).
 */
export function normalizeOrigin(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  const secure = url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
  if (!secure || url.username !== '' || url.password !== '') return null;
  if (
    url.pathname !== '/' ||
    url.search !== '' ||
    url.hash !== '' ||
    text.includes('?') ||
    text.includes('#')
  ) {
    return null;
  }
  return url.origin;
}

/** Whether `doc` (read from `source`) lists `caller` as the spec requires, or why not. */
export function checkAlternativeOrigins(doc: unknown, caller: string, source: string): Parsed<null> {
  const list =
    typeof doc === 'object' && doc !== null ? (doc as Record<string, unknown>).alternativeOrigins : null;
  if (!Array.isArray(list) || !list.every((o) => typeof o === 'string')) {
    return refuse('permission-denied', `${source} is not {"alternativeOrigins": [origins]}`);
  }
  if (list.length > MAX_ALTERNATIVE_ORIGINS) {
    return refuse(
      'permission-denied',
      `${source} lists ${list.length} origins; at most ${MAX_ALTERNATIVE_ORIGINS} are allowed`,
    );
  }
  if (!list.some((o) => normalizeOrigin(o) === caller)) {
    return refuse('permission-denied', `${source} does not list ${caller}`);
  }
  return { ok: true, value: null };
}

/**
 * The origin whose principal the dApp at `caller` gets: `caller` itself, or its `derivationOrigin` once the
 * latter's alternative-origins file lists `caller`.
 */
export async function effectiveOrigin(
  caller: string,
  derivationOrigin: string | undefined,
  fetchImpl: typeof fetch = fetch,
): Promise<Parsed<string>> {
  if (derivationOrigin === undefined) return { ok: true, value: caller };
  const origin = normalizeOrigin(derivationOrigin);
  if (origin === null) {
    return refuse(
      'invalid-params',
      `the derivation origin ${JSON.stringify(derivationOrigin.slice(0, 300))} is not an origin ` +
        '(https://host[:port], or http:// on localhost)',
    );
  }
  if (origin === caller) return { ok: true, value: caller };
  const source = origin + ALTERNATIVE_ORIGINS_PATH;
  let res: Response;
  try {
    res = await fetchImpl(source, { redirect: 'error', credentials: 'omit', cache: 'no-store' });
  } catch {
    return refuse(
      'permission-denied',
      `${source} could not be read: it redirects, does not answer, or sends no CORS header for this page`,
    );
  }
  if (res.redirected || res.type === 'opaqueredirect') {
    return refuse('permission-denied', `${source} redirects; it must answer 200 itself`);
  }
  if (res.status !== 200) {
    return refuse('permission-denied', `${source} answered HTTP ${res.status}; it must answer 200`);
  }
  let doc: unknown;
  try {
    const text = await res.text();
    if (text.length > MAX_DOCUMENT_BYTES) {
      return refuse('permission-denied', `${source} is larger than ${MAX_DOCUMENT_BYTES} bytes`);
    }
    doc = JSON.parse(text);
  } catch {
    return refuse('permission-denied', `${source} is not JSON`);
  }
  const listed = checkAlternativeOrigins(doc, caller, source);
  return listed.ok ? { ok: true, value: origin } : listed;
}

/**
 * DNS over HTTPS client (RFC 8484) for building proofs in the browser, the gateway and the CLI; never used in the
 * canister. Queries follow RFC 8484 §4.1: ID 0 (cache friendly), GET with `?dns=` base64url without padding or
 * POST with an `application/dns-message` body, and `accept: application/dns-message`. Each query sets RD, CD (the
 * chain is validated by us, so a validating resolver must hand over bogus data instead of SERVFAIL, RFC 4035
 * §3.2.2) and an EDNS0 OPT record with DO (RFC 3225) and a 4096-byte payload size (RFC 6891 §6.2.5).
 *
 * Queries are written and responses parsed by src/dns/record.ts, so names with escaped dots or arbitrary bytes
 * (RFC 1035 §5.1 `\.` and `\DDD`) and every RFC 3597 type number go out exactly, and every record keeps its
 * exact bytes. Browser-safe: only `fetch`, `AbortController` and `setTimeout` (test/proof-doh.test.ts runs a
 * browser bundle without Node's Buffer).
 */
import { base64urlnopad } from '@scure/base';
import { DnsFormatError } from '../dns/errors.ts';
import { type Name, nameToText } from '../dns/name.ts';
import { encodeQueryMessage, encodeQuestion, FLAG, parseMessage } from '../dns/record.ts';
import { typeToText } from '../dns/types.ts';
import { asciiLowerByte } from '../encoding/ascii.ts';
import type { Resolver, ResolverAnswer, ResolverErrorCode } from './resolver.ts';

export interface DohOptions {
  /** Endpoints tried in order: the next one only when the previous failed (error or SERVFAIL). */
  readonly urls: readonly string[];
  readonly method?: 'GET' | 'POST';
  /** Per endpoint, covering the request and reading the body. Default 5000. */
  readonly timeoutMs?: number;
  /** Injected for tests or for environments that wrap fetch. */
  readonly fetch?: typeof fetch;
}

export const DEFAULT_TIMEOUT_MS = 5_000;
const MEDIA_TYPE = 'application/dns-message';
/** A DNS message cannot be longer (RFC 1035 §4.2.2 length prefix; RFC 8484 §6). */
const MAX_MESSAGE = 65_535;

/** The query for (name, type): RD, CD and DO (see the module comment). */
export function encodeQuery(name: Name, type: number): Uint8Array {
  return encodeQueryMessage(name, type, FLAG.RD | FLAG.CD, true);
}

/** The response must answer our question (RFC 8484 §4.2 leaves matching to the client). */
function sameQuestion(msg: Uint8Array, question: Uint8Array): boolean {
  if (((msg[4]! << 8) | msg[5]!) !== 1 || msg.length < 12 + question.length) return false;
  for (let i = 0; i < question.length; i++)
    if (asciiLowerByte(msg[12 + i]!) !== asciiLowerByte(question[i]!)) return false;
  return true;
}

function fail(code: ResolverErrorCode, detail: string): ResolverAnswer {
  return { kind: 'error', code, detail };
}

/** One query to one endpoint. */
async function queryOne(
  url: string,
  name: Name,
  type: number,
  method: 'GET' | 'POST',
  timeoutMs: number,
  fetchFn: typeof fetch,
): Promise<ResolverAnswer> {
  const query = encodeQuery(name, type);
  const what = `${nameToText(name)} ${typeToText(type)} via ${url}`;
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  try {
    let res: Response;
    try {
      const init: RequestInit =
        method === 'GET'
          ? { method, headers: { accept: MEDIA_TYPE }, signal: controller.signal }
          : {
              method,
              headers: { accept: MEDIA_TYPE, 'content-type': MEDIA_TYPE },
              body: query as Uint8Array<ArrayBuffer>,
              signal: controller.signal,
            };
      const target =
        method === 'GET' ? `${url}${url.includes('?') ? '&' : '?'}dns=${base64urlnopad.encode(query)}` : url;
      res = await fetchFn(target, init);
    } catch (e) {
      if (timedOut) return fail('Timeout', `no response within ${timeoutMs} ms for ${what}`);
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (e as Error).message;
      return fail('NetworkError', `${what}: ${why}`);
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      return fail('HttpError', `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''} for ${what}`);
    }
    const contentType = res.headers.get('content-type') ?? '';
    if (contentType.split(';')[0]!.trim().toLowerCase() !== MEDIA_TYPE) {
      await res.body?.cancel().catch(() => undefined);
      return fail(
        'BadContentType',
        `content-type ${JSON.stringify(contentType)}, not ${MEDIA_TYPE}, for ${what}`,
      );
    }
    let body: Uint8Array;
    try {
      body = new Uint8Array(await res.arrayBuffer());
    } catch (e) {
      if (timedOut) return fail('Timeout', `response body not received within ${timeoutMs} ms for ${what}`);
      return fail('NetworkError', `${what}: reading the body: ${(e as Error).message}`);
    }
    if (body.length > MAX_MESSAGE) return fail('Malformed', `${body.length}-byte response for ${what}`);
    try {
      const msg = parseMessage(body);
      if (!(msg.flags & FLAG.QR)) return fail('Malformed', `not a response (QR=0) for ${what}`);
      if (msg.flags & FLAG.TC) return fail('Malformed', `truncated response (TC=1) for ${what}`);
      if (!sameQuestion(body, encodeQuestion(name, type)))
        return fail('Malformed', `response to another question for ${what}`);
      return { kind: 'answer', rcode: msg.rcode, records: [...msg.answers, ...msg.authority] };
    } catch (e) {
      if (e instanceof DnsFormatError) return fail('Malformed', `${what}: ${e.message}`);
      throw e;
    }
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A Resolver over one or more DoH endpoints. An endpoint that fails (transport error, HTTP status, content
 * type, malformed message) or answers SERVFAIL is followed by the next one; when all fail, the result is the last
 * SERVFAIL answer if there was one, else an error whose detail lists every endpoint's failure.
 */
export function dohResolver(options: DohOptions): Resolver {
  if (options.urls.length === 0) throw new TypeError('dohResolver needs at least one URL');
  const method = options.method ?? 'GET';
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const fetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  return {
    async query(name, type) {
      const errors: { code: ResolverErrorCode; detail: string }[] = [];
      let servfail: ResolverAnswer | null = null;
      for (const url of options.urls) {
        const r = await queryOne(url, name, type, method, timeoutMs, fetchFn);
        if (r.kind === 'answer' && r.rcode !== 2) return r;
        if (r.kind === 'answer') servfail = r;
        else errors.push(r);
      }
      if (servfail) return servfail;
      const last = errors.at(-1)!;
      return { kind: 'error', code: last.code, detail: errors.map((e) => e.detail).join('; ') };
    },
  };
}

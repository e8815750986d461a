/**
 * The DoH fallback of protocol.md §8: for allowed domains the canister fetches TXT records itself with HTTPS
 * outcalls (RFC 8484 POST) to every configured provider, reduces each answer with the `doh_transform` query so
 * replicas agree, and accepts a value only when `quorum` providers returned identical bytes
 * (src/challenge/doh-quorum.ts). Results are cached per name; concurrent requests for a name share one fetch.
 */
import { call, canisterSelf, IDL } from 'azle';
import {
  type DohAnswer,
  dohRequest,
  isAllowedName,
  quorum,
  transformDohResponse,
} from '../src/challenge/doh-quorum.ts';
import type { TxtAnswer } from '../src/dns/lookup.ts';
import { ExpiringCache } from '../src/expiring-cache.ts';
import { type HttpResponseValue, httpRequestIdl, type TransformArgsValue } from '../src/ic/http-request.ts';
import { currentConfig } from './config.ts';
import { registerMetric } from './metrics.ts';

const outcallIdl = httpRequestIdl<IDL.Type>(IDL);
const { HttpRequestArgs } = outcallIdl;
/** The management canister's `http_request` response, and the argument of `doh_transform` (src/ic/http-request.ts). */
export const { HttpResponse: HttpOutcallResponse, TransformArgs } = outcallIdl;
export type HttpOutcallResponse = HttpResponseValue;
export type TransformArgs = TransformArgsValue;

/** Cycles attached to one outcall (generous for a 4 KiB response on a 13-node subnet; unused cycles are refunded). */
const OUTCALL_CYCLES = 1_000_000_000n;

/** `doh_transform`: the reduced, deterministic answer (status and headers dropped, body = transform bytes). */
export function dohTransform(args: TransformArgs): HttpOutcallResponse {
  const ok = args.response.status >= 200n && args.response.status < 300n;
  return {
    status: 200n,
    headers: [],
    body: ok
      ? transformDohResponse(args.response.body, args.context.length ? args.context : undefined)
      : Uint8Array.of(0x45),
  };
}

/** Names whose answers are kept (a mail with made-up selectors under an allowed domain adds names). */
const MAX_CACHED_NAMES = 10_000;
const cache = new ExpiringCache<TxtAnswer>(MAX_CACHED_NAMES);
const inFlight = new Map<string, Promise<TxtAnswer>>();
let outcalls = 0n;

export function dohOutcalls(): bigint {
  return outcalls;
}

export function dohAllowed(name: string): boolean {
  return isAllowedName(name, currentConfig().doh.allowed_domains);
}

async function fetchFrom(provider: { name: string; url: string }, name: string): Promise<DohAnswer> {
  const req = dohRequest(provider, name);
  outcalls++;
  try {
    const response = await call<unknown[], HttpOutcallResponse>('aaaaa-aa', 'http_request', {
      paramIdlTypes: [HttpRequestArgs],
      returnIdlType: HttpOutcallResponse,
      args: [
        {
          url: req.url,
          max_response_bytes: [BigInt(req.maxResponseBytes)],
          method: { post: null },
          headers: req.headers.map((h) => ({ name: h.name, value: h.value })),
          body: [req.body],
          transform: [{ function: [canisterSelf(), 'doh_transform'], context: req.body }],
        },
      ],
      cycles: OUTCALL_CYCLES,
    });
    return response.body;
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

async function fetchName(name: string, now: bigint): Promise<TxtAnswer> {
  const { providers, quorum: threshold, cache_seconds } = currentConfig().doh;
  const answers = await Promise.all(providers.map((p) => fetchFrom(p, name)));
  const answer = quorum(answers, threshold);
  if (answer.kind !== 'temperror') cache.set(name, answer, now + BigInt(cache_seconds) * 1_000_000_000n, now);
  return answer;
}

/**
 * The quorum answer for `name` (lowercase, no trailing dot): cached, shared with a fetch in flight, or fetched.
 * A name outside the allowlist in effect is never fetched (protocol.md §8), even one a challenge stored before an
 * upgrade narrowed the list: it answers temperror.
 */
export function resolveTxt(name: string, now: () => bigint): Promise<TxtAnswer> {
  if (!dohAllowed(name))
    return Promise.resolve({ kind: 'temperror', detail: `${name} is not on the DoH allowlist` });
  const cached = cache.get(name, now());
  if (cached) return Promise.resolve(cached);
  let pending = inFlight.get(name);
  if (!pending) {
    pending = fetchName(name, now()).finally(() => inFlight.delete(name));
    inFlight.set(name, pending);
  }
  return pending;
}

/** Only the cache, for deciding synchronously whether a fetch is needed. */
export function cachedTxt(name: string, now: bigint): TxtAnswer | undefined {
  return cache.get(name, now);
}

registerMetric({
  name: 'waxseal_doh_outcalls',
  help: 'HTTPS outcalls made to DoH providers since the last upgrade (cache hits make none).',
  type: 'counter',
  value: () => outcalls,
});
registerMetric({
  name: 'waxseal_doh_cached_names',
  help: 'DNS names whose DoH quorum answer is cached.',
  type: 'gauge',
  value: () => cache.size,
});

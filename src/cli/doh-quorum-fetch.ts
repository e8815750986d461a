/**
 * The canister's DoH reading (protocol.md §8, canister/doh.ts) done by the CLI against the `--doh` URLs, so that
 * `verify-email --doh` judges an allowlisted domain on the bytes the canister would see: for each name at or under
 * the allowlist, the canister's own RFC 8484 §4.1 POST (src/challenge/doh-quorum.ts `dohRequest`) to every URL,
 * each answer reduced by the canister's outcall transform, and a value accepted when `threshold` of them are
 * identical (`quorum`). Only the outcall differs: `fetch`, with a timeout. A name outside the allowlist is never
 * fetched and answers temperror, as in the canister.
 */
import {
  DOH_ERROR,
  type DohAnswer,
  dohRequest,
  isAllowedName,
  quorum,
  transformDohResponse,
} from '../challenge/doh-quorum.ts';
import type { TxtAnswer, TxtLookup } from '../dns/lookup.ts';
import { nameTextKey } from '../dns/name.ts';
import { DEFAULT_TIMEOUT_MS } from '../proof/doh.ts';

export interface DohQuorumOptions {
  readonly urls: readonly string[];
  /** Identical answers needed, 1 ≤ threshold ≤ urls.length. */
  readonly threshold: number;
  readonly allowedDomains: readonly string[];
  readonly timeoutMs?: number;
}

/** One provider's transformed answer, or why there is none (what the IC reports for a failed outcall). */
async function fetchFrom(url: string, name: string, timeoutMs: number): Promise<DohAnswer> {
  const req = dohRequest({ name: url, url }, name);
  try {
    const res = await fetch(req.url, {
      method: req.method,
      headers: req.headers.map((h): [string, string] => [h.name, h.value]),
      body: req.body as Uint8Array<ArrayBuffer>,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = new Uint8Array(await res.arrayBuffer());
    // canister/doh.ts dohTransform: a non-2xx status reduces to `E`, whatever the body.
    return res.ok ? transformDohResponse(body, req.body) : DOH_ERROR;
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause;
    return { error: `${url}: ${cause?.code ?? (e as Error).message}` };
  }
}

export function dohQuorumLookup(options: DohQuorumOptions): TxtLookup {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const answers = new Map<string, Promise<TxtAnswer>>();
  return (raw) => {
    const name = nameTextKey(raw);
    if (!isAllowedName(name, options.allowedDomains)) {
      return Promise.resolve({ kind: 'temperror', detail: `${name} is not on the DoH allowlist` });
    }
    let answer = answers.get(name);
    if (!answer) {
      answer = Promise.all(options.urls.map((u) => fetchFrom(u, name, timeoutMs))).then((all) =>
        quorum(all, options.threshold),
      );
      answers.set(name, answer);
    }
    return answer;
  };
}

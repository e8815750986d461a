/**
 * The `http_request` query of the IC HTTP Gateway Protocol. Responses are not certified, so browsers reach
 * them only through the raw domain (`https://<canister-id>.raw.icp0.io/metrics`); scrapers that use an
 * agent can call the query directly.
 */
import { utf8 } from '../src/encoding/bytes.ts';
import type { HeaderField, HttpRequest, HttpResponse } from './candid.ts';
import { renderMetrics } from './metrics.ts';

function textResponse(
  status: number,
  body: string,
  contentType: string,
  extra: HeaderField[] = [],
): HttpResponse {
  const bytes = utf8(body);
  return {
    status_code: status,
    headers: [
      ['content-type', contentType],
      ['content-length', String(bytes.length)],
      ['cache-control', 'no-store'],
      ...extra,
    ],
    body: bytes,
  };
}

/** The path of a request URL (`/metrics?x=1` → `/metrics`); the gateway passes the path and query only. */
export function requestPath(url: string): string {
  const end = url.search(/[?#]/);
  return end < 0 ? url : url.slice(0, end);
}

export function handleHttpRequest(request: HttpRequest): HttpResponse {
  const path = requestPath(request.url);
  const method = request.method; // case-sensitive (RFC 9110 §9.1): `get` is not GET
  if (path === '/metrics') {
    if (method !== 'GET' && method !== 'HEAD') {
      return textResponse(405, 'method not allowed\n', 'text/plain; charset=utf-8', [['allow', 'GET, HEAD']]);
    }
    const response = textResponse(200, renderMetrics(), 'text/plain; version=0.0.4; charset=utf-8');
    return method === 'HEAD' ? { ...response, body: new Uint8Array() } : response;
  }
  return textResponse(404, 'not found\n', 'text/plain; charset=utf-8');
}

// The management canister `aaaaa-aa` as far as the Node IC host implements it (IC interface spec,
// "The IC management canister": "IC method raw_rand" and "IC method http_request" (HTTPS outcalls)).
//
// * `raw_rand`: 32 bytes from node:crypto.
// * `http_request`: a real HTTP(S) request with `fetch` (tests point it at loopback servers). Redirects are not
//   followed (as on the IC), the response (headers + body) must fit `max_response_bytes` (default and maximum
//   2 MB), then the calling canister's transform query runs with caller `aaaaa-aa` on
//   `record { response; context }` and its reply is the call's reply.
// * Every other method is rejected with a message naming it.

import { randomBytes } from 'node:crypto';
import { IDL } from '@icp-sdk/core/candid';
import type { Principal } from '@icp-sdk/core/principal';
import {
  type HttpHeaderValue,
  type HttpRequestValue,
  type HttpResponseValue,
  httpRequestIdl,
} from '../ic/http-request.ts';
import { type CallResult, RejectCode } from './types.ts';

/** Spec: `max_response_bytes` defaults to, and may not exceed, 2 MB. */
export const MAX_HTTP_RESPONSE_BYTES = 2_000_000;

const { HttpResponse, TransformArgs, HttpRequestArgs } = httpRequestIdl<IDL.Type>(IDL);

export interface ManagementEnv {
  fetch: typeof fetch;
  httpTimeoutMs: number;
  /** Runs `method` of `canister` as a query with caller `aaaaa-aa` (for transforms). */
  runTransform(canister: Principal, method: string, arg: Uint8Array): CallResult;
}

const reject = (code: number, message: string): CallResult => ({ kind: 'reject', code, message });

export async function callManagement(
  env: ManagementEnv,
  method: string,
  arg: Uint8Array,
  caller: Principal,
): Promise<CallResult> {
  switch (method) {
    case 'raw_rand':
      return { kind: 'reply', bytes: IDL.encode([IDL.Vec(IDL.Nat8)], [new Uint8Array(randomBytes(32))]) };
    case 'http_request':
      return await httpRequest(env, arg, caller);
    default:
      return reject(
        RejectCode.CanisterReject,
        `management canister method '${method}' is not supported by the Node IC host (supported: raw_rand, http_request)`,
      );
  }
}

async function httpRequest(env: ManagementEnv, arg: Uint8Array, caller: Principal): Promise<CallResult> {
  let req: HttpRequestValue<Principal>;
  try {
    [req] = IDL.decode([HttpRequestArgs], arg) as unknown as [HttpRequestValue<Principal>];
  } catch (e) {
    return reject(
      RejectCode.CanisterReject,
      `http_request: cannot decode the arguments: ${(e as Error).message}`,
    );
  }
  const maxBytes =
    req.max_response_bytes[0] === undefined ? MAX_HTTP_RESPONSE_BYTES : Number(req.max_response_bytes[0]);
  if (maxBytes > MAX_HTTP_RESPONSE_BYTES) {
    return reject(
      RejectCode.CanisterReject,
      `http_request: max_response_bytes ${maxBytes} exceeds the limit of ${MAX_HTTP_RESPONSE_BYTES}`,
    );
  }
  const transform = req.transform[0];
  if (transform && transform.function[0].toText() !== caller.toText()) {
    return reject(
      RejectCode.CanisterReject,
      'http_request: the transform function must be a method of the calling canister',
    );
  }
  let url: URL;
  try {
    url = new URL(req.url);
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw new Error(`unsupported scheme ${url.protocol}`);
  } catch (e) {
    return reject(RejectCode.SysFatal, `http_request: invalid URL '${req.url}': ${(e as Error).message}`);
  }
  const method = Object.keys(req.method)[0]!.toUpperCase();
  const body = req.body[0] === undefined ? undefined : Uint8Array.from(req.body[0]);

  let response: HttpResponseValue;
  try {
    response = await performFetch(env, url, method, req.headers, body, maxBytes);
  } catch (e) {
    if (e instanceof ResponseTooLarge) return reject(RejectCode.SysFatal, e.message);
    const cause = (e as Error & { cause?: Error }).cause?.message;
    return reject(
      RejectCode.SysTransient,
      `http_request: connecting to ${url.host} failed: ${(e as Error).message}${cause ? ` (${cause})` : ''}`,
    );
  }
  if (!transform) {
    return { kind: 'reply', bytes: IDL.encode([HttpResponse], [response]) };
  }
  const transformArg = IDL.encode(
    [TransformArgs],
    [{ response, context: Uint8Array.from(transform.context) }],
  );
  const result = env.runTransform(transform.function[0], transform.function[1], transformArg);
  if (result.kind === 'reject') {
    return reject(
      result.code,
      `http_request: transform function '${transform.function[1]}' failed: ${result.message}`,
    );
  }
  return result;
}

class ResponseTooLarge extends Error {}

async function performFetch(
  env: ManagementEnv,
  url: URL,
  method: string,
  headers: HttpHeaderValue[],
  body: Uint8Array<ArrayBuffer> | undefined,
  maxBytes: number,
): Promise<HttpResponseValue> {
  const res = await env.fetch(url, {
    method,
    headers: headers.map((h) => [h.name, h.value] as [string, string]),
    ...(body === undefined || method === 'GET' || method === 'HEAD' ? {} : { body }),
    redirect: 'manual',
    signal: AbortSignal.timeout(env.httpTimeoutMs),
  });
  const outHeaders: HttpHeaderValue[] = [];
  let size = 0;
  res.headers.forEach((value, name) => {
    outHeaders.push({ name, value });
    size += Buffer.byteLength(name) + Buffer.byteLength(value);
  });
  if (size > maxBytes) {
    await res.body?.cancel();
    throw new ResponseTooLarge(`Header size exceeds specified response size limit ${maxBytes}`);
  }
  const chunks: Uint8Array[] = [];
  if (res.body && method !== 'HEAD') {
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > maxBytes) {
        await reader.cancel();
        throw new ResponseTooLarge(`Http body exceeds size limit of ${maxBytes} bytes.`);
      }
      chunks.push(value);
    }
  }
  return { status: BigInt(res.status), headers: outHeaders, body: new Uint8Array(Buffer.concat(chunks)) };
}

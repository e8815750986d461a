/**
 * JSON-RPC 2.0 (jsonrpc.org/specification, §4 Request object, §5 Response object, §5.1 Error object) as ICRC-25
 * uses it over ICRC-29 postMessage: recognising a request among arbitrary messages, and building responses.
 * Error codes are data: the JSON-RPC predefined ones and ICRC-25 "Errors" (1000 generic, 2000 not supported,
 * 3000 permission not granted, 3001 action aborted).
 */
import type { RefusalCode } from './request.ts';

/** §4: "An identifier … MUST contain a String, Number, or NULL value if included." Null ids get no answer here. */
export type RequestId = string | number;

export interface RpcRequest {
  readonly id: RequestId | undefined;
  readonly method: string;
  readonly params: unknown;
}

export type RpcResponse =
  | { readonly jsonrpc: '2.0'; readonly id: RequestId; readonly result: unknown }
  | {
      readonly jsonrpc: '2.0';
      readonly id: RequestId;
      readonly error: { readonly code: number; readonly message: string };
    };

/** §5.1 predefined codes, and ICRC-25's, by refusal. */
export const ERROR_CODES = {
  methodNotFound: -32601,
  byRefusal: {
    'invalid-params': -32602,
    generic: 1000,
    'not-supported': 2000,
    'permission-denied': 3000,
    'user-aborted': 3001,
  } satisfies Record<RefusalCode, number>,
} as const;

/**
 * The request in `data`, or null when `data` is no JSON-RPC 2.0 request (a response, another protocol's message,
 * anything at all): such messages are not ours to answer. A request whose id is neither a string nor a finite
 * number is treated as a notification (§4.1: no response).
 */
export function parseRequest(data: unknown): RpcRequest | null {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return null;
  const m = data as Record<string, unknown>;
  if (m.jsonrpc !== '2.0' || typeof m.method !== 'string') return null;
  const id =
    typeof m.id === 'string' || (typeof m.id === 'number' && Number.isFinite(m.id)) ? m.id : undefined;
  return { id, method: m.method, params: m.params };
}

export function result(id: RequestId, value: unknown): RpcResponse {
  return { jsonrpc: '2.0', id, result: value };
}

export function error(id: RequestId, code: number, message: string): RpcResponse {
  return { jsonrpc: '2.0', id, error: { code, message } };
}

export function refusalError(id: RequestId, code: RefusalCode, message: string): RpcResponse {
  return error(id, ERROR_CODES.byRefusal[code], message);
}

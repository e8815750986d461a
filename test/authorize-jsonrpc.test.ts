/** JSON-RPC 2.0 messages of /authorize (frontend/src/authorize/jsonrpc.ts) and the ICRC-25 error codes. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, error, parseRequest, refusalError, result } from '../frontend/src/authorize/jsonrpc.ts';

describe('parseRequest', () => {
  it('recognises a request (§4) with a string or number id, and its params', () => {
    expect(parseRequest({ jsonrpc: '2.0', id: 'a', method: 'icrc29_status' })).toEqual({
      id: 'a',
      method: 'icrc29_status',
      params: undefined,
    });
    expect(parseRequest({ jsonrpc: '2.0', id: 7, method: 'm', params: { x: 1 } })).toEqual({
      id: 7,
      method: 'm',
      params: { x: 1 },
    });
  });

  it('a request without a usable id is a notification (§4.1): id undefined', () => {
    for (const id of [undefined, null, {}, [], Number.NaN, Number.POSITIVE_INFINITY, true]) {
      expect(parseRequest({ jsonrpc: '2.0', id, method: 'm' })?.id).toBeUndefined();
    }
  });

  it('anything else is not ours: responses, other protocols, wrong versions, non-objects', () => {
    for (const data of [
      null,
      'icrc29_status',
      [],
      { jsonrpc: '2.0', id: 1, result: 'ready' },
      { jsonrpc: '1.0', id: 1, method: 'm' },
      { id: 1, method: 'm' },
      { jsonrpc: '2.0', id: 1, method: 5 },
      { kind: 'authorize-client' },
    ]) {
      expect(parseRequest(data)).toBeNull();
    }
  });

  it('never throws on any value, and returns a request only for jsonrpc "2.0" with a string method', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything(),
          fc.record({ jsonrpc: fc.constantFrom('2.0', '2', 2), id: fc.anything(), method: fc.anything() }),
        ),
        (data) => {
          const got = parseRequest(data);
          const m = data as Record<string, unknown> | null;
          const isRequest =
            typeof data === 'object' &&
            !Array.isArray(data) &&
            m?.jsonrpc === '2.0' &&
            typeof m.method === 'string';
          expect(got !== null).toBe(isRequest);
          if (got)
            expect(got.id === undefined || typeof got.id === 'string' || Number.isFinite(got.id)).toBe(true);
        },
      ),
    );
  });
});

describe('responses', () => {
  it('result and error objects as §5 and §5.1 specify', () => {
    expect(result('x', 'ready')).toEqual({ jsonrpc: '2.0', id: 'x', result: 'ready' });
    expect(error(3, -32601, 'no')).toEqual({ jsonrpc: '2.0', id: 3, error: { code: -32601, message: 'no' } });
  });

  it('refusals map to ICRC-25 codes: 3001 aborted, 3000 permission, 2000 not supported, 1000 generic, −32602', () => {
    expect(ERROR_CODES.byRefusal).toEqual({
      'user-aborted': 3001,
      'permission-denied': 3000,
      'not-supported': 2000,
      generic: 1000,
      'invalid-params': -32602,
    });
    expect(refusalError('i', 'user-aborted', 'cancelled')).toEqual({
      jsonrpc: '2.0',
      id: 'i',
      error: { code: 3001, message: 'cancelled' },
    });
  });
});

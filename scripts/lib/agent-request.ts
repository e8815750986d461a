// Request bodies exactly as HttpAgent (@icp-sdk/core 6.1) puts them on the wire: the content map of
// `call`/`query`/`createReadStateRequest` (agent/http/index.js), the identity's own `transformRequest`, and the
// agent's `Cbor.encode` (tag 55799). The request id is the agent's `requestIdOf` of the transformed content.
// Used by the devnet's tests (test/helpers/devnet-requests.ts re-exports this module) and by the raw clients of
// `npm run bench:devnet` (scripts/bench-devnet-client.ts). The defaults (canister 7, method `greet`) are the tests'.

import {
  Cbor,
  Endpoint,
  Expiry,
  type HttpAgentRequest,
  type Identity,
  makeNonce,
  ReadRequestType,
  requestIdOf,
  SubmitRequestType,
} from '@icp-sdk/core/agent';
import { Principal } from '@icp-sdk/core/principal';

export type RequestKind = 'call' | 'query' | 'read_state';

/** Canister ids are an 8-byte big-endian index followed by 0x01 0x01. */
export const canisterNumber = (n: number): Principal =>
  Principal.fromUint8Array(Uint8Array.from([0, 0, 0, 0, 0, 0, 0, n, 1, 1]));

/** An `Expiry` at an exact nanosecond (the agent's constructor is private; its JSON form is not). */
export function expiryAt(ns: bigint): Expiry {
  return Expiry.fromJSON(JSON.stringify({ __expiry__: ns.toString() }));
}

export interface RequestOptions {
  readonly expiry: bigint;
  readonly canisterId?: Principal;
  /** Default: `greet`, with the Candid argument `("hi")`. */
  readonly methodName?: string;
  readonly arg?: Uint8Array;
  /** Overrides the identity's principal. */
  readonly sender?: Principal;
  /** The nonce to send; `null` for none. Default: the agent's 16 random bytes on calls, none on queries. */
  readonly nonce?: Uint8Array | null;
  /** Extra content fields, as a transform could add them. */
  readonly extra?: Record<string, unknown>;
  readonly paths?: Uint8Array[][];
}

export interface AgentRequest {
  readonly body: Uint8Array;
  readonly requestId: Uint8Array;
}

export async function agentRequest(
  identity: Identity,
  kind: RequestKind,
  o: RequestOptions,
): Promise<AgentRequest> {
  const sender = o.sender ?? identity.getPrincipal();
  const ingress_expiry = expiryAt(o.expiry);
  const content: Record<string, unknown> =
    kind === 'read_state'
      ? {
          request_type: ReadRequestType.ReadState,
          paths: o.paths ?? [[new TextEncoder().encode('time')]],
          sender,
          ingress_expiry,
        }
      : {
          request_type: kind === 'call' ? SubmitRequestType.Call : ReadRequestType.Query,
          canister_id: o.canisterId ?? canisterNumber(7),
          method_name: o.methodName ?? 'greet',
          arg: o.arg ?? Uint8Array.from([0x44, 0x49, 0x44, 0x4c, 0x00, 0x01, 0x71, 0x02, 0x68, 0x69]),
          sender,
          ingress_expiry,
        };
  if (o.nonce) content.nonce = Object.assign(o.nonce, { __nonce__: undefined });
  else if (o.nonce === undefined && kind === 'call') content.nonce = makeNonce();
  Object.assign(content, o.extra);
  const endpoint = kind === 'call' ? Endpoint.Call : kind === 'query' ? Endpoint.Query : Endpoint.ReadState;
  const transformed = (await identity.transformRequest({
    endpoint,
    request: { method: 'POST', headers: { 'Content-Type': 'application/cbor' } },
    body: content,
  } as unknown as HttpAgentRequest)) as { body: { content?: Record<string, unknown> } };
  return { body: Cbor.encode(transformed.body), requestId: requestIdOf(transformed.body.content ?? content) };
}

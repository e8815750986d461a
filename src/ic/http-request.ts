/**
 * The management canister's `http_request` (IC interface spec, "IC method http_request": HTTPS outcalls), the one
 * definition of its Candid types: the canister encodes its DoH outcalls and serves its transform with them
 * (canister/doh.ts), and the Node IC host decodes the outcalls and encodes the transform's argument with them
 * (src/host/management.ts).
 *
 * Pure and library-free, so the canister (QuickJS) can import it: the caller passes its own `IDL` (Azle's
 * @dfinity/candid in the canister, @icp-sdk/core/candid in the host), which builds the types on its side.
 * The spec's optional `is_replicated` field is left out: the canister does not send it, and a decoder skips a
 * record field its type does not name (Candid subtyping), so the host reads requests that carry it all the same.
 */

/** The part of a Candid `IDL` namespace these types are built with; `T` is that library's `IDL.Type`. */
export interface CandidBuilder<T> {
  readonly Text: T;
  readonly Nat: T;
  readonly Nat8: T;
  readonly Nat64: T;
  readonly Null: T;
  Vec(t: T): T;
  Opt(t: T): T;
  Record(fields: Record<string, T>): T;
  Variant(fields: Record<string, T>): T;
  Func(args: T[], results: T[], annotations?: string[]): T;
}

/** The Candid types of `http_request`, built with the caller's IDL. */
export function httpRequestIdl<T>(IDL: CandidBuilder<T>) {
  const HttpHeader = IDL.Record({ name: IDL.Text, value: IDL.Text });
  const HttpResponse = IDL.Record({ status: IDL.Nat, headers: IDL.Vec(HttpHeader), body: IDL.Vec(IDL.Nat8) });
  const TransformArgs = IDL.Record({ response: HttpResponse, context: IDL.Vec(IDL.Nat8) });
  const HttpRequestArgs = IDL.Record({
    url: IDL.Text,
    max_response_bytes: IDL.Opt(IDL.Nat64),
    method: IDL.Variant({ get: IDL.Null, head: IDL.Null, post: IDL.Null }),
    headers: IDL.Vec(HttpHeader),
    body: IDL.Opt(IDL.Vec(IDL.Nat8)),
    transform: IDL.Opt(
      IDL.Record({
        function: IDL.Func([TransformArgs], [HttpResponse], ['query']),
        context: IDL.Vec(IDL.Nat8),
      }),
    ),
  });
  return { HttpHeader, HttpResponse, TransformArgs, HttpRequestArgs };
}

/** The values of those types as @dfinity/candid decodes them. */
export interface HttpHeaderValue {
  name: string;
  value: string;
}

export interface HttpResponseValue {
  status: bigint;
  headers: HttpHeaderValue[];
  body: Uint8Array;
}

export interface TransformArgsValue {
  response: HttpResponseValue;
  context: Uint8Array;
}

/** `P`: the Principal class of the caller's Candid library. */
export interface HttpRequestValue<P> {
  url: string;
  max_response_bytes: [] | [bigint];
  method: { get: null } | { head: null } | { post: null };
  headers: HttpHeaderValue[];
  body: [] | [Uint8Array | number[]];
  transform: [] | [{ function: [P, string]; context: Uint8Array | number[] }];
}

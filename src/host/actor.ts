// Candid actor facade over the Node IC host, shaped like @dfinity/pic's actors (`setPrincipal`,
// `setIdentity`) so tests can run against either backend. Methods annotated `query` / `composite_query` in the
// IDL are sent as queries, all others as update calls (Candid spec, "Service types" and "Function annotations").

import type { Identity } from '@icp-sdk/core/agent';
import { IDL } from '@icp-sdk/core/candid';
import { Principal } from '@icp-sdk/core/principal';
import { type CallOptions, CallRejectedError, type CallResult } from './types.ts';

export interface ActorOptions {
  /** The caller; anonymous when omitted. Only its principal is used: the host does not check signatures. */
  identity?: Pick<Identity, 'getPrincipal'>;
}

export interface ActorControls {
  setPrincipal(principal: Principal): void;
  setIdentity(identity: Pick<Identity, 'getPrincipal'>): void;
}

export type HostActor<T> = T & ActorControls;

/** What the actor needs from a host (IcHost satisfies it). */
export interface ActorTarget {
  update(canisterId: Principal, method: string, arg: Uint8Array, options?: CallOptions): Promise<CallResult>;
  query(canisterId: Principal, method: string, arg: Uint8Array, options?: CallOptions): Promise<CallResult>;
}

/** agent-js convention: no return value → undefined, one → the value, several → an array. */
export function decodeReturn(types: IDL.Type[], bytes: Uint8Array): unknown {
  const values = IDL.decode(types, bytes);
  if (values.length === 0) return undefined;
  if (values.length === 1) return values[0];
  return values;
}

export function createHostActor<T>(
  target: ActorTarget,
  idlFactory: IDL.InterfaceFactory,
  canisterId: Principal,
  options: ActorOptions = {},
): HostActor<T> {
  const service = idlFactory({ IDL });
  let caller: Principal = options.identity?.getPrincipal() ?? Principal.anonymous();
  const actor: Record<string, unknown> = {
    setPrincipal(principal: Principal) {
      caller = principal;
    },
    setIdentity(identity: Pick<Identity, 'getPrincipal'>) {
      caller = identity.getPrincipal();
    },
  };
  for (const [name, func] of service._fields) {
    const isQuery = func.annotations.includes('query') || func.annotations.includes('composite_query');
    actor[name] = async (...args: unknown[]) => {
      const arg = IDL.encode(func.argTypes, args);
      const result = isQuery
        ? await target.query(canisterId, name, arg, { caller })
        : await target.update(canisterId, name, arg, { caller });
      if (result.kind === 'reject')
        throw new CallRejectedError(result.code, result.message, canisterId.toText(), name);
      return decodeReturn(func.retTypes, result.bytes);
    };
  }
  return actor as HostActor<T>;
}

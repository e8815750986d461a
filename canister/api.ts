/**
 * Glue between Candid methods and the modules: the caller's context, and typed refusals. A module signals a
 * refusal by throwing ApiRefusal; `result` turns it into `{ Err: { code, message } }` so the caller gets a
 * typed answer and the update changes nothing it had not already committed (modules validate before writing).
 * Any other exception is a bug and traps, which rolls the message back.
 */
import { canisterSelf, IDL, msgArgData, msgCaller, time } from 'azle';
import type { ApiError } from './candid.ts';
import { currentConfig } from './config.ts';
import type { AuthContext } from './identities.ts';
import { ApiRefusal } from './refusal.ts';
import { salt } from './salt.ts';

export function result<T>(run: () => T): { Ok: T } | { Err: ApiError } {
  try {
    return { Ok: run() };
  } catch (e) {
    if (e instanceof ApiRefusal) return { Err: { code: e.code, message: e.message } };
    throw e;
  }
}

export async function asyncResult<T>(run: () => Promise<T>): Promise<{ Ok: T } | { Err: ApiError }> {
  try {
    return { Ok: await run() };
  } catch (e) {
    if (e instanceof ApiRefusal) return { Err: { code: e.code, message: e.message } };
    throw e;
  }
}

export function authContext(): AuthContext {
  return { canisterId: canisterSelf().toUint8Array(), salt: salt(), appOrigin: currentConfig().app_origin };
}

export const caller = msgCaller;

/** IC time in nanoseconds. */
export function now(): bigint {
  return time();
}

/**
 * The arguments of a `manual` method, decoded as Azle decodes those of the others (the same decoder, the same
 * "Failed to decode Candid bytes" trap), for methods that reply manually to save the encoding of their result.
 */
export function decodeArgs<T extends unknown[]>(types: IDL.Type[]): T {
  try {
    return IDL.decode(types, msgArgData()) as unknown as T;
  } catch (error) {
    throw new Error(`Failed to decode Candid bytes: ${error}`);
  }
}

// `waxseal devnet --config FILE`: the canister's install/upgrade argument written as JSON in the shape of the
// Candid `Config` record (candid/waxseal.did), turned into Candid bytes by walking the IDL type (Candid spec,
// "Types": opt, vec, record, text, nat*, principal, bool).
//
// JSON conventions: an `opt` field may be omitted or null; naturals are JSON numbers or decimal strings (nat64
// values beyond 2^53 need the string); principals are their text form. Unknown fields are refused, so a typo is
// an error rather than a silently ignored setting.

import { IDL } from '@icp-sdk/core/candid';
import { Principal } from '@icp-sdk/core/principal';
import { init } from '../../canister/declarations/waxseal.did.ts';

export class ConfigArgError extends Error {
  override name = 'ConfigArgError';
}

function fail(path: string, message: string): never {
  throw new ConfigArgError(`${path || 'config'}: ${message}`);
}

function natural(value: unknown, path: string, bits: number | undefined): bigint | number {
  const text = typeof value === 'number' ? (Number.isSafeInteger(value) ? String(value) : '') : value;
  if (typeof text !== 'string' || !/^(0|[1-9][0-9]*)$/.test(text)) {
    fail(path, `expected a non-negative integer, got ${JSON.stringify(value)}`);
  }
  const n = BigInt(text);
  if (bits !== undefined && n >= 1n << BigInt(bits)) fail(path, `${n} does not fit in nat${bits}`);
  return bits !== undefined && bits <= 32 ? Number(n) : n;
}

/** The Candid value of `json` for type `type`, or a ConfigArgError naming the field. */
export function fromJson(type: IDL.Type, json: unknown, path = ''): unknown {
  if (type instanceof IDL.OptClass) {
    return json === undefined || json === null ? [] : [fromJson(type._type, json, path)];
  }
  if (type instanceof IDL.RecordClass) {
    if (typeof json !== 'object' || json === null || Array.isArray(json)) fail(path, 'expected an object');
    const fields = new Map(type._fields);
    for (const key of Object.keys(json)) {
      if (!fields.has(key))
        fail(path, `unknown field ${JSON.stringify(key)} (known: ${[...fields.keys()].join(', ')})`);
    }
    const out: Record<string, unknown> = {};
    for (const [name, fieldType] of fields) {
      const value = (json as Record<string, unknown>)[name];
      const at = path ? `${path}.${name}` : name;
      if (value === undefined && !(fieldType instanceof IDL.OptClass)) fail(at, 'is required');
      out[name] = fromJson(fieldType, value, at);
    }
    return out;
  }
  if (type instanceof IDL.VecClass) {
    if (!Array.isArray(json)) fail(path, 'expected an array');
    return json.map((v, i) => fromJson(type._type, v, `${path}[${i}]`));
  }
  if (type instanceof IDL.TextClass) {
    if (typeof json !== 'string') fail(path, 'expected a string');
    return json;
  }
  if (type instanceof IDL.BoolClass) {
    if (typeof json !== 'boolean') fail(path, 'expected true or false');
    return json;
  }
  if (type instanceof IDL.FixedNatClass) return natural(json, path, type._bits);
  if (type instanceof IDL.NatClass) return natural(json, path, undefined);
  if (type instanceof IDL.PrincipalClass) {
    if (typeof json !== 'string') fail(path, 'expected a principal in text form');
    try {
      return Principal.fromText(json);
    } catch {
      fail(path, `${JSON.stringify(json)} is not a valid principal`);
    }
  }
  return fail(path, `type ${type.display()} is not supported in a JSON config`);
}

/** Candid bytes of the install/upgrade argument `(opt Config)` for the parsed JSON config (undefined: none). */
export function encodeConfigArg(json: unknown): Uint8Array {
  const types = init({ IDL });
  const [optConfig] = types;
  if (!optConfig) throw new Error('the canister declares no init argument');
  return new Uint8Array(IDL.encode(types, [fromJson(optConfig, json)]));
}

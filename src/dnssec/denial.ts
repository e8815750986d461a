/**
 * Proof that a delegation is unsigned (RFC 4035 §5.2; RFC 5155 §8.6 for NSEC3): an authenticated NSEC or NSEC3
 * record that matches the delegation name exactly and whose type bitmap has NS but neither DS nor SOA.
 * Opt-out spans (a covering NSEC3 without an exact match) are not accepted: such a name reads as unproven.
 */
import { sha1 } from '@noble/hashes/legacy.js';
import { base32hexnopad } from '@scure/base';
import { canonicalNameWire, type Name, nameEquals } from '../dns/name.ts';
import { decodeRdata } from '../dns/rdata.ts';
import type { ResourceRecord } from '../dns/record.ts';
import { TYPE } from '../dns/types.ts';

/** RFC 9276 §3.2 advises validators to treat high iteration counts as insecure; beyond this we do not hash. */
const MAX_NSEC3_ITERATIONS = 500;

/** Type bitmap of an NSEC or NSEC3 record. */
export function bitmapTypes(rr: ResourceRecord): number[] {
  const fields = decodeRdata(rr.type, rr.rdata, 0, rr.rdata.length);
  return fields.at(-1) as number[];
}

export function deniesDs(types: readonly number[]): boolean {
  return types.includes(TYPE.NS) && !types.includes(TYPE.DS) && !types.includes(TYPE.SOA);
}

/** RFC 5155 §5: IH(salt, x, k) with SHA-1. */
export function nsec3Hash(name: Name, salt: Uint8Array, iterations: number): Uint8Array {
  const withSalt = (x: Uint8Array) => {
    const out = new Uint8Array(x.length + salt.length);
    out.set(x);
    out.set(salt, x.length);
    return out;
  };
  let h = sha1(withSalt(canonicalNameWire(name)));
  for (let i = 0; i < iterations; i++) h = sha1(withSalt(h));
  return h;
}

/** NSEC3 records whose owner is the hash of `name` under their zone (the owner minus its first label). */
export function matchingNsec3(name: Name, nsec3s: readonly ResourceRecord[]): ResourceRecord[] {
  return nsec3s.filter((rr) => {
    const zone = rr.name.slice(1);
    if (
      rr.name.length === 0 ||
      name.length <= zone.length ||
      !nameEquals(name.slice(name.length - zone.length), zone)
    )
      return false;
    const [alg, , iterations, salt] = decodeRdata(rr.type, rr.rdata, 0, rr.rdata.length) as [
      number,
      number,
      number,
      Uint8Array,
    ];
    if (alg !== 1 || iterations > MAX_NSEC3_ITERATIONS) return false;
    const label = new TextDecoder().decode(rr.name[0]).toUpperCase();
    return base32hexnopad.encode(nsec3Hash(name, salt, iterations)) === label;
  });
}

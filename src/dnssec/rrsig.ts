/**
 * RRSIG records (RFC 4034 §3) and the data they sign (§3.1.8.1, canonical form and order §6.2–§6.3):
 * RRSIG RDATA without the signature (signer name lowercased), then each RR of the set with lowercased owner,
 * the original TTL and canonical RDATA, sorted by RDATA with duplicates removed. Validity (RFC 4035 §5.3.1) uses
 * serial-number arithmetic (RFC 1982, RFC 4034 §3.1.5) with the clock skew of protocol.md §9.
 */
import { malformed } from '../dns/errors.ts';
import { canonicalNameWire, type Name, readName } from '../dns/name.ts';
import { canonicalRdata } from '../dns/rdata.ts';
import type { ResourceRecord } from '../dns/record.ts';
import { TYPE } from '../dns/types.ts';
import { compareBytes } from '../encoding/bytes.ts';

export interface Rrsig {
  readonly owner: Name;
  readonly typeCovered: number;
  readonly algorithm: number;
  readonly labels: number;
  readonly originalTtl: number;
  readonly expiration: number;
  readonly inception: number;
  readonly keyTag: number;
  readonly signer: Name;
  readonly signature: Uint8Array;
  /** RDATA up to (not including) the signature, with the signer name in canonical form. */
  readonly signedPrefix: Uint8Array;
  readonly class: number;
  /** The RRSIG record itself. */
  readonly record: ResourceRecord;
}

export function parseRrsig(rr: ResourceRecord): Rrsig {
  const r = rr.rdata;
  if (rr.type !== TYPE.RRSIG || r.length < 19) malformed('not an RRSIG record');
  const view = new DataView(r.buffer, r.byteOffset, r.byteLength);
  const { name: signer, end } = readName(r, 18, false);
  const signerWire = canonicalNameWire(signer);
  const signedPrefix = new Uint8Array(18 + signerWire.length);
  signedPrefix.set(r.subarray(0, 18));
  signedPrefix.set(signerWire, 18);
  return {
    owner: rr.name,
    typeCovered: view.getUint16(0),
    algorithm: r[2]!,
    labels: r[3]!,
    originalTtl: view.getUint32(4),
    expiration: view.getUint32(8),
    inception: view.getUint32(12),
    keyTag: view.getUint16(16),
    signer,
    signature: r.subarray(end),
    signedPrefix,
    class: rr.class,
    record: rr,
  };
}

const HALF = 2 ** 31;
const MOD = 2 ** 32;

/** a ≤ b in serial-number arithmetic (RFC 1982 §3.2), for 32-bit values. */
function serialLte(a: number, b: number): boolean {
  return (((b - a) % MOD) + MOD) % MOD < HALF;
}

export type TimeCheck = 'ok' | 'InceptionAfterExpiration' | 'SignatureExpired' | 'SignatureNotYetValid';

/**
 * The validity window against `now`, widened by `skew` on both sides. An RRSIG whose inception is after its
 * expiration is valid at no time (RFC 4035 §5.3.1 needs inception ≤ now ≤ expiration), so it is refused before the
 * clock is read: the skew must not open a window the signer never gave.
 */
export function checkValidity(sig: Rrsig, now: number, skew: number): TimeCheck {
  if (!serialLte(sig.inception, sig.expiration)) return 'InceptionAfterExpiration';
  const at = (t: number) => ((t % MOD) + MOD) % MOD;
  if (!serialLte(sig.inception, at(now + skew))) return 'SignatureNotYetValid';
  if (!serialLte(at(now - skew), sig.expiration)) return 'SignatureExpired';
  return 'ok';
}

/** The signed data for `rrset` under `sig` (owner names are the set's own: wildcards are refused earlier). */
export function signedData(sig: Rrsig, rrset: readonly ResourceRecord[]): Uint8Array {
  const first = rrset[0]!;
  const owner = canonicalNameWire(first.name);
  const rdatas = rrset.map((rr) => canonicalRdata(rr.type, rr.rdata)).sort(compareBytes);
  const unique = rdatas.filter((r, i) => i === 0 || compareBytes(r, rdatas[i - 1]!) !== 0);
  let len = sig.signedPrefix.length;
  for (const r of unique) len += owner.length + 10 + r.length;
  const out = new Uint8Array(len);
  const view = new DataView(out.buffer);
  out.set(sig.signedPrefix);
  let o = sig.signedPrefix.length;
  for (const r of unique) {
    out.set(owner, o);
    o += owner.length;
    view.setUint16(o, first.type);
    view.setUint16(o + 2, first.class);
    view.setUint32(o + 4, sig.originalTtl);
    view.setUint16(o + 8, r.length);
    out.set(r, o + 10);
    o += 10 + r.length;
  }
  return out;
}

/**
 * DNSKEY and DS records (RFC 4034 §2, §5, Appendix B; RFC 4509; RFC 6605 §2; RFC 5011 §2.1, §7): key tags, DS
 * digests (types 2 and 4; type 1 ignored as protocol.md §7 says), the REVOKE flag, and trust anchors given as DS
 * or DNSKEY lines.
 */
import type { CryptoBackend } from '../crypto/backend.ts';
import { malformed } from '../dns/errors.ts';
import { canonicalNameWire, type Name, nameEquals } from '../dns/name.ts';
import type { ResourceRecord } from '../dns/record.ts';
import { TYPE } from '../dns/types.ts';
import { parseZoneFile } from '../dns/zone-file.ts';
import { bytesEqual } from '../encoding/bytes.ts';

export interface Dnskey {
  readonly owner: Name;
  readonly flags: number;
  readonly protocol: number;
  readonly algorithm: number;
  readonly publicKey: Uint8Array;
  readonly keyTag: number;
  readonly rdata: Uint8Array;
}

export interface Ds {
  readonly owner: Name;
  readonly keyTag: number;
  readonly algorithm: number;
  readonly digestType: number;
  readonly digest: Uint8Array;
}

export const FLAG_ZONE = 0x0100;
export const FLAG_SEP = 0x0001;
/** RFC 5011 §7: bit 8 of the flags. */
export const FLAG_REVOKE = 0x0080;

/**
 * A revoked key vouches for nothing (RFC 5011 §2.1): not as a trust anchor, not through a DS, not as the signer of
 * any RRset. (Its one use, authenticating its own revocation to an RFC 5011 anchor store, Waxseal has no need of.)
 */
export function isRevoked(key: Dnskey): boolean {
  return (key.flags & FLAG_REVOKE) !== 0;
}

/** `key` as it was before its owner set the REVOKE bit: other flags, key tag and DS digests (RFC 5011 §2.1). */
export function unrevoked(key: Dnskey): Dnskey {
  const rdata = key.rdata.slice();
  rdata[1] = rdata[1]! & ~FLAG_REVOKE;
  return {
    ...key,
    flags: key.flags & ~FLAG_REVOKE,
    keyTag: keyTag(rdata),
    rdata,
    publicKey: rdata.subarray(4),
  };
}

/** RFC 4034 Appendix B (algorithm 1's special case is irrelevant: it is unsupported). */
export function keyTag(rdata: Uint8Array): number {
  let ac = 0;
  for (let i = 0; i < rdata.length; i++) ac += i & 1 ? rdata[i]! : rdata[i]! << 8;
  ac += (ac >> 16) & 0xffff;
  return ac & 0xffff;
}

export function parseDnskey(rr: ResourceRecord): Dnskey {
  const r = rr.rdata;
  if (rr.type !== TYPE.DNSKEY || r.length < 5) malformed('not a DNSKEY record');
  return {
    owner: rr.name,
    flags: (r[0]! << 8) | r[1]!,
    protocol: r[2]!,
    algorithm: r[3]!,
    publicKey: r.subarray(4),
    keyTag: keyTag(r),
    rdata: r,
  };
}

export function parseDs(rr: ResourceRecord): Ds {
  const r = rr.rdata;
  if ((rr.type !== TYPE.DS && rr.type !== TYPE.CDS) || r.length < 5) malformed('not a DS record');
  return {
    owner: rr.name,
    keyTag: (r[0]! << 8) | r[1]!,
    algorithm: r[2]!,
    digestType: r[3]!,
    digest: r.subarray(4),
  };
}

/** Digest types Waxseal computes: 2 = SHA-256 (RFC 4509), 4 = SHA-384 (RFC 6605). */
export function isSupportedDigest(type: number): boolean {
  return type === 2 || type === 4;
}

/** True when `ds` is a supported digest of `key` at `key.owner` (RFC 4034 §5.1.4). */
export async function dsMatches(ds: Ds, key: Dnskey, crypto: CryptoBackend): Promise<boolean> {
  if (ds.keyTag !== key.keyTag || ds.algorithm !== key.algorithm || !isSupportedDigest(ds.digestType))
    return false;
  if (!nameEquals(ds.owner, key.owner)) return false;
  const owner = canonicalNameWire(key.owner);
  const input = new Uint8Array(owner.length + key.rdata.length);
  input.set(owner);
  input.set(key.rdata, owner.length);
  const digest = ds.digestType === 2 ? await crypto.sha256(input) : await crypto.sha384(input);
  return bytesEqual(digest, ds.digest);
}

/** A trust anchor: a DS digest or a DNSKEY trusted directly (protocol.md §7, §10 `--anchors`). */
export type TrustAnchor = { kind: 'ds'; ds: Ds } | { kind: 'dnskey'; key: Dnskey };

export function anchorsFromRecords(records: readonly ResourceRecord[]): TrustAnchor[] {
  return records.map((rr) =>
    rr.type === TYPE.DS
      ? { kind: 'ds', ds: parseDs(rr) }
      : rr.type === TYPE.DNSKEY
        ? { kind: 'dnskey', key: parseDnskey(rr) }
        : malformed('trust anchors must be DS or DNSKEY records'),
  );
}

export function anchorOwner(a: TrustAnchor): Name {
  return a.kind === 'ds' ? a.ds.owner : a.key.owner;
}

/** Parses presentation-format DS or DNSKEY lines (TTL optional) into trust anchors. */
export function parseAnchors(text: string): TrustAnchor[] {
  return anchorsFromRecords(parseZoneFile(text, { defaultTtl: 0 }));
}

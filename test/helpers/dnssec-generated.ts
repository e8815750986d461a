/**
 * The BIND-signed hierarchy of test-vectors/dnssec/generated (scripts/gen-dnssec-zones.sh) and Waxseal's
 * expected verdict for each query. Where our rules are deliberately narrower than a full resolver's, the case
 * says so here, once, for every suite that uses the matrix.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nameFromText, nameKey, readName } from '../../src/dns/name.ts';
import type { ResourceRecord } from '../../src/dns/record.ts';
import { TYPE } from '../../src/dns/types.ts';
import { parseZoneFile } from '../../src/dns/zone-file.ts';
import { parseAnchors, type TrustAnchor } from '../../src/dnssec/dnskey.ts';
import { GENERATED_DIR } from './dns-servers.ts';

export interface GeneratedDnssecCase {
  id: string;
  name: string;
  type: string;
  /** The verdict of RFC 4035 with proofs of non-existence, as the generator recorded it. */
  expected: 'secure' | 'insecure' | 'bogus';
  reason: string | null;
  note: string;
  wildcard?: boolean;
  negative?: 'nxdomain' | 'nodata';
  delv?: 'secure' | 'insecure' | 'bogus';
  anchors?: string;
}

export const matrix = JSON.parse(readFileSync(join(GENERATED_DIR, 'cases.json'), 'utf8')) as {
  verify_time: number;
  anchors: string;
  cases: GeneratedDnssecCase[];
};

export const allRecords: ResourceRecord[] = parseZoneFile(
  readFileSync(join(GENERATED_DIR, 'all-records.zone'), 'utf8'),
);

/**
 * The part of `records` a proof for `name` can draw on, small enough for the proof limits (src/dnssec/proof-limits.ts
 * applies them to every input, the whole hierarchy included): the records owned by `name`, by the CNAME targets it
 * leads to, and by their ancestors (zone apexes: DNSKEY, DS, NSEC, …), and the NSEC3 records of those zones.
 */
export function recordsFor(name: string, records: readonly ResourceRecord[] = allRecords): ResourceRecord[] {
  const ancestors = new Set<string>();
  const pending = [nameFromText(name)];
  for (let owner = pending.pop(); owner; owner = pending.pop()) {
    if (ancestors.has(nameKey(owner))) continue;
    for (let z = owner; ; z = z.slice(1)) {
      ancestors.add(nameKey(z));
      if (z.length === 0) break;
    }
    const key = nameKey(owner);
    for (const rr of records) {
      if (rr.type === TYPE.CNAME && nameKey(rr.name) === key) pending.push(readName(rr.rdata, 0, false).name);
    }
  }
  return records.filter(
    (rr) =>
      ancestors.has(nameKey(rr.name)) || (rr.type === TYPE.NSEC3 && ancestors.has(nameKey(rr.name.slice(1)))),
  );
}

export function anchorsFor(c: GeneratedDnssecCase): TrustAnchor[] {
  return parseAnchors(readFileSync(join(GENERATED_DIR, c.anchors ?? matrix.anchors), 'utf8'));
}

/** Waxseal's verdict and the reason it differs from the generator's RFC-level expectation, if it does. */
export function waxsealExpectation(
  c: GeneratedDnssecCase,
  source: 'zone' | 'proof',
): { verdict: string; reason: string | null; why?: string } {
  if (c.wildcard) {
    return source === 'zone'
      ? {
          verdict: 'bogus',
          reason: 'MissingRecords',
          why: 'the zone files hold *.wild, not the expanded answer',
        }
      : {
          verdict: 'bogus',
          reason: 'WildcardNotProven',
          why: 'Waxseal refuses wildcard-expanded answers instead of checking NSEC/NSEC3 proofs (src/dnssec/chain.ts)',
        };
  }
  if (c.id === 'nsec3optout-child') {
    return {
      verdict: 'bogus',
      reason: 'MissingRecords',
      why: 'an opt-out NSEC3 span does not prove a delegation unsigned for Waxseal (src/dnssec/denial.ts)',
    };
  }
  if (c.negative) {
    return {
      verdict: 'bogus',
      reason: 'MissingRecords',
      why: 'Waxseal validates positive answers only; a proof of non-existence is not evaluated',
    };
  }
  if (c.id === 'rsasha512-txt') {
    return {
      verdict: 'insecure',
      reason: 'UnsupportedAlgorithm',
      why: 'only algorithm 10 DS records: RFC 4035 §5.2 treats the zone as unsigned, and Waxseal does not accept it',
    };
  }
  return { verdict: c.expected, reason: c.reason };
}

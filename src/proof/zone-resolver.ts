/**
 * A Resolver over a fixed set of records (e.g. a zone file, test-vectors/dnssec/generated/all-records.zone), so
 * proofs can be built offline and the builder tested without servers. It answers like a simple authoritative
 * server for every zone at once (RFC 1034 §4.3.2, without referrals or wildcard synthesis):
 *
 * - the RRset with its RRSIGs;
 * - else, when the name owns a CNAME and the type is not CNAME, the CNAME with its RRSIGs (not followed);
 * - else NODATA (rcode 0) when the name owns records or is an empty non-terminal, otherwise NXDOMAIN (rcode 3),
 *   with the enclosing SOA (RFC 2308 §3) and the NSEC at the name or the NSEC3 matching it, with RRSIGs, in the
 *   authority section (RFC 4035 §3.1.3): what a DS question at an unsigned delegation needs.
 *
 * A DS question takes its SOA from the parent side, because DS records live in the parent zone (RFC 4035 §3.1.4.1).
 */
import { type Name, nameKey, parentName } from '../dns/name.ts';
import { type ResourceRecord, rrsetKey } from '../dns/record.ts';
import { CLASS_IN, TYPE } from '../dns/types.ts';
import { matchingNsec3 } from '../dnssec/denial.ts';
import { RCODE, type Resolver, type ResolverAnswer } from './resolver.ts';

export function zoneResolver(records: readonly ResourceRecord[]): Resolver {
  const rrsets = new Map<string, ResourceRecord[]>();
  const sigs = new Map<string, ResourceRecord[]>();
  const existing = new Set<string>();
  const nsec3s: ResourceRecord[] = [];
  const push = (map: Map<string, ResourceRecord[]>, key: string, rr: ResourceRecord) => {
    const list = map.get(key);
    if (list) list.push(rr);
    else map.set(key, [rr]);
  };
  for (const rr of records) {
    if (rr.class !== CLASS_IN) continue;
    if (rr.type === TYPE.RRSIG) {
      if (rr.rdata.length >= 2) push(sigs, rrsetKey(rr.name, (rr.rdata[0]! << 8) | rr.rdata[1]!), rr);
    } else push(rrsets, rrsetKey(rr.name, rr.type), rr);
    if (rr.type === TYPE.NSEC3) nsec3s.push(rr);
    // The owner and its ancestors exist (empty non-terminals included, RFC 4592 §2.2.2).
    for (let n: Name | null = rr.name; n !== null && !existing.has(nameKey(n)); n = parentName(n))
      existing.add(nameKey(n));
  }

  const withSigs = (name: Name, type: number): ResourceRecord[] => [
    ...(rrsets.get(rrsetKey(name, type)) ?? []),
    ...(sigs.get(rrsetKey(name, type)) ?? []),
  ];

  const enclosingSoa = (name: Name, type: number): ResourceRecord[] => {
    let n: Name | null = type === TYPE.DS ? parentName(name) : name;
    for (; n !== null; n = parentName(n)) {
      const soa = withSigs(n, TYPE.SOA);
      if (soa.length > 0) return soa;
    }
    return [];
  };

  const answer = (name: Name, type: number): ResolverAnswer => {
    const set = withSigs(name, type);
    if (rrsets.has(rrsetKey(name, type))) return { kind: 'answer', rcode: RCODE.NOERROR, records: set };
    if (type !== TYPE.CNAME && rrsets.has(rrsetKey(name, TYPE.CNAME)))
      return { kind: 'answer', rcode: RCODE.NOERROR, records: withSigs(name, TYPE.CNAME) };
    const authority = [
      ...enclosingSoa(name, type),
      ...withSigs(name, TYPE.NSEC),
      ...matchingNsec3(name, nsec3s).flatMap((rr) => [
        rr,
        ...(sigs.get(rrsetKey(rr.name, TYPE.NSEC3)) ?? []),
      ]),
    ];
    const rcode = existing.has(nameKey(name)) ? RCODE.NOERROR : RCODE.NXDOMAIN;
    return { kind: 'answer', rcode, records: authority };
  };

  return { query: (name, type) => Promise.resolve(answer(name, type)) };
}

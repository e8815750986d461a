/**
 * DMARC policy discovery (RFC 7489 §6.6.3) as protocol.md §6 applies it: the record at `_dmarc.<From domain>`;
 * when no DMARC record is there (the name does not exist, or none of its TXT records starts with v=DMARC1), the
 * record at `_dmarc.<organizational domain>` (§3.2, src/dmarc/organizational-domain.ts). Several records or an
 * unusable one at a name end discovery there (steps 5–6). A failed lookup at the From domain ends it too, with
 * no policy: the strict rule then applies, which every policy also accepts, so nothing fails open.
 *
 * `dmarcNames` is the one place the names are computed: the verifier (src/verify-email.ts), the canister's
 * Resolving/NeedProof lists (src/challenge/flow.ts), the proof builder (src/proof/message.ts) and the domain
 * report (src/proof/domain-report.ts) all ask it.
 */
import type { TxtLookup } from '../dns/lookup.ts';
import { type Meter, UNMETERED } from '../meter.ts';
import { organizationalDomain, SHIPPED_SUFFIXES } from './organizational-domain.ts';
import type { PublicSuffixes } from './public-suffix-list.ts';
import { type DmarcDiscovery, selectDmarcRecord } from './record.ts';

/** RFC 7489 §6.1 prefix of a DMARC record name. */
export const DMARC_LABEL = '_dmarc';
/** RFC 1035 §2.3.4: the longest DNS name in presentation form without the trailing dot. */
export const MAX_DNS_NAME = 253;

export interface DmarcNames {
  /** The organizational domain of the From domain; null when the From domain is a public suffix. */
  readonly organizationalDomain: string | null;
  /** `_dmarc.<from-domain>`, lowercase, no trailing dot; null when longer than a DNS name can be. */
  readonly fromName: string | null;
  /** `_dmarc.<org(from-domain)>` when the organizational domain differs from the From domain, else null. */
  readonly orgName: string | null;
}

/** The DMARC names for mail from `fromDomain` (lowercase, no trailing dot). */
export function dmarcNames(fromDomain: string, suffixes: PublicSuffixes = SHIPPED_SUFFIXES): DmarcNames {
  const org = organizationalDomain(fromDomain, suffixes);
  const fromName = `${DMARC_LABEL}.${fromDomain}`;
  return {
    organizationalDomain: org,
    fromName: fromName.length <= MAX_DNS_NAME ? fromName : null,
    orgName: org !== null && org !== fromDomain ? `${DMARC_LABEL}.${org}` : null,
  };
}

/** The names in the order they are asked for (the From domain's first); for lists of names to fetch or prove. */
export function dmarcNameList(names: DmarcNames): string[] {
  return [names.fromName, names.orgName].filter((n): n is string => n !== null);
}

export interface DmarcFound {
  readonly discovery: DmarcDiscovery;
  /** Where the record was found (the name), or null when no record was. */
  readonly recordName: string | null;
  readonly organizationalDomain: string | null;
}

/** Discovers the DMARC policy for `fromDomain` over `lookup`. */
export async function discoverDmarc(
  fromDomain: string,
  lookup: TxtLookup,
  suffixes: PublicSuffixes = SHIPPED_SUFFIXES,
  meter: Meter = UNMETERED,
): Promise<DmarcFound> {
  const names = dmarcNames(fromDomain, suffixes);
  const organizational = names.organizationalDomain;
  const at = async (name: string): Promise<DmarcDiscovery> => {
    const answer = await lookup(name);
    if (answer.kind === 'txt') return meter.sync('dmarc', () => selectDmarcRecord(answer.records));
    if (answer.kind === 'nxdomain') return { kind: 'none', detail: 'no DMARC record', empty: true };
    return { kind: 'temperror', detail: answer.detail };
  };
  const none = (discovery: DmarcDiscovery): DmarcFound => ({
    discovery,
    recordName: null,
    organizationalDomain: organizational,
  });
  if (names.fromName === null)
    return none({ kind: 'none', detail: 'the From domain is too long', empty: false });
  const first = await at(names.fromName);
  if (first.kind === 'record')
    return { discovery: first, recordName: names.fromName, organizationalDomain: organizational };
  if (first.kind !== 'none' || !first.empty || names.orgName === null) return none(first);
  const second = await at(names.orgName);
  if (second.kind === 'record') {
    return { discovery: second, recordName: names.orgName, organizationalDomain: organizational };
  }
  const detail = `no DMARC record at ${names.fromName}; at ${names.orgName}: ${second.detail}`;
  return none(second.kind === 'none' ? { ...second, detail } : { kind: 'temperror', detail });
}

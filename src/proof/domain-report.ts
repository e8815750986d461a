/**
 * "Can addresses at this domain recover?" (issue 13 §4), answered alike by the web app's up-front check
 * (frontend/src/ic/domain-check.ts, issue 11) and `waxseal domain`. The canister accepts a DKIM key that an
 * RFC 9102 chain proves from its root anchors (protocol.md §7), or, for a name at or under its DoH allowlist,
 * one read from a quorum of DNS-over-HTTPS providers (RFC 8484; protocol.md §8); any other domain ends in
 * `Failed{DomainNotSupported}`.
 *
 * - `decideDomain` is that rule over two facts, pure: allowlist membership (the canister's `isAllowedName`) and
 *   whether the domain's zone validates from the anchors (email.ts `domainSupport`: its SOA, a stand-in for keys
 *   nobody has named yet). The gateway attaches a proof whenever one exists, so DNSSEC goes first.
 * - `domainReport` gathers the facts over a Resolver and adds the domain's organizational domain (RFC 7489 §3.2,
 *   shipped Public Suffix List) and its DMARC record, discovered as the canister does (§6.6.3,
 *   src/dmarc/discovery.ts): at `_dmarc.<domain>`, else at `_dmarc.<organizational domain>`; with the alignment
 *   rule it sets for d= (§3.1.1, protocol.md §6): under the DNSSEC path only a record that validates counts (a
 *   missing or unproven one leaves the strict rule, d= equal to the domain); under DoH the record as the
 *   providers serve it.
 *
 * Browser-safe (no Node builtins).
 */
import { isAllowedName } from '../challenge/doh-quorum.ts';
import { dmarcNames } from '../dmarc/discovery.ts';
import type { PublicSuffixes } from '../dmarc/public-suffix-list.ts';
import { type DmarcRecord, selectDmarcRecord } from '../dmarc/record.ts';
import { type Name, nameFromText, nameToText } from '../dns/name.ts';
import type { BuildOptions, ProofErrorCode } from './build.ts';
import { type DomainSupport, domainSupport } from './email.ts';
import { type NameStatus, nameStatus } from './name-status.ts';
import type { Resolver } from './resolver.ts';
import { QuerySession } from './session.ts';

export type DomainDecision =
  /** Go on: the canister will read the key over DoH, or a DNSSEC proof of it can be built. */
  | { readonly kind: 'supported'; readonly via: 'doh' | 'dnssec' }
  /** Stop: the zone is provably unsigned, or its DNSSEC chain is broken. `detail` is technical. */
  | { readonly kind: 'unsupported'; readonly detail: string }
  /** The check could not run (no DoH provider answered): the person may go on, the canister decides. */
  | { readonly kind: 'unchecked'; readonly detail: string };

/**
 * `domainSupport` reasons that say the lookups failed rather than anything about the zone. Keyed on every
 * ProofErrorCode, so a new code needs a decision here. `Malformed` is also a bogus reason; a garbled answer is
 * treated as a failed lookup, so nobody is turned away for a transport problem.
 */
const LOOKUP_FAILED: { readonly [C in ProofErrorCode]: true } = {
  Timeout: true,
  HttpError: true,
  BadContentType: true,
  Malformed: true,
  NetworkError: true,
  ServerFailure: true,
  ProofTooLarge: true,
};

/**
 * The decision from allowlist membership and, when it was looked up, the zone's DNSSEC status. `support` may be
 * null only for an allowlisted domain (the page then skips the lookup: the answer is yes either way).
 */
export function decideDomain(allowlisted: boolean, support: DomainSupport | null): DomainDecision {
  if (support?.support === 'dnssec') return { kind: 'supported', via: 'dnssec' };
  if (allowlisted) return { kind: 'supported', via: 'doh' };
  if (support === null) return { kind: 'unchecked', detail: 'the DNSSEC status was not looked up' };
  const detail = support.reason ? `${support.reason}: ${support.detail}` : support.detail;
  if (
    support.support === 'broken' &&
    support.reason !== null &&
    Object.hasOwn(LOOKUP_FAILED, support.reason)
  ) {
    return { kind: 'unchecked', detail };
  }
  return { kind: 'unsupported', detail };
}

export interface DmarcFinding extends NameStatus {
  /**
   * `name` is where discovery ended: `_dmarc.<domain>` when it holds a DMARC record (or a problem), else
   * `_dmarc.<organizational domain>` (`fallback` true). The policy published at `name` (as served; see
   * `counts`), or null when none parses.
   */
  readonly fallback: boolean;
  readonly record: DmarcRecord | null;
  /** Whether the canister uses the record on the path the decision chose. */
  readonly counts: boolean;
}

export interface DomainReport {
  /** Lowercase, without the trailing dot. */
  readonly domain: string;
  /** RFC 7489 §3.2 organizational domain (shipped PSL); null when the domain is itself a public suffix. */
  readonly organizationalDomain: string | null;
  readonly allowlisted: boolean;
  readonly support: DomainSupport;
  readonly dmarc: DmarcFinding;
  readonly decision: DomainDecision;
  /** The rule d= must meet for mail from this domain to be accepted; null when the domain is not supported. */
  readonly alignment: { readonly mode: 'relaxed' | 'strict'; readonly detail: string } | null;
}

/** Where DMARC discovery (RFC 7489 §6.6.3) found the domain's record, for the web app's pre-check and the CLI. */
export interface DmarcLocation {
  /** RFC 7489 §3.2; null when the domain is itself a public suffix. */
  readonly organizationalDomain: string | null;
  /**
   * `_dmarc.<domain>` or `_dmarc.<organizational domain>` when a DMARC record parses there and the canister's
   * path would count it (proven for DNSSEC); else null.
   */
  readonly recordName: string | null;
  /** Present when the record asks for strict alignment (`adkim=s`): d= must be the domain itself. */
  readonly strict?: boolean;
}

export function dmarcLocation(r: DomainReport): DmarcLocation {
  const counted = r.dmarc.counts ? r.dmarc.record : null;
  return {
    organizationalDomain: r.organizationalDomain,
    recordName: counted !== null ? r.dmarc.name : null,
    ...(counted?.adkim === 's' ? { strict: true } : {}),
  };
}

export interface DomainReportOptions extends BuildOptions {
  /** The canister's `doh.allowed_domains`. */
  readonly allowedDomains: readonly string[];
  /** The canister's `public_suffix_list` when it has one (default: the shipped snapshot). */
  readonly suffixes?: PublicSuffixes;
}

function alignmentRule(
  domain: string,
  org: string | null,
  dmarc: DmarcFinding,
): NonNullable<DomainReport['alignment']> {
  const record = dmarc.counts ? dmarc.record : null;
  if (record?.adkim === 'r' && org !== null) {
    return {
      mode: 'relaxed',
      detail: `d= may be ${org} or any name under it, the organizational domain of ${domain} (adkim=r)`,
    };
  }
  if (record?.adkim === 'r') {
    return {
      mode: 'strict',
      detail: `d= must be exactly ${domain} (a public suffix: no organizational domain)`,
    };
  }
  const why = record ? 'adkim=s' : 'no DMARC record counts';
  return { mode: 'strict', detail: `d= must be exactly ${domain} (${why})` };
}

/**
 * The zone's DNSSEC status, the DMARC record and the decision for `domain`, over one query session (the two
 * builds share the root and TLD lookups). Never throws for DNS trouble: failed lookups are in the statuses.
 *
 * @example
 * const r = await domainReport(dohResolver({ urls }), nameFromText('example.com.'), { anchors, now, crypto, allowedDomains: [] });
 * if (r.decision.kind === 'supported') console.log(r.alignment?.detail);
 */
export async function domainReport(
  resolver: Resolver,
  domain: Name,
  opts: DomainReportOptions,
): Promise<DomainReport> {
  const session = new QuerySession(resolver);
  const shared: Resolver = { query: (name, type) => session.ask({ name, type }) };
  const text = nameToText(domain).replace(/\.$/, '').toLowerCase();
  const dmarcName = nameToText(nameFromText('_dmarc', domain)).replace(/\.$/, '');
  const names = dmarcNames(text, opts.suffixes);
  const [support, fromStatus, orgStatus] = await Promise.all([
    domainSupport(shared, domain, opts),
    nameStatus(session, dmarcName, opts),
    names.orgName === null ? null : nameStatus(session, names.orgName, opts),
  ]);
  const allowlisted = isAllowedName(text, opts.allowedDomains);
  const decision = decideDomain(allowlisted, support);
  // RFC 7489 §6.6.3: the organizational domain's record only when the name has no DMARC record at all.
  const atFrom = selectDmarcRecord(fromStatus.txt);
  const noneAtFrom =
    fromStatus.status === 'absent' ||
    (fromStatus.status !== 'error' && atFrom.kind === 'none' && atFrom.empty);
  const fallback = noneAtFrom && orgStatus !== null;
  const dmarcStatus = fallback ? orgStatus : fromStatus;
  const found = fallback ? selectDmarcRecord(dmarcStatus.txt) : atFrom;
  const record = found.kind === 'record' ? found.record : null;
  const via = decision.kind === 'supported' ? decision.via : null;
  const counts =
    record !== null &&
    via !== null &&
    (via === 'dnssec' ? dmarcStatus.status === 'secure' : dmarcStatus.status !== 'error');
  const dmarc: DmarcFinding = { ...dmarcStatus, fallback, record, counts };
  return {
    domain: text,
    organizationalDomain: names.organizationalDomain,
    allowlisted,
    support,
    dmarc,
    decision,
    alignment: via === null ? null : alignmentRule(text, names.organizationalDomain, dmarc),
  };
}

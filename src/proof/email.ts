/**
 * What an email domain needs proven, on top of the generic RFC 9102 §3 builder of build.ts: the DKIM key records
 * `<selector>._domainkey.<domain>` (RFC 6376 §3.6.2.1) and the DMARC record `_dmarc.<domain>` (RFC 7489 §6.1) of
 * one domain in one merged chain (protocol.md §7), and the web app's fail-fast check of whether a domain's zone
 * is DNSSEC-signed at all. For the names one received message needs, see message.ts. Browser-safe (no Node
 * builtins).
 */
import { compareNames, isAtOrBelow, type Name, nameFromText, nameToText } from '../dns/name.ts';
import { TYPE } from '../dns/types.ts';
import { validateRecords } from '../dnssec/chain.ts';
import type { BogusReason, ChainVerdict } from '../dnssec/result.ts';
import {
  type BuildOptions,
  buildProofIn,
  type ChainParts,
  type Collected,
  collect,
  encodeWithinLimits,
  mergeRecords,
  type ProofErrorCode,
  type ProofFailure,
  QuerySession,
} from './build.ts';
import type { Resolver } from './resolver.ts';

// ---------------------------------------------------------------------------------------------------------------
// DKIM keys and DMARC policy of one domain in one chain

export interface EmailNameVerdict {
  /** Presentation form, e.g. `sel._domainkey.example.com.` */
  readonly name: string;
  readonly role: 'dkim' | 'dmarc';
  readonly selector: string | null;
  readonly path: readonly string[];
  /** Validated against the merged chain, as the canister will. */
  readonly verdict: ChainVerdict;
}

export interface EmailProof extends ChainParts {
  /** One per selector, then `_dmarc` when it exists. */
  readonly names: readonly EmailNameVerdict[];
  /** `absent`: `_dmarc.<domain>` is NXDOMAIN/NODATA and was left out of the chain. */
  readonly dmarc: 'present' | 'absent';
  /** The longest of the parallel builds. */
  readonly waves: number;
  /** Distinct questions asked (shared between the names). */
  readonly queries: number;
}

export type EmailProofResult = EmailProof | ProofFailure;

const SELECTOR = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/**
 * Proofs for `<selector>._domainkey.<domain>` TXT for each selector and `_dmarc.<domain>` TXT, built in parallel
 * over one query session and merged into one chain with each record once. A missing DKIM key stays in the
 * result (its verdict says MissingRecords); a missing DMARC record is simply omitted. Throws a TypeError for a
 * selector that is not dot-separated letters, digits, `-` and `_` (a caller bug, not DNS trouble).
 */
export async function buildEmailProof(
  resolver: Resolver,
  domain: Name,
  selectors: readonly string[],
  opts: BuildOptions,
): Promise<EmailProofResult> {
  const session = new QuerySession(resolver);
  const targets: { name: Name; role: 'dkim' | 'dmarc'; selector: string | null }[] = [];
  for (const s of selectors) {
    if (!SELECTOR.test(s)) throw new TypeError(`bad DKIM selector ${JSON.stringify(s)}`);
    targets.push({ name: nameFromText(`${s}._domainkey`, domain), role: 'dkim', selector: s });
  }
  targets.push({ name: nameFromText('_dmarc', domain), role: 'dmarc', selector: null });
  const built = await Promise.all(targets.map((t) => collect(session, t.name, TYPE.TXT, opts)));
  const waves = Math.max(...built.map((b) => b.waves));
  for (const b of built) if ('kind' in b) return { ...b, waves, queries: session.queries };
  const collected = built as Collected[];
  const dmarc = collected.at(-1)!.answer === 'positive' ? 'present' : 'absent';
  const kept = dmarc === 'present' ? targets.length : targets.length - 1;

  const records = mergeRecords(collected.slice(0, kept).map((c) => c.records));
  const zones = new Map<string, Name>();
  for (const c of collected.slice(0, kept)) for (const z of c.zones) zones.set(z, nameFromText(z));
  const encoded = encodeWithinLimits(records, waves, session.queries);
  if (!('chain' in encoded)) return encoded;
  const { chain } = encoded;
  const names = await Promise.all(
    targets.slice(0, kept).map(async (t, i) => ({
      name: nameToText(t.name),
      role: t.role,
      selector: t.selector,
      path: collected[i]!.path,
      verdict: await validateRecords(records, t.name, TYPE.TXT, opts),
    })),
  );
  return {
    kind: 'proof',
    chain,
    records,
    zones: [...zones.values()].sort(compareNames).map(nameToText),
    names,
    dmarc,
    waves,
    queries: session.queries,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Fail-fast check for the web app

export interface DomainSupport {
  /**
   * `dnssec`: the zone's SOA validates from the anchors (DNSKEY and DS chain sound). `unsigned`: a delegation on
   * the way is provably unsigned (or uses only unsupported algorithms). `broken`: the chain is bogus, or the
   * lookups failed (`reason` is then the ProofErrorCode).
   */
  readonly support: 'dnssec' | 'unsigned' | 'broken';
  readonly reason: BogusReason | ProofErrorCode | null;
  readonly detail: string;
  /** The zone apex that holds `domain`. */
  readonly zone: string | null;
}

/**
 * Finds the zone holding `domain` (its own SOA, or the SOA in the authority section of a negative answer,
 * RFC 2308 §3) and proves that zone's SOA: a chain through the zone's DNSKEY and every DS above it.
 */
export async function domainSupport(
  resolver: Resolver,
  domain: Name,
  opts: BuildOptions,
): Promise<DomainSupport> {
  const session = new QuerySession(resolver);
  const first = await session.ask({ name: domain, type: TYPE.SOA });
  if (first.kind === 'error')
    return { support: 'broken', reason: first.code, detail: `lookup failed: ${first.detail}`, zone: null };
  const soa = first.records.find((rr) => rr.type === TYPE.SOA && isAtOrBelow(domain, rr.name));
  if (!soa) {
    return {
      support: 'broken',
      reason: 'ServerFailure',
      detail: `no SOA for ${nameToText(domain)} or its zone (rcode ${first.rcode})`,
      zone: null,
    };
  }
  const zone = soa.name;
  const proof = await buildProofIn(session, zone, TYPE.SOA, opts);
  const z = nameToText(zone);
  if (proof.kind === 'error')
    return { support: 'broken', reason: proof.code, detail: `lookup failed: ${proof.detail}`, zone: z };
  const v = proof.verdict;
  if (v.verdict === 'secure')
    return { support: 'dnssec', reason: null, detail: `${z} validates (${proof.zones.join(' ')})`, zone: z };
  if (v.verdict === 'insecure') return { support: 'unsigned', reason: v.reason, detail: v.detail, zone: z };
  return { support: 'broken', reason: v.reason, detail: v.detail, zone: z };
}

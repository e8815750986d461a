/**
 * The page's own part of a `NeedProof` challenge (protocol.md §3, §7; architecture.md "Data flow" step 5): the
 * RFC 9102 authentication chain (§3) for the DKIM key records the canister names (`key_names`,
 * `<selector>._domainkey.<d>`, RFC 6376 §3.6.2.1) and for the From domain's DMARC record (`_dmarc.<domain>`,
 * RFC 7489 §6.6.3), built in the browser over DNS-over-HTTPS (RFC 8484) with the src/proof code the gateway
 * uses, from the canister's own DoH providers and root trust anchors.
 *
 * Loaded with import() only when a check or a proof is needed, so src/proof, the DNSSEC validator and dns-packet
 * stay out of the first page.
 */
import type { ChallengeStatus } from '../../../canister/declarations/waxseal.did.ts';
import { webCrypto } from '../../../src/crypto/webcrypto.ts';
import { nameFromText } from '../../../src/dns/name.ts';
import { parseAnchors } from '../../../src/dnssec/dnskey.ts';
import { type BuildOptions, encodeWithinLimits, mergeRecords } from '../../../src/proof/build.ts';
import { dohResolver } from '../../../src/proof/doh.ts';
import { buildEmailProof } from '../../../src/proof/email.ts';
import type { Resolver } from '../../../src/proof/resolver.ts';
import { buildFailure, type ProofProblem, problemOfBuilds } from '../logic/proof-problem.ts';
import type { ConfigView } from './config.ts';

export type NeedProof = Extract<ChallengeStatus, { NeedProof: unknown }>['NeedProof'];

export interface Doh {
  readonly resolver: Resolver;
  readonly options: BuildOptions;
}

/**
 * A resolver over the canister's DoH providers (tried in its order) and its anchors, validating at the browser's
 * time; null when the canister names no provider.
 */
export function dohFrom(config: ConfigView, nowMs: number = Date.now()): Doh | null {
  const urls = config.doh.providers.map((p) => p.url);
  if (urls.length === 0) return null;
  return {
    resolver: dohResolver({ urls }),
    options: {
      anchors: parseAnchors(config.root_anchors.join('\n')),
      now: Math.floor(nowMs / 1000),
      crypto: webCrypto,
    },
  };
}

const DOMAINKEY = '._domainkey.';

/**
 * The key names by signing domain (selector → `<selector>._domainkey.<d>`), with the From domain first and always
 * present: `buildEmailProof` proves each group's keys and its `_dmarc`, so the From domain's DMARC record is in
 * the proof even when every signer is an aligned parent or subdomain (which `selectors` leaves out).
 */
export function keyGroups(domain: string, keyNames: readonly string[]): Map<string, string[]> {
  const groups = new Map<string, string[]>([[domain, []]]);
  for (const name of keyNames) {
    const at = name.indexOf(DOMAINKEY);
    if (at <= 0) throw new TypeError(`not a DKIM key name: ${JSON.stringify(name)}`);
    const d = name.slice(at + DOMAINKEY.length);
    groups.set(d, [...(groups.get(d) ?? []), name.slice(0, at)]);
  }
  return groups;
}

export type BuiltProof =
  | { readonly kind: 'proof'; readonly chain: Uint8Array }
  | { readonly kind: 'problem'; readonly problem: ProofProblem };

/**
 * The one chain to submit for `need`: each group built over DoH, then merged with each record once and within
 * the proof limits of protocol.md §9. Whether it is good enough is the canister's decision; the page only
 * refuses to submit a chain in which no signing key validates.
 */
export async function proveKeys(need: NeedProof, config: ConfigView, nowMs?: number): Promise<BuiltProof> {
  const doh = dohFrom(config, nowMs);
  if (!doh) {
    return {
      kind: 'problem',
      problem: { kind: 'unreachable', detail: 'the canister names no DoH provider' },
    };
  }
  const builds = await Promise.all(
    [...keyGroups(need.domain, need.key_names)].map(([domain, selectors]) =>
      buildEmailProof(doh.resolver, nameFromText(domain), selectors, doh.options),
    ),
  );
  const problem = problemOfBuilds(builds);
  if (problem) return { kind: 'problem', problem };
  const records = mergeRecords(builds.flatMap((b) => (b.kind === 'proof' ? [b.records] : [])));
  const merged = encodeWithinLimits(records, 0, 0);
  return 'chain' in merged
    ? { kind: 'proof', chain: merged.chain }
    : { kind: 'problem', problem: buildFailure(merged) };
}

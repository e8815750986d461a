/**
 * The domain pre-check before a challenge is prepared (issue 11, deliverable 4; protocol.md §7, §8): the
 * canister's DoH allowlist first, then whether the domain's zone validates from the canister's root anchors,
 * proven over DoH from the browser, with the domain's organizational domain and where its DMARC record is
 * (RFC 7489 §3.2, §6.6.3): src/proof/domain-report.ts `domainReport`, which `waxseal domain` runs too. Loaded
 * with import(), like the proof builder whose resolver it shares.
 */
import { isAllowedName } from '../../../src/challenge/doh-quorum.ts';
import { nameFromText } from '../../../src/dns/name.ts';
import {
  type DmarcLocation,
  type DomainDecision,
  decideDomain,
  dmarcLocation,
  domainReport,
} from '../../../src/proof/domain-report.ts';
import type { ConfigView } from './config.ts';
import { dohFrom } from './dns-proof.ts';

/** How long the person waits at most before being offered to continue unchecked. */
export const CHECK_TIMEOUT_MS = 15_000;

/** The decision, and where the DMARC record is when the domain was looked up. */
export type DomainCheck = DomainDecision & { readonly dmarc?: DmarcLocation };

/** Never throws: a check that fails or takes too long is `unchecked`. */
export async function checkDomain(domain: string, config: ConfigView): Promise<DomainCheck> {
  // An allowlisted domain is supported whatever its DNSSEC status: no lookup to wait for.
  if (isAllowedName(domain, config.doh.allowed_domains)) return decideDomain(true, null);
  const doh = dohFrom(config);
  if (!doh) return { kind: 'unchecked', detail: 'the canister names no DoH provider' };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<DomainCheck>((resolve) => {
    timer = setTimeout(
      () => resolve({ kind: 'unchecked', detail: `no answer within ${CHECK_TIMEOUT_MS / 1000} s` }),
      CHECK_TIMEOUT_MS,
    );
  });
  const options = { ...doh.options, allowedDomains: config.doh.allowed_domains };
  const checked = domainReport(doh.resolver, nameFromText(domain), options).then(
    (report): DomainCheck => ({ ...report.decision, dmarc: dmarcLocation(report) }),
    (e: unknown): DomainCheck => ({
      kind: 'unchecked',
      detail: e instanceof Error ? e.message : String(e),
    }),
  );
  try {
    return await Promise.race([checked, late]);
  } finally {
    clearTimeout(timer);
  }
}

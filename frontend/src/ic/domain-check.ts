/**
 * The domain pre-check before a challenge is prepared (issue 11, deliverable 4; protocol.md §7, §8): the
 * canister's DoH allowlist first, then whether the domain's zone validates from the canister's root anchors,
 * proven over DoH from the browser with src/proof/email.ts `domainSupport`. The decision itself is
 * src/proof/domain-report.ts `decideDomain`, which `waxseal domain` runs too. Loaded with import(), like the proof
 * builder whose resolver it shares.
 */
import { isAllowedName } from '../../../src/challenge/doh-quorum.ts';
import { nameFromText } from '../../../src/dns/name.ts';
import { type DomainDecision, decideDomain } from '../../../src/proof/domain-report.ts';
import { domainSupport } from '../../../src/proof/email.ts';
import type { ConfigView } from './config.ts';
import { dohFrom } from './dns-proof.ts';

/** How long the person waits at most before being offered to continue unchecked. */
export const CHECK_TIMEOUT_MS = 15_000;

/** Never throws: a check that fails or takes too long is `unchecked`. */
export async function checkDomain(domain: string, config: ConfigView): Promise<DomainDecision> {
  // An allowlisted domain is supported whatever its DNSSEC status: no lookup to wait for.
  if (isAllowedName(domain, config.doh.allowed_domains)) return decideDomain(true, null);
  const doh = dohFrom(config);
  if (!doh) return { kind: 'unchecked', detail: 'the canister names no DoH provider' };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<DomainDecision>((resolve) => {
    timer = setTimeout(
      () => resolve({ kind: 'unchecked', detail: `no answer within ${CHECK_TIMEOUT_MS / 1000} s` }),
      CHECK_TIMEOUT_MS,
    );
  });
  const checked = domainSupport(doh.resolver, nameFromText(domain), doh.options).then(
    (support) => decideDomain(false, support),
    (e: unknown): DomainDecision => ({
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

/**
 * Can mail from this domain be verified at all? Said before a challenge is prepared (issue 11, deliverable 4),
 * so nobody sends an email that can only fail. The canister accepts an email when its signing key is proven with
 * DNSSEC from the canister's root anchors (protocol.md §7: an RFC 9102 chain from the gateway or this page), or,
 * for a domain at or under its DoH allowlist, read from a quorum of DoH providers (§8); any other domain ends in
 * `Failed{DomainNotSupported}`.
 *
 * The page asks the same two questions in the same order, with the rules of src/: the allowlist with the
 * canister's own `isAllowedName`, then whether the domain's zone validates from the anchors with
 * src/proof/email.ts `domainSupport` (run by ic/domain-check.ts). This file is the pure decision over their
 * answers; it is loaded with the DNS code, not with the first page.
 */
import { isAllowedName } from '../../../src/challenge/doh-quorum.ts';
import type { ProofErrorCode } from '../../../src/proof/build.ts';
import type { DomainSupport } from '../../../src/proof/email.ts';

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
 * treated as a failed lookup, so the person is never turned away for a transport problem.
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

/** The canister reads keys under its DoH allowlist itself (protocol.md §8): no DNSSEC needed, no check to run. */
export function dohAllowed(domain: string, allowedDomains: readonly string[]): boolean {
  return isAllowedName(domain, allowedDomains);
}

/** The decision for a domain that is not on the allowlist, from what `domainSupport` found. */
export function decideFromSupport(found: DomainSupport): DomainDecision {
  if (found.support === 'dnssec') return { kind: 'supported', via: 'dnssec' };
  const detail = found.reason ? `${found.reason}: ${found.detail}` : found.detail;
  if (found.support === 'broken' && found.reason !== null && Object.hasOwn(LOOKUP_FAILED, found.reason)) {
    return { kind: 'unchecked', detail };
  }
  return { kind: 'unsupported', detail };
}

/**
 * Organizational domains (RFC 7489 §3.2): the public suffix of a domain plus one label, the suffix taken from
 * the Public Suffix List (https://publicsuffix.org/list/), ICANN and PRIVATE sections, implicit `*` rule
 * (protocol.md §6). A domain that is itself a public suffix (`co.uk`, or a private-section suffix such as a
 * dynamic-DNS service's `dyndns.org`) has no organizational domain.
 *
 * The shipped snapshot is the list compiled into tldts (pinned in package.json: tldts 7.6.6, published
 * 2026-12-06, its PSL copy of that week; BENCHMARKS.md "Public Suffix List" says why tldts and what it costs).
 * The canister can replace it through its install/upgrade argument with a list parsed by
 * src/dmarc/public-suffix-list.ts; both answer through `PublicSuffixes`.
 */
import { getPublicSuffix } from 'tldts';
import type { PublicSuffixes } from './public-suffix-list.ts';

/** tldts options: the input is a hostname already (no URL parsing, no IP detection), both PSL sections. */
const TLDTS_OPTIONS = {
  allowPrivateDomains: true,
  extractHostname: false,
  validateHostname: false,
  detectIp: false,
  mixedInputs: false,
} as const;

/** The tldts version whose PSL snapshot is shipped (kept equal to package.json by test/dmarc-org-domain.test.ts). */
export const SHIPPED_PSL_VERSION = 'tldts 7.6.6 (2026-12-06)';

/** The Public Suffix List shipped with the code (tldts's compiled copy). */
export const SHIPPED_SUFFIXES: PublicSuffixes = {
  publicSuffix(domain: string): string {
    const labels = domain.split('.');
    const suffix = getPublicSuffix(domain, TLDTS_OPTIONS);
    // tldts returns the implicit `*` rule's answer itself; the guard keeps the contract for any odd input.
    return suffix && (suffix === domain || domain.endsWith(`.${suffix}`))
      ? suffix
      : labels[labels.length - 1]!;
  },
};

/** Lowercase ASCII without one trailing dot: the form the lookups take (A-labels are ASCII). */
export function normalizeDomain(domain: string): string {
  const lower = domain.replace(/[A-Z]/g, (c) => c.toLowerCase());
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/**
 * RFC 7489 §3.2: the organizational domain of `domain` (A-labels; case and one trailing dot ignored), or null
 * when the domain is itself a public suffix (or empty).
 *
 * @example
 * organizationalDomain('mail.example.co.uk'); // 'example.co.uk'
 * organizationalDomain('co.uk'); // null
 */
export function organizationalDomain(
  domain: string,
  suffixes: PublicSuffixes = SHIPPED_SUFFIXES,
): string | null {
  const name = normalizeDomain(domain);
  if (name === '' || name.split('.').some((l) => l === '')) return null;
  const suffix = suffixes.publicSuffix(name);
  if (suffix.length >= name.length) return null;
  const head = name.slice(0, name.length - suffix.length - 1);
  const dot = head.lastIndexOf('.');
  return `${head.slice(dot + 1)}.${suffix}`;
}

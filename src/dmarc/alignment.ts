/**
 * DKIM identifier alignment (RFC 7489 §3.1.1) with organizational domains (§3.2), as protocol.md §6 states it:
 * `adkim=s` → d= equals the From domain; `adkim=r` → d= and the From domain have the same organizational domain
 * (src/dmarc/organizational-domain.ts, from the Public Suffix List). A domain that is itself a public suffix has
 * no organizational domain and aligns only strictly.
 *
 * Examples (protocol.md §6): `d=mail.example.com` / From `example.com` align, and so do `d=example.com` / From
 * `cs.example.com`; `googlemail.com` never aligns with `gmail.com`; `a.co.uk` never with `b.co.uk`;
 * `mallory.dynhost.example` never with `dynhost.example` when `dynhost.example` is a listed suffix.
 */
import { normalizeDomain, organizationalDomain, SHIPPED_SUFFIXES } from './organizational-domain.ts';
import type { PublicSuffixes } from './public-suffix-list.ts';
import type { AlignmentMode } from './record.ts';

export interface Alignment {
  readonly aligned: boolean;
  /**
   * Not aligned because of a public suffix (reason `PublicSuffixAlignment`): in relaxed mode, d= and the From
   * domain differ, one lies under the other (the pair a suffix-blind "subdomain" rule would accept), and a
   * public suffix separates them: one of them is a suffix, or a suffix lies between them.
   */
  readonly publicSuffix: boolean;
}

/** The alignment of `signingDomain` (d=) with `fromDomain` under `mode`, with why it fails. */
export function alignment(
  signingDomain: string,
  fromDomain: string,
  mode: AlignmentMode,
  suffixes: PublicSuffixes = SHIPPED_SUFFIXES,
): Alignment {
  const d = normalizeDomain(signingDomain);
  const f = normalizeDomain(fromDomain);
  if (d === f) return { aligned: true, publicSuffix: false };
  if (mode === 's') return { aligned: false, publicSuffix: false };
  const orgD = organizationalDomain(d, suffixes);
  if (orgD !== null && orgD === organizationalDomain(f, suffixes))
    return { aligned: true, publicSuffix: false };
  const nested = d.endsWith(`.${f}`) || f.endsWith(`.${d}`);
  return { aligned: false, publicSuffix: nested };
}

/** Whether `signingDomain` aligns with `fromDomain` under `mode` (protocol.md §6). */
export function isAligned(
  signingDomain: string,
  fromDomain: string,
  mode: AlignmentMode,
  suffixes: PublicSuffixes = SHIPPED_SUFFIXES,
): boolean {
  return alignment(signingDomain, fromDomain, mode, suffixes).aligned;
}

/**
 * DKIM identifier alignment (RFC 7489 §3.1.1) without a public-suffix list, as protocol.md §6 narrows it:
 * strict = same domain; relaxed = same domain or d= a label-anchored subdomain of the From domain.
 * So `mail.example.com` aligns with `example.com`, but `evilexample.com` and `googlemail.com` never do.
 */
import type { AlignmentMode } from './record.ts';

export function isAligned(signingDomain: string, fromDomain: string, mode: AlignmentMode): boolean {
  const d = signingDomain.toLowerCase();
  const f = fromDomain.toLowerCase();
  if (d === f) return true;
  return mode === 'r' && d.endsWith(`.${f}`);
}

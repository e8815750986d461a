/**
 * What the domain pre-check says about DMARC alignment for the typed domain (protocol.md §6, RFC 7489 §3.2,
 * §6.6.3), in plain words: which signing domains the canister will accept, from the organizational domain and
 * where the DMARC record was found (src/proof/domain-report.ts `DmarcLocation`, looked up by ic/domain-check.ts).
 */
import type { DmarcLocation } from '../../../src/proof/domain-report.ts';

/** One sentence for `domain`, or null when there is nothing the person needs to know. */
export function dmarcNote(domain: string, dmarc: DmarcLocation | undefined): string | null {
  if (!dmarc) return null;
  const org = dmarc.organizationalDomain;
  if (org === null) {
    return `${domain} is a public suffix (a name under which different owners get their own names), so only email signed by ${domain} itself is accepted.`;
  }
  if (dmarc.recordName === null) {
    return `${domain} publishes no DMARC policy, so only email signed by ${domain} itself is accepted.`;
  }
  const where = dmarc.recordName === `_dmarc.${domain}` ? domain : `${org} (its organizational domain)`;
  if (dmarc.strict) {
    return `The DMARC policy of ${where} asks for strict alignment: only email signed by ${domain} itself is accepted.`;
  }
  return org === domain
    ? `The DMARC policy of ${where} applies: email signed by ${org} or a name under it can be accepted.`
    : `The DMARC policy of ${where} applies: email signed by ${org} or a name under it can be accepted for ${domain}.`;
}

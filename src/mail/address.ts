/**
 * Email address rules of protocol.md §2: an RFC 5322 §3.4.1 addr-spec restricted to a dot-atom local part
 * (no quoted strings) and a hostname domain in A-labels (RFC 5890 §2.3.2.1; U-labels and domain literals are
 * rejected), within the RFC 5321 §4.5.3.1 size bounds, stored lowercased.
 */
import { asciiLower } from '../encoding/ascii.ts';
import { LIMITS } from '../limits.ts';

export interface Address {
  /** `local@domain`, lowercased. */
  readonly address: string;
  readonly local: string;
  readonly domain: string;
}

export type AddressResult = { ok: true; value: Address } | { ok: false; detail: string };

/** RFC 5322 §3.2.3 dot-atom-text. */
const DOT_ATOM = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+(?:\.[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+)*$/;
/** LDH label (RFC 5890 §2.3.1), which also covers A-labels (`xn--…`). */
const LDH_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Validates a hostname in A-label form; returns a reason or null when valid. Input must be lowercased. */
export function domainProblem(domain: string): string | null {
  if (domain.length === 0) return 'the domain is empty';
  if (domain.length > LIMITS.domainBytes) return `the domain is longer than ${LIMITS.domainBytes} bytes`;
  if (/[^\x00-\x7f]/.test(domain)) return 'the domain is not ASCII (give IDNs as A-labels, xn--…)';
  for (const label of domain.split('.')) {
    if (!LDH_LABEL.test(label)) return `invalid domain label ${JSON.stringify(label)}`;
  }
  return null;
}

/** Parses and normalizes `local@domain` (no display name, no comments, no surrounding whitespace). */
export function parseAddress(text: string): AddressResult {
  const at = text.lastIndexOf('@');
  if (at < 0) return { ok: false, detail: 'the address has no @' };
  const local = text.slice(0, at);
  const domain = asciiLower(text.slice(at + 1));
  if (text.length > LIMITS.addressBytes) {
    return { ok: false, detail: `the address is longer than ${LIMITS.addressBytes} bytes` };
  }
  if (local.length === 0) return { ok: false, detail: 'the local part is empty' };
  if (local.length > LIMITS.localPartBytes) {
    return { ok: false, detail: `the local part is longer than ${LIMITS.localPartBytes} bytes` };
  }
  if (local.startsWith('"')) return { ok: false, detail: 'quoted local parts are not accepted' };
  if (!DOT_ATOM.test(local)) return { ok: false, detail: `invalid local part ${JSON.stringify(local)}` };
  if (domain.startsWith('[')) return { ok: false, detail: 'domain literals are not accepted' };
  const problem = domainProblem(domain);
  if (problem) return { ok: false, detail: problem };
  const lower = asciiLower(local);
  return { ok: true, value: { address: `${lower}@${domain}`, local: lower, domain } };
}

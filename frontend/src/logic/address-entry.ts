/**
 * The address field of the setup and recovery wizards (issue 11, protocol.md §2): what a person typed, checked
 * with the canister's own rules (src/mail/address.ts, imported, not restated), with an answer a person
 * understands. A domain with non-ASCII letters (a U-label, `münchen.de`) is not just refused: the page offers its
 * A-label form (`xn--mnchen-3ya.de`), which the canister accepts and mail systems use.
 *
 * Browser code: the IDN conversion uses the WHATWG URL parser (UTS #46, the same in browsers and Node), no Node
 * builtin.
 */
import { domainProblem, parseAddress } from '../../../src/mail/address.ts';

export type AddressEntry =
  /** `address` is what to send to the canister: lowercased, as it will be stored. */
  | { readonly kind: 'ok'; readonly address: string; readonly domain: string }
  | { readonly kind: 'empty'; readonly message: string }
  /** A U-label domain: `suggestion` is the whole address with the A-label domain, valid by the same rules. */
  | { readonly kind: 'idn'; readonly message: string; readonly suggestion: string }
  | { readonly kind: 'invalid'; readonly message: string };

/**
 * Plain words for the canister's reasons, keyed on how its detail starts; anything else gets the generic
 * sentence with the canister's detail, so a new rule still yields a message.
 */
const PLAIN: readonly (readonly [RegExp, string])[] = [
  [/^the address has no @/, 'An email address has an @ in it, like name@example.com.'],
  [/^the local part is empty/, 'Something is missing before the @.'],
  [/^the domain is empty/, 'Something is missing after the @.'],
  [/^the address is longer/, 'That address is too long for email systems (at most 254 characters).'],
  [/^the local part is longer/, 'The part before the @ is too long (at most 64 characters).'],
  [/^the domain is longer/, 'The part after the @ is too long.'],
  [/^quoted local parts/, 'Addresses with quotation marks are not supported.'],
  [
    /^invalid local part/,
    'The part before the @ can hold letters a–z, digits, dots (not two in a row, not at the ends) and ' +
      "! # $ % & ' * + - / = ? ^ _ ` { | } ~, but no spaces or accented letters.",
  ],
  [/^domain literals/, 'Addresses with an IP address in brackets are not supported; use a domain name.'],
  [
    /^invalid domain label/,
    'The part after the @ must be a domain name like example.com: letters, digits and hyphens between dots.',
  ],
];

function plain(detail: string): string {
  const hit = PLAIN.find(([pattern]) => pattern.test(detail));
  return hit ? hit[1] : `That address cannot be used: ${detail}.`;
}

/** The A-label form of a non-ASCII domain, or null when it has none the canister would accept. */
export function toALabel(domain: string): string | null {
  // Characters that would make the URL parser read something other than a host.
  if (/[/?#@:\\%[\]\s]/.test(domain) || domain.length === 0) return null;
  let host: string;
  try {
    host = new URL(`http://${domain}`).hostname;
  } catch {
    return null;
  }
  return domainProblem(host) === null ? host : null;
}

/**
 * Checks what the person typed. Surrounding whitespace is dropped (a pasted address often carries a space or a
 * newline); everything else is the canister's rule.
 */
export function checkAddressEntry(typed: string): AddressEntry {
  const text = typed.trim();
  if (text.length === 0) return { kind: 'empty', message: 'Enter the email address you want to use.' };
  const parsed = parseAddress(text);
  if (parsed.ok) return { kind: 'ok', address: parsed.value.address, domain: parsed.value.domain };

  const at = text.lastIndexOf('@');
  const domain = at < 0 ? '' : text.slice(at + 1);
  if (/[^\x00-\x7f]/.test(domain)) {
    const aLabel = toALabel(domain);
    if (aLabel === null) return { kind: 'invalid', message: `${domain} is not a valid domain name.` };
    const suggested = parseAddress(`${text.slice(0, at)}@${aLabel}`);
    if (!suggested.ok) return { kind: 'invalid', message: plain(suggested.detail) };
    return {
      kind: 'idn',
      message: `${domain} is written ${aLabel} in email systems; use ${suggested.value.address}.`,
      suggestion: suggested.value.address,
    };
  }
  return { kind: 'invalid', message: plain(parsed.detail) };
}

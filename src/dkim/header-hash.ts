/**
 * The header hash input (RFC 6376 §3.7, §5.4.2): the fields named by h=, each taken bottom-up among the
 * not-yet-used fields of that name (a name with none left contributes nothing, so over-signing detects added
 * fields), then the DKIM-Signature field itself with the value of b= emptied and no trailing CRLF.
 */
import type { HeaderField } from '../mail/message.ts';
import { canonicalizeHeader } from './canonicalize.ts';
import type { Canon } from './signature.ts';

/** Picks fields for h=, bottom-up per name. */
export function selectHeaders(headers: readonly HeaderField[], names: readonly string[]): HeaderField[] {
  const remaining = new Map<string, HeaderField[]>();
  for (const h of headers) {
    const list = remaining.get(h.key);
    if (list) list.push(h);
    else remaining.set(h.key, [h]);
  }
  const picked: HeaderField[] = [];
  for (const name of names) {
    const field = remaining.get(name)?.pop();
    if (field) picked.push(field);
  }
  return picked;
}

/**
 * Empties the value of the b= tag (and the FWS around that value) in a raw DKIM-Signature field, keeping every
 * other byte. Tags are delimited by ";" which no tag value may contain, so only a real b= tag matches.
 */
export function removeSignatureValue(raw: string): string {
  const colon = raw.indexOf(':');
  const parts = raw.slice(colon + 1).split(';');
  for (let i = 0; i < parts.length; i++) {
    const m = /^([ \t\r\n]*b[ \t\r\n]*=)/.exec(parts[i]!);
    if (m) {
      parts[i] = m[1]!;
      break;
    }
  }
  return raw.slice(0, colon + 1) + parts.join(';');
}

/** Canonical bytes (binary string) that the signature covers. */
export function headerHashInput(
  headers: readonly HeaderField[],
  signatureField: HeaderField,
  names: readonly string[],
  canon: Canon,
): string {
  let input = '';
  for (const field of selectHeaders(headers, names)) input += canonicalizeHeader(field.raw, canon);
  const own = canonicalizeHeader(removeSignatureValue(signatureField.raw), canon);
  return input + own.slice(0, -2);
}

/**
 * The `From:` field as protocol.md §6 accepts it: exactly one mailbox (RFC 5322 §3.4 `mailbox`), written as a
 * bare addr-spec or `display-name <addr-spec>`, with comments (§3.2.2) allowed around tokens. Groups, lists,
 * obsolete routes (§4.4), quoted local parts and CR/LF left after unfolding are rejected.
 */
import { type Address, parseAddress } from './address.ts';
import { unfold } from './message.ts';

export type FromResult =
  | { ok: true; value: Address }
  | { ok: false; code: 'MalformedFromHeader'; detail: string };

type Token =
  | { kind: 'word'; text: string }
  | { kind: 'quoted'; text: string }
  | { kind: 'special'; text: string };

function bad(detail: string): FromResult {
  return { ok: false, code: 'MalformedFromHeader', detail };
}

/** RFC 5322 §3.2.3 specials, minus "." which may appear inside words, and the quote/paren openers. */
const SPECIALS = '<>[]:;@\\,';

/** Tokenizes, dropping comments and whitespace; null with a reason on an unterminated construct. */
function tokenize(value: string): Token[] | string {
  const tokens: Token[] = [];
  let i = 0;
  while (i < value.length) {
    const c = value[i]!;
    if (c === ' ' || c === '\t') {
      i++;
    } else if (c === '(') {
      let depth = 0;
      for (; i < value.length; i++) {
        const d = value[i];
        if (d === '\\') i++;
        else if (d === '(') depth++;
        else if (d === ')' && --depth === 0) break;
      }
      if (depth !== 0) return 'unterminated comment';
      i++;
    } else if (c === '"') {
      let text = '';
      let closed = false;
      for (i++; i < value.length; i++) {
        const d = value[i]!;
        if (d === '\\') text += value[++i] ?? '';
        else if (d === '"') {
          closed = true;
          break;
        } else text += d;
      }
      if (!closed) return 'unterminated quoted string';
      i++;
      tokens.push({ kind: 'quoted', text });
    } else if (SPECIALS.includes(c)) {
      tokens.push({ kind: 'special', text: c });
      i++;
    } else {
      let j = i;
      while (j < value.length && !' \t("'.includes(value[j]!) && !SPECIALS.includes(value[j]!)) j++;
      tokens.push({ kind: 'word', text: value.slice(i, j) });
      i = j;
    }
  }
  return tokens;
}

function addrSpec(tokens: Token[]): FromResult {
  if (tokens.some((t) => t.kind === 'quoted')) return bad('quoted local parts are not accepted');
  const at = tokens.findIndex((t) => t.text === '@' && t.kind === 'special');
  if (at < 0) return bad('no @ in the address');
  const local = tokens.slice(0, at);
  const domain = tokens.slice(at + 1);
  if (local.length !== 1 || local[0]!.kind !== 'word') return bad('malformed local part');
  if (domain.length !== 1 || domain[0]!.kind !== 'word') {
    return bad(domain.some((t) => t.text === '[') ? 'domain literals are not accepted' : 'malformed domain');
  }
  const parsed = parseAddress(`${local[0]!.text}@${domain[0]!.text}`);
  return parsed.ok ? parsed : bad(parsed.detail);
}

/** Parses the value of one `From:` field (the text after the colon, possibly folded). */
export function parseFrom(fieldValue: string): FromResult {
  const value = unfold(fieldValue);
  if (/[\r\n]/.test(value)) return bad('CR or LF inside the From value');
  const tokens = tokenize(value);
  if (typeof tokens === 'string') return bad(tokens);
  if (tokens.length === 0) return bad('empty From');
  const specials = tokens.filter((t) => t.kind === 'special').map((t) => t.text);
  if (specials.includes(',')) return bad('more than one address (address list)');
  if (specials.includes(':') || specials.includes(';')) return bad('group syntax or obsolete route');
  const open = tokens.findIndex((t) => t.kind === 'special' && t.text === '<');
  if (open < 0) {
    if (specials.includes('>')) return bad('unbalanced angle brackets');
    return addrSpec(tokens);
  }
  const close = tokens.findIndex((t) => t.kind === 'special' && t.text === '>');
  if (close < open || close !== tokens.length - 1) return bad('text after the angle-bracketed address');
  const inner = tokens.slice(open + 1, close);
  if (inner.some((t) => t.text === '<')) return bad('nested angle brackets');
  const display = tokens.slice(0, open);
  if (display.some((t) => t.kind === 'special')) return bad('special characters in the display name');
  return addrSpec(inner);
}

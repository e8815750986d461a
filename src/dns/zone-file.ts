/**
 * Zone-file (presentation format) parsing, RFC 1035 §5.1 with RFC 3597 §5 `\#` generic RDATA and RFC 2308 §4
 * `$TTL`: `;` comments, parentheses across lines, quoted strings, an owner inherited from the previous record
 * when a line starts with whitespace, `@`, relative names under `$ORIGIN`, and TTL/class in either order.
 */
import { DnsFormatError, malformed } from './errors.ts';
import { type Name, nameFromText, ROOT } from './name.ts';
import { rdataFromText, type Token } from './rdata-text.ts';
import type { ResourceRecord } from './record.ts';
import { CLASS_IN, isTypeText, typeFromText } from './types.ts';

interface Line {
  readonly number: number;
  readonly indented: boolean;
  readonly tokens: Token[];
}

/** Splits text into logical lines of tokens (parentheses join physical lines). */
function tokenize(text: string): Line[] {
  const lines: Line[] = [];
  let tokens: Token[] = [];
  let depth = 0;
  let lineNo = 1;
  let startLine = 1;
  let indented = false;
  let atLineStart = true;
  let openLine = 0;
  /** Skips one character, or an escape pair, counting the newlines it passes. */
  const step = (j: number): number => {
    const n = text[j] === '\\' ? 2 : 1;
    for (let k = j; k < j + n && k < text.length; k++) if (text[k] === '\n') lineNo++;
    return j + n;
  };
  const endLine = () => {
    if (tokens.length > 0) lines.push({ number: startLine, indented, tokens });
    tokens = [];
  };
  for (let i = 0; i < text.length; ) {
    const c = text[i]!;
    if (atLineStart && depth === 0) {
      startLine = lineNo;
      indented = c === ' ' || c === '\t';
      atLineStart = false;
    }
    if (c === '\n') {
      lineNo++;
      i++;
      if (depth === 0) {
        endLine();
        atLineStart = true;
      }
    } else if (c === ' ' || c === '\t' || c === '\r') i++;
    else if (c === ';') while (i < text.length && text[i] !== '\n') i++;
    else if (c === '(') {
      if (depth++ === 0) openLine = lineNo;
      i++;
    } else if (c === ')') {
      if (--depth < 0) malformed(`line ${lineNo}: unbalanced ")"`);
      i++;
    } else if (c === '"') {
      const quoteLine = lineNo;
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j = step(j);
      if (j >= text.length) malformed(`line ${quoteLine}: unterminated quoted string`);
      tokens.push({ text: text.slice(i + 1, j), quoted: true });
      i = j + 1;
    } else {
      let j = i;
      while (j < text.length && !' \t\r\n;()"'.includes(text[j]!)) j = step(j);
      tokens.push({ text: text.slice(i, Math.min(j, text.length)), quoted: false });
      i = j;
    }
  }
  if (depth !== 0) malformed(`line ${openLine}: "(" is never closed`);
  endLine();
  return lines;
}

/** TTL as seconds or with BIND units (1h30m, 2d, 1w). */
function parseTtl(text: string): number | null {
  if (/^[0-9]{1,10}$/.test(text)) return Number(text) <= 0xffffffff ? Number(text) : null;
  const m = /^(?:[0-9]+[smhdwSMHDW])+$/.test(text) ? text.match(/[0-9]+[smhdwSMHDW]/g) : null;
  if (!m) return null;
  const unit: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
  const total = m.reduce((n, part) => n + Number(part.slice(0, -1)) * unit[part.at(-1)!.toLowerCase()]!, 0);
  return total <= 0xffffffff ? total : null;
}

export interface ZoneFileOptions {
  readonly origin?: Name;
  readonly defaultTtl?: number;
}

/** Parses zone-file text into records; errors are DnsFormatError with the line number. */
export function parseZoneFile(text: string, options: ZoneFileOptions = {}): ResourceRecord[] {
  let origin = options.origin ?? ROOT;
  let defaultTtl = options.defaultTtl ?? null;
  let lastOwner: Name | null = null;
  let lastTtl: number | null = null;
  const records: ResourceRecord[] = [];
  for (const line of tokenize(text)) {
    try {
      const t = line.tokens;
      const first = t[0]!;
      if (!line.indented && !first.quoted && first.text.startsWith('$')) {
        const directive = first.text.toUpperCase();
        if (directive === '$ORIGIN' && t.length === 2) origin = nameFromText(t[1]!.text, ROOT);
        else if (directive === '$TTL' && t.length === 2)
          defaultTtl = parseTtl(t[1]!.text) ?? malformed('bad $TTL');
        else malformed(`unsupported directive ${first.text}`);
        continue;
      }
      let i = 0;
      let owner: Name | null = lastOwner;
      if (!line.indented) {
        owner = nameFromText(first.text, origin);
        i = 1;
      }
      if (!owner) malformed('the first record has no owner name');
      let ttl: number | null = null;
      const cls = CLASS_IN;
      let sawClass = false;
      for (let k = 0; k < 2 && i < t.length && !isTypeText(t[i]!.text); k++) {
        const tok = t[i]!.text;
        const asTtl = parseTtl(tok);
        if (asTtl !== null && ttl === null) ttl = asTtl;
        else if (/^(IN|CLASS1)$/i.test(tok) && !sawClass) sawClass = true;
        else malformed(`unsupported class or bad TTL ${JSON.stringify(tok)}`);
        i++;
      }
      if (i >= t.length) malformed('missing record type');
      const type = typeFromText(t[i]!.text);
      ttl ??= defaultTtl ?? lastTtl ?? malformed('no TTL given and no $TTL');
      const rdata = rdataFromText(type, t.slice(i + 1), origin);
      records.push({ name: owner, type, class: cls, ttl, rdata });
      lastOwner = owner;
      lastTtl = ttl;
    } catch (e) {
      if (e instanceof DnsFormatError) throw new DnsFormatError(`line ${line.number}: ${e.message}`);
      throw e;
    }
  }
  return records;
}

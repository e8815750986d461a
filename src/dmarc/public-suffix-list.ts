/**
 * The Public Suffix List (https://publicsuffix.org/list/, format and algorithm as stated there), read from its
 * official text file (`public_suffix_list.dat`) and queried for the public suffix of a domain. The canister
 * parses a list given in its install/upgrade argument with this module (protocol.md §6: the shipped snapshot is
 * refreshable); without one, src/dmarc/organizational-domain.ts uses the snapshot shipped with tldts.
 *
 * Format (publicsuffix.org/list "Definitions"): the file is UTF-8, one rule per line; each line is read only up
 * to its first whitespace; lines starting with `//` are comments, blank lines are ignored. A rule is labels
 * separated by dots; a label `*` is a wildcard matching any one label; a rule starting with `!` is an exception.
 * The ICANN and PRIVATE sections are delimited by `// ===BEGIN ICANN DOMAINS===` … `// ===END ICANN DOMAINS===`
 * (and PRIVATE likewise); both sections are used (protocol.md §6). IDN rules are written as U-labels and stored
 * as A-labels (RFC 5890 §2.3.2.1, src/dns/punycode.ts), since Waxseal compares A-labels only.
 *
 * Algorithm (publicsuffix.org/list "Algorithm"): the rules matching the domain are those whose labels, right to
 * left, equal the domain's (a `*` matching any); with none, the prevailing rule is `*` (implicit); an exception
 * rule prevails over the others; else the rule with most labels; an exception's leftmost label is removed; the
 * public suffix is the domain's labels that the prevailing rule covers.
 *
 * Parsing never throws: a malformed text is a typed refusal with its line number (`PslError`). Bounds come from
 * LIMITS (pslChars, pslRules), so a list can never make a lookup or a parse unbounded. Lookups walk a trie of
 * labels from the TLD down, visiting each trie node at most once. Pure; runs in QuickJS, the browser and Node.
 */
import { toALabel } from '../dns/punycode.ts';
import { LIMITS } from '../limits.ts';

/** Answers "what is the public suffix of this domain". */
export interface PublicSuffixes {
  /**
   * The public suffix of `domain` (lowercase ASCII, A-labels, no trailing dot, labels non-empty), which is
   * `domain` itself when it is a public suffix. Never null for a non-empty domain (implicit `*` rule).
   */
  publicSuffix(domain: string): string;
}

export type PslErrorCode =
  /** The text exceeds LIMITS.pslChars. */
  | 'PslTooLarge'
  /** More than LIMITS.pslRules rules. */
  | 'PslTooManyRules'
  /** A rule that is not dot-separated labels of letters, digits, hyphens (or U-labels), or `*`. */
  | 'PslBadRule'
  /** A section marker out of order (an END without its BEGIN, a BEGIN inside a section, one left open). */
  | 'PslBadSection'
  /** No rule at all: almost certainly the wrong file, and every domain would fall to the implicit rule. */
  | 'PslEmpty';

export interface PslError {
  readonly code: PslErrorCode;
  /** 1-based line of the fault, or null when it concerns the whole text. */
  readonly line: number | null;
  readonly detail: string;
}

export type PslParse =
  | { readonly ok: true; readonly list: PublicSuffixList }
  | ({ readonly ok: false } & PslError);

/** Rules per section, for reports (the config view, the CLI). */
export interface PslCounts {
  readonly icann: number;
  readonly private: number;
  /** Rules outside both sections (a list without markers has only these). */
  readonly other: number;
}

/** A trie node: children by label (`*` for a wildcard), and whether a rule / an exception rule ends here. */
export interface Node {
  readonly children: Map<string, Node>;
  rule: boolean;
  exception: boolean;
}

const newNode = (): Node => ({ children: new Map(), rule: false, exception: false });

/** RFC 1035 §2.3.4 bounds for a rule's A-label form. */
const MAX_LABEL = 63;
const MAX_NAME = 253;
const LDH = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

type Section = 'icann' | 'private';
const MARKER = /^\/\/ ===(BEGIN|END) (ICANN|PRIVATE) DOMAINS===$/;

/** A parsed list. */
export class PublicSuffixList implements PublicSuffixes {
  /** Made by parsePublicSuffixList only. */
  constructor(
    private readonly root: Node,
    readonly counts: PslCounts,
    private readonly canonical: { readonly [S in Section | 'other']: readonly string[] },
  ) {}

  /**
   * The list in the official format, canonical: the unsectioned rules, then the ICANN and PRIVATE sections, one
   * rule per line as A-labels (so the text is ASCII), no comments. Parses back to the same list.
   */
  canonicalText(): string {
    const c = this.canonical;
    const section = (name: string, rules: readonly string[]) =>
      rules.length === 0 ? [] : [`// ===BEGIN ${name} DOMAINS===`, ...rules, `// ===END ${name} DOMAINS===`];
    return [...c.other, ...section('ICANN', c.icann), ...section('PRIVATE', c.private), ''].join('\n');
  }

  get rules(): number {
    return this.counts.icann + this.counts.private + this.counts.other;
  }

  publicSuffix(domain: string): string {
    const labels = domain.split('.');
    // Longest normal match and longest exception match, in labels.
    let longest = 0;
    let exception = 0;
    const walk = (node: Node, depth: number): void => {
      if (depth > 0 && node.rule) longest = Math.max(longest, depth);
      if (depth > 0 && node.exception) exception = Math.max(exception, depth);
      if (depth === labels.length) return;
      const label = labels[labels.length - 1 - depth]!;
      const exact = node.children.get(label);
      if (exact) walk(exact, depth + 1);
      const wild = node.children.get('*');
      if (wild && label !== '*') walk(wild, depth + 1);
    };
    walk(this.root, 0);
    // An exception prevails and loses its leftmost label; else the longest rule; else the implicit `*` (1 label).
    const count = exception > 0 ? exception - 1 : Math.max(longest, 1);
    return labels.slice(labels.length - count).join('.');
  }
}

function failure(code: PslErrorCode, line: number | null, detail: string): PslParse {
  return { ok: false, code, line, detail };
}

/** A rule's labels in A-label form, or why it is not a rule. */
function ruleLabels(rule: string): string[] | string {
  const labels = rule.split('.');
  const out: string[] = [];
  for (const raw of labels) {
    if (raw === '') return 'empty label';
    if (raw === '*') {
      out.push(raw);
      continue;
    }
    const lower = raw.replace(/[A-Z]/g, (c) => c.toLowerCase());
    const label = toALabel(lower);
    if (label === null || label.length > MAX_LABEL) return `label ${JSON.stringify(raw)} is too long`;
    if (!LDH.test(label)) return `label ${JSON.stringify(raw)} is not letters, digits and hyphens`;
    out.push(label);
  }
  if (out.join('.').length > MAX_NAME) return `longer than ${MAX_NAME} characters`;
  return out;
}

/**
 * Parses the official PSL text (publicsuffix.org/list). Never throws: a text that is too large, a malformed
 * rule, a section marker out of order, or a text with no rule is refused with its code and line.
 *
 * @example
 * const parsed = parsePublicSuffixList('// ===BEGIN ICANN DOMAINS===\ncom\nco.uk\n// ===END ICANN DOMAINS===\n');
 * if (parsed.ok) parsed.list.publicSuffix('a.co.uk'); // 'co.uk'
 */
export function parsePublicSuffixList(text: string): PslParse {
  if (text.length > LIMITS.pslChars) {
    return failure('PslTooLarge', null, `${text.length} characters; the limit is ${LIMITS.pslChars}`);
  }
  const root = newNode();
  const counts = { icann: 0, private: 0, other: 0 };
  const canonical: { [S in Section | 'other']: string[] } = { icann: [], private: [], other: [] };
  const seen: Section[] = [];
  let section: Section | null = null;
  let rules = 0;
  let lineNo = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    lineNo++;
    const line = text.slice(start, end).replace(/\r$/, '');
    start = end + 1;
    const marker = MARKER.exec(line.trimEnd());
    if (marker) {
      const name = marker[2] === 'ICANN' ? 'icann' : 'private';
      if (marker[1] === 'BEGIN') {
        if (section !== null) return failure('PslBadSection', lineNo, `BEGIN ${marker[2]} inside ${section}`);
        if (seen.includes(name)) return failure('PslBadSection', lineNo, `a second ${marker[2]} section`);
        section = name;
        seen.push(name);
      } else {
        if (section !== name) return failure('PslBadSection', lineNo, `END ${marker[2]} without its BEGIN`);
        section = null;
      }
      continue;
    }
    if (line.startsWith('//')) continue;
    // "Each line is only read up to the first whitespace."
    const ws = line.search(/\s/);
    const rule = ws < 0 ? line : line.slice(0, ws);
    if (rule === '') continue;
    const exception = rule.startsWith('!');
    const body = exception ? rule.slice(1) : rule;
    const labels = ruleLabels(body);
    if (typeof labels === 'string')
      return failure('PslBadRule', lineNo, `${JSON.stringify(rule)}: ${labels}`);
    if (exception && labels.length < 2) {
      return failure('PslBadRule', lineNo, `${JSON.stringify(rule)}: an exception needs at least two labels`);
    }
    if (++rules > LIMITS.pslRules) {
      return failure('PslTooManyRules', lineNo, `more than ${LIMITS.pslRules} rules`);
    }
    let node = root;
    for (let i = labels.length - 1; i >= 0; i--) {
      const label = labels[i]!;
      let next = node.children.get(label);
      if (!next) {
        next = newNode();
        node.children.set(label, next);
      }
      node = next;
    }
    if (exception) node.exception = true;
    else node.rule = true;
    counts[section ?? 'other']++;
    canonical[section ?? 'other'].push(`${exception ? '!' : ''}${labels.join('.')}`);
  }
  if (section !== null)
    return failure('PslBadSection', null, `the ${section.toUpperCase()} section is not closed`);
  if (rules === 0) return failure('PslEmpty', null, 'the text holds no rule');
  return { ok: true, list: new PublicSuffixList(root, counts, canonical) };
}

/**
 * Property tests for the Public Suffix List parser and matcher (src/dmarc/public-suffix-list.ts, publicsuffix.org/list
 * format and algorithm): any text gives a list or a typed refusal and never throws; each malformed shape gets its
 * own code and line; the trie lookup agrees with a direct reading of the algorithm on random lists; and on the
 * full list psl 1.15.0 ships, the parsed text agrees with psl's own lookup.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import psl from 'psl';
import { describe, expect, it } from 'vitest';
import { organizationalDomain } from '../../src/dmarc/organizational-domain.ts';
import { type PslErrorCode, parsePublicSuffixList } from '../../src/dmarc/public-suffix-list.ts';
import { LIMITS } from '../../src/limits.ts';

const CODES: readonly PslErrorCode[] = [
  'PslTooLarge',
  'PslTooManyRules',
  'PslBadRule',
  'PslBadSection',
  'PslEmpty',
];

const pieces = fc.constantFrom(
  'com',
  'co',
  'uk',
  '*',
  '!',
  '.',
  '..',
  '\n',
  '\r\n',
  ' ',
  '\t',
  '//',
  '// ===BEGIN ICANN DOMAINS===',
  '// ===END ICANN DOMAINS===',
  '// ===BEGIN PRIVATE DOMAINS===',
  '// ===END PRIVATE DOMAINS===',
  'рф',
  '公司',
  '-',
  '_',
  'a'.repeat(64),
  '\u0000',
  '\uD800',
);
const textish = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.array(pieces, { maxLength: 40 }).map((p) => p.join('')),
);

describe('parsePublicSuffixList: never throws', () => {
  it('any text: a list, or a typed refusal with a line or null', () => {
    fc.assert(
      fc.property(textish, (text) => {
        const r = parsePublicSuffixList(text);
        if (r.ok) {
          expect(r.list.rules).toBeGreaterThan(0);
          return;
        }
        expect(CODES).toContain(r.code);
        expect(r.line === null || (Number.isInteger(r.line) && r.line >= 1)).toBe(true);
        expect(r.detail.length).toBeGreaterThan(0);
      }),
      { numRuns: 2000 },
    );
  });

  it('a parsed list answers any domain with a suffix of it', () => {
    const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,6}[a-z0-9])?$/);
    fc.assert(
      fc.property(textish, fc.array(label, { minLength: 1, maxLength: 6 }), (text, labels) => {
        const r = parsePublicSuffixList(text);
        if (!r.ok) return;
        const domain = labels.join('.');
        const suffix = r.list.publicSuffix(domain);
        expect(suffix === domain || domain.endsWith(`.${suffix}`)).toBe(true);
      }),
    );
  });
});

describe('parsePublicSuffixList: malformed input → a specific error', () => {
  it.each([
    ['a..b', 'PslBadRule', 1],
    ['com\n.com', 'PslBadRule', 2],
    ['com\ncom.', 'PslBadRule', 2],
    ['ex_ample.com', 'PslBadRule', 1],
    ['-a.com', 'PslBadRule', 1],
    [`${'a'.repeat(64)}.com`, 'PslBadRule', 1],
    ['!com', 'PslBadRule', 1],
    ['!', 'PslBadRule', 1],
    ['*x.com', 'PslBadRule', 1],
    ['// ===END ICANN DOMAINS===\ncom', 'PslBadSection', 1],
    ['// ===BEGIN ICANN DOMAINS===\n// ===BEGIN PRIVATE DOMAINS===', 'PslBadSection', 2],
    [
      '// ===BEGIN ICANN DOMAINS===\ncom\n// ===END ICANN DOMAINS===\n// ===BEGIN ICANN DOMAINS===',
      'PslBadSection',
      4,
    ],
    ['// ===BEGIN ICANN DOMAINS===\ncom\n', 'PslBadSection', null],
    ['', 'PslEmpty', null],
    ['// only comments\n\n   \n', 'PslEmpty', null],
  ] as const)('%j → %s at line %s', (text, code, line) => {
    expect(parsePublicSuffixList(text)).toMatchObject({ ok: false, code, line });
  });

  it(`more than LIMITS.pslChars (${LIMITS.pslChars}) characters → PslTooLarge; exactly the limit parses`, () => {
    const at = `com\n${'/'.repeat(LIMITS.pslChars - 4)}`;
    expect(at.length).toBe(LIMITS.pslChars);
    expect(parsePublicSuffixList(at).ok).toBe(true);
    expect(parsePublicSuffixList(`${at}/`)).toMatchObject({ ok: false, code: 'PslTooLarge', line: null });
  });

  it(`more than LIMITS.pslRules (${LIMITS.pslRules}) rules → PslTooManyRules at the first rule too many`, () => {
    const rules = Array.from({ length: LIMITS.pslRules }, (_, i) => `r${i}.test`);
    expect(parsePublicSuffixList(rules.join('\n')).ok).toBe(true);
    expect(parsePublicSuffixList([...rules, 'one.more'].join('\n'))).toMatchObject({
      ok: false,
      code: 'PslTooManyRules',
      line: LIMITS.pslRules + 1,
    });
  });

  it('a line is read up to its first whitespace; CRLF lines; counts per section', () => {
    const r = parsePublicSuffixList(
      'com extra words\r\n// ===BEGIN ICANN DOMAINS===\r\nuk\r\n// ===END ICANN DOMAINS===\r\n// ===BEGIN PRIVATE DOMAINS===\r\ndyndns.org\t// note\r\n// ===END PRIVATE DOMAINS===\r\n',
    );
    if (!r.ok) throw new Error(r.detail);
    expect(r.list.counts).toEqual({ icann: 1, private: 1, other: 1 });
    expect(r.list.publicSuffix('a.dyndns.org')).toBe('dyndns.org');
  });
});

/** The algorithm as publicsuffix.org/list states it, read directly over a list of rules (no trie). */
function referenceSuffix(rules: readonly string[], domain: string): string {
  const labels = domain.split('.');
  const matches = rules.filter((rule) => {
    const r = (rule.startsWith('!') ? rule.slice(1) : rule).split('.');
    if (r.length > labels.length) return false;
    return r.every((l, i) => l === '*' || l === labels[labels.length - r.length + i]);
  });
  const exception = matches
    .filter((r) => r.startsWith('!'))
    .sort((a, b) => b.split('.').length - a.split('.').length)[0];
  let count: number;
  if (exception) count = exception.split('.').length - 1;
  else count = Math.max(1, ...matches.map((r) => r.split('.').length));
  return labels.slice(labels.length - count).join('.');
}

describe('the trie agrees with the algorithm read directly', () => {
  const label = fc.constantFrom('a', 'b', 'c', 'uk', 'co', 'ck', 'www');
  const ruleArb = fc
    .tuple(fc.constantFrom('', '', '', '!', '*.'), fc.array(label, { minLength: 1, maxLength: 3 }))
    .filter(([kind, ls]) => kind !== '!' || ls.length >= 2)
    .map(([kind, ls]) => `${kind}${ls.join('.')}`);
  it('random lists and domains', () => {
    fc.assert(
      fc.property(
        fc.array(ruleArb, { minLength: 1, maxLength: 12 }),
        fc.array(label, { minLength: 1, maxLength: 5 }),
        (rules, domainLabels) => {
          const r = parsePublicSuffixList(rules.join('\n'));
          if (!r.ok) throw new Error(r.detail);
          const domain = domainLabels.join('.');
          expect(r.list.publicSuffix(domain)).toBe(referenceSuffix(rules, domain));
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('canonicalText (what the canister stores)', () => {
  it('is ASCII and parses back to a list that answers alike, with the same counts', () => {
    const label = fc.constantFrom('a', 'b', 'uk', 'co', 'рф', '公司', 'www');
    const rule = fc
      .tuple(fc.constantFrom('', '!', '*.'), fc.array(label, { minLength: 2, maxLength: 3 }))
      .map(([kind, ls]) => `${kind}${ls.join('.')}`);
    const section = fc.array(rule, { maxLength: 6 });
    fc.assert(
      fc.property(
        section,
        section,
        section,
        fc.array(label, { minLength: 1, maxLength: 5 }),
        (other, icann, priv, d) => {
          fc.pre(other.length + icann.length + priv.length > 0);
          const text = [
            ...other,
            '// ===BEGIN ICANN DOMAINS===',
            ...icann,
            '// ===END ICANN DOMAINS===',
            '// ===BEGIN PRIVATE DOMAINS===',
            ...priv,
            '// ===END PRIVATE DOMAINS===',
          ].join('\n');
          const first = parsePublicSuffixList(text);
          if (!first.ok) throw new Error(first.detail);
          const canonical = first.list.canonicalText();
          expect(/^[\x00-\x7f]*$/.test(canonical)).toBe(true);
          const again = parsePublicSuffixList(canonical);
          if (!again.ok) throw new Error(again.detail);
          expect(again.list.counts).toEqual(first.list.counts);
          expect(again.list.canonicalText()).toBe(canonical);
          const domain = d
            .map((l) => (/^[a-z]+$/.test(l) ? l : l === 'рф' ? 'xn--p1ai' : 'xn--55qx5d'))
            .join('.');
          expect(again.list.publicSuffix(domain)).toBe(first.list.publicSuffix(domain));
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('on the full list of psl 1.15.0: our parser and matcher agree with psl', () => {
  // psl's rule list (data/rules.js, not in its exports map): an `export default [...]` of JSON strings.
  const pslDir = dirname(createRequire(import.meta.url).resolve('psl'));
  const source = readFileSync(join(pslDir, '..', 'data', 'rules.js'), 'utf8');
  const rules = JSON.parse(source.slice(source.indexOf('['), source.lastIndexOf(']') + 1)) as string[];
  const parsed = parsePublicSuffixList(rules.join('\n'));
  if (!parsed.ok) throw new Error(`${parsed.code} at ${parsed.line}: ${parsed.detail}`);
  const list = parsed.list;
  const ascii = rules.filter((r) => /^[!*a-z0-9.-]+$/.test(r));
  it(`parses all ${rules.length} rules`, () => {
    expect(list.rules).toBe(rules.length);
  });
  it('registrable domains of names built on the list’s own rules', () => {
    const name = fc
      .tuple(
        fc.constantFrom(...ascii),
        fc.array(fc.constantFrom('x', 'mail', 'www', 'city'), { maxLength: 3 }),
      )
      .map(([rule, extra]) =>
        [
          ...extra,
          ...rule
            .replace(/^!/, '')
            .split('.')
            .map((l) => (l === '*' ? 'w' : l)),
        ].join('.'),
      );
    fc.assert(
      fc.property(name, (domain) => {
        expect(organizationalDomain(domain, list)).toBe(psl.get(domain));
      }),
      { numRuns: 3000 },
    );
  });
});

/**
 * Property tests for the DKIM tag=value list parser (RFC 6376 §3.2).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseTagList } from '../../src/dkim/tags.ts';
import { binaryTextOf, byteChar } from '../helpers/arbitraries.ts';

/** Characters that drive the parser's branches, mixed with arbitrary bytes. */
const binaryText = binaryTextOf(
  [';', '=', ' ', '\t', '\r', '\n', '\r\n', '\r\n ', 'a', 'b', 'v', '1', '_'],
  120,
);

const WSP = fc.constantFrom(' ', '\t');
/** RFC 6376 FWS: [*WSP CRLF] 1*WSP. */
const fws = fc
  .tuple(fc.array(WSP, { maxLength: 2 }), fc.boolean(), fc.array(WSP, { minLength: 1, maxLength: 2 }))
  .map(([before, fold, after]) => before.join('') + (fold ? '\r\n' : '') + after.join(''));
const optFws = fc.oneof(fc.constant(''), fws);

const tagName = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,6}$/);
/** VALCHAR = %x21-3A / %x3C-7E. */
const valChar = fc
  .oneof(fc.integer({ min: 0x21, max: 0x3a }), fc.integer({ min: 0x3c, max: 0x7e }))
  .map((c) => String.fromCharCode(c));
const tval = fc.string({ unit: valChar, minLength: 1, maxLength: 8 });
const tagValue = fc.array(tval, { maxLength: 4 }).map((parts) => parts.join(' '));

interface GenTag {
  name: string;
  value: string;
  fws: [string, string, string, string];
}

const genTag: fc.Arbitrary<GenTag> = fc.record({
  name: tagName,
  value: tagValue,
  fws: fc.tuple(optFws, optFws, optFws, optFws),
});

const tagList = fc.uniqueArray(genTag, { selector: (t) => t.name, minLength: 1, maxLength: 8 });

function serialize(tags: readonly GenTag[], trailing: string | null): string {
  const specs = tags.map((t) => `${t.fws[0]}${t.name}${t.fws[1]}=${t.fws[2]}${t.value}${t.fws[3]}`);
  return specs.join(';') + (trailing === null ? '' : `;${trailing}`);
}

const CODES = new Set(['TagSyntax', 'DuplicateTag']);

describe('parseTagList properties', () => {
  it('never throws on arbitrary byte strings and returns a typed result', () => {
    fc.assert(
      fc.property(binaryText, (text) => {
        const r = parseTagList(text);
        if (r.ok) {
          expect(r.tags).toBeInstanceOf(Map);
        } else {
          expect(CODES.has(r.code)).toBe(true);
          expect(typeof r.detail).toBe('string');
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on near-valid lists with a random byte inserted', () => {
    fc.assert(
      fc.property(tagList, fc.nat(), byteChar, (tags, pos, ch) => {
        const text = serialize(tags, null);
        const at = pos % (text.length + 1);
        const r = parseTagList(text.slice(0, at) + ch + text.slice(at));
        expect(r.ok || CODES.has(r.code)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('round-trips generated lists with random FWS and an optional trailing ";"', () => {
    fc.assert(
      fc.property(tagList, fc.option(optFws, { nil: null }), (tags, trailing) => {
        const r = parseTagList(serialize(tags, trailing));
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        expect([...r.tags.entries()]).toEqual(tags.map((t) => [t.name, t.value]));
      }),
      { numRuns: 1500 },
    );
  });

  it('keeps inner FWS of a value verbatim', () => {
    fc.assert(
      fc.property(tagName, fc.array(fc.tuple(tval, fws), { maxLength: 3 }), tval, (name, inner, last) => {
        const value = inner.map(([v, w]) => v + w).join('') + last;
        const r = parseTagList(`${name}=${value}`);
        expect(r.ok && r.tags.get(name)).toBe(value);
      }),
      { numRuns: 500 },
    );
  });

  it('reports DuplicateTag whenever a name repeats', () => {
    fc.assert(
      fc.property(
        tagList,
        fc.nat(),
        fc.nat(),
        tagValue,
        fc.tuple(optFws, optFws, optFws, optFws),
        (tags, which, where, value, w) => {
          const dup: GenTag = { name: tags[which % tags.length]!.name, value, fws: w };
          const all = [...tags];
          all.splice(where % (all.length + 1), 0, dup);
          const r = parseTagList(serialize(all, null));
          expect(r.ok).toBe(false);
          if (!r.ok) expect(r.code).toBe('DuplicateTag');
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('treats tag names as case-sensitive', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z][a-z0-9_]{0,5}$/), tagValue, tagValue, (name, v1, v2) => {
        const upper = name.toUpperCase();
        const r = parseTagList(`${name}=${v1}; ${upper}=${v2}`);
        expect(r.ok).toBe(true);
        if (r.ok) {
          expect(r.tags.get(name)).toBe(v1);
          expect(r.tags.get(upper)).toBe(v2);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('rejects a line break that is not folding whitespace', () => {
    fc.assert(
      fc.property(tagList, fc.nat(), fc.constantFrom('\r\n', '\r', '\n', '\n '), (tags, pos, brk) => {
        const text = serialize(tags, null);
        const at = pos % (text.length + 1);
        // Insert a break that cannot be FWS: bare CR/LF, or CRLF followed by a non-WSP character.
        const next = text[at];
        if (brk === '\r\n' && (next === ' ' || next === '\t')) return;
        const r = parseTagList(text.slice(0, at) + brk + text.slice(at));
        expect(r.ok).toBe(false);
        if (!r.ok) expect(r.code).toBe('TagSyntax');
      }),
      { numRuns: 1000 },
    );
  });
});

describe('parseTagList cost', () => {
  it('stays linear on a long FWS run inside a value', () => {
    // A DKIM-Signature can carry ~64 KiB of folded whitespace (lines ≤ 8 KiB each) inside one value. Trimming
    // FWS from the edges must not rescan the run from every position (quadratic backtracking).
    const fold = `${' '.repeat(70)}\r\n `;
    const run = fold.repeat(Math.ceil(30_000 / fold.length));
    const start = performance.now();
    const r = parseTagList(`a=b${run}c; d=e`);
    const elapsed = performance.now() - start;
    expect(r.ok && r.tags.get('a')).toBe(`b${run}c`);
    expect(elapsed, `parseTagList took ${elapsed.toFixed(0)} ms for ${run.length} bytes of FWS`).toBeLessThan(
      200,
    );
  });
});

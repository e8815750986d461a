/**
 * Property tests for DKIM canonicalization (RFC 6376 §3.4).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalizeBody, canonicalizeHeader } from '../../src/dkim/canonicalize.ts';
import type { Canon } from '../../src/dkim/signature.ts';
import { binaryToBytes, bytesToBinary } from '../../src/encoding/bytes.ts';
import { fieldNameOf, mixCase } from '../helpers/arbitraries.ts';

const CANONS: readonly Canon[] = ['simple', 'relaxed'];

/** Body bytes biased towards whitespace and line ends, which is where canonicalization does its work. */
const bodyBytes = fc
  .array(
    fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(13, 10, 32, 9, 0x61) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) },
    ),
    { maxLength: 120 },
  )
  .map((a) => new Uint8Array(a));
const bodyChunks = fc
  .array(fc.constantFrom('\r\n', ' ', '\t', 'a', 'b c', '\r', '\n', ' \r\n', '\r\n\r\n'), { maxLength: 30 })
  .map((parts) => binaryToBytes(parts.join('')));
const anyBody = fc.oneof(bodyBytes, bodyChunks);

const WSP = fc.constantFrom(' ', '\t');
const wspRun = fc.array(WSP, { minLength: 1, maxLength: 4 }).map((a) => a.join(''));
const optWspRun = fc.oneof(fc.constant(''), wspRun);
/** A word: bytes other than SP, TAB, CR, LF. */
const word = fc.string({
  unit: fc
    .integer({ min: 0, max: 255 })
    .filter((c) => c !== 32 && c !== 9 && c !== 13 && c !== 10)
    .map((c) => String.fromCharCode(c)),
  minLength: 1,
  maxLength: 6,
});

/** One body line as words, with whether it has leading whitespace. */
interface Line {
  lead: boolean;
  words: string[];
}
const line: fc.Arbitrary<Line> = fc.record({ lead: fc.boolean(), words: fc.array(word, { maxLength: 5 }) });

/** A rendering of a line: the same words, with freely chosen non-empty runs and free trailing whitespace. */
function renderLine(l: Line, runs: string[], trail: string): string {
  if (l.words.length === 0) return (l.lead ? runs[0]! : '') + trail;
  const lead = l.lead ? runs[0]! : '';
  return lead + l.words.map((w, i) => (i === 0 ? w : runs[i % runs.length]! + w)).join('') + trail;
}

const rendering = fc.record({
  runs: fc.array(wspRun, { minLength: 1, maxLength: 6 }),
  trails: fc.array(optWspRun, { minLength: 1, maxLength: 6 }),
  /** Extra empty or whitespace-only lines at the end. */
  extra: fc.array(optWspRun, { maxLength: 3 }),
  finalCrlf: fc.boolean(),
});
type Rendering = typeof rendering extends fc.Arbitrary<infer R> ? R : never;

function renderBody(lines: Line[], r: Rendering): Uint8Array {
  const rendered = lines.map((l, i) =>
    renderLine(l, r.runs.slice(i % r.runs.length), r.trails[i % r.trails.length]!),
  );
  const all = [...rendered, ...r.extra];
  if (all.length === 0) return new Uint8Array(0);
  return binaryToBytes(all.join('\r\n') + (r.finalCrlf ? '\r\n' : ''));
}

/** The relaxed body as RFC 6376 §3.4.4 defines it, computed from the line model (erratum 1384: empty body = empty). */
function expectedRelaxedBody(lines: Line[]): string {
  const out = lines.map((l) => (l.words.length === 0 ? '' : (l.lead ? ' ' : '') + l.words.join(' ')));
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out.map((l) => `${l}\r\n`).join('');
}

/** A header field name: printable ASCII except ":". */
const fieldName = fieldNameOf(15);
/** Whitespace inside a header value: a WSP run, possibly with a fold (CRLF must be followed by WSP). */
const headerWs = fc
  .tuple(fc.array(WSP, { maxLength: 2 }), fc.boolean(), wspRun)
  .map(([before, fold, after]) => before.join('') + (fold ? '\r\n' : '') + after);
const optHeaderWs = fc.oneof(fc.constant(''), headerWs);

interface HeaderModel {
  name: string;
  words: string[];
}
const headerModel: fc.Arbitrary<HeaderModel> = fc.record({
  name: fieldName,
  words: fc.array(word, { maxLength: 6 }),
});
const headerRendering = fc.record({
  beforeColon: fc.constantFrom('', ' ', '\t', ' \t'),
  lead: optHeaderWs,
  runs: fc.array(headerWs, { minLength: 1, maxLength: 6 }),
  trail: optHeaderWs,
  caseSeed: fc.nat(),
});
type HeaderRendering = typeof headerRendering extends fc.Arbitrary<infer R> ? R : never;

function renderHeader(h: HeaderModel, r: HeaderRendering): string {
  const value = h.words.map((w, i) => (i === 0 ? w : r.runs[i % r.runs.length]! + w)).join('');
  return `${mixCase(h.name, r.caseSeed, 24)}${r.beforeColon}:${r.lead}${value}${r.trail}`;
}

/** A raw header field (no final CRLF) in the shape the message splitter produces. */
const rawHeader = fc.tuple(headerModel, headerRendering).map(([h, r]) => renderHeader(h, r));

describe('canonicalizeBody properties', () => {
  for (const canon of CANONS) {
    it(`${canon} body canonicalization is idempotent`, () => {
      fc.assert(
        fc.property(anyBody, (body) => {
          const once = canonicalizeBody(body, canon);
          expect(canonicalizeBody(once, canon)).toEqual(once);
        }),
        { numRuns: 2000 },
      );
    });

    it(`${canon} canonical body is empty or ends with exactly one CRLF after content`, () => {
      fc.assert(
        fc.property(anyBody, (body) => {
          const c = bytesToBinary(canonicalizeBody(body, canon));
          if (canon === 'relaxed' && c === '') return;
          if (c === '\r\n') return;
          expect(c.endsWith('\r\n')).toBe(true);
          expect(c.endsWith('\r\n\r\n')).toBe(false);
        }),
        { numRuns: 1000 },
      );
    });
  }

  it('simple body canonicalization only removes trailing empty lines (or adds the final CRLF)', () => {
    fc.assert(
      fc.property(anyBody, fc.integer({ min: 0, max: 3 }), (body, extra) => {
        const withExtra = new Uint8Array([...body, ...new Array(extra).fill([13, 10]).flat()]);
        const base = canonicalizeBody(body, 'simple');
        // Appending CRLFs to a body that already ends in CRLF never changes the canonical form.
        const s = bytesToBinary(body);
        if (s.endsWith('\r\n') || s === '') expect(canonicalizeBody(withExtra, 'simple')).toEqual(base);
        // The canonical form starts with the body up to its last non-CRLF content.
        const c = bytesToBinary(base);
        expect(s.startsWith(c.slice(0, -2)) || c === '\r\n').toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('relaxed body ignores the shape of whitespace runs, trailing whitespace and trailing empty lines', () => {
    fc.assert(
      fc.property(fc.array(line, { maxLength: 6 }), rendering, rendering, (lines, r1, r2) => {
        const a = canonicalizeBody(renderBody(lines, r1), 'relaxed');
        const b = canonicalizeBody(renderBody(lines, r2), 'relaxed');
        expect(bytesToBinary(a)).toBe(bytesToBinary(b));
        expect(bytesToBinary(a)).toBe(expectedRelaxedBody(lines));
      }),
      { numRuns: 1500 },
    );
  });

  it('relaxed body of arbitrary bytes (bare CR and LF included) is §3.4.4 applied line by line', () => {
    /** The rule as written: per CRLF-terminated line, WSP runs to one SP, WSP at the end removed; then empty lines at the end removed. */
    const oracle = (body: string) => {
      const lines = body.split('\r\n').map((l) => l.replace(/[ \t]+/g, ' ').replace(/ $/, ''));
      while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
      return lines.length === 0 ? '' : `${lines.join('\r\n')}\r\n`;
    };
    const long = fc
      .array(fc.constantFrom('  ', ' \t', '\t', ' \r\n', 'word ', 'x', '\r\n', '\r', '\n', ' '), {
        maxLength: 200,
      })
      .map((parts) => binaryToBytes(parts.join('')));
    // Long bodies with changes sparse (searched for) and dense (finished byte by byte), and switching between.
    const line = fc
      .tuple(fc.constantFrom('', ' ', '\t', '  '), fc.nat(70), fc.constantFrom('', ' ', ' \t'))
      .map(([lead, n, trail]) => `${lead}${'text '.repeat(n / 5)}end${trail}\r\n`);
    const dense = fc.nat(400).map((n) => 'a \t'.repeat(n));
    const mixed = fc
      .array(fc.oneof({ arbitrary: line, weight: 4 }, dense), { maxLength: 60 })
      .map((parts) => binaryToBytes(parts.join('')));
    fc.assert(
      fc.property(fc.oneof(anyBody, long, mixed), (body) => {
        expect(bytesToBinary(canonicalizeBody(body, 'relaxed'))).toBe(oracle(bytesToBinary(body)));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('canonicalizeHeader properties', () => {
  it('simple header canonicalization is the raw field plus CRLF, and idempotent once the CRLF is removed', () => {
    fc.assert(
      fc.property(rawHeader, (raw) => {
        const once = canonicalizeHeader(raw, 'simple');
        expect(once).toBe(`${raw}\r\n`);
        expect(canonicalizeHeader(once.slice(0, -2), 'simple')).toBe(once);
      }),
      { numRuns: 1000 },
    );
  });

  it('relaxed header canonicalization is idempotent (re-applied to its output without the CRLF)', () => {
    fc.assert(
      fc.property(rawHeader, (raw) => {
        const once = canonicalizeHeader(raw, 'relaxed');
        expect(once.endsWith('\r\n')).toBe(true);
        expect(once.slice(0, -2)).not.toMatch(/\r|\n/);
        expect(canonicalizeHeader(once.slice(0, -2), 'relaxed')).toBe(once);
      }),
      { numRuns: 1500 },
    );
  });

  it('relaxed header ignores whitespace runs, folding, WSP around the colon and name case', () => {
    fc.assert(
      fc.property(headerModel, headerRendering, headerRendering, (h, r1, r2) => {
        const a = canonicalizeHeader(renderHeader(h, r1), 'relaxed');
        const b = canonicalizeHeader(renderHeader(h, r2), 'relaxed');
        expect(a).toBe(b);
        expect(a).toBe(`${h.name.toLowerCase()}:${h.words.join(' ')}\r\n`);
      }),
      { numRuns: 1500 },
    );
  });

  it('relaxed header keeps the case of the value', () => {
    fc.assert(
      fc.property(fieldName, word, (name, w) => {
        fc.pre(w.toUpperCase() !== w.toLowerCase());
        const upper = canonicalizeHeader(`${name}: ${w.toUpperCase()}`, 'relaxed');
        const lower = canonicalizeHeader(`${name}: ${w.toLowerCase()}`, 'relaxed');
        expect(upper).not.toBe(lower);
      }),
      { numRuns: 300 },
    );
  });
});

/**
 * Property tests for the RFC 5322 header/body splitter.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { binaryToBytes, concatBytes } from '../../src/encoding/bytes.ts';
import { type MessageErrorCode, parseMessage } from '../../src/mail/message.ts';
import { fieldNameOf } from '../helpers/arbitraries.ts';

const CODES: ReadonlySet<MessageErrorCode> = new Set<MessageErrorCode>([
  'MessageTooLarge',
  'TooManyHeaderFields',
  'HeaderLineTooLong',
  'MalformedMessage',
]);

/** Bytes biased towards the ones that matter to the splitter. */
const messageByte = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(13, 10, 32, 9, 58, 0x61, 0x41, 0x2d) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) },
);
const lineish = fc
  .array(
    fc.oneof(fc.constantFrom('\r\n', '\r\n ', '\r\n\r\n', 'X-A: b', ':', ' ', 'From: a@b.c'), fc.string()),
    {
      maxLength: 20,
    },
  )
  .map((parts) => binaryToBytes(parts.join('')));

/** ftext: printable US-ASCII except ":" (RFC 5322 §3.6.8). */
const fieldName = fieldNameOf(20);
/** Text on one physical line: any byte but CR and LF (8-bit bytes included, as received mail may have them). */
const lineText = fc.string({
  unit: fc
    .integer({ min: 0, max: 255 })
    .filter((c) => c !== 13 && c !== 10)
    .map((c) => String.fromCharCode(c)),
  maxLength: 40,
});
const WSP = fc.constantFrom(' ', '\t');

interface GenField {
  name: string;
  raw: string;
}

const genField: fc.Arbitrary<GenField> = fc
  .record({
    name: fieldName,
    beforeColon: fc.constantFrom('', ' ', '\t', ' \t '),
    first: lineText,
    continuations: fc.array(fc.tuple(WSP, lineText), { maxLength: 3 }),
  })
  .map(({ name, beforeColon, first, continuations }) => ({
    name,
    raw: `${name}${beforeColon}:${first}${continuations.map(([w, t]) => `\r\n${w}${t}`).join('')}`,
  }));

const body = fc.uint8Array({ maxLength: 200 });

function assemble(fields: readonly GenField[], bodyBytes: Uint8Array | null): Uint8Array {
  const head = fields.map((f) => `${f.raw}\r\n`).join('');
  return bodyBytes === null ? binaryToBytes(head) : concatBytes(binaryToBytes(`${head}\r\n`), bodyBytes);
}

describe('parseMessage properties', () => {
  it('never throws on arbitrary bytes and returns ok or a typed error', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          fc.array(messageByte, { maxLength: 300 }).map((a) => new Uint8Array(a)),
          lineish,
        ),
        (bytes) => {
          const r = parseMessage(bytes);
          if (!r.ok) {
            expect(CODES.has(r.error.code)).toBe(true);
            expect(typeof r.error.detail).toBe('string');
          } else {
            for (const h of r.message.headers) {
              expect(h.key).toBe(h.name.toLowerCase());
              expect(h.raw.startsWith(h.name)).toBe(true);
            }
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('splits generated messages into the generated fields and the exact body', () => {
    fc.assert(
      fc.property(fc.array(genField, { minLength: 1, maxLength: 30 }), body, (fields, bodyBytes) => {
        const bytes = assemble(fields, bodyBytes);
        const r = parseMessage(bytes);
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        const { headers } = r.message;
        expect(headers.length).toBe(fields.length);
        expect(headers.map((h) => h.name)).toEqual(fields.map((f) => f.name));
        expect(headers.map((h) => h.key)).toEqual(fields.map((f) => f.name.toLowerCase()));
        expect(headers.map((h) => h.raw)).toEqual(fields.map((f) => f.raw));
        expect(headers.map((h) => h.value)).toEqual(fields.map((f) => f.raw.slice(f.raw.indexOf(':') + 1)));
        expect(r.message.body).toEqual(bodyBytes);
      }),
      { numRuns: 1000 },
    );
  });

  it('reproduces the input bytes from raw fields, the blank line and the body', () => {
    fc.assert(
      fc.property(fc.array(genField, { maxLength: 30 }), body, (fields, bodyBytes) => {
        const bytes = assemble(fields, bodyBytes);
        const r = parseMessage(bytes);
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        const rebuilt = concatBytes(
          binaryToBytes(r.message.headers.map((h) => `${h.raw}\r\n`).join('') + '\r\n'),
          r.message.body,
        );
        expect(rebuilt).toEqual(bytes);
      }),
      { numRuns: 1000 },
    );
  });

  it('accepts a header section with no blank line and no body', () => {
    fc.assert(
      fc.property(fc.array(genField, { minLength: 1, maxLength: 10 }), (fields) => {
        const r = parseMessage(assemble(fields, null));
        expect(r.ok).toBe(true);
        if (r.ok) {
          expect(r.message.headers.map((h) => h.raw)).toEqual(fields.map((f) => f.raw));
          expect(r.message.body.length).toBe(0);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('rejects a bare CR or LF anywhere in the header section as MalformedMessage', () => {
    fc.assert(
      fc.property(
        fc.array(genField, { minLength: 1, maxLength: 10 }),
        fc.nat(),
        fc.constantFrom('\r', '\n'),
        body,
        (fields, pos, brk, bodyBytes) => {
          const head = fields.map((f) => `${f.raw}\r\n`).join('');
          // Positions strictly inside the header section, not splitting an existing CRLF pair.
          const candidates: number[] = [];
          for (let i = 0; i <= head.length; i++) {
            if (head[i - 1] === '\r' && head[i] === '\n') continue;
            candidates.push(i);
          }
          const at = candidates[pos % candidates.length]!;
          const mutated = head.slice(0, at) + brk + head.slice(at);
          const r = parseMessage(concatBytes(binaryToBytes(`${mutated}\r\n`), bodyBytes));
          expect(r.ok).toBe(false);
          if (!r.ok) expect(r.error.code).toBe('MalformedMessage');
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('parseMessage cost', () => {
  it('stays linear when a field name is followed by long whitespace runs', () => {
    // Stripping WSP before the colon must not rescan each run from every position (quadratic backtracking):
    // here the "name" spans seven 8 KiB lines of spaces and is rejected, but only after that scan.
    const name = `X${Array.from({ length: 7 }, () => ' '.repeat(8180)).join('\r\n')}Y: z`;
    const bytes = binaryToBytes(`${name}\r\n\r\n`);
    const start = performance.now();
    const r = parseMessage(bytes);
    const elapsed = performance.now() - start;
    expect(r.ok || r.error.code).toBe('MalformedMessage');
    expect(elapsed, `parseMessage took ${elapsed.toFixed(0)} ms for ${bytes.length} bytes`).toBeLessThan(100);
  });
});

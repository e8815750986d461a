/**
 * Property tests for domain names (src/dns/name.ts): presentation text with RFC 1035 §5.1 escapes, wire form
 * with and without compression pointers (RFC 1035 §4.1.4), case-insensitive equality (RFC 4343), RFC 4034 §6.1
 * canonical ordering, ancestry and the 63/255-byte limits.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DnsFormatError } from '../../src/dns/errors.ts';
import {
  canonicalName,
  compareNames,
  isAtOrBelow,
  type Name,
  nameEquals,
  nameFromText,
  nameToText,
  nameToWire,
  ROOT,
  readName,
} from '../../src/dns/name.ts';
import { ascii, fitTo255, labelOf, lowerByte } from '../helpers/dns-arbitraries.ts';
import { expectMalformed, returnsOrRejects } from '../helpers/dns-errors.ts';

// ---------- helpers ----------

/** Labels as plain number arrays, so that comparisons are byte-for-byte and failures print readably. */
function plain(name: Name): number[][] {
  return name.map((l) => Array.from(l));
}

const isLetter = (b: number) => (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);

/** Independent oracle: `suffix` equals the last labels of `name`, ASCII case folded. */
function endsWithCI(name: Name, suffix: Name): boolean {
  if (suffix.length > name.length) return false;
  const off = name.length - suffix.length;
  return suffix.every((l, i) => {
    const m = name[off + i]!;
    return l.length === m.length && l.every((b, j) => lowerByte(b) === lowerByte(m[j]!));
  });
}

function wireLength(labels: readonly Uint8Array[]): number {
  return labels.reduce((n, l) => n + l.length + 1, 1);
}

// ---------- arbitraries ----------

const specialByte = fc.constantFrom(
  ...Array.from('.\\"() ;@$*-_\t', (c) => c.charCodeAt(0)),
  0x00,
  0x7f,
  0x80,
  0xc1,
  0xe1,
  0xff,
);
const labelByte = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0x41, max: 0x5a }) },
  { weight: 3, arbitrary: fc.integer({ min: 0x61, max: 0x7a }) },
  { weight: 2, arbitrary: specialByte },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 255 }) },
);
const label = labelOf(labelByte, 1, 63);
const shortLabel = labelOf(labelByte, 1, 3);

/** Random names: few long labels, or many short ones reaching the 255-byte limit. */
const nameArb: fc.Arbitrary<Name> = fc.oneof(
  fc.array(label, { maxLength: 6 }).map(fitTo255),
  fc.array(label, { minLength: 4, maxLength: 8 }).map(fitTo255),
  fc.array(shortLabel, { maxLength: 130 }).map(fitTo255),
);

/** Names over a tiny alphabet so that equal-by-case and shared-suffix pairs are common. */
const smallLabel = labelOf(fc.constantFrom(0x61, 0x41, 0x62, 0x42, 0x5b, 0x7b, 0x00), 1, 3);
const smallName: fc.Arbitrary<Name> = fc.array(smallLabel, { maxLength: 3 });

/** Flips the case of some ASCII letters (the only bytes RFC 4343 folds). */
function recase(name: Name, flips: readonly boolean[]): Name {
  let k = 0;
  return name.map((l) => l.map((b) => (isLetter(b) && flips[k++ % flips.length] ? b ^ 0x20 : b)));
}
const flipsArb = fc.array(fc.boolean(), { minLength: 1, maxLength: 16 });

// ---------- properties ----------

describe('nameFromText on arbitrary input', () => {
  const textUnit = fc.oneof(
    fc.constantFrom('.', '\\', '@', '"', ' ', '0', '1', '2', '5', '9', 'a', 'Z', '*', '\\.', '\\0', '\\25'),
    fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)),
  );
  it('returns a Name or throws DnsFormatError, never anything else', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: textUnit, maxLength: 80 }),
          fc.string({ unit: 'binary', maxLength: 80 }),
          fc.string({ unit: textUnit, minLength: 240, maxLength: 320 }),
        ),
        fc.oneof(fc.constant(ROOT), nameArb),
        (text, origin) => {
          const r = returnsOrRejects(() => nameFromText(text, origin));
          if (!(r instanceof DnsFormatError)) {
            expect(Array.isArray(r)).toBe(true);
            for (const l of r) expect(l.length).toBeGreaterThanOrEqual(1);
            for (const l of r) expect(l.length).toBeLessThanOrEqual(63);
            expect(wireLength(r)).toBeLessThanOrEqual(255);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('readName on arbitrary bytes', () => {
  const bytes = fc.oneof(
    fc.uint8Array({ maxLength: 64 }),
    // Bias towards pointers, small lengths and terminators.
    fc
      .array(fc.oneof(fc.constantFrom(0x00, 0x01, 0x02, 0x3f, 0x40, 0x80, 0xc0, 0xc1, 0xff), fc.nat(255)), {
        maxLength: 64,
      })
      .map((a) => Uint8Array.from(a)),
  );
  it('returns a name or throws DnsFormatError, for any offset and either compression mode', () => {
    fc.assert(
      fc.property(bytes, fc.nat(70), fc.boolean(), (data, off, compressed) => {
        const offset = Math.min(off, data.length + 2);
        const r = returnsOrRejects(() => readName(data, offset, compressed));
        if (!(r instanceof DnsFormatError)) {
          expect(wireLength(r.name)).toBeLessThanOrEqual(255);
          expect(r.end).toBeGreaterThan(offset);
          expect(r.end).toBeLessThanOrEqual(data.length);
          if (!compressed) expect(r.end - offset).toBe(wireLength(r.name));
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('rejects hand-built compression pointer loops (and never hangs on them)', () => {
    const loops: [number[], number][] = [
      [[0xc0, 0x00], 0], // points at itself
      [[0x00, 0x00, 0xc0, 0x02], 2], // points at itself, not at offset 0
      [[0xc0, 0x02, 0xc0, 0x00], 0], // two-pointer cycle
      [[0x01, 0x61, 0xc0, 0x00], 0], // label then back to the start
      [[0x01, 0x61, 0xc0, 0x00], 2], // enters the cycle through the pointer
      [[0x01, 0x61, 0x01, 0x62, 0xc0, 0x02], 0], // cycle that does not include the first label
      [[0xc0, 0x04, 0x00, 0x00, 0xc0, 0x00], 0], // forward then backward
      [[0x3f, ...new Array<number>(63).fill(0x78), 0xc0, 0x00], 0], // long label in the cycle
    ];
    // A three-pointer cycle placed deep in a 14-bit offset space.
    const far = new Array<number>(0x3006).fill(0);
    far.splice(0x1000, 2, 0xf0, 0x00); // -> 0x3000
    far.splice(0x3000, 2, 0xc0, 0x10); // -> 0x0010
    far.splice(0x0010, 2, 0xd0, 0x00); // -> 0x1000
    loops.push([far, 0x0010]);
    for (const [data, offset] of loops) {
      const started = performance.now();
      const err = expectMalformed(() => readName(Uint8Array.from(data), offset, true));
      expect(err.code).toBe('Malformed');
      expect(performance.now() - started).toBeLessThan(500);
      // Without compression the first pointer itself is refused.
      expectMalformed(() => readName(Uint8Array.from(data), offset, false));
    }
  });

  it('rejects random pointer-only graphs that cycle', () => {
    // Every two-byte slot is a pointer to some slot: any walk must cycle, so every start must be rejected.
    fc.assert(
      fc.property(fc.array(fc.nat(15), { minLength: 1, maxLength: 16 }), fc.nat(15), (targets, start) => {
        const data = new Uint8Array(targets.length * 2);
        targets.forEach((t, i) => {
          const to = (t % targets.length) * 2;
          data[2 * i] = 0xc0 | (to >> 8);
          data[2 * i + 1] = to & 0xff;
        });
        expectMalformed(() => readName(data, (start % targets.length) * 2, true));
      }),
      { numRuns: 200 },
    );
  });

  it('follows a valid pointer and reports the end after the pointer', () => {
    // 0: "\x07example\x03com\x00", 13: "\x03www" + pointer to 0
    const data = Uint8Array.from([
      7,
      ...ascii('example'),
      3,
      ...ascii('com'),
      0,
      3,
      ...ascii('www'),
      0xc0,
      0x00,
      0xff,
    ]);
    const r = readName(data, 13, true);
    expect(nameToText(r.name)).toBe('www.example.com.');
    expect(r.end).toBe(19);
  });
});

describe('generated names', () => {
  it('round-trip through presentation text byte-for-byte', () => {
    fc.assert(
      fc.property(nameArb, (n) => {
        const text = nameToText(n);
        expect(text.endsWith('.')).toBe(true);
        expect(plain(nameFromText(text))).toEqual(plain(n));
        // The origin is ignored for absolute text.
        expect(plain(nameFromText(text, [ascii('origin')]))).toEqual(plain(n));
      }),
      { numRuns: 1000 },
    );
  });

  it('round-trip through wire form, also at an offset and followed by other bytes', () => {
    fc.assert(
      fc.property(
        nameArb,
        fc.uint8Array({ maxLength: 4 }),
        fc.uint8Array({ maxLength: 4 }),
        (n, pre, post) => {
          const wire = nameToWire(n);
          expect(wire.length).toBe(wireLength(n));
          const r = readName(wire, 0, false);
          expect(plain(r.name)).toEqual(plain(n));
          expect(r.end).toBe(wire.length);
          const padded = Uint8Array.from([...pre, ...wire, ...post]);
          for (const compressed of [false, true]) {
            const p = readName(padded, pre.length, compressed);
            expect(plain(p.name)).toEqual(plain(n));
            expect(p.end).toBe(pre.length + wire.length);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('canonicalName lowercases ASCII letters only and is idempotent', () => {
    fc.assert(
      fc.property(nameArb, (n) => {
        const c = canonicalName(n);
        expect(plain(canonicalName(c))).toEqual(plain(c));
        expect(plain(c)).toEqual(n.map((l) => Array.from(l, lowerByte)));
        expect(nameEquals(c, n)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('nameEquals ignores the case of ASCII letters', () => {
    fc.assert(
      fc.property(nameArb, flipsArb, (n, flips) => {
        const m = recase(n, flips);
        expect(nameEquals(n, m)).toBe(true);
        expect(nameEquals(m, n)).toBe(true);
        expect(compareNames(n, m)).toBe(0);
        expect(isAtOrBelow(n, m)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('nameEquals does not fold bit 0x20 of non-letters or bytes >= 0x80', () => {
    const nonEmpty = nameArb.filter((n) => n.length > 0);
    fc.assert(
      fc.property(nonEmpty, fc.nat(), fc.nat(), (n, li, bi) => {
        const i = li % n.length;
        const j = bi % n[i]!.length;
        const b = n[i]![j]!;
        const m = n.map((l, k) => (k === i ? l.map((x, y) => (y === j ? x ^ 0x20 : x)) : l));
        expect(nameEquals(n, m)).toBe(isLetter(b));
        expect(compareNames(n, m) === 0).toBe(isLetter(b));
      }),
      { numRuns: 1000 },
    );
    // Every byte value, exhaustively: b and b^0x20 are the same only for ASCII letters.
    for (let b = 0; b < 256; b++) {
      expect(nameEquals([Uint8Array.of(b)], [Uint8Array.of(b ^ 0x20)])).toBe(isLetter(b));
    }
  });
});

describe('compareNames', () => {
  const sign = (x: number) => (x < 0 ? -1 : x > 0 ? 1 : 0);
  const names = fc.oneof(smallName, nameArb);

  it('is reflexive, antisymmetric and 0 exactly when nameEquals', () => {
    fc.assert(
      fc.property(names, names, (a, b) => {
        expect(compareNames(a, a)).toBe(0);
        expect(sign(compareNames(a, b)) + sign(compareNames(b, a))).toBe(0);
        expect(compareNames(a, b) === 0).toBe(nameEquals(a, b));
      }),
      { numRuns: 1000 },
    );
  });

  it('is transitive on random triples', () => {
    fc.assert(
      fc.property(smallName, smallName, smallName, (a, b, c) => {
        const [x, y, z] = [a, b, c].sort(compareNames) as [Name, Name, Name];
        expect(compareNames(x, y)).toBeLessThanOrEqual(0);
        expect(compareNames(y, z)).toBeLessThanOrEqual(0);
        expect(compareNames(x, z)).toBeLessThanOrEqual(0);
        if (compareNames(x, y) < 0 || compareNames(y, z) < 0) expect(compareNames(x, z)).toBeLessThan(0);
      }),
      { numRuns: 1000 },
    );
  });

  it('puts a name after all of its proper ancestors', () => {
    fc.assert(
      fc.property(nameArb, (n) => {
        for (let k = 1; k <= n.length; k++) expect(compareNames(n.slice(k), n)).toBeLessThan(0);
      }),
      { numRuns: 300 },
    );
  });

  it('reproduces the example ordering of RFC 4034 §6.1', () => {
    const ordered = [
      'example',
      'a.example',
      'yljkjljk.a.example',
      'Z.a.example',
      'zABC.a.EXAMPLE',
      'z.example',
      '\\001.z.example',
      '*.z.example',
      '\\200.z.example',
    ].map((t) => nameFromText(t));
    for (let i = 0; i + 1 < ordered.length; i++) {
      expect(compareNames(ordered[i]!, ordered[i + 1]!)).toBeLessThan(0);
      expect(compareNames(ordered[i + 1]!, ordered[i]!)).toBeGreaterThan(0);
    }
    fc.assert(
      fc.property(fc.shuffledSubarray(ordered, { minLength: ordered.length }), (shuffled) => {
        expect([...shuffled].sort(compareNames).map(nameToText)).toEqual(ordered.map(nameToText));
      }),
      { numRuns: 50 },
    );
  });
});

describe('isAtOrBelow', () => {
  it('holds for every suffix of a name, in any letter case', () => {
    fc.assert(
      fc.property(nameArb, flipsArb, (n, flips) => {
        for (let k = 0; k <= n.length; k++) {
          expect(isAtOrBelow(n, n.slice(k))).toBe(true);
          expect(isAtOrBelow(n, recase(n.slice(k), flips))).toBe(true);
        }
        expect(isAtOrBelow(n, ROOT)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('is false for an unrelated name', () => {
    fc.assert(
      fc.property(fc.oneof(nameArb, smallName), fc.oneof(nameArb, smallName), (n, other) => {
        fc.pre(!endsWithCI(n, other));
        expect(isAtOrBelow(n, other)).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });

  it('does not match a partial label', () => {
    expect(isAtOrBelow(nameFromText('xexample.com.'), nameFromText('example.com.'))).toBe(false);
    expect(isAtOrBelow(nameFromText('example.com.'), nameFromText('a.example.com.'))).toBe(false);
    // `a\.example` is one label, so this name is directly below `com.`, not below `example.com.`.
    expect(isAtOrBelow(nameFromText('a\\.example.com.'), nameFromText('com.'))).toBe(true);
    expect(isAtOrBelow(nameFromText('a\\.example.com.'), nameFromText('example.com.'))).toBe(false);
    expect(isAtOrBelow(nameFromText('a.example.com.'), nameFromText('a\\.example.com.'))).toBe(false);
  });
});

describe('length limits', () => {
  const labelOf = (n: number) => 'x'.repeat(n);

  it('accepts a 63-byte label and rejects 64 bytes, in text and on the wire', () => {
    expect(nameFromText(`${labelOf(63)}.`)[0]!.length).toBe(63);
    expect(nameFromText(`${'\\255'.repeat(63)}.`)[0]!.length).toBe(63);
    expectMalformed(() => nameFromText(`${labelOf(64)}.`));
    expectMalformed(() => nameFromText(`${'\\000'.repeat(64)}.`));
    expectMalformed(() => nameFromText(labelOf(64), ROOT));

    const ok = Uint8Array.from([63, ...ascii(labelOf(63)), 0]);
    expect(readName(ok, 0, false).name[0]!.length).toBe(63);
    const bad = Uint8Array.from([64, ...ascii(labelOf(64)), 0]);
    expectMalformed(() => readName(bad, 0, false));
    expectMalformed(() => readName(bad, 0, true));
  });

  it('accepts a 255-byte wire name and rejects 256 bytes, in text and on the wire', () => {
    // 3 × (1 + 63) + (1 + 61) + 1 = 255
    const max = `${labelOf(63)}.${labelOf(63)}.${labelOf(63)}.${labelOf(61)}.`;
    const over = `${labelOf(63)}.${labelOf(63)}.${labelOf(63)}.${labelOf(62)}.`;
    expect(nameToWire(nameFromText(max)).length).toBe(255);
    expectMalformed(() => nameFromText(over));
    // The origin counts towards the limit.
    expect(nameToWire(nameFromText(labelOf(61), nameFromText(max.slice(62)))).length).toBe(255);
    expectMalformed(() => nameFromText(labelOf(62), nameFromText(max.slice(62))));

    const wire = (text: string) => {
      const parts = text.slice(0, -1).split('.');
      return Uint8Array.from([...parts.flatMap((p) => [p.length, ...ascii(p)]), 0]);
    };
    expect(wire(max).length).toBe(255);
    expect(wireLength(readName(wire(max), 0, false).name)).toBe(255);
    expect(wire(over).length).toBe(256);
    expectMalformed(() => readName(wire(over), 0, false));
    // Many one-byte labels: 127 × 2 + 1 = 255 is fine, 128 × 2 + 1 = 257 is not.
    const ones = (k: number) => Uint8Array.from([...Array.from({ length: k }, () => [1, 0x61]).flat(), 0]);
    expect(readName(ones(127), 0, false).name.length).toBe(127);
    expectMalformed(() => readName(ones(128), 0, false));
  });

  it('counts labels reached through pointers towards the 255-byte limit', () => {
    // 0: 63-byte label, root; 65: 63-byte label + pointer to 0; 131: 63-byte label + pointer to 65; …
    const parts: number[] = [63, ...ascii(labelOf(63)), 0];
    const starts = [0];
    for (let k = 0; k < 4; k++) {
      starts.push(parts.length);
      const prev = starts[starts.length - 2]!;
      parts.push(63, ...ascii(labelOf(63)), 0xc0 | (prev >> 8), prev & 0xff);
    }
    const data = Uint8Array.from(parts);
    expect(readName(data, starts[2]!, true).name.length).toBe(3); // 193 bytes
    expectMalformed(() => readName(data, starts[3]!, true)); // 4 × 64 + 1 = 257 bytes
  });
});

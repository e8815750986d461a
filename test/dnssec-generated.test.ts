/**
 * Waxseal's validator on the BIND-signed test hierarchy (every algorithm, NSEC and NSEC3 zones, CNAMEs across
 * zones, rollovers, DS digest mixes, expired and future signatures, DS mismatches, unsigned and island zones).
 */
import { describe, expect, it } from 'vitest';
import { nameFromText } from '../src/dns/name.ts';
import { typeFromText } from '../src/dns/types.ts';
import { validateRecords } from '../src/dnssec/chain.ts';
import { BACKENDS } from './helpers/backends.ts';
import { anchorsFor, matrix, recordsFor, waxsealExpectation } from './helpers/dnssec-generated.ts';

describe.each(BACKENDS)('generated DNSSEC hierarchy ($name backend)', (crypto) => {
  it.each(matrix.cases.map((c) => [c.id, c] as const))('%s', async (_id, c) => {
    const v = await validateRecords(recordsFor(c.name), nameFromText(c.name), typeFromText(c.type), {
      anchors: anchorsFor(c),
      now: matrix.verify_time,
      crypto,
    });
    const want = waxsealExpectation(c, 'zone');
    expect([v.verdict, v.verdict === 'secure' ? null : v.reason], want.why).toEqual([
      want.verdict,
      want.reason,
    ]);
  });
});

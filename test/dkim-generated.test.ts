/**
 * The generated corpus: every message was signed by dkimpy or OpenDKIM (not by this code) and each mutation's
 * expected result follows from what the mutation does (see test-vectors/dkim/generated/README.md).
 */
import { describe, expect, it } from 'vitest';
import { staticTxtLookup } from '../src/dns/lookup.ts';
import { verifyEmail } from '../src/verify-email.ts';
import { BACKENDS } from './helpers/backends.ts';
import { generatedCases } from './helpers/generated.ts';

const cases = generatedCases();

describe('generated DKIM corpus', () => {
  it('has several hundred cases from both signers and every mutation kind', () => {
    expect(cases.length).toBeGreaterThanOrEqual(400);
    expect(new Set(cases.map((c) => c.signer))).toEqual(new Set(['dkimpy', 'opendkim', 'mixed']));
    expect(cases.filter((c) => c.mutation === null).length).toBeGreaterThanOrEqual(40);
  });

  describe.each(BACKENDS)('$name backend', (crypto) => {
    it.each(cases.map((c) => [c.id, c] as const))('%s', async (_id, c) => {
      const v = await verifyEmail(c.message, staticTxtLookup(c.dns), c.verify_time, { crypto });
      expect(v.signatures.map((s) => [s.domain, s.selector, s.algorithm, s.result, s.reason])).toEqual(
        c.expected.signatures.map((s) => [s.d, s.s, s.a, s.result, s.reason]),
      );
      if (c.expected.from_count !== 1) expect(v.reason).toBe('MalformedFromHeader');
    });
  });
});

import { describe, expect, it } from 'vitest';
import { staticTxtLookup } from '../src/dns/lookup.ts';
import { lfToCrlf } from '../src/mail/message.ts';
import { verifyEmail } from '../src/verify-email.ts';
import { BACKENDS } from './helpers/backends.ts';
import { thirdPartyDkimCases } from './helpers/vectors.ts';

/** Reason texts in the shared vectors, mapped to our stable codes. */
const REASON_CODES: Record<string, string> = {
  'body-hash-mismatch': 'BodyHashMismatch',
  'signature-invalid': 'SignatureInvalid',
  'key-revoked (empty p=, RFC 6376 section 3.6.1)': 'KeyRevoked',
};

describe.each(BACKENDS)('third-party DKIM vectors ($name backend)', (crypto) => {
  for (const c of thirdPartyDkimCases()) {
    it(c.id, async () => {
      const bytes = c.lineEndings === 'LF' ? lfToCrlf(c.message) : c.message;
      const v = await verifyEmail(bytes, staticTxtLookup(c.dns), c.verifyTime, { crypto });
      expect(v.signatures.map((s) => [s.domain, s.selector, s.algorithm, s.result])).toEqual(
        c.expected.signatures.map((s) => [s.d, s.s, s.a, s.result]),
      );
      c.expected.signatures.forEach((s, i) => {
        if (s.reason) expect(v.signatures[i]!.reason).toBe(REASON_CODES[s.reason]);
        else expect(v.signatures[i]!.reason).toBeNull();
      });
      expect(v.dkim).toBe(c.expected.overall);
    });
  }
});

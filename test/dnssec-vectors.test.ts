/**
 * Third-party DNSSEC vectors (RFC 5702, 6605, 8080, 9102 examples and a real 2019 chain from the root KSK) at
 * their verify_time, with every crypto backend, plus the edges of each validity window.
 */
import { describe, expect, it } from 'vitest';
import { webCrypto } from '../src/crypto/webcrypto.ts';
import { validateRecords, verifyChain } from '../src/dnssec/chain.ts';
import { BACKENDS } from './helpers/backends.ts';
import { thirdPartyDnssecCases } from './helpers/dnssec-vectors.ts';

const cases = thirdPartyDnssecCases();

/** Cases whose keys are below Waxseal's 1024-bit RSA floor: secure by the math, bogus by protocol.md §7. */
const SMALL_KEYS: Record<string, string> = {
  'rfc5702-rsasha256-a': 'the RFC 5702 example ZSK is 512 bits',
  'ens-ethlab-xyz-chain': 'the 2019 ethlab.xyz ZSK (tag 42999) is 512 bits',
};

describe.each(BACKENDS)('third-party DNSSEC vectors ($name backend)', (crypto) => {
  for (const c of cases) {
    it(`${c.id}: ${c.expected.verdict}${SMALL_KEYS[c.id] ? ' by the math, KeyTooSmall by policy' : ''}`, async () => {
      const opts = { anchors: c.anchors, now: c.verifyTime, crypto };
      const v = await validateRecords(c.records, c.name, c.type, opts);
      if (SMALL_KEYS[c.id]) {
        expect([v.verdict, v.verdict === 'secure' ? null : v.reason]).toEqual(['bogus', 'KeyTooSmall']);
        const math = await validateRecords(c.records, c.name, c.type, { ...opts, rsaMinBits: 512 });
        expect(math.verdict).toBe(c.expected.verdict);
      } else {
        expect(v.verdict).toBe(c.expected.verdict);
      }
      if (c.chainBytes) {
        const w = await verifyChain(c.chainBytes, c.name, c.type, opts);
        expect(w.verdict).toBe(c.expected.verdict);
      }
    });
  }
});

describe('validity windows (RFC 4034 §3.1.5, 60 s skew)', () => {
  for (const c of cases.filter((x) => !SMALL_KEYS[x.id])) {
    it(`${c.id}: secure from inception − 60 s to expiration + 60 s, not outside`, async () => {
      const at = (now: number) =>
        validateRecords(c.records, c.name, c.type, { anchors: c.anchors, now, crypto: webCrypto });
      expect((await at(c.window.max_inception - 60)).verdict).toBe('secure');
      expect((await at(c.window.min_expiration + 60)).verdict).toBe('secure');
      const early = await at(c.window.max_inception - 61);
      const late = await at(c.window.min_expiration + 61);
      expect([early.verdict, early.verdict === 'bogus' ? early.reason : null]).toEqual([
        'bogus',
        'SignatureNotYetValid',
      ]);
      expect([late.verdict, late.verdict === 'bogus' ? late.reason : null]).toEqual([
        'bogus',
        'SignatureExpired',
      ]);
    });
  }
});

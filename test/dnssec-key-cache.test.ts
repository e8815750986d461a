/**
 * Zone keys verified once are reused across validations until the RRSIGs that vouched for them expire
 * (src/dnssec/chain.ts ZoneKeyCache): a warm proof may omit the upper chain, never past that time, and the cache
 * never vouches for data it did not verify.
 */
import { describe, expect, it } from 'vitest';
import { webCrypto } from '../src/crypto/webcrypto.ts';
import { nameFromText, nameToText } from '../src/dns/name.ts';
import type { ResourceRecord } from '../src/dns/record.ts';
import { TYPE } from '../src/dns/types.ts';
import { validateRecords, zoneKeyCache } from '../src/dnssec/chain.ts';
import { parseRrsig } from '../src/dnssec/rrsig.ts';
import { allRecords, anchorsFor, matrix, recordsFor } from './helpers/dnssec-generated.ts';

const c = matrix.cases.find((x) => x.id === 'rsa2048-dkim-rsa')!;
const name = nameFromText(c.name);
const anchors = anchorsFor(c);
const now = matrix.verify_time;
const opts = { anchors, now, crypto: webCrypto };

/** Only the answer RRset and its RRSIG: what a warm proof needs once the zone's keys are cached. */
function leafOnly(records: readonly ResourceRecord[]): ResourceRecord[] {
  return records.filter(
    (rr) => nameToText(rr.name) === c.name && (rr.type === TYPE.TXT || rr.type === TYPE.RRSIG),
  );
}

describe('zone key cache', () => {
  it('caches every zone on the path, valid until the earliest RRSIG that vouched for it', async () => {
    const cache = zoneKeyCache();
    const cold = await validateRecords(recordsFor(c.name), name, TYPE.TXT, { ...opts, keyCache: cache });
    expect(cold.verdict).toBe('secure');
    if (cold.verdict !== 'secure') return;
    expect(cache.size()).toBe(3);
    const expirations = cold.proof.filter((r) => r.type === TYPE.RRSIG).map((r) => parseRrsig(r).expiration);
    const leaf = cache.get('rsa2048.wxtest.', now)!;
    expect(leaf.validUntil).toBeGreaterThan(now);
    expect(leaf.validUntil).toBeLessThanOrEqual(Math.max(...expirations));
    expect(cache.get('.', now)!.validUntil).toBeGreaterThanOrEqual(leaf.validUntil);
  });

  it('validates a proof without the upper chain when warm, and not when cold', async () => {
    const cache = zoneKeyCache();
    await validateRecords(recordsFor(c.name), name, TYPE.TXT, { ...opts, keyCache: cache });
    const stripped = leafOnly(allRecords);
    expect((await validateRecords(stripped, name, TYPE.TXT, { ...opts, keyCache: cache })).verdict).toBe(
      'secure',
    );
    const cold = await validateRecords(stripped, name, TYPE.TXT, { ...opts, keyCache: zoneKeyCache() });
    expect([cold.verdict, cold.verdict === 'secure' ? null : cold.reason]).toEqual([
      'bogus',
      'MissingRecords',
    ]);
  });

  it('forgets keys once their RRSIGs have expired', async () => {
    const cache = zoneKeyCache();
    await validateRecords(recordsFor(c.name), name, TYPE.TXT, { ...opts, keyCache: cache });
    const until = cache.get('rsa2048.wxtest.', now)!.validUntil;
    expect(cache.get('rsa2048.wxtest.', until + 1)).toBeUndefined();
  });

  it('still checks every signature below the cached keys', async () => {
    const cache = zoneKeyCache();
    await validateRecords(recordsFor(c.name), name, TYPE.TXT, { ...opts, keyCache: cache });
    const tampered = leafOnly(allRecords).map((rr) => {
      if (rr.type !== TYPE.TXT) return rr;
      const rdata = rr.rdata.slice();
      rdata[rdata.length - 2]! ^= 1;
      return { ...rr, rdata };
    });
    const v = await validateRecords(tampered, name, TYPE.TXT, { ...opts, keyCache: cache });
    expect([v.verdict, v.verdict === 'secure' ? null : v.reason]).toEqual(['bogus', 'BadSignature']);
  });

  it('never caches a zone that failed', async () => {
    const cache = zoneKeyCache();
    const expired = matrix.cases.find((x) => x.id === 'expired-txt')!;
    await validateRecords(recordsFor(expired.name), nameFromText(expired.name), TYPE.TXT, {
      ...opts,
      keyCache: cache,
    });
    expect(cache.get('expired.wxtest.', now)).toBeUndefined();
  });
});

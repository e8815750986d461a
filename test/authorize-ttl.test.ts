/** Delegation lifetimes of /authorize (frontend/src/authorize/ttl.ts): 8 h by default, 30 days at most. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TTL_NS,
  delegationTtl,
  isValidTtl,
  MAX_TTL_NS,
  parseTtlText,
} from '../frontend/src/authorize/ttl.ts';

const HOUR_NS = 3_600_000_000_000n;

describe('delegationTtl', () => {
  it('a dApp that asks for no lifetime gets 8 hours', () => {
    expect(DEFAULT_TTL_NS).toBe(8n * HOUR_NS);
    expect(delegationTtl(undefined)).toBe(8n * HOUR_NS);
  });

  it('caps at 30 days, the canister’s own cap (protocol.md §1)', () => {
    expect(MAX_TTL_NS).toBe(30n * 24n * HOUR_NS);
    expect(delegationTtl(MAX_TTL_NS + 1n)).toBe(MAX_TTL_NS);
    expect(delegationTtl(2n ** 64n - 1n)).toBe(MAX_TTL_NS);
    expect(delegationTtl(MAX_TTL_NS)).toBe(MAX_TTL_NS);
  });

  it('keeps a shorter lifetime as asked ("may shorten it but must not exceed it")', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 2n ** 70n }), (ttl) => {
        const got = delegationTtl(ttl);
        expect(got).toBe(ttl < MAX_TTL_NS ? ttl : MAX_TTL_NS);
        expect(got <= ttl && got <= MAX_TTL_NS).toBe(true);
      }),
    );
  });
});

describe('parseTtlText (ICRC-34 maxTimeToLive)', () => {
  it('reads a base-10 string of nanoseconds', () => {
    expect(parseTtlText('28800000000000')).toBe(8n * HOUR_NS);
    expect(parseTtlText('1')).toBe(1n);
    expect(parseTtlText('18446744073709551615')).toBe(2n ** 64n - 1n);
  });

  it('refuses numbers, zero, signs, spaces, exponents, hex and overlong text', () => {
    for (const bad of [
      28800000000000,
      0,
      '0',
      '00',
      '-1',
      '+1',
      ' 1',
      '1 ',
      '1e9',
      '0x10',
      '1.5',
      '',
      '1'.repeat(21),
    ]) {
      expect(parseTtlText(bad), String(bad)).toBeNull();
    }
    expect(parseTtlText(null)).toBeNull();
    expect(parseTtlText(8n)).toBeNull();
  });

  it('never throws, and accepts exactly the positive decimal strings of up to 20 digits', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[0-9]{1,22}$/), fc.anything()), (v) => {
        const got = parseTtlText(v);
        const decimal = typeof v === 'string' && /^[0-9]{1,20}$/.test(v);
        expect(got !== null).toBe(decimal && BigInt(v as string) > 0n);
        if (got !== null) expect(got).toBe(BigInt(v as string));
      }),
    );
  });

  it('isValidTtl: a delegation that expires as it is made is no delegation', () => {
    expect(isValidTtl(0n)).toBe(false);
    expect(isValidTtl(-1n)).toBe(false);
    expect(isValidTtl(1n)).toBe(true);
  });
});

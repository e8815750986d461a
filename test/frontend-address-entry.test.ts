/** The address field (frontend/src/logic/address-entry.ts): the canister's rules, said in plain words. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkAddressEntry, toALabel } from '../frontend/src/logic/address-entry.ts';
import { parseAddress } from '../src/mail/address.ts';

describe('checkAddressEntry', () => {
  it('accepts what the canister accepts, lowercased, surrounding whitespace dropped', () => {
    expect(checkAddressEntry('  Alice.B+tag@Example.COM\n')).toEqual({
      kind: 'ok',
      address: 'alice.b+tag@example.com',
      domain: 'example.com',
    });
    expect(checkAddressEntry('x@xn--mnchen-3ya.de')).toMatchObject({ kind: 'ok' });
  });

  it('explains a U-label domain with its A-label form', () => {
    const r = checkAddressEntry('Hans@München.de');
    expect(r).toEqual({
      kind: 'idn',
      message: 'München.de is written xn--mnchen-3ya.de in email systems; use hans@xn--mnchen-3ya.de.',
      suggestion: 'hans@xn--mnchen-3ya.de',
    });
    if (r.kind === 'idn') expect(parseAddress(r.suggestion).ok).toBe(true);
    expect(toALabel('bücher.example')).toBe('xn--bcher-kva.example');
    expect(toALabel('a/ü.de')).toBeNull();
  });

  it('a U-label domain with a bad local part says what is wrong with the local part', () => {
    expect(checkAddressEntry('a b@münchen.de')).toMatchObject({ kind: 'invalid', message: /before the @/ });
    expect(checkAddressEntry('jörg@example.com')).toMatchObject({ kind: 'invalid', message: /accented/ });
  });

  it.each([
    ['', 'empty', /Enter/],
    ['   ', 'empty', /Enter/],
    ['alice', 'invalid', /has an @/],
    ['@example.com', 'invalid', /before the @/],
    ['alice@', 'invalid', /after the @/],
    ['"a b"@example.com', 'invalid', /quotation/],
    ['a@[192.0.2.1]', 'invalid', /IP address/],
    ['a@-bad-.com', 'invalid', /domain name/],
    [`${'a'.repeat(65)}@example.com`, 'invalid', /at most 64/],
    [`a@${'b'.repeat(250)}.com`, 'invalid', /too long/],
  ])('%j → %s', (typed, kind, message) => {
    expect(checkAddressEntry(typed)).toMatchObject({ kind, message });
  });

  it('any string: ok exactly when the canister accepts it, otherwise a message; never throws', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string({ unit: 'binary' }),
          fc.emailAddress(),
          fc.tuple(fc.string(), fc.string({ unit: 'grapheme' })).map(([l, d]) => `${l}@${d}`),
        ),
        (typed) => {
          const r = checkAddressEntry(typed);
          if (r.kind === 'ok') expect(parseAddress(typed.trim()).ok).toBe(true);
          else {
            expect(r.message.length).toBeGreaterThan(0);
            expect(parseAddress(typed.trim()).ok).toBe(false);
          }
          if (r.kind === 'idn') expect(parseAddress(r.suggestion).ok).toBe(true);
        },
      ),
      { numRuns: 1_000 },
    );
  });
});

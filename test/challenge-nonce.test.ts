/**
 * Nonces (protocol.md §3): format, the 100 bits they carry (checked against @scure/base's RFC 4648 base32), and
 * how they are found in a Subject (plain, folded, RFC 2047 encoded-words, ambiguous, not standing alone).
 */
import { randomBytes } from 'node:crypto';
import { base32 } from '@scure/base';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeEncodedWords,
  findNonceInSubject,
  isNonce,
  makeNonce,
  NONCE_LENGTH,
  normalizeNonce,
} from '../src/challenge/nonce.ts';

const bytes13 = fc.uint8Array({ minLength: 13, maxLength: 13 });
const first100Bits = (b: Uint8Array) => `${Buffer.from(b.subarray(0, 12)).toString('hex')}${b[12]! >> 4}`;

describe('makeNonce', () => {
  it('WX- and 20 lowercase base32 characters: the first 100 bits of the 13 bytes (RFC 4648 §6 order)', () => {
    expect(makeNonce(new Uint8Array(13))).toBe('WX-aaaaaaaaaaaaaaaaaaaa');
    expect(makeNonce(new Uint8Array(13).fill(0xff))).toBe('WX-77777777777777777777');
    // Pinned vectors (RFC 4648 §6 base32 of the bytes, lowercased, first 20 characters): nonces already issued
    // must keep reading as the same bytes whichever codec makes them.
    expect(makeNonce(Uint8Array.from(Buffer.from('00112233445566778899aabbcc', 'hex')))).toBe(
      'WX-aaisem2ekvthpcezvk54',
    );
    expect(makeNonce(new TextEncoder().encode('waxseal-nonce'))).toBe('WX-o5qxq43fmfwc23tpnzrw');
    fc.assert(
      fc.property(bytes13, (b) => {
        const n = makeNonce(b);
        expect(n).toHaveLength(NONCE_LENGTH);
        expect(isNonce(n)).toBe(true);
        expect(n.slice(3)).toBe(base32.encode(b).toLowerCase().slice(0, 20));
      }),
    );
  });

  it('two inputs give the same nonce exactly when their first 100 bits agree', () => {
    fc.assert(
      fc.property(bytes13, bytes13, (a, b) => {
        expect(makeNonce(a) === makeNonce(b)).toBe(first100Bits(a) === first100Bits(b));
      }),
    );
    const low = Uint8Array.from(randomBytes(13));
    const flipped = low.slice();
    flipped[12]! ^= 0x0f;
    expect(makeNonce(flipped)).toBe(makeNonce(low));
    flipped[12]! ^= 0x10;
    expect(makeNonce(flipped)).not.toBe(makeNonce(low));
  });

  it('10,000 nonces from the CSPRNG are distinct; every character is used', () => {
    const seen = new Set<string>();
    const chars = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const n = makeNonce(Uint8Array.from(randomBytes(13)));
      seen.add(n);
      for (const c of n.slice(3)) chars.add(c);
    }
    expect(seen.size).toBe(10_000);
    expect(chars.size).toBe(32);
  });

  it('refuses any other number of bytes', () => {
    expect(() => makeNonce(new Uint8Array(12))).toThrow(RangeError);
    expect(() => makeNonce(new Uint8Array(14))).toThrow(RangeError);
  });

  it('isNonce / normalizeNonce: only the WX- prefix may change case', () => {
    const n = makeNonce(Uint8Array.from(randomBytes(13)));
    const body = n.slice(3);
    expect(isNonce(n)).toBe(true);
    expect(isNonce(`wx-${body}`)).toBe(false);
    expect(normalizeNonce(`wx-${body}`)).toBe(n);
    expect(normalizeNonce(`Wx-${body}`)).toBe(n);
    expect(normalizeNonce(`WX-${body.toUpperCase()}`)).toBeNull();
    expect(normalizeNonce(`WX-${body}a`)).toBeNull();
    expect(normalizeNonce(`WX-${body.slice(1)}1`)).toBeNull();
    expect(normalizeNonce(` ${n}`)).toBeNull();
  });
});

describe('findNonceInSubject', () => {
  const n = makeNonce(Uint8Array.from(randomBytes(13)));
  const m = makeNonce(Uint8Array.from(randomBytes(13)));
  const body = n.slice(3);

  it.each([
    [` ${n}`, 'alone'],
    [` Re: [Waxseal] ${n}`, 'with a prefix'],
    [` Recovery code: ${n}.`, 'followed by punctuation'],
    [` (${n})`, 'in parentheses'],
    [` wx-${body}`, 'lowercase prefix'],
    [` ${n} ${n}`, 'the same nonce twice'],
    [` Waxseal\r\n ${n}`, 'on a folded line'],
    [`\t${n}\t`, 'between tabs'],
  ])('%j (%s) → the nonce', (subject) => {
    expect(findNonceInSubject(subject)).toEqual({ kind: 'one', nonce: n });
  });

  it.each([
    [' hello', 'no nonce'],
    [` WX-${body.toUpperCase()}`, 'body in upper case'],
    [` x${n}`, 'a letter before'],
    [` 9${n}`, 'a digit before'],
    [` ${n}a`, 'a letter after'],
    [` ${n.slice(0, -1)}`, 'one character short'],
    [` WX_${body}`, 'wrong separator'],
  ])('%j (%s) → none', (subject) => {
    expect(findNonceInSubject(subject)).toEqual({ kind: 'none' });
  });

  it('two different nonces are ambiguous', () => {
    expect(findNonceInSubject(` ${n} ${m}`)).toEqual({ kind: 'ambiguous', nonces: [n, m] });
  });

  it('RFC 2047 encoded-words: B and Q, charset-agnostic, adjacent words joined (§6.2)', () => {
    const b64 = Buffer.from(`Récupération ${n}`).toString('base64');
    expect(findNonceInSubject(` =?UTF-8?B?${b64}?=`)).toEqual({ kind: 'one', nonce: n });
    expect(findNonceInSubject(` =?iso-8859-1?q?R=E9cup=E9ration_${n}?=`)).toEqual({ kind: 'one', nonce: n });
    const [a, b] = [n.slice(0, 10), n.slice(10)];
    expect(findNonceInSubject(` =?utf-8?q?${a}?=\r\n =?utf-8?q?${b}?=`)).toEqual({ kind: 'one', nonce: n });
    expect(decodeEncodedWords('=?utf-8?B?not base64?= x')).toBe('=?utf-8?B?not base64?= x');
    expect(decodeEncodedWords('a =?utf-8?Q?b_c?= d')).toBe('a b c d');
  });
});

/**
 * Case folding is ASCII-only wherever a name is compared (RFC 5321 §2.4, RFC 4343 §3): a Unicode letter whose
 * lowercase is ASCII (U+212A KELVIN SIGN → "k") must not turn a non-ASCII address, DKIM domain or mailbox into an
 * ASCII one.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSignature } from '../src/dkim/signature.ts';
import { asciiLower } from '../src/encoding/ascii.ts';
import { parseAddress } from '../src/mail/address.ts';

const KELVIN = '\u212A';

describe('asciiLower', () => {
  it('equals toLowerCase on ASCII and changes nothing else', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (text) => {
        const out = asciiLower(text);
        expect(out.length).toBe(text.length);
        for (let i = 0; i < text.length; i++) {
          const c = text.charCodeAt(i);
          expect(out.charCodeAt(i)).toBe(c >= 65 && c <= 90 ? c + 32 : c);
        }
      }),
      { numRuns: 300 },
    );
    expect(asciiLower(`${KELVIN}elvin`)).toBe(`${KELVIN}elvin`);
  });
});

describe('addresses and DKIM domains', () => {
  it('rejects a domain or local part that only lowercases to ASCII', () => {
    expect(parseAddress('user@KIOSK.example').ok).toBe(true);
    expect(parseAddress(`user@${KELVIN}iosk.example`)).toMatchObject({ ok: false });
    expect(parseAddress(`${KELVIN}ate@example.com`)).toMatchObject({ ok: false });
  });

  it('d= with a KELVIN SIGN is refused (tag values are ASCII) and never reads as the ASCII domain', () => {
    const now = 1_700_000_000;
    const bh = btoa(String.fromCharCode(...new Uint8Array(32)));
    const tags = (d: string) => `v=1; a=rsa-sha256; d=${d}; s=sel; h=from; bh=${bh}; b=AAAA`;
    expect(parseSignature(tags('EXAMPLE.com'), now)).toMatchObject({
      ok: true,
      labels: { domain: 'example.com' },
    });
    const kelvin = parseSignature(tags(`${KELVIN}iosk.example`), now);
    expect(kelvin).toMatchObject({ ok: false, reason: 'TagSyntax' });
    expect(kelvin.labels.domain).toBe(`${KELVIN}iosk.example`);
  });
});

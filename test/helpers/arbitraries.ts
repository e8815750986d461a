/** fast-check building blocks shared by the mail and DKIM property tests (test/property/). */
import fc from 'fast-check';

/** Any byte 0–255, as a one-character (latin1) string. */
export const byteChar = fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c));

/** Binary text up to `maxLength` units: arbitrary bytes mixed with `interesting` tokens that drive a parser's branches. */
export function binaryTextOf(interesting: readonly string[], maxLength: number): fc.Arbitrary<string> {
  return fc.string({ unit: fc.oneof(byteChar, fc.constantFrom(...interesting)), maxLength });
}

/** A header field name of up to `maxLength` characters: printable US-ASCII except ":" (RFC 5322 §3.6.8 ftext). */
export function fieldNameOf(maxLength: number): fc.Arbitrary<string> {
  return fc.string({
    unit: fc
      .oneof(fc.integer({ min: 0x21, max: 0x39 }), fc.integer({ min: 0x3b, max: 0x7e }))
      .map((c) => String.fromCharCode(c)),
    minLength: 1,
    maxLength,
  });
}

/** `s` with each character upper- or lowercased by a bit of `seed`, the bits repeating every `period` characters. */
export function mixCase(s: string, seed: number, period: number): string {
  let out = '';
  for (let i = 0; i < s.length; i++)
    out += (seed >> (i % period)) & 1 ? s[i]!.toUpperCase() : s[i]!.toLowerCase();
  return out;
}

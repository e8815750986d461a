/**
 * What the gateway refuses in DATA (src/gateway/message-form.ts): the §9 bounds by the canister's rule, and
 * NUL / bare CR / bare LF anywhere, which is also what turns every end-of-data smuggling variant away.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { contentRefusal } from '../src/gateway/message-form.ts';
import { LIMITS } from '../src/limits.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const HEAD = 'From: a@example.com\r\nTo: register@mail.example\r\nSubject: x\r\n\r\n';

describe('contentRefusal', () => {
  it('accepts CRLF text with 8-bit bytes and long body lines untouched', () => {
    const body = `${'x'.repeat(5000)}\r\nmüller ..dot\r\n`;
    expect(contentRefusal(enc(HEAD + body))).toBeNull();
  });

  it.each([
    ['bare LF in the body', `${HEAD}line\nnext\r\n`, 'bare LF'],
    ['bare CR in the body', `${HEAD}line\rnext\r\n`, 'bare CR'],
    ['bare LF in a header', 'From: a@example.com\nSubject: x\r\n\r\nbody\r\n', 'bare LF'],
    ['a NUL byte', `${HEAD}a\u0000b\r\n`, 'NUL byte'],
    ['CR at the very end', `${HEAD}body\r`, 'bare CR'],
    ['smuggling <LF>.<LF>', `${HEAD}x\n.\nMAIL FROM:<e@evil>\r\n`, 'bare LF'],
    ['smuggling <LF>.<CR><LF>', `${HEAD}x\n.\r\nMAIL FROM:<e@evil>\r\n`, 'bare LF'],
    ['smuggling <CR><LF>.<LF>', `${HEAD}x\r\n.\nMAIL FROM:<e@evil>\r\n`, 'bare LF'],
    ['smuggling <CR>.<CR><LF>', `${HEAD}x\r.\r\nMAIL FROM:<e@evil>\r\n`, 'bare CR'],
    ['smuggling <CR><LF>.<CR>', `${HEAD}x\r\n.\rMAIL FROM:<e@evil>\r\n`, 'bare CR'],
  ])('refuses %s with 554', (_name, text, what) => {
    const r = contentRefusal(enc(text));
    expect(r?.code).toBe(554);
    expect(r?.message).toContain(what);
  });

  it('refuses a message over 64 KiB with 552 and accepts one at the limit', () => {
    const fill = (n: number) => enc(HEAD + 'y'.repeat(n - HEAD.length - 2) + '\r\n');
    expect(contentRefusal(fill(LIMITS.messageBytes))).toBeNull();
    expect(contentRefusal(fill(LIMITS.messageBytes + 1))?.code).toBe(552);
  });

  it('refuses more than 100 header fields and a header line over 8 KiB with 554', () => {
    const fields = (n: number) => Array.from({ length: n }, (_, i) => `X-F${i}: v\r\n`).join('');
    expect(contentRefusal(enc(`${fields(LIMITS.headerFields)}\r\nb\r\n`))).toBeNull();
    expect(contentRefusal(enc(`${fields(LIMITS.headerFields + 1)}\r\nb\r\n`))?.code).toBe(554);
    const long = `X-Long: ${'z'.repeat(LIMITS.headerLineBytes)}\r\n`;
    expect(contentRefusal(enc(`${long}\r\nb\r\n`))?.message).toMatch(/header line/);
  });

  it('property: refuses exactly the inputs with NUL, bare CR or bare LF (bounds aside)', () => {
    const byte = fc.constantFrom(0, 10, 13, 32, 46, 65, 200);
    fc.assert(
      fc.property(fc.array(byte, { maxLength: 200 }), (arr) => {
        const bytes = new Uint8Array([...enc('S: x\r\n\r\n'), ...arr]);
        const text = new TextDecoder('latin1').decode(bytes);
        const bad = /\0|\r(?!\n)|(?<!\r)\n/.test(text);
        const r = contentRefusal(bytes);
        expect(r !== null).toBe(bad);
        if (r) expect(r.code).toBe(554);
      }),
      { numRuns: 500 },
    );
  });
});

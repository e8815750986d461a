/**
 * Property tests for the whole verdict (verifyEmail): no input makes it throw or accept by accident, and a
 * single changed byte of a genuinely signed message (RFC 8463 Appendix A) is only tolerated where DKIM does
 * not look: whitespace under relaxed canonicalization, header-name case, unsigned fields, or inside one of the
 * two signatures (the other still verifies).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { staticTxtLookup, type TxtTable } from '../../src/dns/lookup.ts';
import { binaryToBytes, bytesToBinary } from '../../src/encoding/bytes.ts';
import { lfToCrlf } from '../../src/mail/message.ts';
import { type EmailReason, verifyEmail } from '../../src/verify-email.ts';
import { VECTORS } from '../helpers/vectors.ts';

const DIR = join(VECTORS, 'examples', 'rfc8463');
const MESSAGE = lfToCrlf(new Uint8Array(readFileSync(join(DIR, 'message.eml'))));
const DNS = JSON.parse(readFileSync(join(DIR, 'dns.json'), 'utf8')) as TxtTable;
const NOW = 1528637909;
const lookup = staticTxtLookup(DNS);

const REASONS: ReadonlySet<EmailReason> = new Set<EmailReason>([
  'Accepted',
  'MessageTooLarge',
  'TooManyHeaderFields',
  'HeaderLineTooLong',
  'MalformedMessage',
  'MalformedFromHeader',
  'HeaderOccurrence',
  'NoSignature',
  'NoPassingSignature',
  'DmarcNotAligned',
  'PublicSuffixAlignment',
  'SubjectNotSigned',
]);

type Region =
  | { kind: 'sig-name'; sig: number }
  | { kind: 'sig-value'; sig: number }
  | { kind: 'name' }
  | { kind: 'colon' }
  | { kind: 'value' }
  | { kind: 'eol' }
  | { kind: 'body' };

/** Classifies every byte of a CRLF message, independently of the parser under test. */
function classify(bytes: Uint8Array): Region[] {
  const text = bytesToBinary(bytes);
  const headerEnd = text.indexOf('\r\n\r\n') + 2;
  const regions: Region[] = new Array(bytes.length);
  let sigCount = -1;
  let inSig = false;
  let pos = 0;
  while (pos < headerEnd) {
    const eol = text.indexOf('\r\n', pos);
    const continuation = text[pos] === ' ' || text[pos] === '\t';
    let valueFrom = pos;
    if (!continuation) {
      const colon = text.indexOf(':', pos);
      inSig = text.slice(pos, colon).toLowerCase() === 'dkim-signature';
      if (inSig) sigCount++;
      for (let i = pos; i < colon; i++)
        regions[i] = inSig ? { kind: 'sig-name', sig: sigCount } : { kind: 'name' };
      regions[colon] = inSig ? { kind: 'sig-name', sig: sigCount } : { kind: 'colon' };
      valueFrom = colon + 1;
    }
    for (let i = valueFrom; i < eol; i++)
      regions[i] = inSig ? { kind: 'sig-value', sig: sigCount } : { kind: 'value' };
    regions[eol] = { kind: 'eol' };
    regions[eol + 1] = { kind: 'eol' };
    pos = eol + 2;
  }
  regions[headerEnd] = { kind: 'eol' };
  regions[headerEnd + 1] = { kind: 'eol' };
  for (let i = headerEnd + 2; i < bytes.length; i++) regions[i] = { kind: 'body' };
  return regions;
}

const REGIONS = classify(MESSAGE);
const isAlnum = (c: number) =>
  (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
const isWsp = (c: number) => c === 0x20 || c === 0x09;
const ALNUM = [...'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'].map((c) =>
  c.charCodeAt(0),
);

function positions(pred: (r: Region, byte: number) => boolean): number[] {
  const out: number[] = [];
  REGIONS.forEach((r, i) => {
    if (pred(r, MESSAGE[i]!)) out.push(i);
  });
  return out;
}

/** Picks a position from `list` and a replacement byte from `alphabet` that differs from the original. */
function mutation(list: number[], alphabet: number[]) {
  return fc
    .tuple(fc.constantFrom(...list), fc.constantFrom(...alphabet))
    .filter(([pos, b]) => MESSAGE[pos] !== b)
    .map(([pos, b]) => {
      const bytes = new Uint8Array(MESSAGE);
      bytes[pos] = b;
      return { pos, byte: b, bytes };
    });
}

describe('verifyEmail properties', () => {
  beforeAll(async () => {
    const v = await verifyEmail(MESSAGE, lookup, NOW);
    // The fixture itself must verify, or the mutation properties below prove nothing.
    expect(v.accepted).toBe(true);
    expect(v.signatures.map((s) => s.result)).toEqual(['pass', 'pass']);
    expect(REGIONS.filter((r) => r.kind === 'sig-value').length).toBeGreaterThan(0);
  });

  it('never throws on arbitrary bytes and never accepts them', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), async (bytes) => {
        const v = await verifyEmail(bytes, lookup, NOW);
        expect(v.accepted).toBe(false);
        expect(typeof v.reason).toBe('string');
        expect(REASONS.has(v.reason)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on random splices of the signed message', async () => {
    const text = bytesToBinary(MESSAGE);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(text.length), fc.nat(text.length), fc.nat(20)), {
          minLength: 1,
          maxLength: 3,
        }),
        async (cuts) => {
          let s = text;
          for (const [from, to, len] of cuts) {
            const a = Math.min(from, s.length);
            s = s.slice(0, a) + text.slice(to, to + len) + s.slice(Math.min(a + len, s.length));
          }
          const v = await verifyEmail(binaryToBytes(s), lookup, NOW);
          expect(REASONS.has(v.reason)).toBe(true);
          expect(v.accepted).toBe(v.reason === 'Accepted');
        },
      ),
      { numRuns: 300 },
    );
  });

  it.each([
    ['the body', 'BodyHashMismatch', 'body'],
    ['a signed header value', 'SignatureInvalid', 'value'],
  ] as const)(
    'a changed letter or digit in %s fails both signatures with %s',
    async (_where, reason, kind) => {
      const targets = positions((r, b) => r.kind === kind && isAlnum(b));
      await fc.assert(
        fc.asyncProperty(mutation(targets, ALNUM), async ({ bytes }) => {
          const v = await verifyEmail(bytes, lookup, NOW);
          expect(v.accepted).toBe(false);
          expect(v.reason).toBe('NoPassingSignature');
          expect(v.signatures.map((s) => s.reason)).toEqual([reason, reason]);
        }),
        { numRuns: 300 },
      );
    },
  );

  it('a changed letter or digit inside one DKIM-Signature value breaks only that signature', async () => {
    const sigValues = positions((r, b) => r.kind === 'sig-value' && isAlnum(b));
    await fc.assert(
      fc.asyncProperty(mutation(sigValues, ALNUM), async ({ pos, bytes }) => {
        const region = REGIONS[pos] as { kind: 'sig-value'; sig: number };
        const v = await verifyEmail(bytes, lookup, NOW);
        expect(v.signatures[region.sig]!.result).not.toBe('pass');
        expect(v.signatures[1 - region.sig]!.result).toBe('pass');
        // The other signature is untouched, covers Subject and has d= equal to the From domain.
        expect(v.accepted).toBe(true);
        expect(v.acceptedSignature).toBe(1 - region.sig);
      }),
      { numRuns: 400 },
    );
  });

  it('any single-byte change is accepted only where DKIM does not look', async () => {
    const all = Array.from(MESSAGE.keys());
    const bytesAll = Array.from({ length: 256 }, (_, i) => i);
    await fc.assert(
      fc.asyncProperty(mutation(all, bytesAll), async ({ pos, byte, bytes }) => {
        const v = await verifyEmail(bytes, lookup, NOW);
        if (!v.accepted) return;
        const region = REGIONS[pos]!;
        const old = MESSAGE[pos]!;
        const tolerated =
          region.kind === 'sig-value' ||
          region.kind === 'sig-name' ||
          (isWsp(old) && isWsp(byte)) ||
          (region.kind === 'name' &&
            String.fromCharCode(old).toLowerCase() === String.fromCharCode(byte).toLowerCase());
        expect(tolerated, `byte ${pos} (${region.kind}) ${old} -> ${byte} was accepted`).toBe(true);
      }),
      { numRuns: 1500 },
    );
  });

  it('changes inside an unsigned header field do not matter', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 ]{0,40}$/),
        fc.constantFrom('X-Note', 'X-Mailer', 'Received', 'Comments'),
        async (value, name) => {
          const text = bytesToBinary(MESSAGE);
          const at = text.indexOf('From:');
          const bytes = binaryToBytes(`${text.slice(0, at)}${name}: ${value}\r\n${text.slice(at)}`);
          const v = await verifyEmail(bytes, lookup, NOW);
          expect(v.accepted).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('verifyEmail cost', () => {
  it('handles a DKIM-Signature with ~40 KB of folded whitespace in bounded time', async () => {
    // Every line is under the 8 KiB header-line limit and the message is under 64 KiB, so nothing rejects it
    // before the DKIM tag list is parsed.
    const ws = Array.from({ length: 5 }, () => ' '.repeat(8000)).join('\r\n');
    const text =
      `DKIM-Signature: v=1; a=ed25519-sha256; d=football.example.com; s=brisbane;\r\n h=from${ws}x; bh=AAAA; b=AAAA\r\n` +
      bytesToBinary(MESSAGE);
    const bytes = binaryToBytes(text);
    const start = performance.now();
    const v = await verifyEmail(bytes, lookup, NOW);
    const elapsed = performance.now() - start;
    expect(v.signatures[0]!.result).toBe('permerror');
    expect(elapsed, `verifyEmail took ${elapsed.toFixed(0)} ms for ${bytes.length} bytes`).toBeLessThan(500);
  });
});

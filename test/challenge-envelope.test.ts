/**
 * SMTP envelope and bounds rules (protocol.md §4, §9): 250 / 550 / 551 for the envelope, 552 / 554 at each size
 * limit (exact and one over), and agreement with the message parser on what fits.
 */
import { describe, expect, it } from 'vitest';
import {
  checkRequestBounds,
  mailboxFor,
  validateEnvelope,
  validateRequest,
} from '../src/challenge/envelope.ts';
import { binaryToBytes } from '../src/encoding/bytes.ts';
import { LIMITS } from '../src/limits.ts';
import { parseMessage } from '../src/mail/message.ts';

const HOSTS = ['mail.waxseal.test', 'Alt.Example', 'kiosk.test'];
const env = (...rcpt: string[]) => ({ mail_from: 'someone@example.com', rcpt_to: rcpt });

describe('validateEnvelope', () => {
  it.each([
    ['register@mail.waxseal.test', 'setup', 'mail.waxseal.test'],
    ['recover@mail.waxseal.test', 'recovery', 'mail.waxseal.test'],
    ['REGISTER@MAIL.WAXSEAL.TEST', 'setup', 'mail.waxseal.test'],
    ['Recover@alt.example', 'recovery', 'alt.example'],
    ['<recover@Alt.Example>', 'recovery', 'alt.example'],
    ['recover@mail.waxseal.test.', 'recovery', 'mail.waxseal.test'],
    ['recover@KIOSK.test', 'recovery', 'kiosk.test'],
  ])('%s → Ok (%s)', (rcpt, flow, host) => {
    expect(validateEnvelope(env(rcpt), HOSTS)).toEqual({
      ok: true,
      flow,
      host,
      recipient: `${rcpt.replace(/[<>]/g, '').toLowerCase().replace(/\.$/, '')}`,
    });
  });

  it.each([
    ['alice@mail.waxseal.test', 'another mailbox'],
    ['register@evil.test', 'a foreign host'],
    ['register@sub.mail.waxseal.test', 'a subdomain of the host'],
    ['register+x@mail.waxseal.test', 'a +tag'],
    ['"register"@mail.waxseal.test', 'a quoted local part'],
    ['register', 'no host'],
    ['@mail.waxseal.test', 'no local part'],
    ['', 'empty'],
    [`register@${'a'.repeat(300)}`, 'over the path limit'],
    ['recover@\u212Aiosk.test', 'a Unicode letter that lowercases to ASCII (KELVIN SIGN)'],
  ])('%s → 550 (%s)', (rcpt) => {
    expect(validateEnvelope(env(rcpt), HOSTS)).toMatchObject({ ok: false, code: 550 });
  });

  it.each([
    [[], 'no recipient'],
    [['register@mail.waxseal.test', 'alice@example.com'], 'a copy to someone else'],
    [['register@mail.waxseal.test', 'recover@mail.waxseal.test'], 'two valid mailboxes'],
    [['register@mail.waxseal.test', 'register@mail.waxseal.test'], 'the same one twice'],
  ])('%j → 551 (%s)', (rcpt) => {
    expect(validateEnvelope(env(...rcpt), HOSTS)).toMatchObject({ ok: false, code: 551 });
  });

  it('mailboxFor', () => {
    expect(mailboxFor('setup', 'Mail.Waxseal.Test.')).toBe('register@mail.waxseal.test');
    expect(mailboxFor('recovery', 'mail.waxseal.test')).toBe('recover@mail.waxseal.test');
  });
});

/** A message with `fields` header fields (the first `longLine` bytes long), padded to `size` bytes. */
function message(opts: { fields?: number; longLine?: number; size?: number }): Uint8Array {
  const fields = opts.fields ?? 5;
  const lines = Array.from({ length: fields }, (_, i) => `X-F${i}: v`);
  if (opts.longLine) lines[0] = `X-Long: ${'a'.repeat(opts.longLine - 8)}`;
  const head = `${lines.join('\r\n')}\r\n\r\n`;
  const size = opts.size ?? head.length + 10;
  return binaryToBytes(head + 'b'.repeat(size - head.length));
}

describe('checkRequestBounds (protocol.md §9)', () => {
  const parses = (m: Uint8Array) => parseMessage(m).ok;

  it('message: 64 KiB exactly passes, one byte more is 552', () => {
    const exact = message({ size: LIMITS.messageBytes });
    expect(exact.length).toBe(65_536);
    expect(checkRequestBounds({ message: exact })).toBeNull();
    expect(parses(exact)).toBe(true);
    const over = message({ size: LIMITS.messageBytes + 1 });
    expect(checkRequestBounds({ message: over })).toMatchObject({ ok: false, code: 552 });
    expect(parseMessage(over)).toMatchObject({ ok: false, error: { code: 'MessageTooLarge' } });
  });

  it('proof: 32 KiB exactly passes, one byte more is 552; no proof is fine', () => {
    const m = message({});
    expect(checkRequestBounds({ message: m, dns_proof: new Uint8Array(32 * 1024) })).toBeNull();
    expect(checkRequestBounds({ message: m, dns_proof: new Uint8Array(32 * 1024 + 1) })).toMatchObject({
      code: 552,
    });
    expect(checkRequestBounds({ message: m, dns_proof: null })).toBeNull();
  });

  it('header fields: 100 pass, 101 is 554 (the parser agrees); continuation lines are not fields', () => {
    const exact = message({ fields: 100 });
    expect(checkRequestBounds({ message: exact })).toBeNull();
    expect(parses(exact)).toBe(true);
    const over = message({ fields: 101 });
    expect(checkRequestBounds({ message: over })).toMatchObject({ ok: false, code: 554 });
    expect(parseMessage(over)).toMatchObject({ ok: false, error: { code: 'TooManyHeaderFields' } });
    const folded = binaryToBytes(
      `${Array.from({ length: 100 }, (_, i) => `X-F${i}: a\r\n b`).join('\r\n')}\r\n\r\n`,
    );
    expect(checkRequestBounds({ message: folded })).toBeNull();
  });

  it('header line: 8 KiB without CRLF passes, one byte more is 554 (the parser agrees)', () => {
    const exact = message({ longLine: LIMITS.headerLineBytes });
    expect(checkRequestBounds({ message: exact })).toBeNull();
    expect(parses(exact)).toBe(true);
    const over = message({ longLine: LIMITS.headerLineBytes + 1 });
    expect(checkRequestBounds({ message: over })).toMatchObject({ ok: false, code: 554 });
    expect(parseMessage(over)).toMatchObject({ ok: false, error: { code: 'HeaderLineTooLong' } });
  });

  it('long lines in the body are not header lines; bare LF is a verification outcome, not a bounds error', () => {
    const m = binaryToBytes(`Subject: x\r\n\r\n${'a'.repeat(20_000)}\r\n`);
    expect(checkRequestBounds({ message: m })).toBeNull();
    expect(checkRequestBounds({ message: binaryToBytes('Subject: x\nFrom: y\n\nbody') })).toBeNull();
  });

  it('validateRequest: envelope first, then bounds, then Ok with the flow', () => {
    const big = message({ size: LIMITS.messageBytes + 1 });
    expect(validateRequest({ envelope: env('alice@x.test'), message: big }, HOSTS)).toMatchObject({
      code: 550,
    });
    expect(validateRequest({ envelope: env('recover@alt.example'), message: big }, HOSTS)).toMatchObject({
      code: 552,
    });
    expect(
      validateRequest({ envelope: env('recover@alt.example'), message: message({}) }, HOSTS),
    ).toMatchObject({
      ok: true,
      flow: 'recovery',
    });
  });
});

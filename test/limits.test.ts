/**
 * Boundary tests for every bound in src/limits.ts (protocol.md §9): exactly at the limit is accepted, one past
 * it gives the specific typed error. Positive cases are real DKIM-signed messages, signed here with node:crypto
 * (relaxed/relaxed, RFC 6376 §3.4.2, §3.4.4, §3.7; Ed25519 per RFC 8463 §3 over SHA-256 of the input).
 */
import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseKeyRecord } from '../src/dkim/key.ts';
import { parseSignature } from '../src/dkim/signature.ts';
import { parseDmarcRecord } from '../src/dmarc/record.ts';
import { staticTxtLookup, type TxtTable } from '../src/dns/lookup.ts';
import { binaryToBytes, bytesToBinary, encodeBase64 } from '../src/encoding/bytes.ts';
import { LIMITS } from '../src/limits.ts';
import { domainProblem, parseAddress } from '../src/mail/address.ts';
import { parseMessage } from '../src/mail/message.ts';
import { verifyEmail } from '../src/verify-email.ts';

const NOW = 1_700_000_000;
const DOMAIN = 'example.com';
const FROM = 'Alice <alice@example.com>';
/** The signatures these key records are checked for (src/dkim/key.ts KeyUse). */
const ED_USE = { algorithm: 'ed25519-sha256', domain: DOMAIN, identityDomain: DOMAIN } as const;
const RSA_USE = { ...ED_USE, algorithm: 'rsa-sha256' } as const;

// ---------------------------------------------------------------------------------------------------------
// A small DKIM signer for the positive cases.

function relaxedHeader(raw: string): string {
  const colon = raw.indexOf(':');
  const name = raw
    .slice(0, colon)
    .replace(/[ \t]+$/, '')
    .toLowerCase();
  const value = raw
    .slice(colon + 1)
    .replace(/\r\n(?=[ \t])/g, '')
    .replace(/[ \t]+/g, ' ')
    .trim();
  return `${name}:${value}\r\n`;
}

function relaxedBody(body: string): string {
  const lines = body.split('\r\n');
  if (body.endsWith('\r\n')) lines.pop();
  const out = lines.map((l) => l.replace(/[ \t]+/g, ' ').replace(/ $/, ''));
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out.map((l) => `${l}\r\n`).join('');
}

function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest());
}

interface Signer {
  kind: 'ed25519' | 'rsa';
  key: KeyObject;
  /** The TXT record to publish (before any padding). */
  record: string;
}

function ed25519Signer(): Signer {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  return { kind: 'ed25519', key: privateKey, record: `v=DKIM1; k=ed25519; p=${raw.toString('base64')}` };
}

function rsaSigner(bits: number): Signer {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return { kind: 'rsa', key: privateKey, record: `v=DKIM1; k=rsa; p=${der.toString('base64')}` };
}

interface SignOptions {
  signer: Signer;
  domain?: string;
  selector?: string;
  signed?: string[];
  /** Replaces the b= value after signing (for fields that must not verify). */
  corrupt?: boolean;
}

/** Returns the raw DKIM-Signature field (no CRLF) for the given header fields (raw, no CRLF) and body. */
function dkimSignature(headers: string[], body: string, o: SignOptions): string {
  const alg = o.signer.kind === 'ed25519' ? 'ed25519-sha256' : 'rsa-sha256';
  const signed = o.signed ?? ['from', 'subject', 'date'];
  const bh = encodeBase64(sha256(binaryToBytes(relaxedBody(body))));
  const unsigned =
    `DKIM-Signature: v=1; a=${alg}; c=relaxed/relaxed; d=${o.domain ?? DOMAIN}; s=${o.selector ?? 'sel'};` +
    `\r\n t=${NOW}; h=${signed.join(':')}; bh=${bh};\r\n b=`;
  const used = new Set<number>();
  let input = '';
  for (const name of signed) {
    for (let i = headers.length - 1; i >= 0; i--) {
      const h = headers[i]!;
      if (!used.has(i) && h.slice(0, h.indexOf(':')).trim().toLowerCase() === name) {
        used.add(i);
        input += relaxedHeader(h);
        break;
      }
    }
  }
  input += relaxedHeader(unsigned).slice(0, -2);
  const data = binaryToBytes(input);
  const sig =
    o.signer.kind === 'ed25519' ? sign(null, sha256(data), o.signer.key) : sign('sha256', data, o.signer.key);
  const b = sig.toString('base64');
  return unsigned + (o.corrupt ? b.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) : b);
}

const BASE_HEADERS = [
  `From: ${FROM}`,
  'Subject: WX-abcdefghijklmnopqrst',
  `Date: Tue, 14 Nov 2023 22:13:20 +0000`,
];

function build(headers: string[], body: string): Uint8Array {
  return binaryToBytes(`${headers.map((h) => `${h}\r\n`).join('')}\r\n${body}`);
}

/** Signs and assembles a message; the DKIM-Signature goes on top. */
function signedMessage(headers: string[], body: string, o: SignOptions): Uint8Array {
  return build([dkimSignature(headers, body, o), ...headers], body);
}

function dns(signer: Signer, extra: TxtTable = {}, selector = 'sel', domain = DOMAIN): TxtTable {
  return {
    [`${selector}._domainkey.${domain}`]: [signer.record],
    [`_dmarc.${DOMAIN}`]: { nxdomain: true },
    ...extra,
  };
}

const ED = ed25519Signer();

// ---------------------------------------------------------------------------------------------------------

describe('limits: the signer itself', () => {
  it('produces a message that verifies', async () => {
    const v = await verifyEmail(
      signedMessage(BASE_HEADERS, 'hello\r\n', { signer: ED }),
      staticTxtLookup(dns(ED)),
      NOW,
    );
    expect(v.reason).toBe('Accepted');
  });
});

describe(`limits: message size (${LIMITS.messageBytes} bytes)`, () => {
  /** A signed message padded (in the body) to exactly `size` bytes. */
  function messageOfSize(size: number): Uint8Array {
    const probe = signedMessage(BASE_HEADERS, '', { signer: ED });
    // Body = lines of "a"s ending in CRLF; the signature's length does not depend on the body.
    let remaining = size - probe.length;
    const lines: string[] = [];
    while (remaining > 0) {
      const n = Math.min(remaining, 78);
      lines.push(n >= 3 ? `${'a'.repeat(n - 2)}\r\n` : 'a'.repeat(n));
      remaining -= n;
    }
    const msg = signedMessage(BASE_HEADERS, lines.join(''), { signer: ED });
    expect(msg.length).toBe(size);
    return msg;
  }

  it('accepts a signed message of exactly the limit', async () => {
    const msg = messageOfSize(LIMITS.messageBytes);
    expect(parseMessage(msg).ok).toBe(true);
    const v = await verifyEmail(msg, staticTxtLookup(dns(ED)), NOW);
    expect(v.reason).toBe('Accepted');
  });

  it('rejects one byte more with MessageTooLarge', async () => {
    const msg = messageOfSize(LIMITS.messageBytes + 1);
    const p = parseMessage(msg);
    expect(p.ok).toBe(false);
    if (!p.ok) expect(p.error.code).toBe('MessageTooLarge');
    const v = await verifyEmail(msg, staticTxtLookup(dns(ED)), NOW);
    expect(v.accepted).toBe(false);
    expect(v.reason).toBe('MessageTooLarge');
  });
});

describe(`limits: header fields (${LIMITS.headerFields})`, () => {
  function withFields(total: number): Uint8Array {
    // BASE_HEADERS (3) + the DKIM-Signature (1) + unsigned fillers.
    const fillers = Array.from({ length: total - 4 }, (_, i) => `X-Filler-${i}: ${i}`);
    return signedMessage([...BASE_HEADERS, ...fillers], 'body\r\n', { signer: ED });
  }

  it('accepts exactly the limit', async () => {
    const msg = withFields(LIMITS.headerFields);
    const p = parseMessage(msg);
    expect(p.ok && p.message.headers.length).toBe(LIMITS.headerFields);
    expect((await verifyEmail(msg, staticTxtLookup(dns(ED)), NOW)).reason).toBe('Accepted');
  });

  it('rejects one more with TooManyHeaderFields', async () => {
    const msg = withFields(LIMITS.headerFields + 1);
    const p = parseMessage(msg);
    expect(p.ok).toBe(false);
    if (!p.ok) expect(p.error.code).toBe('TooManyHeaderFields');
    expect((await verifyEmail(msg, staticTxtLookup(dns(ED)), NOW)).reason).toBe('TooManyHeaderFields');
  });

  it('counts folded fields once', () => {
    const folded = Array.from({ length: LIMITS.headerFields }, (_, i) => `X-F${i}: a\r\n b\r\n c`);
    const p = parseMessage(build(folded, ''));
    expect(p.ok && p.message.headers.length).toBe(LIMITS.headerFields);
  });
});

describe(`limits: one header line (${LIMITS.headerLineBytes} bytes, CRLF excluded)`, () => {
  const line = (len: number) => `X-Long: ${'x'.repeat(len - 'X-Long: '.length)}`;
  const continuation = (len: number) => `X-Folded: start\r\n ${'y'.repeat(len - 1)}`;

  for (const [what, make] of [
    ['first line', line],
    ['continuation line', continuation],
  ] as const) {
    it(`accepts a ${what} of exactly the limit (unsigned field)`, async () => {
      const msg = signedMessage([...BASE_HEADERS, make(LIMITS.headerLineBytes)], 'body\r\n', { signer: ED });
      expect(
        bytesToBinary(msg)
          .split('\r\n')
          .some((l) => l.length === LIMITS.headerLineBytes),
      ).toBe(true);
      expect(parseMessage(msg).ok).toBe(true);
      expect((await verifyEmail(msg, staticTxtLookup(dns(ED)), NOW)).reason).toBe('Accepted');
    });

    it(`rejects a ${what} one byte longer with HeaderLineTooLong`, async () => {
      const msg = signedMessage([...BASE_HEADERS, make(LIMITS.headerLineBytes + 1)], 'body\r\n', {
        signer: ED,
      });
      const p = parseMessage(msg);
      expect(p.ok).toBe(false);
      if (!p.ok) expect(p.error.code).toBe('HeaderLineTooLong');
      expect((await verifyEmail(msg, staticTxtLookup(dns(ED)), NOW)).reason).toBe('HeaderLineTooLong');
    });
  }

  it('does not apply the header line limit to body lines', () => {
    const p = parseMessage(build(BASE_HEADERS, `${'z'.repeat(LIMITS.headerLineBytes * 2)}\r\n`));
    expect(p.ok).toBe(true);
  });
});

describe(`limits: DKIM-Signature fields evaluated (${LIMITS.dkimSignatures})`, () => {
  /** `count` signatures; only the one at `goodIndex` (top first) verifies, the others have a corrupted b=. */
  function message(count: number, goodIndex: number): { msg: Uint8Array; table: TxtTable } {
    const body = 'body\r\n';
    const fields: string[] = [];
    const table: Record<string, string[] | { nxdomain: true }> = { [`_dmarc.${DOMAIN}`]: { nxdomain: true } };
    for (let i = 0; i < count; i++) {
      const selector = `s${i}`;
      fields.push(dkimSignature(BASE_HEADERS, body, { signer: ED, selector, corrupt: i !== goodIndex }));
      table[`${selector}._domainkey.${DOMAIN}`] = [ED.record];
    }
    return { msg: build([...fields, ...BASE_HEADERS], body), table };
  }

  it('evaluates the first 8 and reports the 9th as neutral / TooManySignatures', async () => {
    const { msg, table } = message(LIMITS.dkimSignatures + 1, 0);
    const v = await verifyEmail(msg, staticTxtLookup(table), NOW);
    expect(v.signatures).toHaveLength(LIMITS.dkimSignatures + 1);
    v.signatures.slice(0, LIMITS.dkimSignatures).forEach((s, i) => {
      expect(s.index).toBe(i);
      expect(s.reason).not.toBe('TooManySignatures');
      expect(s.result).toBe(i === 0 ? 'pass' : 'fail');
    });
    const last = v.signatures[LIMITS.dkimSignatures]!;
    expect(last.result).toBe('neutral');
    expect(last.reason).toBe('TooManySignatures');
    expect(v.reason).toBe('Accepted');
  });

  it('accepts when only the 8th signature verifies', async () => {
    const { msg, table } = message(LIMITS.dkimSignatures, LIMITS.dkimSignatures - 1);
    const v = await verifyEmail(msg, staticTxtLookup(table), NOW);
    expect(v.signatures.map((s) => s.result)).toEqual([
      ...Array(LIMITS.dkimSignatures - 1).fill('fail'),
      'pass',
    ]);
    expect(v.reason).toBe('Accepted');
    expect(v.acceptedSignature).toBe(LIMITS.dkimSignatures - 1);
  });

  it('does not accept when only the 9th (not evaluated) signature would verify', async () => {
    const { msg, table } = message(LIMITS.dkimSignatures + 1, LIMITS.dkimSignatures);
    const v = await verifyEmail(msg, staticTxtLookup(table), NOW);
    expect(v.signatures[LIMITS.dkimSignatures]!.reason).toBe('TooManySignatures');
    expect(v.accepted).toBe(false);
    expect(v.reason).toBe('NoPassingSignature');
  });
});

describe(`limits: DKIM key TXT (${LIMITS.dkimKeyTxtBytes} bytes)`, () => {
  /** The Ed25519 record padded with an n= note to exactly `size` bytes. */
  function padded(size: number): string {
    const prefix = 'v=DKIM1; k=ed25519; n=';
    const suffix = `; ${ED.record.slice(ED.record.indexOf('p='))}`;
    const txt = prefix + 'n'.repeat(size - prefix.length - suffix.length) + suffix;
    expect(txt.length).toBe(size);
    return txt;
  }

  it('parses a record of exactly the limit', async () => {
    const r = parseKeyRecord(padded(LIMITS.dkimKeyTxtBytes), ED_USE);
    expect(r.ok).toBe(true);
    const table = dns(ED, { [`sel._domainkey.${DOMAIN}`]: [padded(LIMITS.dkimKeyTxtBytes)] });
    const v = await verifyEmail(
      signedMessage(BASE_HEADERS, 'x\r\n', { signer: ED }),
      staticTxtLookup(table),
      NOW,
    );
    expect(v.reason).toBe('Accepted');
  });

  it('rejects one byte more with KeyRecordTooLarge', async () => {
    const r = parseKeyRecord(padded(LIMITS.dkimKeyTxtBytes + 1), ED_USE);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toBe('KeyRecordTooLarge');
    const table = dns(ED, { [`sel._domainkey.${DOMAIN}`]: [padded(LIMITS.dkimKeyTxtBytes + 1)] });
    const v = await verifyEmail(
      signedMessage(BASE_HEADERS, 'x\r\n', { signer: ED }),
      staticTxtLookup(table),
      NOW,
    );
    expect(v.signatures[0]!.result).toBe('permerror');
    expect(v.signatures[0]!.reason).toBe('KeyRecordTooLarge');
    expect(v.accepted).toBe(false);
  });

  it('does not report KeyRecordTooLarge for a malformed record of exactly the limit', () => {
    const r = parseKeyRecord('x'.repeat(LIMITS.dkimKeyTxtBytes), ED_USE);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).not.toBe('KeyRecordTooLarge');
  });
});

describe(`limits: DMARC TXT (${LIMITS.dmarcTxtBytes} bytes)`, () => {
  function padded(size: number): string {
    const prefix = 'v=DMARC1; p=reject; adkim=r; x-pad=';
    const txt = prefix + 'p'.repeat(size - prefix.length);
    expect(txt.length).toBe(size);
    return txt;
  }
  // d=mail.example.com aligns with From example.com only under a DMARC record with adkim=r.
  const sub = `mail.${DOMAIN}`;
  const message = () => signedMessage(BASE_HEADERS, 'x\r\n', { signer: ED, domain: sub });
  const table = (record: string): TxtTable => ({
    [`sel._domainkey.${sub}`]: [ED.record],
    [`_dmarc.${DOMAIN}`]: [record],
  });

  it('parses a record of exactly the limit (and relaxed alignment applies)', async () => {
    const r = parseDmarcRecord(padded(LIMITS.dmarcTxtBytes));
    expect(r.ok && r.record.p).toBe('reject');
    const v = await verifyEmail(message(), staticTxtLookup(table(padded(LIMITS.dmarcTxtBytes))), NOW);
    expect(v.dmarc.result).toBe('pass');
    expect(v.reason).toBe('Accepted');
  });

  it('rejects one byte more with DmarcRecordInvalid (then only an exact d= would do)', async () => {
    const r = parseDmarcRecord(padded(LIMITS.dmarcTxtBytes + 1));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.code).toBe('DmarcRecordInvalid');
    const v = await verifyEmail(message(), staticTxtLookup(table(padded(LIMITS.dmarcTxtBytes + 1))), NOW);
    expect(v.dmarc.result).toBe('none');
    expect(v.reason).toBe('DmarcNotAligned');
  });
});

describe(`limits: RSA key size (${LIMITS.rsaMinBits}..${LIMITS.rsaMaxBits} bits)`, () => {
  const rsaRecord = (der: Uint8Array) => `v=DKIM1; k=rsa; p=${encodeBase64(der)}`;

  /** DER length octets. */
  function derLength(n: number): number[] {
    if (n < 0x80) return [n];
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    return [0x80 | bytes.length, ...bytes];
  }
  function derInteger(unsigned: Uint8Array): number[] {
    const body = unsigned[0]! & 0x80 ? [0, ...unsigned] : [...unsigned];
    return [0x02, ...derLength(body.length), ...body];
  }
  /** A PKCS#1 RSAPublicKey with an odd modulus of exactly `bits` bits (not a real key: size checks only). */
  function syntheticPkcs1(bits: number): Uint8Array {
    const n = new Uint8Array(Math.ceil(bits / 8)).fill(0xa5);
    const top = bits % 8 === 0 ? 8 : bits % 8;
    n[0] = (1 << (top - 1)) | 1; // the 0xa5 fill keeps the last byte odd
    const inner = [...derInteger(n), ...derInteger(new Uint8Array([1, 0, 1]))];
    return new Uint8Array([0x30, ...derLength(inner.length), ...inner]);
  }

  it('accepts a real 1024-bit key and verifies a message signed with it', async () => {
    const signer = rsaSigner(1024);
    const r = parseKeyRecord(signer.record, RSA_USE);
    expect(r.ok && r.key.type === 'rsa' && r.key.bits).toBe(1024);
    const v = await verifyEmail(
      signedMessage(BASE_HEADERS, 'x\r\n', { signer }),
      staticTxtLookup(dns(signer)),
      NOW,
    );
    expect(v.reason).toBe('Accepted');
  });

  it.each([1023, 768, 512])('refuses a real %i-bit key with KeyTooSmall (policy)', async (bits) => {
    const signer = rsaSigner(bits);
    const r = parseKeyRecord(signer.record, RSA_USE);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toBe('KeyTooSmall');
    const v = await verifyEmail(
      signedMessage(BASE_HEADERS, 'x\r\n', { signer }),
      staticTxtLookup(dns(signer)),
      NOW,
    );
    expect(v.signatures[0]!.result).toBe('policy');
    expect(v.signatures[0]!.reason).toBe('KeyTooSmall');
    expect(v.accepted).toBe(false);
  });

  it('uses the modulus bit length, not its byte length (1024 vs 1023 synthetic)', () => {
    const ok = parseKeyRecord(rsaRecord(syntheticPkcs1(LIMITS.rsaMinBits)), RSA_USE);
    expect(ok.ok && ok.key.type === 'rsa' && ok.key.bits).toBe(LIMITS.rsaMinBits);
    const small = parseKeyRecord(rsaRecord(syntheticPkcs1(LIMITS.rsaMinBits - 1)), RSA_USE);
    expect(small.ok).toBe(false);
    if (!small.ok) expect(small.reason).toBe('KeyTooSmall');
  });

  it(`accepts a ${LIMITS.rsaMaxBits}-bit modulus and rejects ${LIMITS.rsaMaxBits + 1} bits as KeyMalformed`, () => {
    const max = parseKeyRecord(rsaRecord(syntheticPkcs1(LIMITS.rsaMaxBits)), RSA_USE);
    expect(max.ok && max.key.type === 'rsa' && max.key.bits).toBe(LIMITS.rsaMaxBits);
    for (const bits of [LIMITS.rsaMaxBits + 1, LIMITS.rsaMaxBits + 8, 16384]) {
      const big = parseKeyRecord(rsaRecord(syntheticPkcs1(bits)), RSA_USE);
      expect(big.ok).toBe(false);
      if (!big.ok) expect(big.reason).toBe('KeyMalformed');
    }
  });
});

/** A hostname of exactly `len` bytes made of labels of at most 63 bytes (never an empty label). */
function hostname(len: number, ch = 'd'): string {
  const labels: string[] = [];
  let remaining = len;
  while (remaining > 0) {
    const dot = labels.length === 0 ? 0 : 1;
    let n = Math.min(63, remaining - dot);
    if (remaining - dot - n === 1) n -= 1; // a lone byte left over could only be an empty label after a dot
    labels.push(ch.repeat(n));
    remaining -= n + dot;
  }
  const host = labels.join('.');
  expect(host).toHaveLength(len);
  expect(host.split('.').every((l) => l.length >= 1 && l.length <= 63)).toBe(true);
  return host;
}

describe('limits: address bounds (parseAddress)', () => {
  const label = (n: number) => 'a'.repeat(n);

  it(`local part: ${LIMITS.localPartBytes} ok, ${LIMITS.localPartBytes + 1} rejected`, () => {
    expect(parseAddress(`${'l'.repeat(LIMITS.localPartBytes)}@example.com`).ok).toBe(true);
    expect(parseAddress(`${'l'.repeat(LIMITS.localPartBytes + 1)}@example.com`).ok).toBe(false);
  });

  /** An address of exactly `len` bytes with a 64-byte local part. */
  function addressOfLength(len: number): string {
    const local = 'l'.repeat(LIMITS.localPartBytes);
    const addr = `${local}@${hostname(len - local.length - 1)}`;
    expect(addr.length).toBe(len);
    return addr;
  }

  it(`whole address: ${LIMITS.addressBytes} ok, ${LIMITS.addressBytes + 1} rejected`, () => {
    const ok = parseAddress(addressOfLength(LIMITS.addressBytes));
    expect(ok.ok).toBe(true);
    const long = parseAddress(addressOfLength(LIMITS.addressBytes + 1));
    expect(long.ok).toBe(false);
    if (!long.ok) expect(long.detail).toMatch(/longer than 254/);
  });

  it('domain label: 63 ok, 64 rejected', () => {
    expect(parseAddress(`a@${label(63)}.com`).ok).toBe(true);
    expect(parseAddress(`a@${label(64)}.com`).ok).toBe(false);
    expect(parseAddress(`a@x.${label(63)}`).ok).toBe(true);
    expect(parseAddress(`a@x.${label(64)}`).ok).toBe(false);
  });

  it(`domain (for d=): ${LIMITS.domainBytes} ok, ${LIMITS.domainBytes + 1} rejected`, () => {
    expect(domainProblem(hostname(LIMITS.domainBytes))).toBeNull();
    expect(domainProblem(hostname(LIMITS.domainBytes + 1))).toMatch(/longer than 255/);
    const sig = (d: string) =>
      parseSignature(
        ` v=1; a=ed25519-sha256; d=${d}; s=sel; h=from; bh=${encodeBase64(new Uint8Array(32))}; b=AAAA`,
        NOW,
      );
    expect(sig(hostname(LIMITS.domainBytes)).ok).toBe(true);
    const long = sig(hostname(LIMITS.domainBytes + 1));
    expect(!long.ok && long.reason).toBe('BadDomain');
  });

  it('rejects U-labels and accepts A-labels', () => {
    expect(parseAddress('a@bücher.example').ok).toBe(false);
    expect(parseAddress('a@b\xc3\xbccher.example').ok).toBe(false); // UTF-8 bytes as a binary string
    expect(parseAddress('a@b\u00fccher.example').ok).toBe(false);
    expect(parseAddress('a@\u0431\u0443\u043a.example').ok).toBe(false);
    expect(parseAddress('ä@example.com').ok).toBe(false);
    const a = parseAddress('A@XN--BCHER-KVA.example');
    expect(a.ok && a.value.address).toBe('a@xn--bcher-kva.example');
  });
});

describe('limits: DKIM t= and x= against now', () => {
  const value = (extra: string) =>
    ` v=1; a=ed25519-sha256; c=relaxed/relaxed; d=${DOMAIN}; s=sel; h=from:subject; ` +
    `bh=${encodeBase64(new Uint8Array(32))}; b=${encodeBase64(new Uint8Array(64))}${extra}`;

  it(`t= exactly now+${LIMITS.clockSkewSeconds} is accepted, now+${LIMITS.clockSkewSeconds + 1} is FutureTimestamp`, () => {
    const ok = parseSignature(value(`; t=${NOW + LIMITS.clockSkewSeconds}`), NOW);
    expect(ok.ok).toBe(true);
    const late = parseSignature(value(`; t=${NOW + LIMITS.clockSkewSeconds + 1}`), NOW);
    expect(late.ok).toBe(false);
    if (!late.ok) expect(late.reason).toBe('FutureTimestamp');
  });

  it('x= exactly now is accepted, now-1 is SignatureExpired', () => {
    const ok = parseSignature(value(`; x=${NOW}`), NOW);
    expect(ok.ok).toBe(true);
    const expired = parseSignature(value(`; x=${NOW - 1}`), NOW);
    expect(expired.ok).toBe(false);
    if (!expired.ok) expect(expired.reason).toBe('SignatureExpired');
  });

  it('the same bounds hold with both t= and x= present', () => {
    expect(parseSignature(value(`; t=${NOW - 10}; x=${NOW}`), NOW).ok).toBe(true);
    const r = parseSignature(value(`; t=${NOW - 10}; x=${NOW - 1}`), NOW);
    expect(!r.ok && r.reason).toBe('SignatureExpired');
  });

  it('a signed message with t= at now+60 verifies; at now+61 it is permerror FutureTimestamp', async () => {
    const msg = signedMessage(BASE_HEADERS, 'x\r\n', { signer: ED });
    const ok = await verifyEmail(msg, staticTxtLookup(dns(ED)), NOW - LIMITS.clockSkewSeconds);
    expect(ok.reason).toBe('Accepted');
    const early = await verifyEmail(msg, staticTxtLookup(dns(ED)), NOW - LIMITS.clockSkewSeconds - 1);
    expect(early.signatures[0]!.reason).toBe('FutureTimestamp');
    expect(early.signatures[0]!.result).toBe('permerror');
    expect(early.accepted).toBe(false);
  });
});

describe('limits: constants match protocol.md §9', () => {
  it('has the documented values', () => {
    expect(LIMITS).toEqual({
      messageBytes: 65536,
      headerFields: 100,
      headerLineBytes: 8192,
      dkimSignatures: 8,
      dkimKeyTxtBytes: 4096,
      dmarcTxtBytes: 1024,
      rsaMinBits: 1024,
      rsaMaxBits: 8192,
      clockSkewSeconds: 60,
      proofBytes: 32768,
      proofRecords: 200,
      cnameHops: 8,
      localPartBytes: 64,
      domainBytes: 255,
      addressBytes: 254,
      // Not in protocol.md §9: a Public Suffix List given to the canister (boundaries in
      // test/property/public-suffix-list.test.ts).
      pslChars: 1048576,
      pslRules: 40000,
    });
  });
});

/**
 * The order of the DKIM key checks (RFC 6376 §6.1.2; src/dkim/key.ts): when a key record is wrong in two ways,
 * the reason of the earlier check is reported. RFC 6376 §6.1.2 lists its permanent errors in order (syntax, h=,
 * revoked, key algorithm), and every permanent error outranks the policy refusals (RFC 8301 §3.2 short RSA keys,
 * Waxseal's t=y). One test per pair of faults that can occur in one record together.
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type KeyUse, parseKeyRecord } from '../src/dkim/key.ts';
import type { DkimReason } from '../src/dkim/result.ts';
import { encodeBase64 } from '../src/encoding/bytes.ts';
import { LIMITS } from '../src/limits.ts';

/** A record under construction: base k=rsa with a 2048-bit key, for an rsa-sha256 signature with i= at d=. */
interface Spec {
  use: KeyUse;
  tags: string[];
  flags: string[];
  key: { bits: 2048 | 768; evenExponent: boolean; revoked: boolean };
  pad: boolean;
}

const BASE: Spec = {
  use: { algorithm: 'rsa-sha256', domain: 'example.com', identityDomain: 'example.com' },
  tags: [],
  flags: [],
  key: { bits: 2048, evenExponent: false, revoked: false },
  pad: false,
};

const spki = (bits: number) =>
  new Uint8Array(
    generateKeyPairSync('rsa', { modulusLength: bits }).publicKey.export({ format: 'der', type: 'spki' }),
  );
const KEYS = { 2048: spki(2048), 768: spki(768) };

function keyData(k: Spec['key']): string {
  if (k.revoked) return '';
  const der = KEYS[k.bits].slice();
  // The exponent (65537 = 01 00 01) is the last INTEGER of the DER: 01 00 00 makes it even, hence malformed.
  if (k.evenExponent) der[der.length - 1] = 0;
  return encodeBase64(der);
}

function render(s: Spec): string {
  const tags = ['v=DKIM1', 'k=rsa', ...s.tags, ...(s.flags.length ? [`t=${s.flags.join(':')}`] : [])];
  const txt = `${tags.join('; ')}; p=${keyData(s.key)}`;
  return s.pad ? `${txt}; n=${'x'.repeat(LIMITS.dkimKeyTxtBytes)}` : txt;
}

/** One fault: what it changes in the base record or signature (lists are appended, objects merged). */
interface Fault {
  readonly name: string;
  readonly reason: DkimReason;
  readonly change: {
    readonly use?: Partial<KeyUse>;
    readonly tags?: readonly string[];
    readonly flags?: readonly string[];
    readonly key?: Partial<Spec['key']>;
    readonly pad?: boolean;
  };
}

/** In the order src/dkim/key.ts reports them. */
const FAULTS: readonly Fault[] = [
  { name: 'record over 4 KiB', reason: 'KeyRecordTooLarge', change: { pad: true } },
  { name: 'duplicate tag', reason: 'KeyMalformed', change: { tags: ['z=1', 'z=2'] } },
  { name: 'h=sha1', reason: 'KeyHashMismatch', change: { tags: ['h=sha1'] } },
  { name: 'empty p=', reason: 'KeyRevoked', change: { key: { revoked: true } } },
  { name: 's=tlsrpt', reason: 'KeyServiceMismatch', change: { tags: ['s=tlsrpt'] } },
  {
    name: 'a=ed25519-sha256 for k=rsa',
    reason: 'KeyAlgorithmMismatch',
    change: { use: { algorithm: 'ed25519-sha256' } },
  },
  {
    name: 't=s with i= at a subdomain',
    reason: 'KeyIdentityMismatch',
    change: { flags: ['s'], use: { identityDomain: 'mail.example.com' } },
  },
  { name: 'even RSA exponent', reason: 'KeyMalformed', change: { key: { evenExponent: true } } },
  { name: '768-bit RSA key', reason: 'KeyTooSmall', change: { key: { bits: 768 } } },
  { name: 't=y', reason: 'KeyTestingMode', change: { flags: ['y'] } },
];

/** Pairs that cannot occur in one record. */
const IMPOSSIBLE = new Map([
  ['empty p= + even RSA exponent', 'an empty p= has no key data'],
  ['empty p= + 768-bit RSA key', 'an empty p= has no key data'],
]);

function check(...faults: Fault[]) {
  const s = faults.reduce<Spec>(
    (acc, { change: c }) => ({
      use: { ...acc.use, ...c.use },
      tags: [...acc.tags, ...(c.tags ?? [])],
      flags: [...acc.flags, ...(c.flags ?? [])],
      key: { ...acc.key, ...c.key },
      pad: acc.pad || (c.pad ?? false),
    }),
    BASE,
  );
  return parseKeyRecord(render(s), s.use);
}

const pairs = FAULTS.flatMap((first, i) =>
  FAULTS.slice(i + 1).map((second) => [`${first.name} + ${second.name}`, first, second] as const),
).filter(([name]) => !IMPOSSIBLE.has(name));

describe('DKIM key checks: one fault at a time', () => {
  it('accepts the base record (k=rsa, 2048 bits, for rsa-sha256)', () => {
    expect(check().ok).toBe(true);
  });

  it.each(FAULTS.map((f) => [f.name, f] as const))('%s → its own reason', (_name, f) => {
    const r = check(f);
    expect(r.ok ? null : r.reason).toBe(f.reason);
  });
});

describe('DKIM key checks: two faults, the earlier check wins (RFC 6376 §6.1.2)', () => {
  it('covers every pair but the impossible ones', () => {
    expect(pairs.length + IMPOSSIBLE.size).toBe((FAULTS.length * (FAULTS.length - 1)) / 2);
  });

  it.each(pairs)('%s', (_name, first, second) => {
    const r = check(first, second);
    expect(r.ok ? null : r.reason).toBe(first.reason);
    // and in either order of application
    const back = check(second, first);
    expect(back.ok ? null : back.reason).toBe(first.reason);
  });

  it('reports h= without sha256 as permerror KeyHashMismatch, not the policy KeyTooSmall', () => {
    const byReason = (reason: DkimReason) => FAULTS.find((f) => f.reason === reason)!;
    const r = check(byReason('KeyHashMismatch'), byReason('KeyTooSmall'));
    expect(r.ok ? null : r.reason).toBe('KeyHashMismatch');
  });
});

/**
 * Project Wycheproof (C2SP) signature-verification vectors on every crypto backend (test/helpers/backends.ts): the
 * algorithms the core verifies, RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8017 §8.2.2; DKIM rsa-sha256, DNSSEC algorithm
 * 8) at 2048/3072/4096 bits, ECDSA P-256/SHA-256 and P-384/SHA-384 with r‖s signatures (FIPS 186-5, RFC 6605;
 * DNSSEC 13 and 14), Ed25519 (RFC 8032 §5.1.7; DKIM ed25519-sha256, DNSSEC 15) and Ed448 (§5.2.7; DNSSEC 16).
 * Data and provenance: test-vectors/wycheproof/README.md.
 *
 * Every `valid` vector must verify and every `invalid` one must not. An `acceptable` vector is legal to accept or
 * refuse; for each of its flags ACCEPTABLE below decides which, the same for every backend, so that the canister
 * (pure), Node and the browser keep reaching one verdict. A flag without a decision fails the suite.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CryptoBackend } from '../src/crypto/backend.ts';
import { BACKENDS } from './helpers/backends.ts';
import { ROOT } from './helpers/cli.ts';

const DIR = join(ROOT, 'test-vectors', 'wycheproof');
const fromHex = (hex: string) => new Uint8Array(Buffer.from(hex, 'hex'));

/** What every backend must answer for an `acceptable` vector, per flag, and why. */
const ACCEPTABLE: Record<string, { readonly accept: boolean; readonly why: string }> = {
  MissingNull: {
    accept: false,
    why:
      'a DigestInfo without the NULL parameters is not the encoding RFC 8017 §9.2 produces for SHA-256; verification ' +
      'compares the whole encoded message (§8.2.2 step 4), and refusing keeps the pure backend, which builds the ' +
      'one expected encoding, and OpenSSL in agreement',
  },
};

interface Vector {
  tcId: number;
  comment: string;
  flags: string[];
  msg: string;
  sig: string;
  result: 'valid' | 'invalid' | 'acceptable';
}

interface Group {
  publicKey: { uncompressed?: string; pk?: string; modulus?: string; publicExponent?: string };
  tests: Vector[];
}

/** Each file with the backend call for one of its vectors. */
const SUITES: readonly {
  file: string;
  verify: (b: CryptoBackend, g: Group, msg: Uint8Array, sig: Uint8Array) => Promise<boolean>;
}[] = [
  {
    file: 'ecdsa_secp256r1_sha256_p1363_test.json',
    verify: (b, g, m, s) => b.ecdsaP256Verify(fromHex(g.publicKey.uncompressed!).subarray(1), m, s),
  },
  {
    file: 'ecdsa_secp384r1_sha384_p1363_test.json',
    verify: (b, g, m, s) => b.ecdsaP384Verify(fromHex(g.publicKey.uncompressed!).subarray(1), m, s),
  },
  { file: 'ed25519_test.json', verify: (b, g, m, s) => b.ed25519Verify(fromHex(g.publicKey.pk!), m, s) },
  { file: 'ed448_test.json', verify: (b, g, m, s) => b.ed448Verify(fromHex(g.publicKey.pk!), m, s) },
  ...[2048, 3072, 4096].map((bits) => ({
    file: `rsa_signature_${bits}_sha256_test.json`,
    verify: (b: CryptoBackend, g: Group, m: Uint8Array, s: Uint8Array) =>
      b.rsaPkcs1Sha256Verify(
        { n: unsigned(g.publicKey.modulus!), e: unsigned(g.publicKey.publicExponent!) },
        m,
        s,
      ),
  })),
];

/** A Wycheproof integer (hex, two's complement, may carry a leading 00) as an unsigned big-endian magnitude. */
function unsigned(hex: string): Uint8Array {
  const bytes = fromHex(hex);
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  return bytes.subarray(i);
}

/** The answer a backend must give: the vector's own for valid/invalid, ACCEPTABLE's for acceptable ones. */
function expected(v: Vector): boolean {
  if (v.result !== 'acceptable') return v.result === 'valid';
  const decisions = v.flags.map((f) => {
    const d = ACCEPTABLE[f];
    if (!d) throw new Error(`tcId ${v.tcId}: no decision for the acceptable flag ${f}`);
    return d.accept;
  });
  // A vector is accepted only when every one of its flags is (all current ones carry a single flag).
  return decisions.every(Boolean);
}

const load = (file: string) =>
  JSON.parse(readFileSync(join(DIR, file), 'utf8')) as { numberOfTests: number; testGroups: Group[] };

describe.each(BACKENDS)('Wycheproof ($name backend)', (backend) => {
  it.each(SUITES.map((s) => [s.file, s] as const))('%s', async (file, suite) => {
    const { numberOfTests, testGroups } = load(file);
    const wrong: string[] = [];
    let count = 0;
    for (const g of testGroups) {
      for (const v of g.tests) {
        count++;
        const got = await suite.verify(backend, g, fromHex(v.msg), fromHex(v.sig));
        if (got !== expected(v)) wrong.push(`tcId ${v.tcId} (${v.result}, ${v.flags.join(' ')}): ${got}`);
      }
    }
    expect(count).toBe(numberOfTests);
    expect(wrong).toEqual([]);
  });
});

describe('Wycheproof acceptable flags', () => {
  it('has a decision for every acceptable flag in the vectors, and no decision without a vector', () => {
    const flags = new Set(
      SUITES.flatMap(({ file }) =>
        load(file).testGroups.flatMap((g) =>
          g.tests.filter((t) => t.result === 'acceptable').flatMap((t) => t.flags),
        ),
      ),
    );
    expect([...flags].sort()).toEqual(Object.keys(ACCEPTABLE).sort());
  });
});

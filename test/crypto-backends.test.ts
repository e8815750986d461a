/**
 * Every backend (test/helpers/backends.ts: pure, WebCrypto, node) must reach the same verdict: keys and
 * signatures come from node:crypto's signer (OpenSSL), independent of the pure backend, and each case is also
 * mutated.
 */
import { createSign, generateKeyPairSync, type KeyObject, sign as oneShotSign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { CryptoBackend, RsaPublicKey } from '../src/crypto/backend.ts';
import { nodeCrypto } from '../src/crypto/node.ts';
import { emsaPkcs1Sha256 } from '../src/crypto/rsa.ts';
import { parseRsaPublicKey } from '../src/crypto/rsa-key.ts';
import { toHex, utf8 } from '../src/encoding/bytes.ts';
import { BACKENDS, unanimous, verdicts } from './helpers/backends.ts';

const messages = [new Uint8Array(0), utf8('waxseal'), new Uint8Array(1000).map((_, i) => i * 7)];

function flip(bytes: Uint8Array, index: number): Uint8Array {
  const out = bytes.slice();
  out[index % out.length]! ^= 0x01;
  return out;
}

function rawEcPublic(key: KeyObject): Uint8Array {
  const jwk = key.export({ format: 'jwk' });
  return new Uint8Array([...Buffer.from(jwk.x!, 'base64url'), ...Buffer.from(jwk.y!, 'base64url')]);
}

async function expectAll(fn: (b: CryptoBackend) => Promise<boolean>, want: boolean): Promise<void> {
  expect(await verdicts(fn)).toEqual(unanimous(want));
}

describe('hashes', () => {
  it.each(messages.map((m) => [m.length, m] as const))(
    'sha256 and sha384 of %i bytes agree',
    async (_n, m) => {
      const h256 = await Promise.all(BACKENDS.map(async (b) => toHex(await b.sha256(m))));
      const h384 = await Promise.all(BACKENDS.map(async (b) => toHex(await b.sha384(m))));
      expect(new Set(h256).size).toBe(1);
      expect(new Set(h384).size).toBe(1);
    },
  );
  it('matches the FIPS 180-2 "abc" vector', async () => {
    for (const b of BACKENDS) {
      expect(toHex(await b.sha256(utf8('abc')))).toBe(
        'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
      );
    }
  });
});

describe.each([1024, 2048, 4096])('RSA PKCS#1 v1.5 SHA-256, %i bits', (bits) => {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  const key: RsaPublicKey = parseRsaPublicKey(
    new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })),
  )!;
  const other = generateKeyPairSync('rsa', { modulusLength: bits }).publicKey;
  const otherKey = parseRsaPublicKey(new Uint8Array(other.export({ format: 'der', type: 'pkcs1' })))!;

  it('SPKI and PKCS#1 encodings decode to the same key', () => {
    const pkcs1 = parseRsaPublicKey(new Uint8Array(publicKey.export({ format: 'der', type: 'pkcs1' })))!;
    expect(toHex(pkcs1.n)).toBe(toHex(key.n));
    expect(toHex(key.e)).toBe('010001');
  });

  for (const m of messages) {
    const signer = createSign('sha256');
    signer.update(m);
    const sig = new Uint8Array(signer.sign(privateKey));
    it(`valid, tampered, wrong key and truncated signatures over ${m.length} bytes`, async () => {
      await expectAll((b) => b.rsaPkcs1Sha256Verify(key, m, sig), true);
      for (const i of [0, sig.length >> 1, sig.length - 1]) {
        await expectAll((b) => b.rsaPkcs1Sha256Verify(key, m, flip(sig, i)), false);
      }
      await expectAll((b) => b.rsaPkcs1Sha256Verify(otherKey, m, sig), false);
      await expectAll((b) => b.rsaPkcs1Sha256Verify(key, m, sig.subarray(1)), false);
      await expectAll((b) => b.rsaPkcs1Sha256Verify(key, utf8('other'), sig), false);
    });
  }

  it('refuses a public exponent below 3: with e = 1 the encoded message is its own signature', async () => {
    const m = utf8('forged');
    const em = emsaPkcs1Sha256(await BACKENDS[0]!.sha256(m), key.n.length)!;
    for (const e of [[1], [0, 1], [2]]) {
      await expectAll((b) => b.rsaPkcs1Sha256Verify({ n: key.n, e: new Uint8Array(e) }, m, em), false);
    }
  });
});

describe('Ed25519', () => {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })).subarray(12);
  for (const m of messages) {
    it(`valid and mutated signatures over ${m.length} bytes`, async () => {
      const sig = new Uint8Array(oneShotSign(null, m, privateKey));
      await expectAll((b) => b.ed25519Verify(raw, m, sig), true);
      for (const i of [0, 31, 32, 63]) {
        await expectAll((b) => b.ed25519Verify(raw, m, flip(sig, i)), false);
      }
      await expectAll((b) => b.ed25519Verify(flip(raw, 5), m, sig), false);
      await expectAll((b) => b.ed25519Verify(raw, m, sig.subarray(0, 63)), false);
    });
  }
  it('rejects a non-canonical S (S + L) in every backend (RFC 8032 §5.1.7)', async () => {
    const m = utf8('malleable');
    const sig = new Uint8Array(oneShotSign(null, m, privateKey));
    const L = (1n << 252n) + 27742317777372353535851937790883648493n;
    let s = 0n;
    for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(sig[i]!);
    s += L;
    const malleated = sig.slice();
    for (let i = 32; i < 64; i++) {
      malleated[i] = Number(s & 0xffn);
      s >>= 8n;
    }
    await expectAll((b) => b.ed25519Verify(raw, m, malleated), false);
  });
});

describe.each([
  ['P-256', 'sha256', 32, 'ecdsaP256Verify'],
  ['P-384', 'sha384', 48, 'ecdsaP384Verify'],
] as const)('ECDSA %s', (curve, hash, size, method) => {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: curve });
  const raw = rawEcPublic(publicKey);
  for (const m of messages) {
    it(`valid, high-S and mutated signatures over ${m.length} bytes`, async () => {
      const sig = new Uint8Array(oneShotSign(hash, m, { key: privateKey, dsaEncoding: 'ieee-p1363' }));
      expect(sig.length).toBe(2 * size);
      await expectAll((b) => b[method](raw, m, sig), true);
      // (r, n − s) is also valid ECDSA; DNSSEC does not require low-S, so every backend must accept it.
      const n = BigInt(
        curve === 'P-256'
          ? '0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551'
          : '0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973',
      );
      let s = 0n;
      for (let i = size; i < 2 * size; i++) s = (s << 8n) | BigInt(sig[i]!);
      let ns = n - s;
      const high = sig.slice();
      for (let i = 2 * size - 1; i >= size; i--) {
        high[i] = Number(ns & 0xffn);
        ns >>= 8n;
      }
      await expectAll((b) => b[method](raw, m, high), true);
      for (const i of [0, size, 2 * size - 1]) {
        await expectAll((b) => b[method](raw, m, flip(sig, i)), false);
      }
      await expectAll((b) => b[method](flip(raw, 3), m, sig), false);
      await expectAll((b) => b[method](raw, m, new Uint8Array(2 * size)), false);
    });
  }
});

describe('Ed448', () => {
  const { publicKey, privateKey } = generateKeyPairSync('ed448');
  const raw = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })).subarray(12);
  it('valid and mutated signatures agree across backends', async () => {
    const m = utf8('dnssec algorithm 16');
    const sig = new Uint8Array(oneShotSign(null, m, privateKey));
    await expectAll((b) => b.ed448Verify(raw, m, sig), true);
    for (const i of [0, 56, 57, 113]) {
      await expectAll((b) => b.ed448Verify(raw, m, flip(sig, i)), false);
    }
    await expectAll((b) => b.ed448Verify(flip(raw, 1), m, sig), false);
  });
});

describe('#crypto-default (package.json "imports")', () => {
  it('is the node backend under the "node" condition, which Node and vitest set', async () => {
    const { defaultCrypto } = await import('#crypto-default');
    expect(defaultCrypto).toBe(nodeCrypto);
  });
});

/**
 * The imported-key cache (src/crypto/key-cache.ts) and the node backend's use of it (src/crypto/node.ts): a key
 * is parsed once however its bytes arrive, distinct keys never share an entry, and a key OpenSSL refuses is a
 * failed verification in every backend, as in the pure one, and is not cached.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { keyCache } from '../src/crypto/key-cache.ts';
import { importJwk } from '../src/crypto/node.ts';
import { utf8 } from '../src/encoding/bytes.ts';
import { unanimous, verdicts } from './helpers/backends.ts';

/** P-256 field prime (FIPS 186-5 / SEC 2): (x, p − y) is the negated point, on the curve with the same x. */
const P256_P = 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n;

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const fromB64url = (text: string) => new Uint8Array(Buffer.from(text, 'base64url'));

function toBytes(v: bigint, size: number): Uint8Array {
  return new Uint8Array(Buffer.from(v.toString(16).padStart(2 * size, '0'), 'hex'));
}

function p256Key() {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  return { x: fromB64url(jwk.x!), y: fromB64url(jwk.y!), privateKey };
}

const allFalse = unanimous(false);

describe('keyCache', () => {
  it('loads a key once and returns the stored one after', () => {
    const cache = keyCache<object>(4);
    let loads = 0;
    const load = () => ({ n: ++loads });
    const first = cache.get('a', load);
    expect(cache.get('a', load)).toBe(first);
    expect(loads).toBe(1);
  });

  it('evicts the oldest entry at capacity', () => {
    const cache = keyCache<string>(2);
    const loaded: string[] = [];
    const get = (id: string) =>
      cache.get(id, () => {
        loaded.push(id);
        return id;
      });
    for (const id of ['a', 'b', 'c', 'b', 'a']) get(id);
    expect(loaded).toEqual(['a', 'b', 'c', 'a']);
  });

  it('stores nothing when the load throws, so the next call loads again', () => {
    const cache = keyCache<string>(2);
    expect(() =>
      cache.get('k', () => {
        throw new Error('refused');
      }),
    ).toThrow('refused');
    expect(cache.get('k', () => 'ok')).toBe('ok');
  });
});

describe('node backend key import', () => {
  it('parses a key once: the same bytes in fresh arrays give the same KeyObject', () => {
    const { x, y } = p256Key();
    const a = importJwk({ kty: 'EC', crv: 'P-256', x: b64url(x), y: b64url(y) });
    const b = importJwk({ kty: 'EC', crv: 'P-256', x: b64url(x.slice()), y: b64url(y.slice()) });
    expect(b).toBe(a);
  });

  it('does not confuse keys that share x (the point and its negation) or n (RSA exponents)', async () => {
    const { x, y, privateKey } = p256Key();
    const negY = toBytes(P256_P - BigInt(`0x${Buffer.from(y).toString('hex')}`), 32);
    const key = importJwk({ kty: 'EC', crv: 'P-256', x: b64url(x), y: b64url(y) });
    const negated = importJwk({ kty: 'EC', crv: 'P-256', x: b64url(x), y: b64url(negY) });
    expect(negated).not.toBe(key);
    expect(negated.export({ format: 'jwk' }).y).toBe(b64url(negY));

    const m = utf8('which key?');
    const sig = new Uint8Array(sign('sha256', m, { key: privateKey, dsaEncoding: 'ieee-p1363' }));
    const raw = new Uint8Array([...x, ...y]);
    const rawNegated = new Uint8Array([...x, ...negY]);
    // Verify under the negated key first, so a confused cache would answer for the real key with it.
    expect(await verdicts((b) => b.ecdsaP256Verify(rawNegated, m, sig))).toEqual(allFalse);
    expect(await verdicts((b) => b.ecdsaP256Verify(raw, m, sig))).toEqual(unanimous(true));

    const n = fromB64url(
      generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' }).n!,
    );
    const e3 = importJwk({ kty: 'RSA', n: b64url(n), e: b64url(new Uint8Array([3])) });
    const e65537 = importJwk({ kty: 'RSA', n: b64url(n), e: b64url(new Uint8Array([1, 0, 1])) });
    expect(e65537).not.toBe(e3);
    expect(e3.export({ format: 'jwk' }).e).toBe('Aw');
  });

  it('refuses a point off the curve without caching it, and every backend answers false', async () => {
    const { x, y, privateKey } = p256Key();
    const offCurve = y.slice();
    offCurve[31]! ^= 0x01;
    const jwk = { kty: 'EC', crv: 'P-256', x: b64url(x), y: b64url(offCurve) };
    expect(() => importJwk(jwk)).toThrow();
    expect(() => importJwk(jwk)).toThrow();

    const m = utf8('off the curve');
    const sig = new Uint8Array(sign('sha256', m, { key: privateKey, dsaEncoding: 'ieee-p1363' }));
    expect(await verdicts((b) => b.ecdsaP256Verify(new Uint8Array([...x, ...offCurve]), m, sig))).toEqual(
      allFalse,
    );
  });

  it('answers false in every backend for keys of the wrong size, before any import', async () => {
    const m = utf8('sizes');
    expect(await verdicts((b) => b.ed25519Verify(new Uint8Array(31), m, new Uint8Array(64)))).toEqual(
      allFalse,
    );
    expect(await verdicts((b) => b.ed448Verify(new Uint8Array(56), m, new Uint8Array(114)))).toEqual(
      allFalse,
    );
    expect(await verdicts((b) => b.ecdsaP256Verify(new Uint8Array(65), m, new Uint8Array(64)))).toEqual(
      allFalse,
    );
    expect(await verdicts((b) => b.ecdsaP384Verify(new Uint8Array(96), m, new Uint8Array(95)))).toEqual(
      allFalse,
    );
    const rsa = { n: new Uint8Array(128).fill(0xc5), e: new Uint8Array([1, 0, 1]) };
    expect(await verdicts((b) => b.rsaPkcs1Sha256Verify(rsa, m, new Uint8Array(127)))).toEqual(allFalse);
    expect(
      await verdicts((b) => b.rsaPkcs1Sha256Verify({ ...rsa, n: new Uint8Array(0) }, m, new Uint8Array(0))),
    ).toEqual(allFalse);
  });
});

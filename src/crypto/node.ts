/**
 * Node backend: node:crypto's synchronous one-shot `hash` and `verify` (OpenSSL), for the algorithms of
 * backend.ts: RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8017 §8.2.2), Ed25519 and Ed448 (RFC 8032 §5.1.7, §5.2.7),
 * ECDSA P-256/SHA-256 and P-384/SHA-384 (FIPS 186-5, r‖s as RFC 6605 §4 carries it).
 *
 * WebCrypto in Node reaches the same OpenSSL through an asynchronous job per call, which costs more than a
 * DNSSEC or DKIM verification itself. Keys are imported once (key-cache.ts). Inputs the pure backend rejects by
 * shape are rejected here before OpenSSL sees them, as in webcrypto.ts, so all three backends agree.
 *
 * Node only: src/ reaches it through `#crypto-default` (package.json "imports", condition "node").
 */
import { createPublicKey, hash, type JsonWebKey, type KeyObject, verify } from 'node:crypto';
import { base64urlnopad } from '@scure/base';
import type { CryptoBackend } from './backend.ts';
import { keyCache } from './key-cache.ts';
import { rsaInputsAcceptable } from './rsa.ts';

const keys = keyCache<KeyObject>();

/**
 * The KeyObject for a public JWK, parsed once per distinct key: the id is every field that defines the key.
 * @throws when OpenSSL refuses the key (e.g. a point off the curve); nothing is cached then.
 */
export function importJwk(jwk: JsonWebKey): KeyObject {
  const id = `${jwk.kty}|${jwk.crv ?? ''}|${jwk.n ?? jwk.x}|${jwk.e ?? jwk.y ?? ''}`;
  return keys.get(id, () => createPublicKey({ key: jwk, format: 'jwk' }));
}

/** One verification; a key or signature OpenSSL refuses is a failed verification, as the interface requires. */
function verifyJwk(
  jwk: JsonWebKey,
  digest: 'sha256' | 'sha384' | null,
  message: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  try {
    const key = importJwk(jwk);
    const ecdsa = jwk.kty === 'EC';
    return Promise.resolve(
      verify(digest, message, ecdsa ? { key, dsaEncoding: 'ieee-p1363' } : key, signature),
    );
  } catch {
    return Promise.resolve(false);
  }
}

function digestOf(algorithm: 'sha256' | 'sha384') {
  return (data: Uint8Array): Promise<Uint8Array> => {
    const out = hash(algorithm, data, 'buffer');
    return Promise.resolve(new Uint8Array(out.buffer, out.byteOffset, out.byteLength));
  };
}

/** Edwards keys are raw 32 or 57 bytes, signatures twice that (RFC 8032 §5.1.6, §5.2.6). */
function eddsaVerify(crv: 'Ed25519' | 'Ed448', size: number) {
  return (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean> => {
    if (publicKey.length !== size || signature.length !== 2 * size) return Promise.resolve(false);
    return verifyJwk({ kty: 'OKP', crv, x: base64urlnopad.encode(publicKey) }, null, message, signature);
  };
}

/** ECDSA keys are x‖y and signatures r‖s, each half `size` bytes. */
function ecdsaVerify(crv: 'P-256' | 'P-384', digest: 'sha256' | 'sha384', size: number) {
  return (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean> => {
    if (publicKey.length !== 2 * size || signature.length !== 2 * size) return Promise.resolve(false);
    const jwk = {
      kty: 'EC',
      crv,
      x: base64urlnopad.encode(publicKey.subarray(0, size)),
      y: base64urlnopad.encode(publicKey.subarray(size)),
    };
    return verifyJwk(jwk, digest, message, signature);
  };
}

export const nodeCrypto: CryptoBackend = {
  name: 'node',
  sha256: digestOf('sha256'),
  sha384: digestOf('sha384'),
  rsaPkcs1Sha256Verify: (key, message, signature) => {
    if (!rsaInputsAcceptable(key, signature)) return Promise.resolve(false);
    return verifyJwk(
      { kty: 'RSA', n: base64urlnopad.encode(key.n), e: base64urlnopad.encode(key.e) },
      'sha256',
      message,
      signature,
    );
  },
  ed25519Verify: eddsaVerify('Ed25519', 32),
  ed448Verify: eddsaVerify('Ed448', 57),
  ecdsaP256Verify: ecdsaVerify('P-256', 'sha256', 32),
  ecdsaP384Verify: ecdsaVerify('P-384', 'sha384', 48),
};

/** `#crypto-default` under the "node" condition (package.json "imports"; src/crypto/backend.ts). */
export { nodeCrypto as defaultCrypto };

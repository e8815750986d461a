/**
 * WebCrypto backend (Node ≥ 20 and browsers): `crypto.subtle` does the hashing and verification.
 * Inputs the pure backend rejects by shape (rsa.ts rsaInputsAcceptable, key and signature lengths) are rejected
 * here the same way before WebCrypto sees them.
 */
import { base64urlnopad } from '@scure/base';
import { concatBytes, toHex } from '../encoding/bytes.ts';
import type { CryptoBackend, RsaPublicKey } from './backend.ts';
import { keyCache } from './key-cache.ts';
import { rsaInputsAcceptable } from './rsa.ts';

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle;
  if (!s) throw new Error('WebCrypto (crypto.subtle) is not available in this runtime; use the pure backend');
  return s;
}

/** Imported keys (key-cache.ts) by algorithm and key bytes; an import that fails is dropped so it is retried. */
const keys = keyCache<Promise<CryptoKey>>();

function importCached(id: string, load: () => Promise<CryptoKey>): Promise<CryptoKey> {
  return keys.get(id, () => {
    const key = load();
    key.catch(() => keys.delete(id));
    return key;
  });
}

async function verifyWith(
  keyData: JsonWebKey | Uint8Array,
  format: 'jwk' | 'raw',
  importAlg: AlgorithmIdentifier | RsaHashedImportParams | EcKeyImportParams,
  verifyAlg: AlgorithmIdentifier | EcdsaParams,
  message: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  try {
    const id = `${JSON.stringify(importAlg)}|${format === 'jwk' ? JSON.stringify(keyData) : toHex(keyData as Uint8Array)}`;
    const key = await importCached(id, () =>
      format === 'jwk'
        ? subtle().importKey('jwk', keyData as JsonWebKey, importAlg, false, ['verify'])
        : subtle().importKey('raw', keyData as Uint8Array<ArrayBuffer>, importAlg, false, ['verify']),
    );
    return await subtle().verify(
      verifyAlg,
      key,
      signature as Uint8Array<ArrayBuffer>,
      message as Uint8Array<ArrayBuffer>,
    );
  } catch {
    return false;
  }
}

function ecVerify(curve: 'P-256' | 'P-384', hash: 'SHA-256' | 'SHA-384', size: number) {
  return (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean> => {
    if (publicKey.length !== 2 * size || signature.length !== 2 * size) return Promise.resolve(false);
    const raw = concatBytes(new Uint8Array([0x04]), publicKey);
    return verifyWith(
      raw,
      'raw',
      { name: 'ECDSA', namedCurve: curve },
      { name: 'ECDSA', hash },
      message,
      signature,
    );
  };
}

export const webCrypto: CryptoBackend = {
  name: 'webcrypto',
  sha256: async (data) => new Uint8Array(await subtle().digest('SHA-256', data as Uint8Array<ArrayBuffer>)),
  sha384: async (data) => new Uint8Array(await subtle().digest('SHA-384', data as Uint8Array<ArrayBuffer>)),
  rsaPkcs1Sha256Verify: (key: RsaPublicKey, message, signature) => {
    if (!rsaInputsAcceptable(key, signature)) return Promise.resolve(false);
    const jwk: JsonWebKey = {
      kty: 'RSA',
      n: base64urlnopad.encode(key.n),
      e: base64urlnopad.encode(key.e),
      ext: true,
    };
    return verifyWith(
      jwk,
      'jwk',
      { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
      { name: 'RSASSA-PKCS1-v1_5' },
      message,
      signature,
    );
  },
  ed25519Verify: (publicKey, message, signature) => {
    if (publicKey.length !== 32 || signature.length !== 64) return Promise.resolve(false);
    return verifyWith(publicKey, 'raw', { name: 'Ed25519' }, { name: 'Ed25519' }, message, signature);
  },
  ed448Verify: (publicKey, message, signature) => {
    if (publicKey.length !== 57 || signature.length !== 114) return Promise.resolve(false);
    return verifyWith(publicKey, 'raw', { name: 'Ed448' }, { name: 'Ed448' }, message, signature);
  },
  ecdsaP256Verify: ecVerify('P-256', 'SHA-256', 32),
  ecdsaP384Verify: ecVerify('P-384', 'SHA-384', 48),
};

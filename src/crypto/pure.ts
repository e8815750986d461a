/**
 * Pure-JS backend: what the canister (QuickJS, no crypto.subtle) uses. SHA-256, RSA, P-256 and Ed25519 are this
 * project's own code shaped for that interpreter (sha256.ts, rsa.ts, p256.ts, ed25519.ts); SHA-384, Ed448 and
 * P-384 are @noble's.
 * Ed25519 uses RFC 8032 strict verification (@noble's zip215: false) and ECDSA accepts high-S signatures,
 * matching OpenSSL (under the WebCrypto and node backends) so that every backend gives identical verdicts.
 */

import { ed448 } from '@noble/curves/ed448.js';
import { p384 } from '@noble/curves/nist.js';
import { sha384 } from '@noble/hashes/sha2.js';
import { concatBytes } from '../encoding/bytes.ts';
import type { CryptoBackend } from './backend.ts';
import { ed25519Verify } from './ed25519.ts';
import { p256Verify } from './p256.ts';
import { rsaPkcs1Sha256Verify } from './rsa.ts';
import { sha256 } from './sha256.ts';

const SEC1_UNCOMPRESSED = new Uint8Array([0x04]);

function safe(fn: () => boolean): Promise<boolean> {
  try {
    return Promise.resolve(fn());
  } catch {
    return Promise.resolve(false);
  }
}

export const pureCrypto: CryptoBackend = {
  name: 'pure',
  sha256: (data) => Promise.resolve(sha256(data)),
  sha384: (data) => Promise.resolve(sha384(data)),
  rsaPkcs1Sha256Verify: (key, message, signature) =>
    safe(() => rsaPkcs1Sha256Verify(key, message, signature)),
  ed25519Verify: (publicKey, message, signature) => safe(() => ed25519Verify(publicKey, message, signature)),
  ed448Verify: (publicKey, message, signature) =>
    safe(
      () =>
        publicKey.length === 57 &&
        signature.length === 114 &&
        ed448.verify(signature, message, publicKey, { zip215: false }),
    ),
  /** The dedicated P-256 code (p256.ts) costs a third of the generic curve's instructions in the canister. */
  ecdsaP256Verify: (publicKey, message, signature) => safe(() => p256Verify(publicKey, message, signature)),
  /** ECDSA over x‖y keys and r‖s signatures; the curve hashes the message with SHA-384. */
  ecdsaP384Verify: (publicKey, message, signature) =>
    safe(
      () =>
        publicKey.length === 96 &&
        signature.length === 96 &&
        p384.verify(signature, message, concatBytes(SEC1_UNCOMPRESSED, publicKey), { lowS: false }),
    ),
};

/** `#crypto-default` outside Node (package.json "imports"; src/crypto/backend.ts). */
export { pureCrypto as defaultCrypto };

/**
 * The one crypto interface the verifiers use, so the canister, Node and browsers reach identical verdicts from
 * the same code. Algorithms: RFC 8017 §8.2.2 (RSASSA-PKCS1-v1_5 with SHA-256), RFC 8032 §5.1.7 and §5.2.7
 * (Ed25519 and Ed448, strict: non-canonical encodings rejected), FIPS 186-5 ECDSA on P-256/P-384.
 *
 * Backends: pure.ts (@noble, BigInt RSA; the canister), node.ts (node:crypto) and webcrypto.ts (crypto.subtle).
 * Where a caller passes none, src/ uses `#crypto-default` (package.json "imports"): node.ts under the "node"
 * condition (Node, tsx, vitest), pure.ts everywhere else. Not WebCrypto for "browser": Azle bundles the canister
 * with esbuild's browser platform, so that condition would hand the canister a backend QuickJS lacks.
 *
 * Every verify returns false (never throws) on malformed keys or signatures: a bad input is a failed
 * verification, and the caller decides the reason code from its own structural checks.
 */

/** RSA public key as unsigned big-endian integers without leading zero bytes. */
export interface RsaPublicKey {
  readonly n: Uint8Array;
  readonly e: Uint8Array;
}

export interface CryptoBackend {
  readonly name: string;
  sha256(data: Uint8Array): Promise<Uint8Array>;
  sha384(data: Uint8Array): Promise<Uint8Array>;
  /** Verifies an RSASSA-PKCS1-v1_5 signature over SHA-256(message). */
  rsaPkcs1Sha256Verify(key: RsaPublicKey, message: Uint8Array, signature: Uint8Array): Promise<boolean>;
  /** Verifies a pure Ed25519 signature over message (RFC 8032, no prehash). */
  ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean>;
  /** Pure Ed448 (RFC 8032 §5.2.7, empty context), for DNSSEC algorithm 16. */
  ed448Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean>;
  /** ECDSA P-256 / SHA-256. publicKey = x‖y (64 bytes), signature = r‖s (64 bytes), as DNSSEC carries them. */
  ecdsaP256Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean>;
  /** ECDSA P-384 / SHA-384. publicKey = x‖y (96 bytes), signature = r‖s (96 bytes). */
  ecdsaP384Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean>;
}

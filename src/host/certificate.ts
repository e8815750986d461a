// The host's root of trust (IC interface spec, "Certification": "Certificate", "Encoding of certificates",
// "Root of trust"; "System API" → "Certified data" for the data certificate of `ic0.data_certificate_*`).
//
// The host plays the subnet and the root at once (no subnet delegation): certificates are CBOR (tag 55799)
// `{tree, signature}` with a BLS12-381 min-sig signature over `domain_sep("ic-state-root") · reconstruct(tree)`,
// and the public key is published DER-wrapped as the root key. Certificate building itself is
// src/identity/test-certificate.ts (shared with the project's verifier tests); this module adds the key pair
// and a per-(canister, data, time) cache, because BLS signing costs about 20 ms.

import { bls12_381 } from '@noble/curves/bls12-381.js';
import { type HashTree, reconstruct } from '../identity/hash-tree.ts';
import {
  blsPublicKey,
  blsPublicKeyDer,
  dataCertificateTree,
  encodeCertificate,
  signStateRoot,
} from '../identity/test-certificate.ts';

export class CertificateSigner {
  readonly secretKey: Uint8Array;
  /** Raw G2 public key (96 bytes). */
  readonly publicKey: Uint8Array;
  /** DER-wrapped root key (133 bytes), for `Certificate.create({ rootKey })`. */
  readonly rootKey: Uint8Array;
  private readonly cache = new Map<string, Uint8Array>();
  private readonly signatures = new Map<string, Uint8Array>();

  /** `secretKey`: 32 bytes; random when omitted. */
  constructor(secretKey?: Uint8Array) {
    this.secretKey = secretKey ?? bls12_381.shortSignatures.keygen().secretKey;
    this.publicKey = blsPublicKey(this.secretKey);
    this.rootKey = blsPublicKeyDer(this.publicKey);
  }

  /**
   * CBOR certificate `55799({tree, signature})` over `tree`. Signatures are cached by root hash: witnesses of one
   * tree (pruned differently) share its root, so certifying many of them costs one BLS signature.
   */
  certify(tree: HashTree): Uint8Array {
    const root = reconstruct(tree);
    const key = hex(root);
    let signature = this.signatures.get(key);
    if (!signature) {
      if (this.signatures.size >= 256) this.signatures.clear();
      signature = signStateRoot(this.secretKey, root);
      this.signatures.set(key, signature);
    }
    return encodeCertificate(tree, signature);
  }

  /** True when a signature over this root hash is cached. */
  hasSignature(root: Uint8Array): boolean {
    return this.signatures.has(hex(root));
  }

  /** Caches a signature over `root` made elsewhere (e.g. in a worker thread with this key). */
  rememberSignature(root: Uint8Array, signature: Uint8Array): void {
    if (this.signatures.size >= 256) this.signatures.clear();
    this.signatures.set(hex(root), signature);
  }

  /** Data certificate for `ic0.data_certificate_copy`, cached per (canister, data, time). */
  dataCertificate(canisterId: Uint8Array, certifiedData: Uint8Array, time: bigint): Uint8Array {
    const key = `${hex(canisterId)}/${hex(certifiedData)}/${time}`;
    let cert = this.cache.get(key);
    if (!cert) {
      if (this.cache.size >= 256) this.cache.clear();
      cert = this.certify(dataCertificateTree(canisterId, certifiedData, time));
      this.cache.set(key, cert);
    }
    return cert;
  }
}

function hex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

// The host's root of trust (IC interface spec, "Certification": "Certificate", "Encoding of certificates",
// "Root of trust"; "System API" → "Certified data" for the data certificate of `ic0.data_certificate_*`).
//
// The host plays the subnet and the root at once (no subnet delegation): certificates are CBOR (tag 55799)
// `{tree, signature[, delegation]}` with a BLS12-381 min-sig signature (signature in G1, 48 bytes compressed; key
// in G2, 96 bytes) over `0x0D · "ic-state-root" · reconstruct(tree)`, hash-to-curve DST
// `BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_`, and the public key is published DER-wrapped (the 37-byte prefix
// below) as the root key. "Delegation": `{subnet_id, certificate}` where the inner certificate, signed by the
// root key, holds `/subnet/<id>/public_key` and `/subnet/<id>/canister_ranges`; the host issues none, tests do.
//
// The devnet signs the same state roots (root-signer.ts) and builds its state tree with `stateTree`. BLS signing
// costs about 4 ms, so `CertificateSigner` caches signatures per root hash and certificates per
// (canister, data, time). Pure (@noble/curves): BLS signing is far too slow for an interpreter, so this is never
// meant for the canister itself.

import { bls12_381 } from '@noble/curves/bls12-381.js';
import { hex } from '@scure/base';
import { compareBytes, concatBytes, toHex, utf8 } from '../encoding/bytes.ts';
import { CborWriter, SELF_DESCRIBE_TAG } from '../identity/cbor.ts';
import { leb128 } from '../identity/delegation.ts';
import {
  domainSeparator,
  fork,
  type HashTree,
  labeled,
  leaf,
  reconstruct,
  writeHashTree,
} from '../identity/hash-tree.ts';

/** DER prefix of an IC BLS public key (OIDs 1.3.6.1.4.1.44668.5.3.1.2.1 and 1.3.6.1.4.1.44668.5.3.2.1). */
export const BLS_KEY_DER_PREFIX = hex.decode(
  '308182301d060d2b0601040182dc7c0503010201060c2b0601040182dc7c05030201036100',
);

/** `0x0D · "ic-state-root"`. */
export const STATE_ROOT_DOMAIN_SEPARATOR = domainSeparator('ic-state-root');

const bls = bls12_381.shortSignatures;

/** The 96-byte compressed G2 public key. */
export function blsPublicKey(secretKey: Uint8Array): Uint8Array {
  return bls.getPublicKey(secretKey).toBytes(true);
}

/** The DER form the IC uses for root and subnet keys (`IC_ROOT_KEY` shape). */
export function blsPublicKeyDer(publicKey96: Uint8Array): Uint8Array {
  if (publicKey96.length !== 96) throw new RangeError('BLS12-381 G2 public keys are 96 bytes');
  return concatBytes(BLS_KEY_DER_PREFIX, publicKey96);
}

const { Fp, Fr } = bls12_381.fields;
const HALF_P = (Fp.ORDER - 1n) / 2n;

/**
 * 48-byte signature over `0x0D · "ic-state-root" · rootHash`, the same bytes as noble's `sign(…).toBytes(true)`.
 * The hash is checked to lie in G1's subgroup, and so is any multiple of it: the two further subgroup checks that
 * noble's `sign` and `toBytes` make (≈ 0.9 ms each of ≈ 5 ms) are skipped. The devnet signs once per round.
 * Compressed encoding (ZCash serialization, as the IC uses): big-endian x with 0x80 set, and 0x20 when y is the
 * larger of ±y.
 */
export function signStateRoot(secretKey: Uint8Array, rootHash: Uint8Array): Uint8Array {
  const point = bls
    .hash(concatBytes(STATE_ROOT_DOMAIN_SEPARATOR, rootHash))
    .multiply(Fr.fromBytes(secretKey));
  if (point.is0()) return point.toBytes(true);
  const { x, y } = point.toAffine();
  const signature = Fp.toBytes(x);
  signature[0]! |= y > HALF_P ? 0xa0 : 0x80;
  return signature;
}

export interface CertificateDelegation {
  readonly subnetId: Uint8Array;
  /** A certificate signed by the root key showing the subnet's key and canister ranges. */
  readonly certificate: Uint8Array;
}

/** `d9 d9 f7 · {tree, signature[, delegation]}` with a signature made elsewhere (over `reconstruct(tree)`). */
export function encodeCertificate(
  tree: HashTree,
  signature: Uint8Array,
  delegation?: CertificateDelegation,
): Uint8Array {
  const w = new CborWriter(1024).tag(SELF_DESCRIBE_TAG).mapHeader(delegation ? 3 : 2);
  writeHashTree(w.text('tree'), tree);
  w.text('signature').bytes(signature);
  if (delegation) {
    w.text('delegation').value({ subnet_id: delegation.subnetId, certificate: delegation.certificate });
  }
  return w.finish();
}

/** A nested description of a state tree: a leaf value, or labels mapping to subtrees. */
export type StateTree = Uint8Array | ReadonlyMap<string | Uint8Array, StateTree>;

/** Builds a full, well-formed hash tree: labels sorted as bytes, each forest a balanced fork tree. */
export function stateTree(spec: StateTree): HashTree {
  if (spec instanceof Uint8Array) return leaf(spec);
  const children = [...spec.entries()]
    .map(([k, v]) => [typeof k === 'string' ? utf8(k) : k, v] as const)
    .sort((a, b) => compareBytes(a[0], b[0]))
    .map(([k, v]) => labeled(k, stateTree(v)));
  const forest = (lo: number, hi: number): HashTree => {
    if (hi - lo === 0) return [0];
    if (hi - lo === 1) return children[lo]!;
    const mid = (lo + hi) >> 1;
    return fork(forest(lo, mid), forest(mid, hi));
  };
  return forest(0, children.length);
}

/** `/time` as the IC encodes it: LEB128 nanoseconds. */
export function encodeTime(timeNs: bigint): Uint8Array {
  return leb128(timeNs);
}

/** The tree of a data certificate: `/canister/<id>/certified_data` and `/time`. */
export function dataCertificateTree(
  canisterId: Uint8Array,
  certifiedData: Uint8Array,
  timeNs: bigint,
): HashTree {
  return stateTree(
    new Map<string | Uint8Array, StateTree>([
      ['canister', new Map([[canisterId, new Map([['certified_data', certifiedData]])]])],
      ['time', encodeTime(timeNs)],
    ]),
  );
}

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
    this.secretKey = secretKey ?? bls.keygen().secretKey;
    this.publicKey = blsPublicKey(this.secretKey);
    this.rootKey = blsPublicKeyDer(this.publicKey);
  }

  /**
   * CBOR certificate `55799({tree, signature})` over `tree`. Signatures are cached by root hash: witnesses of one
   * tree (pruned differently) share its root, so certifying many of them costs one BLS signature.
   */
  certify(tree: HashTree): Uint8Array {
    const root = reconstruct(tree);
    const key = toHex(root);
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
    return this.signatures.has(toHex(root));
  }

  /** Caches a signature over `root` made elsewhere (e.g. in a worker thread with this key). */
  rememberSignature(root: Uint8Array, signature: Uint8Array): void {
    if (this.signatures.size >= 256) this.signatures.clear();
    this.signatures.set(toHex(root), signature);
  }

  /** Data certificate for `ic0.data_certificate_copy`, cached per (canister, data, time). */
  dataCertificate(canisterId: Uint8Array, certifiedData: Uint8Array, time: bigint): Uint8Array {
    const key = `${toHex(canisterId)}/${toHex(certifiedData)}/${time}`;
    let cert = this.cache.get(key);
    if (!cert) {
      if (this.cache.size >= 256) this.cache.clear();
      cert = this.certify(dataCertificateTree(canisterId, certifiedData, time));
      this.cache.set(key, cert);
    }
    return cert;
  }
}

/**
 * Building IC certificates with our own BLS key, for tests and the local `ic0` host (which plays the subnet).
 * IC interface spec "Certification": a certificate is the CBOR map `{tree, signature[, delegation]}`
 * (tag 55799); `signature` is BLS12-381 min-sig (signature in G1, 48 bytes compressed; key in G2, 96 bytes) over
 * `0x0D · "ic-state-root" · reconstruct(tree)`, with the hash-to-curve DST
 * `BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_`; keys travel as DER with the 37-byte prefix below.
 * "Delegation": `{subnet_id, certificate}` where the inner certificate, signed by the root key, holds
 * `/subnet/<id>/public_key` and `/subnet/<id>/canister_ranges`.
 *
 * Pure (@noble/curves only): usable in Node, browsers and QuickJS, but BLS signing is slow in an interpreter,
 * so this is not meant for the canister itself.
 */
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { hex } from '@scure/base';
import { CborWriter, encodeCbor, SELF_DESCRIBE_TAG } from './cbor.ts';
import { leb128 } from './delegation.ts';
import { compareBytes, fork, type HashTree, labeled, leaf, reconstruct, writeHashTree } from './hash-tree.ts';

/** DER prefix of an IC BLS public key (OIDs 1.3.6.1.4.1.44668.5.3.1.2.1 and 1.3.6.1.4.1.44668.5.3.2.1). */
export const BLS_KEY_DER_PREFIX = hex.decode(
  '308182301d060d2b0601040182dc7c0503010201060c2b0601040182dc7c05030201036100',
);

/** `0x0D · "ic-state-root"`. */
export const STATE_ROOT_DOMAIN_SEPARATOR = Uint8Array.of(13, ...new TextEncoder().encode('ic-state-root'));

const bls = bls12_381.shortSignatures;

/** A BLS secret key (32 bytes) derived deterministically from 48 bytes of seed material. */
export function blsSecretKeyFromSeed(seed48: Uint8Array): Uint8Array {
  return bls.keygen(seed48).secretKey;
}

/** The 96-byte compressed G2 public key. */
export function blsPublicKey(secretKey: Uint8Array): Uint8Array {
  return bls.getPublicKey(secretKey).toBytes(true);
}

/** The DER form the IC uses for root and subnet keys (`IC_ROOT_KEY` shape). */
export function blsPublicKeyDer(publicKey96: Uint8Array): Uint8Array {
  if (publicKey96.length !== 96) throw new RangeError('BLS12-381 G2 public keys are 96 bytes');
  const out = new Uint8Array(BLS_KEY_DER_PREFIX.length + 96);
  out.set(BLS_KEY_DER_PREFIX);
  out.set(publicKey96, BLS_KEY_DER_PREFIX.length);
  return out;
}

/** 48-byte signature over `0x0D · "ic-state-root" · rootHash`. */
export function signStateRoot(secretKey: Uint8Array, rootHash: Uint8Array): Uint8Array {
  const msg = new Uint8Array(STATE_ROOT_DOMAIN_SEPARATOR.length + rootHash.length);
  msg.set(STATE_ROOT_DOMAIN_SEPARATOR);
  msg.set(rootHash, STATE_ROOT_DOMAIN_SEPARATOR.length);
  return bls.sign(bls.hash(msg), secretKey).toBytes(true);
}

export interface CertificateDelegation {
  readonly subnetId: Uint8Array;
  /** A certificate signed by the root key showing the subnet's key and canister ranges. */
  readonly certificate: Uint8Array;
}

/** `d9 d9 f7 · {tree, signature[, delegation: {subnet_id, certificate}]}`, signed with `secretKey`. */
export function buildCertificate(
  tree: HashTree,
  secretKey: Uint8Array,
  delegation?: CertificateDelegation,
): Uint8Array {
  return encodeCertificate(tree, signStateRoot(secretKey, reconstruct(tree)), delegation);
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
  const enc = new TextEncoder();
  const children = [...spec.entries()]
    .map(([k, v]) => [typeof k === 'string' ? enc.encode(k) : k, v] as const)
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

/**
 * The tree of a subnet delegation certificate: `/subnet/<id>/public_key`, `/subnet/<id>/canister_ranges`
 * (CBOR array of `[first, last]` principal byte pairs, inclusive) and `/time`.
 */
export function subnetDelegationTree(
  subnetId: Uint8Array,
  subnetPublicKeyDer: Uint8Array,
  canisterRanges: ReadonlyArray<readonly [Uint8Array, Uint8Array]>,
  timeNs: bigint,
): HashTree {
  const ranges = encodeCbor(canisterRanges.map(([a, b]) => [a, b]));
  return stateTree(
    new Map<string | Uint8Array, StateTree>([
      [
        'subnet',
        new Map([
          [
            subnetId,
            new Map([
              ['canister_ranges', ranges],
              ['public_key', subnetPublicKeyDer],
            ]),
          ],
        ]),
      ],
      ['time', encodeTime(timeNs)],
    ]),
  );
}

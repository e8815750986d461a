/**
 * What only the identity tests build and check (IC interface spec "Certification", "Canister signatures"):
 * certificates signed with a seeded BLS key, with or without a subnet delegation, hash trees as standalone
 * CBOR and as their list of leaves, and the delegation form of the canister-signature check. The host's and the devnet's certificates are
 * src/host/certificate.ts; the off-chain check itself is src/identity/verify.ts.
 */
import { bls12_381 } from '@noble/curves/bls12-381.js';
import {
  type CertificateDelegation,
  encodeCertificate,
  encodeTime,
  type StateTree,
  signStateRoot,
  stateTree,
} from '../../src/host/certificate.ts';
import { CborWriter, decodeCbor, encodeCbor } from '../../src/identity/cbor.ts';
import { type DelegationFields, delegationSignaturePayload } from '../../src/identity/delegation.ts';
import { type HashTree, hashTreeFromCbor, reconstruct, writeHashTree } from '../../src/identity/hash-tree.ts';
import { type VerifyOptions, type VerifyResult, verifyCanisterSignature } from '../../src/identity/verify.ts';

/** A BLS secret key (32 bytes) derived deterministically from 48 bytes of seed material. */
export function blsSecretKeyFromSeed(seed48: Uint8Array): Uint8Array {
  return bls12_381.shortSignatures.keygen(seed48).secretKey;
}

/** `d9 d9 f7 · {tree, signature[, delegation: {subnet_id, certificate}]}`, signed with `secretKey`. */
export function buildCertificate(
  tree: HashTree,
  secretKey: Uint8Array,
  delegation?: CertificateDelegation,
): Uint8Array {
  return encodeCertificate(tree, signStateRoot(secretKey, reconstruct(tree)), delegation);
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
  const subnet = new Map<string, StateTree>([
    ['canister_ranges', ranges],
    ['public_key', subnetPublicKeyDer],
  ]);
  return stateTree(
    new Map<string | Uint8Array, StateTree>([
      ['subnet', new Map([[subnetId, subnet]])],
      ['time', encodeTime(timeNs)],
    ]),
  );
}

export function encodeHashTree(t: HashTree): Uint8Array {
  return writeHashTree(new CborWriter(), t).finish();
}

/** Decodes a CBOR hash tree (tag 55799 allowed); null if it is not one. */
export function decodeHashTree(bytes: Uint8Array): HashTree | null {
  try {
    return hashTreeFromCbor(decodeCbor(bytes));
  } catch {
    return null;
  }
}

/** All root-to-leaf label paths of a tree with their leaf values (pruned parts contribute nothing). */
export function leafPaths(t: HashTree, prefix: Uint8Array[] = []): Array<[Uint8Array[], Uint8Array]> {
  switch (t[0]) {
    case 0:
    case 4:
      return [];
    case 1:
      return [...leafPaths(t[1], prefix), ...leafPaths(t[2], prefix)];
    case 2:
      return leafPaths(t[2], [...prefix, t[1]]);
    case 3:
      return [[prefix, t[1]]];
  }
}

/** Verifies a canister signature on a delegation (`0x1A·"ic-request-auth-delegation"·RIH(delegation)`). */
export function verifyDelegationSignature(
  publicKeyDer: Uint8Array,
  delegation: DelegationFields,
  signature: Uint8Array,
  options: VerifyOptions,
): Promise<VerifyResult> {
  return verifyCanisterSignature(publicKeyDer, delegationSignaturePayload(delegation), signature, options);
}

/**
 * Canister signatures (IC interface spec "Canister signatures"): the signature is the CBOR map
 * `{certificate: blob, tree: hash-tree}` with the self-describe tag 55799, where `certificate` is the system's
 * data certificate (`ic0.data_certificate_copy`, passed through unchanged) and `tree` a witness reconstructing
 * to the canister's certified data.
 *
 * Pure: runs in the canister (QuickJS). The field order matches what II (serde_cbor) writes; decoders (the
 * off-chain one is verify.ts) do not depend on it.
 */
import { sha256 } from '../crypto/sha256.ts';
import { CborWriter, SELF_DESCRIBE_TAG } from './cbor.ts';
import { type DelegationFields, delegationMessageHash } from './delegation.ts';
import { type HashTree, writeHashTree } from './hash-tree.ts';
import type { SignatureMap } from './signature-map.ts';

/** `d9 d9 f7 · {"certificate": bytes, "tree": tree}`. */
export function encodeCanisterSignature(certificate: Uint8Array, tree: HashTree): Uint8Array {
  const w = new CborWriter(certificate.length + 512);
  w.tag(SELF_DESCRIBE_TAG).mapHeader(2).text('certificate').bytes(certificate).text('tree');
  return writeHashTree(w, tree).finish();
}

/**
 * `get_delegation`'s signature: the witness for `(SHA-256(seed), SHA-256(payload(delegation)))` from `map`
 * wrapped with the certificate. Undefined when the map has no such signature (`no_such_delegation`).
 * Costs two short SHA-256 calls plus the RIH; the witness itself needs no hashing.
 */
export function delegationSignatureCbor(
  map: SignatureMap,
  certificate: Uint8Array,
  seed: Uint8Array,
  delegation: DelegationFields,
): Uint8Array | undefined {
  const witness = map.witness(sha256(seed), delegationMessageHash(delegation));
  return witness && encodeCanisterSignature(certificate, witness);
}

/**
 * Canister-signature verifier for Node and browsers (not the canister: it uses @icp-sdk/core for the
 * certificate). The devnet checks requests signed under a canister-signature key with it
 * (src/devnet/signature-schemes.ts), and the tests check the canister's delegations.
 * IC interface spec "Canister signatures": a signature `{certificate, tree}` for public key
 * `DER(|cid|·cid·seed)` and message `m` is valid iff
 *
 * 1. `certificate` is a valid certificate ("Certification": BLS over `0x0D·"ic-state-root"·reconstruct(tree)`
 *    with the root key, or with a subnet key from a delegation whose `canister_ranges` contain `cid`);
 * 2. `lookup_path(["canister", cid, "certified_data"], certificate.tree) = Found(reconstruct(tree))`;
 * 3. `tree` is well formed and `lookup_path(["sig", SHA-256(seed), SHA-256(m)], tree) = Found("")`.
 *
 * The spec puts no freshness requirement on the certificate time (the delegation's `expiration` bounds
 * validity), so time checks are off unless asked for.
 */
import {
  AgentError,
  Certificate,
  CertificateNotAuthorizedErrorCode,
  CertificateTimeErrorCode,
} from '@icp-sdk/core/agent';
import { Principal } from '@icp-sdk/core/principal';
import { sha256 } from '../crypto/sha256.ts';
import { bytesEqual } from '../encoding/bytes.ts';
import { type CborDecoded, decodeCbor, isCborMap } from './cbor.ts';
import { parseCanisterSigPublicKeyDer } from './delegation.ts';
import { type HashTree, hashTreeFromCbor, isWellFormed, lookupPath, reconstruct } from './hash-tree.ts';

export type VerifyFailureReason =
  /** The certificate does not verify: BLS signature, root key, delegation, encoding, or (if enabled) time. */
  | 'BadCertificate'
  /** The certificate has no `certified_data` for the canister, or it differs from the signature tree's root. */
  | 'CertifiedDataMismatch'
  /** The tree does not contain `["sig", H(seed), H(msg)] = ""` (absent, pruned, or another value). */
  | 'SignatureNotInTree'
  /** The signature is not CBOR `{certificate: bytes, tree}` with a well-formed hash tree. */
  | 'MalformedSignature'
  /** The public key is not a canister-signature DER key. */
  | 'MalformedKey'
  /** The key's canister is not the expected one, or the certificate's subnet is not authorised for it. */
  | 'CanisterMismatch';

export type VerifyResult =
  | { readonly ok: true; readonly canisterId: Uint8Array; readonly seed: Uint8Array }
  | { readonly ok: false; readonly reason: VerifyFailureReason; readonly detail: string };

/** Outcome of checking a certificate for a canister: its (verified) state tree, or why not. */
export type CertificateCheck =
  | { readonly ok: true; readonly tree: HashTree }
  | { readonly ok: false; readonly reason: 'BadCertificate' | 'CanisterMismatch'; readonly detail: string };

/** A trusted certificate check, e.g. {@link icCertificateVerifier} or a test double. */
export type CertificateVerifier = (
  certificate: Uint8Array,
  canisterId: Uint8Array,
) => Promise<CertificateCheck>;

export interface IcCertificateVerifierOptions {
  /**
   * Reject certificates older than this many minutes (against `Date.now()`), and more than 5 minutes in the
   * future. Default: no time check, as the spec requires none for canister signatures.
   */
  readonly maxCertificateAgeMinutes?: number;
}

const describe = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * Checks certificates with @icp-sdk/core `Certificate.create` (BLS via @noble/curves, at most one subnet
 * delegation, `canister_ranges` of the delegated subnet must contain the canister), then reads the tree with
 * our strict decoder so that lookups use this module's spec-exact `lookupPath`.
 */
export function icCertificateVerifier(
  rootKeyDer: Uint8Array,
  options: IcCertificateVerifierOptions = {},
): CertificateVerifier {
  return async (certificate, canisterId) => {
    try {
      await Certificate.create({
        certificate,
        rootKey: rootKeyDer,
        principal: { canisterId: Principal.fromUint8Array(canisterId) },
        ...(options.maxCertificateAgeMinutes === undefined
          ? { disableTimeVerification: true }
          : { maxAgeInMinutes: options.maxCertificateAgeMinutes }),
      });
    } catch (e) {
      if (e instanceof AgentError && e.code instanceof CertificateNotAuthorizedErrorCode) {
        return { ok: false, reason: 'CanisterMismatch', detail: describe(e) };
      }
      if (e instanceof AgentError && e.code instanceof CertificateTimeErrorCode) {
        return { ok: false, reason: 'BadCertificate', detail: `certificate time: ${describe(e)}` };
      }
      return { ok: false, reason: 'BadCertificate', detail: describe(e) };
    }
    try {
      const decoded = decodeCbor(certificate);
      const tree = isCborMap(decoded) && decoded.tree !== undefined ? hashTreeFromCbor(decoded.tree) : null;
      if (!tree) return { ok: false, reason: 'BadCertificate', detail: 'certificate has no valid tree' };
      return { ok: true, tree };
    } catch (e) {
      return { ok: false, reason: 'BadCertificate', detail: `certificate CBOR: ${describe(e)}` };
    }
  };
}

export interface VerifyOptions {
  /** DER root key (mainnet: `IC_ROOT_KEY`); used unless `verifyCertificate` is given. */
  readonly rootKey?: Uint8Array;
  /** A trusted certificate check replacing the default {@link icCertificateVerifier}. */
  readonly verifyCertificate?: CertificateVerifier;
  /** Require the key to belong to this canister (raw principal bytes). */
  readonly expectedCanisterId?: Uint8Array;
  /** Passed to the default verifier. */
  readonly maxCertificateAgeMinutes?: number;
}

const fail = (reason: VerifyFailureReason, detail: string): VerifyResult => ({ ok: false, reason, detail });

export interface CanisterSignature {
  readonly certificate: Uint8Array;
  readonly tree: HashTree;
}

/**
 * Parses a signature; null if it is not a map with a byte-string `certificate` and a valid hash tree `tree`.
 * Other fields are ignored, as the IC's decoder does.
 */
export function decodeCanisterSignature(bytes: Uint8Array): CanisterSignature | null {
  let v: CborDecoded;
  try {
    v = decodeCbor(bytes);
  } catch {
    return null;
  }
  if (!isCborMap(v)) return null;
  const certificate = v.certificate;
  const treeValue = v.tree;
  if (!(certificate instanceof Uint8Array) || treeValue === undefined) return null;
  const tree = hashTreeFromCbor(treeValue);
  return tree ? { certificate, tree } : null;
}

/** Verifies a canister signature over `message` (the full signed bytes, not their hash). */
export async function verifyCanisterSignature(
  publicKeyDer: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
  options: VerifyOptions,
): Promise<VerifyResult> {
  const key = parseCanisterSigPublicKeyDer(publicKeyDer);
  if (!key) return fail('MalformedKey', 'not a canister-signature public key (OID 1.3.6.1.4.1.56387.1.2)');
  if (options.expectedCanisterId && !bytesEqual(options.expectedCanisterId, key.canisterId)) {
    return fail('CanisterMismatch', 'the key belongs to another canister');
  }

  const sig = decodeCanisterSignature(signature);
  if (!sig) return fail('MalformedSignature', 'not CBOR {certificate: bytes, tree: hash tree}');
  if (!isWellFormed(sig.tree)) return fail('MalformedSignature', 'signature tree is not well formed');

  const verifier =
    options.verifyCertificate ??
    (options.rootKey
      ? icCertificateVerifier(options.rootKey, { maxCertificateAgeMinutes: options.maxCertificateAgeMinutes })
      : undefined);
  if (!verifier) throw new TypeError('verifyCanisterSignature needs rootKey or verifyCertificate');
  const cert = await verifier(sig.certificate, key.canisterId);
  if (!cert.ok) return fail(cert.reason, cert.detail);

  const certified = lookupPath(['canister', key.canisterId, 'certified_data'], cert.tree);
  if (certified.status !== 'found') {
    return fail(
      'CertifiedDataMismatch',
      `certificate has no certified_data for the canister (${certified.status})`,
    );
  }
  if (!bytesEqual(certified.value, reconstruct(sig.tree))) {
    return fail('CertifiedDataMismatch', 'certified_data differs from the signature tree root');
  }

  const found = lookupPath(['sig', sha256(key.seed), sha256(message)], sig.tree);
  if (found.status !== 'found') return fail('SignatureNotInTree', `sig path is ${found.status}`);
  if (found.value.length !== 0) return fail('SignatureNotInTree', 'sig path holds a non-empty value');
  return { ok: true, canisterId: key.canisterId, seed: key.seed };
}

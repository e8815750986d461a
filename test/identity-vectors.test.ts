/**
 * Third-party canister-signature vectors (test-vectors/identity/): dfinity/ic's ICCSA STABILITY_1 (a real
 * canister signature over a delegation, with the test root key of its certificate) and the
 * ic-canister-sig-creation public-key encoding test. IC interface spec "Canister signatures".
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IC_REQUEST_AUTH_DELEGATION_DOMAIN_SEPARATOR, IC_ROOT_KEY, requestIdOf } from '@icp-sdk/core/agent';
import { Principal } from '@icp-sdk/core/principal';
import { sha256 } from '@noble/hashes/sha2.js';
import { hex } from '@scure/base';
import { describe, expect, it } from 'vitest';
import { encodeCanisterSignature } from '../src/identity/canister-sig.ts';
import {
  canisterSigPublicKeyDer,
  type DelegationFields,
  delegationMessageHash,
  delegationSignaturePayload,
  parseCanisterSigPublicKeyDer,
  selfAuthenticatingPrincipal,
} from '../src/identity/delegation.ts';
import { isWellFormed, lookupPath, reconstruct } from '../src/identity/hash-tree.ts';
import {
  decodeCanisterSignature,
  type VerifyOptions,
  verifyCanisterSignature,
} from '../src/identity/verify.ts';
import { verifyDelegationSignature } from './helpers/ic-certificates.ts';
import { principalFromText, principalToText } from './helpers/principal-text.ts';
import { VECTORS } from './helpers/vectors.ts';

const DIR = join(VECTORS, 'identity');
const load = (name: string) => JSON.parse(readFileSync(join(DIR, name), 'utf8'));

const stability = load('canister-sig-iccsa-stability-1.json') as {
  canister_id: string;
  seed_hex: string;
  delegation_pubkey_utf8: string;
  delegation_expiration_ns: string;
  delegation_targets: null;
  canister_sig_public_key_der_hex: string;
  root_key_der_hex: string;
  signature_cbor_hex: string;
};
const pkVector = load('canister-sig-public-key.json') as {
  canister_id: string;
  seed_hex: string;
  public_key_der_hex: string;
};

const keyDer = hex.decode(stability.canister_sig_public_key_der_hex);
const rootKey = hex.decode(stability.root_key_der_hex);
const signature = hex.decode(stability.signature_cbor_hex);
const delegation: DelegationFields = {
  pubkey: new TextEncoder().encode(stability.delegation_pubkey_utf8),
  expiration: BigInt(stability.delegation_expiration_ns),
};
const options: VerifyOptions = { rootKey };
/** @icp-sdk/core exports the mainnet root key as a hex string. */
const mainnetRootKey = hex.decode(IC_ROOT_KEY);

describe('canister-signature public key encoding (ic-canister-sig-creation test)', () => {
  it('encodes, parses back, and names the same principal as @icp-sdk/core', () => {
    const cid = principalFromText(pkVector.canister_id);
    expect(principalToText(cid)).toBe(pkVector.canister_id);
    expect(hex.encode(cid)).toBe(hex.encode(Principal.fromText(pkVector.canister_id).toUint8Array()));
    const der = canisterSigPublicKeyDer(cid, hex.decode(pkVector.seed_hex));
    expect(hex.encode(der)).toBe(pkVector.public_key_der_hex);
    const parsed = parseCanisterSigPublicKeyDer(der)!;
    expect(principalToText(parsed.canisterId)).toBe(pkVector.canister_id);
    expect(hex.encode(parsed.seed)).toBe(pkVector.seed_hex);
    expect(principalToText(selfAuthenticatingPrincipal(der))).toBe(
      Principal.selfAuthenticating(der).toText(),
    );
  });

  it('STABILITY_1 key is DER(qoctq-giaaa-aaaaa-aaaea-cai, "10000")', () => {
    const cid = principalFromText(stability.canister_id);
    expect(hex.encode(canisterSigPublicKeyDer(cid, hex.decode(stability.seed_hex)))).toBe(
      stability.canister_sig_public_key_der_hex,
    );
  });
});

describe('ICCSA STABILITY_1', () => {
  it('has a well-formed tree revealing ["sig", H(seed), H(payload)] and matching @icp-sdk/core RIH', () => {
    const sig = decodeCanisterSignature(signature)!;
    expect(sig).not.toBeNull();
    expect(isWellFormed(sig.tree)).toBe(true);
    const agentPayload = new Uint8Array([
      ...IC_REQUEST_AUTH_DELEGATION_DOMAIN_SEPARATOR,
      ...requestIdOf({ pubkey: delegation.pubkey, expiration: delegation.expiration }),
    ]);
    expect(hex.encode(delegationSignaturePayload(delegation))).toBe(hex.encode(agentPayload));
    expect(hex.encode(delegationMessageHash(delegation))).toBe(hex.encode(sha256(agentPayload)));
    const path = ['sig', sha256(hex.decode(stability.seed_hex)), delegationMessageHash(delegation)];
    expect(lookupPath(path, sig.tree)).toEqual({ status: 'found', value: new Uint8Array(0) });
    // Re-encoding the decoded parts gives back the exact bytes II (serde_cbor) produced.
    expect(hex.encode(encodeCanisterSignature(sig.certificate, sig.tree))).toBe(stability.signature_cbor_hex);
    expect(reconstruct(sig.tree)).toHaveLength(32);
  });

  it('verifies with the test root key', async () => {
    const r = await verifyDelegationSignature(keyDer, delegation, signature, options);
    expect(r).toMatchObject({ ok: true, seed: hex.decode(stability.seed_hex) });
    expect(
      await verifyDelegationSignature(keyDer, delegation, signature, {
        ...options,
        expectedCanisterId: principalFromText(stability.canister_id),
      }),
    ).toMatchObject({ ok: true });
  });

  it('expiration + 1 → SignatureNotInTree', async () => {
    const r = await verifyDelegationSignature(
      keyDer,
      { ...delegation, expiration: delegation.expiration + 1n },
      signature,
      options,
    );
    expect(r).toMatchObject({ ok: false, reason: 'SignatureNotInTree' });
  });

  it('other delegation fields → SignatureNotInTree (pubkey, targets: [] vs absent)', async () => {
    for (const d of [
      { ...delegation, pubkey: new TextEncoder().encode('MY PUBLIC KEY!') },
      { ...delegation, targets: [] },
    ]) {
      expect(await verifyDelegationSignature(keyDer, d, signature, options)).toMatchObject({
        ok: false,
        reason: 'SignatureNotInTree',
      });
    }
  });

  it('another root key → BadCertificate (mainnet key, one flipped key byte, garbage)', async () => {
    expect(IC_ROOT_KEY).toMatch(
      /^308182301d060d2b0601040182dc7c0503010201060c2b0601040182dc7c05030201036100814c0e6e/,
    );
    const flipped = rootKey.slice();
    flipped[flipped.length - 1]! ^= 1;
    for (const key of [mainnetRootKey, flipped, rootKey.subarray(0, 50)]) {
      const r = await verifyDelegationSignature(keyDer, delegation, signature, { rootKey: key });
      expect(r).toMatchObject({ ok: false, reason: 'BadCertificate' });
    }
  });

  it('another seed → SignatureNotInTree (same canister, so the certificate still matches)', async () => {
    const cid = principalFromText(stability.canister_id);
    for (const seed of ['10001', '1000', '100000', '']) {
      const der = canisterSigPublicKeyDer(cid, new TextEncoder().encode(seed));
      expect(await verifyDelegationSignature(der, delegation, signature, options)).toMatchObject({
        ok: false,
        reason: 'SignatureNotInTree',
      });
    }
  });

  it('another canister → CertifiedDataMismatch, or CanisterMismatch when one is expected', async () => {
    const other = principalFromText('rwlgt-iiaaa-aaaaa-aaaaa-cai');
    const der = canisterSigPublicKeyDer(other, hex.decode(stability.seed_hex));
    expect(await verifyDelegationSignature(der, delegation, signature, options)).toMatchObject({
      ok: false,
      reason: 'CertifiedDataMismatch',
    });
    expect(
      await verifyDelegationSignature(keyDer, delegation, signature, {
        ...options,
        expectedCanisterId: other,
      }),
    ).toMatchObject({ ok: false, reason: 'CanisterMismatch' });
  });

  it('one changed signature byte → the reason for the part it lands in', async () => {
    const sig = decodeCanisterSignature(signature)!;
    const certAt = indexOf(signature, sig.certificate);
    const blsAt = certAt + sig.certificate.length - 48; // the certificate ends with its 48-byte BLS signature
    const treeAt = certAt + sig.certificate.length + 5; // after `64 "tree"`
    const cases: Array<[number, string]> = [
      [0, 'MalformedSignature'], // the d9 d9 f7 tag becomes another tag
      [3, 'MalformedSignature'], // map of 2 → map of 3
      [blsAt + 10, 'BadCertificate'],
      [certAt + 60, 'BadCertificate'], // inside the certificate's tree: the BLS signature no longer matches
      [signature.length - 40, 'CertifiedDataMismatch'], // a pruned hash in the witness
      [signature.length - 1, 'MalformedSignature'], // leaf 40 (empty bytes) → 41 (truncated)
      [treeAt, 'MalformedSignature'],
    ];
    for (const [at, reason] of cases) {
      const bad = signature.slice();
      bad[at]! ^= 1;
      const r = await verifyDelegationSignature(keyDer, delegation, bad, options);
      expect({ at, r }).toMatchObject({ at, r: { ok: false, reason } });
    }
  });

  it('no single flipped bit anywhere in the signature verifies', async () => {
    const reasons = new Set<string>();
    for (let at = 0; at < signature.length; at++) {
      const bad = signature.slice();
      bad[at]! ^= 0x01;
      const r = await verifyDelegationSignature(keyDer, delegation, bad, options);
      expect(r.ok, `byte ${at}`).toBe(false);
      if (!r.ok) reasons.add(r.reason);
    }
    // Every witness byte feeds reconstruct(tree), so a flip there is caught as CertifiedDataMismatch before
    // the path lookup; SignatureNotInTree needs a tree that still matches (other message, seed, expiration).
    expect([...reasons].sort()).toEqual(['BadCertificate', 'CertifiedDataMismatch', 'MalformedSignature']);
  }, 120_000);

  it('truncated or extended signatures and malformed keys are rejected without throwing', async () => {
    for (const bad of [
      signature.subarray(0, signature.length - 1),
      new Uint8Array([...signature, 0]),
      new Uint8Array(),
    ]) {
      expect(await verifyDelegationSignature(keyDer, delegation, bad, options)).toMatchObject({
        ok: false,
        reason: 'MalformedSignature',
      });
    }
    const wrongOid = keyDer.slice();
    wrongOid[13]! ^= 1;
    for (const key of [
      wrongOid,
      keyDer.subarray(0, keyDer.length - 1),
      new Uint8Array([...keyDer, 0]),
      mainnetRootKey,
    ]) {
      expect(await verifyDelegationSignature(key, delegation, signature, options)).toMatchObject({
        ok: false,
        reason: 'MalformedKey',
      });
    }
  });

  it('certificate time: none by default (the spec sets no freshness), BadCertificate when a max age is asked', async () => {
    const r = await verifyCanisterSignature(keyDer, delegationSignaturePayload(delegation), signature, {
      ...options,
      maxCertificateAgeMinutes: 5,
    });
    expect(r).toMatchObject({ ok: false, reason: 'BadCertificate' });
  });
});

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

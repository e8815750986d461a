// Checking a signature under any public key the IC accepts for requests and delegations (IC interface
// specification, "Signatures": "Ed25519 and ECDSA signatures", "Web Authentication", "Canister signatures").
//
// - Ed25519 (RFC 8410 DER) and ECDSA on P-256 or secp256k1 (RFC 5480 DER, uncompressed point) with SHA-256;
//   the signature is r ‖ s, 64 bytes.
// - WebAuthn: a COSE key (RFC 9052 §7; EC2 P-256 with ES256, RSA with RS256 (RFC 8230 §4), OKP Ed25519 with
//   EdDSA) wrapped in DER under OID 1.3.6.1.4.1.56387.1.1. The signature is CBOR `{authenticator_data,
//   client_data_json, signature}`; `client_data_json` must be a `webauthn.get` assertion whose `challenge` is
//   base64url(message), and `signature` covers `authenticator_data ‖ SHA-256(client_data_json)` (WebAuthn
//   Level 2 §7.2, steps 11, 12, 19 and 20).
// - Canister signatures (OID 1.3.6.1.4.1.56387.1.2), checked by src/identity/verify.ts against the host's
//   root key.
//
// Node only: the plain schemes and WebAuthn use node:crypto, which is far faster than a pure implementation,
// and the imported KeyObjects are kept in a small bounded cache. A malformed key or signature is a typed
// failure, never an exception.

import { createPublicKey, type JsonWebKey, type KeyObject, verify } from 'node:crypto';
import { base64urlnopad } from '@scure/base';
import { sha256 } from '../crypto/sha256.ts';
import { concatBytes, toHex, utf8 } from '../encoding/bytes.ts';
import { decodeCbor, isCborMap } from '../identity/cbor.ts';
import {
  parseCanisterSigPublicKeyDer,
  unwrapDerPublicKey,
  WEBAUTHN_ALGORITHM_ID,
} from '../identity/delegation.ts';
import { sessionKeyKind } from '../identity/session-key.ts';
import { type VerifyFailureReason, verifyCanisterSignature } from '../identity/verify.ts';

export type SignatureScheme = 'ed25519' | 'p256' | 'secp256k1' | 'webauthn' | 'canister';

export interface SignatureContext {
  /** DER BLS root key of the host: canister signatures are certified under it. */
  readonly rootKey: Uint8Array;
}

export type SignatureCheck =
  | { readonly ok: true; readonly scheme: SignatureScheme }
  | {
      readonly ok: false;
      /** `UnsupportedKey`: not a key of any scheme above, or not a valid one. */
      readonly reason: 'UnsupportedKey' | 'BadSignature';
      readonly detail: string;
    };

/** "Ed25519 and ECDSA signatures": r ‖ s, or R ‖ S for Ed25519, 32 bytes each. */
const PLAIN_SIGNATURE_BYTES = 64;

// COSE labels and values (RFC 9052 §7.1, RFC 9053 §2.1, §2.2 and §7, RFC 8230 §4).
const COSE_KTY = 1;
const COSE_ALG = 3;
const COSE_CRV = -1; // EC2 and OKP
const COSE_X = -2; // EC2 and OKP
const COSE_Y = -3; // EC2
const COSE_RSA_N = -1;
const COSE_RSA_E = -2;
const KTY_OKP = 1;
const KTY_EC2 = 2;
const KTY_RSA = 3;
const ALG_ES256 = -7;
const ALG_EDDSA = -8;
const ALG_RS256 = -257;
const CRV_P256 = 1;
const CRV_ED25519 = 6;
/** A COSE key has a handful of parameters; more is not a key we could use. */
const MAX_COSE_PARAMETERS = 16;
/** Bounds the cost of one RSA check; WebAuthn RSA keys (Windows Hello) are 2048 bits. */
const MAX_RSA_MODULUS_BYTES = 512;

type WebAuthnAlgorithm = 'es256' | 'rs256' | 'eddsa';

type PreparedKey =
  | { readonly scheme: 'ed25519' | 'p256' | 'secp256k1'; readonly key: KeyObject }
  | { readonly scheme: 'webauthn'; readonly algorithm: WebAuthnAlgorithm; readonly key: KeyObject };

/** Imported keys by DER hex. A session key signs many requests, so each is parsed and imported once. */
const keyCache = new Map<string, PreparedKey>();
const KEY_CACHE_SIZE = 256;

type CoseKey = ReadonlyMap<number, number | Uint8Array>;

/**
 * Reads a COSE_Key: one definite-length CBOR map of integer labels to integers or byte strings. The strict
 * reader in src/identity/cbor.ts refuses integer keys and negative integers by design, and a COSE key is
 * made of both, so this small reader covers exactly that grammar. Null on anything else or trailing bytes.
 */
function readCoseKey(bytes: Uint8Array): CoseKey | null {
  let pos = 0;
  /** Major type and argument of the next head; null when truncated or not a definite small argument. */
  const head = (): { major: number; arg: number } | null => {
    const ib = bytes[pos++];
    if (ib === undefined) return null;
    const info = ib & 0x1f;
    const width = info < 24 ? 0 : info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : -1;
    if (width < 0 || pos + width > bytes.length) return null;
    let arg = info < 24 ? info : 0;
    for (let i = 0; i < width; i++) arg = arg * 256 + bytes[pos++]!;
    return { major: ib >> 5, arg };
  };
  const integer = (h: { major: number; arg: number }): number | null =>
    h.major === 0 ? h.arg : h.major === 1 ? -1 - h.arg : null;

  const map = head();
  if (map?.major !== 5 || map.arg > MAX_COSE_PARAMETERS) return null;
  const out = new Map<number, number | Uint8Array>();
  for (let i = 0; i < map.arg; i++) {
    const keyHead = head();
    const label = keyHead ? integer(keyHead) : null;
    if (label === null || out.has(label)) return null;
    const valueHead = head();
    if (!valueHead) return null;
    if (valueHead.major === 2) {
      if (valueHead.arg > bytes.length - pos) return null;
      out.set(label, bytes.slice(pos, pos + valueHead.arg));
      pos += valueHead.arg;
      continue;
    }
    const value = integer(valueHead);
    if (value === null) return null;
    out.set(label, value);
  }
  return pos === bytes.length ? out : null;
}

const b64u = (b: Uint8Array): string => base64urlnopad.encode(b);

function blobOf(cose: CoseKey, label: number, length?: number): Uint8Array | null {
  const v = cose.get(label);
  return v instanceof Uint8Array && (length === undefined || v.length === length) ? v : null;
}

/** The JWK and algorithm of a COSE key the IC accepts for WebAuthn; null for any other. */
function webAuthnJwk(cose: CoseKey): { jwk: JsonWebKey; algorithm: WebAuthnAlgorithm } | null {
  const kty = cose.get(COSE_KTY);
  const alg = cose.get(COSE_ALG);
  if (kty === KTY_EC2 && alg === ALG_ES256 && cose.get(COSE_CRV) === CRV_P256) {
    const x = blobOf(cose, COSE_X, 32);
    const y = blobOf(cose, COSE_Y, 32);
    return x && y ? { jwk: { kty: 'EC', crv: 'P-256', x: b64u(x), y: b64u(y) }, algorithm: 'es256' } : null;
  }
  if (kty === KTY_RSA && alg === ALG_RS256) {
    const n = blobOf(cose, COSE_RSA_N);
    const e = blobOf(cose, COSE_RSA_E);
    if (!n || !e || n.length > MAX_RSA_MODULUS_BYTES) return null;
    return { jwk: { kty: 'RSA', n: b64u(n), e: b64u(e) }, algorithm: 'rs256' };
  }
  if (kty === KTY_OKP && alg === ALG_EDDSA && cose.get(COSE_CRV) === CRV_ED25519) {
    const x = blobOf(cose, COSE_X, 32);
    return x ? { jwk: { kty: 'OKP', crv: 'Ed25519', x: b64u(x) }, algorithm: 'eddsa' } : null;
  }
  return null;
}

const asBuffer = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

/** Parses and imports a plain or WebAuthn key; null when it is neither or Node refuses it (e.g. off-curve). */
function importKey(der: Uint8Array): PreparedKey | null {
  try {
    const plain = sessionKeyKind(der);
    if (plain) {
      return { scheme: plain, key: createPublicKey({ key: asBuffer(der), format: 'der', type: 'spki' }) };
    }
    const coseBytes = unwrapDerPublicKey(der, WEBAUTHN_ALGORITHM_ID);
    const cose = coseBytes && readCoseKey(coseBytes);
    const found = cose && webAuthnJwk(cose);
    if (!found) return null;
    return {
      scheme: 'webauthn',
      algorithm: found.algorithm,
      key: createPublicKey({ key: found.jwk, format: 'jwk' }),
    };
  } catch {
    return null;
  }
}

function preparedKey(der: Uint8Array): PreparedKey | null {
  const id = toHex(der);
  const hit = keyCache.get(id);
  if (hit) {
    // Most recently used last, so the oldest entry is the one evicted.
    keyCache.delete(id);
    keyCache.set(id, hit);
    return hit;
  }
  const key = importKey(der);
  if (!key) return null;
  if (keyCache.size >= KEY_CACHE_SIZE) keyCache.delete(keyCache.keys().next().value!);
  keyCache.set(id, key);
  return key;
}

/** Why a canister signature failed, in words (the verifier's own detail can carry a stack trace). */
const CANISTER_SIGNATURE_FAILURES: Readonly<Record<VerifyFailureReason, string>> = {
  BadCertificate: "the canister signature's certificate is not valid under the host's root key",
  CertifiedDataMismatch: "the canister signature's tree is not the canister's certified data",
  SignatureNotInTree: "the canister signature's tree does not hold a signature on this message",
  MalformedSignature: 'the canister signature is not CBOR {certificate, tree} with a well-formed tree',
  MalformedKey: 'the canister-signature public key is malformed',
  CanisterMismatch: "the canister signature's certificate is not authorised for the signing canister",
};

const BAD = (detail: string): SignatureCheck => ({ ok: false, reason: 'BadSignature', detail });

/** `crypto.verify`, with any exception (a signature Node cannot parse) counted as a mismatch. */
function nodeVerify(
  algorithm: 'sha256' | null,
  data: Uint8Array,
  key: KeyObject | { key: KeyObject; dsaEncoding: 'der' | 'ieee-p1363' },
  signature: Uint8Array,
): boolean {
  try {
    return verify(algorithm, data, key, signature);
  } catch {
    return false;
  }
}

function verifyPlain(
  key: PreparedKey & { scheme: 'ed25519' | 'p256' | 'secp256k1' },
  message: Uint8Array,
  signature: Uint8Array,
): SignatureCheck {
  if (signature.length !== PLAIN_SIGNATURE_BYTES) {
    return BAD(`a ${key.scheme} signature is ${PLAIN_SIGNATURE_BYTES} bytes, not ${signature.length}`);
  }
  const ok =
    key.scheme === 'ed25519'
      ? nodeVerify(null, message, key.key, signature)
      : nodeVerify('sha256', message, { key: key.key, dsaEncoding: 'ieee-p1363' }, signature);
  return ok ? { ok: true, scheme: key.scheme } : BAD(`the ${key.scheme} signature does not verify`);
}

/** The challenge and type a WebAuthn client put in clientDataJSON, if it is a JSON object. */
function clientData(json: string): { type?: unknown; challenge?: unknown } | null {
  try {
    const v: unknown = JSON.parse(json);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? v : null;
  } catch {
    return null;
  }
}

function verifyWebAuthn(
  key: PreparedKey & { scheme: 'webauthn' },
  message: Uint8Array,
  signature: Uint8Array,
): SignatureCheck {
  let sig: ReturnType<typeof decodeCbor>;
  try {
    sig = decodeCbor(signature);
  } catch {
    return BAD('the WebAuthn signature is not CBOR');
  }
  if (
    !isCborMap(sig) ||
    !(sig.authenticator_data instanceof Uint8Array) ||
    typeof sig.client_data_json !== 'string' ||
    !(sig.signature instanceof Uint8Array)
  ) {
    return BAD(
      'the WebAuthn signature is not a map {authenticator_data: blob, client_data_json: text, signature: blob}',
    );
  }
  const client = clientData(sig.client_data_json);
  if (!client) return BAD('client_data_json is not a JSON object');
  if (client.type !== 'webauthn.get') {
    return BAD(`client_data_json.type is ${JSON.stringify(client.type)}, not "webauthn.get"`);
  }
  if (client.challenge !== b64u(message)) {
    return BAD('client_data_json.challenge is not the base64url encoding of the signed message');
  }
  const signed = concatBytes(sig.authenticator_data, sha256(utf8(sig.client_data_json)));
  const ok =
    key.algorithm === 'es256'
      ? nodeVerify('sha256', signed, { key: key.key, dsaEncoding: 'der' }, sig.signature)
      : nodeVerify(key.algorithm === 'rs256' ? 'sha256' : null, signed, key.key, sig.signature);
  return ok
    ? { ok: true, scheme: 'webauthn' }
    : BAD(`the WebAuthn ${key.algorithm} signature does not verify`);
}

/**
 * Whether `signature` is valid for `message` (domain separator included) under `publicKeyDer`, for every
 * scheme the IC accepts. Never throws.
 */
export async function verifySignature(
  publicKeyDer: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
  ctx: SignatureContext,
): Promise<SignatureCheck> {
  if (parseCanisterSigPublicKeyDer(publicKeyDer)) {
    try {
      const result = await verifyCanisterSignature(publicKeyDer, message, signature, {
        rootKey: ctx.rootKey,
      });
      return result.ok ? { ok: true, scheme: 'canister' } : BAD(CANISTER_SIGNATURE_FAILURES[result.reason]);
    } catch {
      return BAD('the canister signature could not be read');
    }
  }
  const key = preparedKey(publicKeyDer);
  if (!key) {
    return {
      ok: false,
      reason: 'UnsupportedKey',
      detail:
        'the public key is not a valid Ed25519, ECDSA P-256, secp256k1, WebAuthn or canister-signature key',
    };
  }
  return key.scheme === 'webauthn'
    ? verifyWebAuthn(key, message, signature)
    : verifyPlain(key, message, signature);
}

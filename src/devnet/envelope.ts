// The request envelope a client POSTs to the devnet, and its request id (IC interface specification,
// "HTTPS interface" → "Request: Call", "Request: Query call", "Request: Read state" for the content fields,
// "Authentication" for the envelope and delegations, "Representation-independent hashing of structured data"
// and "Request ids"; "CBOR encoding of requests and responses" for the body: one CBOR item, tag 55799 optional).
//
// Only shapes are checked here: which fields exist and what type each has. Whether the request is genuine is
// authenticate.ts's job. The request id is the hash of the content map exactly as received: every present
// field is hashed, including ones this module does not know (the spec hashes "each field that is present",
// and says new optional fields may be added), so an unknown field is carried in the id and ignored otherwise.
// Inside a delegation the opposite holds: an unknown field may be a restriction we cannot honour, so it is
// refused. Unknown keys of the envelope itself carry no meaning and are not signed: they are ignored.

import { type CborDecoded, type CborMap, decodeCbor, isCborMap } from '../identity/cbor.ts';
import { type DelegationFields, MAX_PRINCIPAL_LENGTH, rihHashOfMap } from '../identity/delegation.ts';

/** "Authentication": `nonce` is "arbitrary user-provided data of length at most 32 bytes". */
export const MAX_NONCE_BYTES = 32;
/** "Request: Read state": at most 1000 paths per request… */
export const MAX_READ_STATE_PATHS = 1000;
/** …each of at most 127 labels. */
export const MAX_PATH_LABELS = 127;

/** `sender_info` of a call or query: hashed into the request id and passed on, never interpreted here. */
export interface SenderInfo {
  readonly info: Uint8Array;
  readonly signer: Uint8Array;
  readonly sig: Uint8Array;
}

interface CommonContent {
  readonly sender: Uint8Array;
  /** Nanoseconds since the epoch. */
  readonly ingress_expiry: bigint;
  readonly nonce?: Uint8Array;
}

export interface CallContent extends CommonContent {
  readonly request_type: 'call' | 'query';
  readonly canister_id: Uint8Array;
  readonly method_name: string;
  readonly arg: Uint8Array;
  readonly sender_info?: SenderInfo;
}

export interface ReadStateContent extends CommonContent {
  readonly request_type: 'read_state';
  readonly paths: Uint8Array[][];
}

export type RequestContent = CallContent | ReadStateContent;

/** One element of `sender_delegation`: the delegation map and the previous key's signature on it. */
export interface SignedDelegation {
  readonly delegation: DelegationFields;
  readonly signature: Uint8Array;
}

export interface Envelope {
  readonly content: RequestContent;
  readonly sender_pubkey?: Uint8Array;
  readonly sender_sig?: Uint8Array;
  readonly sender_delegation?: readonly SignedDelegation[];
}

export type EnvelopeErrorCode =
  /** The body is not one well-formed CBOR item of the kinds the IC uses. */
  | 'MalformedCbor'
  /** A field is missing, has the wrong type, or a delegation carries a field we do not know. */
  | 'MalformedEnvelope'
  /** `request_type` is none of call, query, read_state. */
  | 'WrongRequestType'
  | 'NonceTooLong'
  | 'TooManyPaths'
  | 'PathTooLong';

export interface EnvelopeRefusal {
  readonly ok: false;
  readonly code: EnvelopeErrorCode;
  readonly message: string;
}

export type EnvelopeResult =
  | { readonly ok: true; readonly envelope: Envelope; readonly requestId: Uint8Array }
  | EnvelopeRefusal;

const refuse = (code: EnvelopeErrorCode, message: string): EnvelopeRefusal => ({ ok: false, code, message });

function isRefusal(v: unknown): v is EnvelopeRefusal {
  return typeof v === 'object' && v !== null && (v as { ok?: unknown }).ok === false;
}

/** What a decoded value is, for messages. */
function kindOf(v: CborDecoded | undefined): string {
  if (v === undefined) return 'missing';
  if (typeof v === 'string') return 'a text string';
  if (typeof v === 'number' || typeof v === 'bigint') return 'a number';
  if (v instanceof Uint8Array) return 'a byte string';
  return Array.isArray(v) ? 'an array' : 'a map';
}

function wrongType(name: string, expected: string, v: CborDecoded | undefined): EnvelopeRefusal {
  return refuse(
    'MalformedEnvelope',
    `The request field ${name} must be ${expected}, but it is ${kindOf(v)}.`,
  );
}

function readBlob(v: CborDecoded | undefined, name: string): Uint8Array | EnvelopeRefusal {
  return v instanceof Uint8Array ? v : wrongType(name, 'a byte string', v);
}

/** Principals are byte strings of at most 29 bytes ("Principals"). */
function readPrincipal(v: CborDecoded | undefined, name: string): Uint8Array | EnvelopeRefusal {
  if (!(v instanceof Uint8Array)) return wrongType(name, 'a principal (a byte string)', v);
  if (v.length > MAX_PRINCIPAL_LENGTH) {
    return refuse(
      'MalformedEnvelope',
      `The request field ${name} is ${v.length} bytes long; a principal has at most ${MAX_PRINCIPAL_LENGTH}.`,
    );
  }
  return v;
}

function readText(v: CborDecoded | undefined, name: string): string | EnvelopeRefusal {
  return typeof v === 'string' ? v : wrongType(name, 'a text string', v);
}

function readNat(v: CborDecoded | undefined, name: string): bigint | EnvelopeRefusal {
  return typeof v === 'number' || typeof v === 'bigint' ? BigInt(v) : wrongType(name, 'a natural number', v);
}

function readMap(v: CborDecoded | undefined, name: string): CborMap | EnvelopeRefusal {
  return isCborMap(v) ? v : wrongType(name, 'a map', v);
}

function readArray(v: CborDecoded | undefined, name: string): readonly CborDecoded[] | EnvelopeRefusal {
  return Array.isArray(v) ? (v as readonly CborDecoded[]) : wrongType(name, 'an array', v);
}

function readNonce(v: CborDecoded | undefined): Uint8Array | undefined | EnvelopeRefusal {
  if (v === undefined) return undefined;
  const nonce = readBlob(v, 'content.nonce');
  if (isRefusal(nonce) || nonce.length <= MAX_NONCE_BYTES) return nonce;
  return refuse(
    'NonceTooLong',
    `The request's nonce is ${nonce.length} bytes long; the IC accepts at most ${MAX_NONCE_BYTES} bytes.`,
  );
}

function readSenderInfo(v: CborDecoded | undefined): SenderInfo | undefined | EnvelopeRefusal {
  if (v === undefined) return undefined;
  const map = readMap(v, 'content.sender_info');
  if (isRefusal(map)) return map;
  const info = readBlob(map.info, 'content.sender_info.info');
  if (isRefusal(info)) return info;
  const signer = readPrincipal(map.signer, 'content.sender_info.signer');
  if (isRefusal(signer)) return signer;
  const sig = readBlob(map.sig, 'content.sender_info.sig');
  if (isRefusal(sig)) return sig;
  return { info, signer, sig };
}

function readPaths(v: CborDecoded | undefined): Uint8Array[][] | EnvelopeRefusal {
  const paths = readArray(v, 'content.paths');
  if (isRefusal(paths)) return paths;
  if (paths.length > MAX_READ_STATE_PATHS) {
    return refuse(
      'TooManyPaths',
      `The read_state request asks for ${paths.length} paths; at most ${MAX_READ_STATE_PATHS} are allowed.`,
    );
  }
  const out: Uint8Array[][] = [];
  for (const [i, p] of paths.entries()) {
    const labels = readArray(p, `content.paths[${i}]`);
    if (isRefusal(labels)) return labels;
    if (labels.length > MAX_PATH_LABELS) {
      return refuse(
        'PathTooLong',
        `Path ${i} of the read_state request has ${labels.length} labels; at most ${MAX_PATH_LABELS} are allowed.`,
      );
    }
    const path: Uint8Array[] = [];
    for (const [j, label] of labels.entries()) {
      const blob = readBlob(label, `content.paths[${i}][${j}]`);
      if (isRefusal(blob)) return blob;
      path.push(blob);
    }
    out.push(path);
  }
  return out;
}

function readContent(v: CborDecoded | undefined): RequestContent | EnvelopeRefusal {
  const map = readMap(v, 'content');
  if (isRefusal(map)) return map;
  const requestType = readText(map.request_type, 'content.request_type');
  if (isRefusal(requestType)) return requestType;
  if (requestType !== 'call' && requestType !== 'query' && requestType !== 'read_state') {
    return refuse(
      'WrongRequestType',
      `The request_type ${JSON.stringify(requestType)} is not one of "call", "query" or "read_state".`,
    );
  }
  const sender = readPrincipal(map.sender, 'content.sender');
  if (isRefusal(sender)) return sender;
  const ingressExpiry = readNat(map.ingress_expiry, 'content.ingress_expiry');
  if (isRefusal(ingressExpiry)) return ingressExpiry;
  const nonce = readNonce(map.nonce);
  if (isRefusal(nonce)) return nonce;
  const common = { sender, ingress_expiry: ingressExpiry, ...(nonce && { nonce }) };

  if (requestType === 'read_state') {
    const paths = readPaths(map.paths);
    if (isRefusal(paths)) return paths;
    return { request_type: requestType, paths, ...common };
  }
  const canisterId = readPrincipal(map.canister_id, 'content.canister_id');
  if (isRefusal(canisterId)) return canisterId;
  const methodName = readText(map.method_name, 'content.method_name');
  if (isRefusal(methodName)) return methodName;
  const arg = readBlob(map.arg, 'content.arg');
  if (isRefusal(arg)) return arg;
  const senderInfo = readSenderInfo(map.sender_info);
  if (isRefusal(senderInfo)) return senderInfo;
  return {
    request_type: requestType,
    canister_id: canisterId,
    method_name: methodName,
    arg,
    ...common,
    ...(senderInfo && { sender_info: senderInfo }),
  };
}

/** The fields "Authentication" defines for a delegation map (`permissions` as @icp-sdk/core sends it). */
const DELEGATION_FIELDS: ReadonlySet<string> = new Set(['pubkey', 'expiration', 'targets', 'permissions']);

function readDelegation(v: CborDecoded, i: number): SignedDelegation | EnvelopeRefusal {
  const at = `sender_delegation[${i}]`;
  const signed = readMap(v, at);
  if (isRefusal(signed)) return signed;
  const signature = readBlob(signed.signature, `${at}.signature`);
  if (isRefusal(signature)) return signature;
  const map = readMap(signed.delegation, `${at}.delegation`);
  if (isRefusal(map)) return map;
  const unknown = Object.keys(map).find((k) => !DELEGATION_FIELDS.has(k));
  if (unknown !== undefined) {
    return refuse(
      'MalformedEnvelope',
      `Delegation ${i} has the field ${JSON.stringify(unknown)}, which this endpoint does not understand; ` +
        'a delegation with a restriction that cannot be honoured is refused.',
    );
  }
  const pubkey = readBlob(map.pubkey, `${at}.delegation.pubkey`);
  if (isRefusal(pubkey)) return pubkey;
  const expiration = readNat(map.expiration, `${at}.delegation.expiration`);
  if (isRefusal(expiration)) return expiration;
  let targets: Uint8Array[] | undefined;
  if (map.targets !== undefined) {
    const list = readArray(map.targets, `${at}.delegation.targets`);
    if (isRefusal(list)) return list;
    targets = [];
    for (const [j, t] of list.entries()) {
      const target = readPrincipal(t, `${at}.delegation.targets[${j}]`);
      if (isRefusal(target)) return target;
      targets.push(target);
    }
  }
  let permissions: string | undefined;
  if (map.permissions !== undefined) {
    const text = readText(map.permissions, `${at}.delegation.permissions`);
    if (isRefusal(text)) return text;
    permissions = text;
  }
  return { delegation: { pubkey, expiration, targets, permissions }, signature };
}

/**
 * Reads a request body: the envelope with typed content, and the request id (the representation-independent
 * hash of the content map as received, so it equals the client's `requestIdOf`). Never throws.
 */
export function decodeEnvelope(body: Uint8Array): EnvelopeResult {
  let decoded: CborDecoded;
  try {
    decoded = decodeCbor(body, { nullMeansAbsent: true });
  } catch (e) {
    return refuse('MalformedCbor', `The request body is not valid CBOR: ${(e as Error).message}.`);
  }
  const envelope = readMap(decoded, 'envelope');
  if (isRefusal(envelope)) return envelope;
  const content = readContent(envelope.content);
  if (isRefusal(content)) return content;

  const out: {
    content: RequestContent;
    sender_pubkey?: Uint8Array;
    sender_sig?: Uint8Array;
    sender_delegation?: SignedDelegation[];
  } = { content };
  if (envelope.sender_pubkey !== undefined) {
    const pubkey = readBlob(envelope.sender_pubkey, 'sender_pubkey');
    if (isRefusal(pubkey)) return pubkey;
    out.sender_pubkey = pubkey;
  }
  if (envelope.sender_sig !== undefined) {
    const sig = readBlob(envelope.sender_sig, 'sender_sig');
    if (isRefusal(sig)) return sig;
    out.sender_sig = sig;
  }
  if (envelope.sender_delegation !== undefined) {
    const list = readArray(envelope.sender_delegation, 'sender_delegation');
    if (isRefusal(list)) return list;
    const delegations: SignedDelegation[] = [];
    for (const [i, d] of list.entries()) {
      const signed = readDelegation(d, i);
      if (isRefusal(signed)) return signed;
      delegations.push(signed);
    }
    out.sender_delegation = delegations;
  }
  // readContent checked the map, so every value is one the RIH defines.
  return { ok: true, envelope: out, requestId: rihHashOfMap(envelope.content as CborMap) };
}

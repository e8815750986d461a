// The devnet's one replica node: signs query responses with Ed25519 (IC interface specification, "HTTPS
// interface" → "Request: Query call" → response signatures: `"\x0Bic-response" · hash_of_map(response)` where the
// map is `{status, reply | reject_code/reject_message/error_code, timestamp, request_id}`).
//
// HttpAgent (default `verifyQuerySignatures: true`) reads the node's key from /subnet/<id>/node/<node>/public_key
// and checks every query response against it. Node-only: uses node:crypto, which signs in microseconds.

import { createPrivateKey, createPublicKey, type KeyObject, randomBytes, sign } from 'node:crypto';
import { concatBytes } from '../encoding/bytes.ts';
import { type RihValue, rihHashOfMap, selfAuthenticatingPrincipal } from '../identity/delegation.ts';
import { domainSeparator } from '../identity/hash-tree.ts';

/** PKCS#8 header of an Ed25519 private key (RFC 8410 §7), followed by the 32-byte seed. */
const PKCS8_ED25519_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);
const RESPONSE_DOMAIN = domainSeparator('ic-response');

/** What a query produced, before it is signed. */
export type QueryOutcome =
  | { status: 'replied'; reply: Uint8Array }
  | { status: 'rejected'; rejectCode: number; rejectMessage: string; errorCode: string };

export interface NodeSignature {
  timestamp: bigint;
  signature: Uint8Array;
  identity: Uint8Array;
}

export class NodeSigner {
  readonly seed: Uint8Array;
  /** 44-byte DER SubjectPublicKeyInfo. */
  readonly publicKeyDer: Uint8Array;
  /** The node id: the self-authenticating principal of its key. */
  readonly nodeId: Uint8Array;
  private readonly key: KeyObject;

  /** `seed`: 32 bytes; random when omitted. */
  constructor(seed?: Uint8Array) {
    this.seed = seed ?? new Uint8Array(randomBytes(32));
    if (this.seed.length !== 32) throw new RangeError('an Ed25519 seed has 32 bytes');
    this.key = createPrivateKey({
      key: Buffer.from(concatBytes(PKCS8_ED25519_PREFIX, this.seed)),
      format: 'der',
      type: 'pkcs8',
    });
    this.publicKeyDer = new Uint8Array(createPublicKey(this.key).export({ format: 'der', type: 'spki' }));
    this.nodeId = selfAuthenticatingPrincipal(this.publicKeyDer);
  }

  /** The `signatures` entry of a query response. */
  signQueryResponse(outcome: QueryOutcome, requestId: Uint8Array, timestamp: bigint): NodeSignature {
    const fields: Record<string, RihValue> =
      outcome.status === 'replied'
        ? { status: 'replied', reply: { arg: outcome.reply } }
        : {
            status: 'rejected',
            reject_code: outcome.rejectCode,
            reject_message: outcome.rejectMessage,
            error_code: outcome.errorCode,
          };
    const hash = rihHashOfMap({ ...fields, timestamp, request_id: requestId });
    const signature = new Uint8Array(sign(null, concatBytes(RESPONSE_DOMAIN, hash), this.key));
    return { timestamp, signature, identity: this.nodeId };
  }
}

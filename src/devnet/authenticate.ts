// Deciding whether a request body POSTed to the devnet is genuine (IC interface specification, "HTTPS
// interface" → "Authentication", "Effective canister id", "Request ids"; "Signatures" for the key schemes;
// the abstract behaviour's `verify_envelope`). As summarised in ic-endpoint-and-signin.md A5, in this order:
//
//  1. the body is an envelope of the endpoint's request type (envelope.ts);
//  2. call and query: the URL's effective canister id is `canister_id`, and that is not the management canister;
//  3. the anonymous sender (0x04) comes without `sender_pubkey`, `sender_sig` and `sender_delegation`;
//  4. `ingress_expiry` lies in [now, now + 5 min + 30 s], except for anonymous query and read_state requests;
//  5. any other sender is `selfAuthenticating(sender_pubkey)`, and both `sender_pubkey` and `sender_sig` are set;
//  6. the delegation chain holds (delegation-chain.ts); a call or query is to one of its targets, and a
//     queries-only chain does not make a call;
//  7. `sender_sig` is the chain's last key signing `"\x0Aic-request" ‖ request_id` (signature-schemes.ts).
//
// The cheap checks all come before any signature is verified. Every refusal is HTTP 400 with a sentence for
// the developer; an expiry refusal starts with `Invalid request expiry: `, which makes HttpAgent sync its
// clock and retry.

import { Principal } from '@icp-sdk/core/principal';
import { bytesEqual, concatBytes, toHex } from '../encoding/bytes.ts';
import { MAX_PRINCIPAL_LENGTH, selfAuthenticatingPrincipal } from '../identity/delegation.ts';
import { domainSeparator } from '../identity/hash-tree.ts';
import { type DelegationErrorCode, isoFromNs, verifyDelegationChain } from './delegation-chain.ts';
import { decodeEnvelope, type EnvelopeErrorCode } from './envelope.ts';
import { verifySignature } from './signature-schemes.ts';

export type Endpoint = 'call' | 'query' | 'read_state';

export interface AuthContext {
  /** The host's current time, nanoseconds since the epoch. */
  readonly nowNs: bigint;
  /** DER BLS root key of the host. */
  readonly rootKey: Uint8Array;
}

/** A call or query; `kind` repeats the request type so that `Extract<…, {kind: 'query'}>` works. */
interface CanisterRequest<K extends 'call' | 'query'> {
  readonly kind: K;
  readonly requestId: Uint8Array;
  readonly canisterId: Uint8Array;
  readonly methodName: string;
  readonly arg: Uint8Array;
  readonly sender: Uint8Array;
  readonly ingressExpiry: bigint;
  readonly nonce?: Uint8Array;
  /** The delegation chain's targets; null when unrestricted. */
  readonly targets: Uint8Array[] | null;
}

export type AuthenticatedRequest =
  | CanisterRequest<'call'>
  | CanisterRequest<'query'>
  | {
      readonly kind: 'read_state';
      readonly requestId: Uint8Array;
      readonly paths: Uint8Array[][];
      readonly sender: Uint8Array;
      readonly ingressExpiry: bigint;
      /** The chain's targets: a `request_status` read is allowed only for a request to one of them. */
      readonly targets: Uint8Array[] | null;
    };

export type AuthErrorCode =
  | EnvelopeErrorCode
  | DelegationErrorCode
  /** The management canister (`aaaaa-aa`) is not served by the devnet. */
  | 'ManagementCanister'
  | 'EffectiveCanisterIdMismatch'
  | 'InvalidExpiry'
  | 'SenderMismatch'
  | 'AnonymousWithSignature'
  | 'MissingSignature'
  | 'BadSignature';

export type AuthFailure = {
  readonly ok: false;
  /** Always 400 from this module; 403 stays available to the server. */
  readonly status: 400 | 403;
  readonly code: AuthErrorCode;
  readonly message: string;
};

/** The request's kind is always the endpoint's. */
export type AuthResult<E extends Endpoint = Endpoint> =
  | { readonly ok: true; readonly request: Extract<AuthenticatedRequest, { kind: E }> }
  | AuthFailure;

/** The anonymous principal ("Principals" → "Special forms of Principals"). */
const ANONYMOUS = Uint8Array.of(0x04);
/** `0x0A · "ic-request"`: the domain separator of `sender_sig` ("Authentication"). */
export const REQUEST_DOMAIN_SEPARATOR: Uint8Array = domainSeparator('ic-request');
/** The replica's `MAX_INGRESS_TTL` (dfinity/ic rs/limits)… */
export const MAX_INGRESS_TTL_NS = 5n * 60n * 1_000_000_000n;
/** …plus its `PERMITTED_DRIFT_AT_VALIDATOR`: the latest expiry accepted is now + 5 min + 30 s. */
export const PERMITTED_DRIFT_NS = 30n * 1_000_000_000n;
/** HttpAgent looks for this text in a refusal to sync its clock and retry (http/index.js, "expiry"). */
export const INVALID_EXPIRY_PREFIX = 'Invalid request expiry: ';

const refuse = (code: AuthErrorCode, message: string): AuthFailure => ({
  ok: false,
  status: 400,
  code,
  message,
});

const principalText = (p: Uint8Array): string =>
  p.length <= MAX_PRINCIPAL_LENGTH ? Principal.fromUint8Array(p).toText() : `0x${toHex(p)}`;

/** Step 4: the replica's window and its wording. */
function checkExpiry(expiry: bigint, nowNs: bigint): AuthFailure | null {
  const max = nowNs + MAX_INGRESS_TTL_NS + PERMITTED_DRIFT_NS;
  if (expiry >= nowNs && expiry <= max) return null;
  return refuse(
    'InvalidExpiry',
    `${INVALID_EXPIRY_PREFIX}Specified ingress_expiry not within expected range: ` +
      `Minimum allowed expiry: ${isoFromNs(nowNs)}, Maximum allowed expiry: ${isoFromNs(max)}, ` +
      `Provided expiry: ${isoFromNs(expiry)}`,
  );
}

/**
 * Authenticates one request body for `endpoint`. `effectiveCanisterId` is the canister in the URL, or null
 * for a subnet URL (`/api/v3/subnet/<id>/…`), where only read_state is served. Never throws on bad input.
 */
export async function authenticate<E extends Endpoint>(
  body: Uint8Array,
  endpoint: E,
  effectiveCanisterId: Uint8Array | null,
  ctx: AuthContext,
): Promise<AuthResult<E>> {
  const decoded = decodeEnvelope(body);
  if (!decoded.ok) return refuse(decoded.code, decoded.message);
  const { envelope, requestId } = decoded;
  const content = envelope.content;

  if (content.request_type !== endpoint) {
    return refuse(
      'WrongRequestType',
      `This is the ${endpoint} endpoint, but the request's request_type is "${content.request_type}".`,
    );
  }
  if (content.request_type !== 'read_state') {
    if (content.canister_id.length === 0) {
      return refuse(
        'ManagementCanister',
        'The management canister (aaaaa-aa) is not served by the devnet; call the canister itself.',
      );
    }
    if (!effectiveCanisterId || !bytesEqual(effectiveCanisterId, content.canister_id)) {
      const url = effectiveCanisterId ? `canister ${principalText(effectiveCanisterId)}` : 'a subnet';
      return refuse(
        'EffectiveCanisterIdMismatch',
        `The URL addresses ${url}, but the request's canister_id is ${principalText(content.canister_id)}; ` +
          'they must be the same.',
      );
    }
  }

  const anonymous = bytesEqual(content.sender, ANONYMOUS);
  const { sender_pubkey: pubkey, sender_sig: sig, sender_delegation: delegations } = envelope;
  if (anonymous && (pubkey || sig || delegations)) {
    return refuse(
      'AnonymousWithSignature',
      'The sender is the anonymous principal, so sender_pubkey, sender_sig and sender_delegation must be omitted.',
    );
  }
  if (!anonymous || content.request_type === 'call') {
    const late = checkExpiry(content.ingress_expiry, ctx.nowNs);
    if (late) return late;
  }

  let targets: Uint8Array[] | null = null;
  if (!anonymous) {
    if (!pubkey || !sig) {
      return refuse(
        'MissingSignature',
        `The sender ${principalText(content.sender)} is not anonymous, so the request needs sender_pubkey and sender_sig.`,
      );
    }
    if (!bytesEqual(content.sender, selfAuthenticatingPrincipal(pubkey))) {
      return refuse(
        'SenderMismatch',
        `The sender ${principalText(content.sender)} is not the principal of sender_pubkey ` +
          `(${principalText(selfAuthenticatingPrincipal(pubkey))}).`,
      );
    }
    const chain = await verifyDelegationChain(pubkey, delegations ?? [], ctx.nowNs, ctx);
    if (!chain.ok) return refuse(chain.code, chain.message);
    if (chain.queriesOnly && content.request_type === 'call') {
      return refuse(
        'DelegationPermissions',
        'The delegation chain is limited to queries (permissions "queries"), so it cannot make an update call.',
      );
    }
    if (
      content.request_type !== 'read_state' &&
      chain.targets &&
      !chain.targets.some((t) => bytesEqual(t, content.canister_id))
    ) {
      return refuse(
        'DelegationTargets',
        `The delegation chain does not allow requests to canister ${principalText(content.canister_id)}: ` +
          'it is not among the targets of every delegation.',
      );
    }
    const check = await verifySignature(
      chain.signingKey,
      concatBytes(REQUEST_DOMAIN_SEPARATOR, requestId),
      sig,
      ctx,
    );
    if (!check.ok) {
      const whose = delegations?.length ? 'the last delegation' : 'sender_pubkey';
      return check.reason === 'UnsupportedKey'
        ? refuse('UnsupportedKey', `The key of ${whose} cannot sign requests: ${check.detail}.`)
        : refuse(
            'BadSignature',
            `The sender_sig is not a valid signature of the request by ${whose}: ${check.detail}.`,
          );
    }
    targets = chain.targets;
  }

  const common = { requestId, sender: content.sender, ingressExpiry: content.ingress_expiry, targets };
  const request: AuthenticatedRequest =
    content.request_type === 'read_state'
      ? { kind: 'read_state', paths: content.paths, ...common }
      : {
          kind: content.request_type,
          canisterId: content.canister_id,
          methodName: content.method_name,
          arg: content.arg,
          ...(content.nonce && { nonce: content.nonce }),
          ...common,
        };
  // request.kind is content.request_type, which was checked to equal the endpoint above.
  return { ok: true, request: request as Extract<AuthenticatedRequest, { kind: E }> };
}

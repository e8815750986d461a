// Verifying `sender_delegation` (IC interface specification, "HTTPS interface" → "Authentication", and the
// abstract behaviour's `verify_envelope`): at most 20 delegations, each signed by the key before it (the first
// by `sender_pubkey`) over `"\x1Aic-request-auth-delegation" ‖ hash_of_map(delegation)`, none expired, every
// key in the chain appearing once (no cycles, no self-delegation), at most 1000 targets each, and the targets
// intersected along the chain.
//
// `permissions` is what @icp-sdk/core 6.1 writes into a delegation (`Delegation.permissions`) and what the
// design note (ic-endpoint-and-signin.md A5) reads in the spec: `"queries"` makes the chain usable for queries
// and read_state only; any other value is a restriction we do not know, so the delegation is refused.

import { toHex } from '../encoding/bytes.ts';
import { delegationSignaturePayload } from '../identity/delegation.ts';
import type { SignedDelegation } from './envelope.ts';
import { type SignatureContext, verifySignature } from './signature-schemes.ts';

/** "The delegation field, if present, must not contain more than 20 delegations." */
export const MAX_DELEGATIONS = 20;
/** "The list must contain no more than 1000 elements." */
export const MAX_DELEGATION_TARGETS = 1000;
/** The one `permissions` value understood: queries (and read_state) only, never `/call`. */
export const QUERIES_ONLY_PERMISSION = 'queries';

export type DelegationErrorCode =
  | 'DelegationTooLong'
  | 'DelegationExpired'
  | 'DelegationBadSignature'
  /** A key delegates to itself or to a key that already appeared in the chain. */
  | 'DelegationCycle'
  /** Too many targets in a delegation, or (authenticate.ts) the canister is not among the chain's targets. */
  | 'DelegationTargets'
  /** An unknown `permissions` value, or (authenticate.ts) a queries-only chain on `/call`. */
  | 'DelegationPermissions'
  /** A key in the chain is not one the IC accepts. */
  | 'UnsupportedKey';

export type ChainResult =
  | {
      readonly ok: true;
      /** The key that must sign the request: the last delegation's, or `sender_pubkey` without delegations. */
      readonly signingKey: Uint8Array;
      /** Canisters the chain may address; null when no delegation restricts them. */
      readonly targets: Uint8Array[] | null;
      readonly queriesOnly: boolean;
    }
  | { readonly ok: false; readonly code: DelegationErrorCode; readonly message: string };

const fail = (code: DelegationErrorCode, message: string): ChainResult => ({ ok: false, code, message });

/** The last millisecond a JavaScript Date can show (ECMA-262 §21.4.1.22). */
const MAX_DATE_MS = 8_640_000_000_000_000n;

/** Nanoseconds since the epoch as ISO 8601 with all nine fraction digits (plain nanoseconds past year 275760). */
export function isoFromNs(ns: bigint): string {
  const ms = ns / 1_000_000n;
  if (ms > MAX_DATE_MS) return `${ns} ns`;
  const iso = new Date(Number(ms)).toISOString();
  return `${iso.slice(0, -4)}${(ns % 1_000_000_000n).toString().padStart(9, '0')}Z`;
}

/** Order-preserving intersection of two principal lists (byte equality). */
function intersect(a: readonly Uint8Array[], b: readonly Uint8Array[]): Uint8Array[] {
  const inB = new Set(b.map(toHex));
  const seen = new Set<string>();
  return a.filter((p) => {
    const id = toHex(p);
    if (!inB.has(id) || seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/**
 * Checks the chain from `senderPubkey` through `delegations` at time `nowNs`. The cheap checks run over the
 * whole chain before any signature is verified. Never throws.
 */
export async function verifyDelegationChain(
  senderPubkey: Uint8Array,
  delegations: readonly SignedDelegation[],
  nowNs: bigint,
  ctx: SignatureContext,
): Promise<ChainResult> {
  const n = delegations.length;
  if (n > MAX_DELEGATIONS) {
    return fail(
      'DelegationTooLong',
      `The request carries ${n} delegations; at most ${MAX_DELEGATIONS} are allowed.`,
    );
  }
  const keys = new Set([toHex(senderPubkey)]);
  let targets: Uint8Array[] | null = null;
  let queriesOnly = false;
  for (const [i, { delegation: d }] of delegations.entries()) {
    const which = `Delegation ${i + 1} of ${n}`;
    if (d.expiration < nowNs) {
      return fail(
        'DelegationExpired',
        `${which} expired at ${isoFromNs(d.expiration)}, before the current time ${isoFromNs(nowNs)}.`,
      );
    }
    if (d.permissions !== undefined) {
      if (d.permissions !== QUERIES_ONLY_PERMISSION) {
        return fail(
          'DelegationPermissions',
          `${which} has permissions ${JSON.stringify(d.permissions)}; the only value understood is ` +
            `${JSON.stringify(QUERIES_ONLY_PERMISSION)}, so the delegation is refused.`,
        );
      }
      queriesOnly = true;
    }
    if (d.targets) {
      if (d.targets.length > MAX_DELEGATION_TARGETS) {
        return fail(
          'DelegationTargets',
          `${which} lists ${d.targets.length} targets; at most ${MAX_DELEGATION_TARGETS} are allowed.`,
        );
      }
      // The first list is intersected with itself only to drop duplicates.
      targets = intersect(targets ?? d.targets, d.targets);
    }
    const key = toHex(d.pubkey);
    if (keys.has(key)) {
      return fail(
        'DelegationCycle',
        `${which} delegates to a key that already appears earlier in the chain; cycles and self-delegations are refused.`,
      );
    }
    keys.add(key);
  }

  let signer = senderPubkey;
  for (const [i, { delegation, signature }] of delegations.entries()) {
    const check = await verifySignature(signer, delegationSignaturePayload(delegation), signature, ctx);
    if (!check.ok) {
      const by = i === 0 ? 'sender_pubkey' : `the key of delegation ${i}`;
      return check.reason === 'UnsupportedKey'
        ? fail(
            'UnsupportedKey',
            `Delegation ${i + 1} of ${n} is signed by ${by}, which is not usable: ${check.detail}.`,
          )
        : fail(
            'DelegationBadSignature',
            `The signature on delegation ${i + 1} of ${n} by ${by} is invalid: ${check.detail}.`,
          );
    }
    signer = delegation.pubkey;
  }
  return { ok: true, signingKey: signer, targets, queriesOnly };
}

// Shared types of the Node IC host (IC interface specification: "Abstract behavior" → "Call contexts", "Responses",
// and "Reject codes").

import type { Principal } from '@icp-sdk/core/principal';

/** Reject codes (IC interface spec, "Reject codes"). */
export const RejectCode = {
  SysFatal: 1,
  SysTransient: 2,
  DestinationInvalid: 3,
  CanisterReject: 4,
  CanisterError: 5,
  SysUnknown: 6,
} as const;
export type RejectCode = (typeof RejectCode)[keyof typeof RejectCode];

/** The response to a call: a reply with Candid bytes, or a reject. */
export type CallResult =
  | { kind: 'reply'; bytes: Uint8Array }
  | { kind: 'reject'; code: number; message: string };

export interface CallOptions {
  /** The sender; anonymous when omitted. */
  caller?: Principal;
  /**
   * Queries only: run on the shared scratch heap instead of copying and restoring the whole heap around this
   * query (`Canister.runScratchQuery`). For throughput (the devnet); tests of query semantics leave it off.
   */
  scratch?: boolean;
}

/** Thrown by `ic0.trap`, by unknown imports and by host-detected errors: the message traps (spec "Traps"). */
export class CanisterTrap extends Error {
  override name = 'CanisterTrap';
}

/** Thrown by the actor facade when a call is rejected. */
export class CallRejectedError extends Error {
  override name = 'CallRejectedError';
  constructor(
    readonly code: number,
    readonly rejectMessage: string,
    readonly canisterId: string,
    readonly method: string,
  ) {
    super(`Call to ${canisterId}.${method} rejected (code ${code}): ${rejectMessage}`);
  }
}

export const MANAGEMENT_CANISTER_ID = 'aaaaa-aa';

// A request's status as the devnet records it (IC interface spec, "Request status": replied or rejected, with
// the reject code and the textual error code of "Error codes"): from the host's call result, and to and from the
// JSON form the data folder journals (persistence.ts), so that a replay is recognised across a restart.

import { hex } from '@scure/base';
import { decodeBase64, encodeBase64, toHex } from '../encoding/bytes.ts';
import { type CallResult, RejectCode } from '../host/types.ts';
import type { StoredStatus } from './persistence.ts';
import type { RequestStatus } from './state-tree.ts';

/** The IC's textual error code for a reject (IC interface spec, "Error codes"; a coarse mapping). */
function errorCodeOf(rejectCode: number): string {
  switch (rejectCode) {
    case RejectCode.DestinationInvalid:
      return 'IC0302';
    case RejectCode.CanisterReject:
      return 'IC0406';
    case RejectCode.CanisterError:
      return 'IC0503';
    default:
      return 'IC0500';
  }
}

export function toStored(s: RequestStatus): StoredStatus {
  const o = s.outcome;
  const base = {
    id: toHex(s.id),
    expiry: s.ingressExpiry.toString(),
    sender: toHex(s.sender),
    canister: toHex(s.canisterId),
    status: o.status,
  };
  return o.status === 'replied'
    ? { ...base, reply: encodeBase64(o.reply) }
    : { ...base, rejectCode: o.rejectCode, rejectMessage: o.rejectMessage, errorCode: o.errorCode };
}

export function fromStored(s: StoredStatus): RequestStatus {
  return {
    id: hex.decode(s.id),
    sender: hex.decode(s.sender),
    canisterId: hex.decode(s.canister),
    ingressExpiry: BigInt(s.expiry),
    outcome:
      s.status === 'replied'
        ? { status: 'replied', reply: decodeBase64(s.reply ?? '') ?? new Uint8Array(0) }
        : {
            status: 'rejected',
            rejectCode: s.rejectCode ?? RejectCode.SysUnknown,
            rejectMessage: s.rejectMessage ?? '',
            errorCode: s.errorCode ?? 'IC0500',
          },
  };
}

export function outcomeOf(result: CallResult): RequestStatus['outcome'] {
  return result.kind === 'reply'
    ? { status: 'replied', reply: result.bytes }
    : {
        status: 'rejected',
        rejectCode: result.code,
        rejectMessage: result.message,
        errorCode: errorCodeOf(result.code),
      };
}

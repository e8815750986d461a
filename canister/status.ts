/** The Candid view of a challenge state (protocol.md §3 `email_challenge_status`). */
import type { ChallengeState } from '../src/challenge/types.ts';
import type { ChallengeStatus } from './candid.ts';

export function statusView(state: ChallengeState): ChallengeStatus {
  switch (state.kind) {
    case 'Pending':
      return { Pending: null };
    case 'NeedProof':
      return {
        NeedProof: { domain: state.domain, selectors: [...state.selectors], key_names: [...state.keyNames] },
      };
    case 'Resolving':
      return { Resolving: null };
    case 'SetupComplete':
      return { SetupComplete: { address: state.address } };
    case 'RecoveryReady':
      return {
        RecoveryReady: { anchor: state.anchor, user_key: state.userKey, expiration: state.expiration },
      };
    case 'Failed':
      return {
        Failed: {
          code: state.code,
          message: state.message,
          checks: state.checks.map((c) => ({
            name: c.name,
            status: { [c.status]: null } as never,
            detail: c.detail,
          })),
        },
      };
    case 'Expired':
      return { Expired: null };
  }
}

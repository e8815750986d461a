/**
 * The canister's refusals (`ApiError { code, message }`, candid/waxseal.did) in plain words for the sign-in and
 * manage views (issue 11, deliverable 3: every error says what happened). The codes a person can meet there are
 * data; any other code keeps the canister's own sentence, so nothing is ever hidden.
 */
import type { ApiError } from '../../../canister/declarations/waxseal.did.ts';

export const REFUSAL_TEXT: Readonly<Record<string, string>> = {
  NotAuthorized:
    'This passkey or key no longer opens this identity. It may have been removed, perhaps on another device.',
  UnknownIdentity: 'Waxseal has no identity with this number.',
  UnknownAuthenticator:
    'That passkey or device is not on this identity any more (perhaps it was removed on another device). Nothing was changed.',
  LastAuthenticator:
    'Without a recovery email, Waxseal keeps the last passkey or device, so nothing was removed. Add a recovery email or another passkey first.',
  LastWayIn:
    'Your recovery email is the only way into this identity now, so it was not removed. Add a passkey on this device first.',
  TooManyAuthenticators:
    'This identity already has 16 passkeys or devices, the most it can have. Remove one first.',
  NoRecoveryAddress: 'This identity has no recovery email to remove.',
  NotReady: 'Waxseal is still starting up. Try again in a minute.',
  NoSuchDelegation: 'Signing in took too long. Try again.',
};

export function refusalText(e: ApiError): string {
  return REFUSAL_TEXT[e.code] ?? `Waxseal refused: ${e.message}.`;
}

/**
 * The ICRC side of `/authorize`, as @icp-sdk/auth 7.1 `AuthClient.signIn()` speaks it: ICRC-25 (supported
 * standards, permissions), ICRC-34 (`icrc34_delegation` params and result) and ICRC-95 (the derivation origin
 * param). ICRC-29's heartbeat lives in channel.ts. Binary values are base64 and the expiration a decimal string,
 * as ICRC-34 "Request params" and "Result" specify.
 */
import { Principal } from '@icp-sdk/core/principal';
import { base64 } from '@scure/base';
import { checkDerivationOriginField } from './alternative-origins.ts';
import { checkSessionKey, type DelegationRequest, type Parsed, refuse, type SignedChain } from './request.ts';
import { parseTtlText } from './ttl.ts';

export const METHODS = {
  status: 'icrc29_status',
  supportedStandards: 'icrc25_supported_standards',
  permissions: 'icrc25_permissions',
  requestPermissions: 'icrc25_request_permissions',
  delegation: 'icrc34_delegation',
} as const;

const ICRC_BASE = 'https://github.com/dfinity/ICRC/blob/main/ICRCs';

/** ICRC-25 `icrc25_supported_standards` result: "The list must always at least include ICRC-25." */
export const SUPPORTED_STANDARDS = {
  supportedStandards: ['ICRC-25', 'ICRC-29', 'ICRC-34', 'ICRC-95'].map((name) => ({
    name,
    url: `${ICRC_BASE}/${name}/${name}.md`,
  })),
} as const;

/**
 * ICRC-25 `icrc25_permissions` and `icrc25_request_permissions` result. Delegations are reported granted, as
 * Internet Identity reports them: the person still approves each one on the page (Continue), which is the
 * consent ICRC-34 asks for.
 */
export const PERMISSIONS = {
  scopes: [{ scope: { method: METHODS.delegation }, state: 'granted' }],
} as const;

/** The IC endpoint's limit on targets per delegation (IC interface spec, "Authentication"). */
const MAX_TARGETS = 1000;

function isPrincipalText(text: unknown): boolean {
  if (typeof text !== 'string') return false;
  try {
    Principal.fromText(text);
    return true;
  } catch {
    return false;
  }
}

function base64Bytes(text: unknown): Uint8Array | null {
  if (typeof text !== 'string') return null;
  try {
    return base64.decode(text);
  } catch {
    return null;
  }
}

/** ICRC-34 "Request params" of `icrc34_delegation`; fields it does not define are ignored. */
export function parseDelegationParams(params: unknown): Parsed<DelegationRequest> {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    return refuse('invalid-params', 'icrc34_delegation needs params {publicKey, maxTimeToLive?, targets?}');
  }
  const p = params as Record<string, unknown>;
  const sessionKey = checkSessionKey(base64Bytes(p.publicKey), 'publicKey (base64)');
  if (!sessionKey.ok) return sessionKey;
  const maxTimeToLive = p.maxTimeToLive === undefined ? undefined : parseTtlText(p.maxTimeToLive);
  if (maxTimeToLive === null) {
    return refuse('invalid-params', 'maxTimeToLive must be a decimal string of nanoseconds, greater than 0');
  }
  const targets = p.targets;
  if (
    targets !== undefined &&
    (!Array.isArray(targets) || targets.length > MAX_TARGETS || !targets.every(isPrincipalText))
  ) {
    return refuse('invalid-params', `targets must be an array of at most ${MAX_TARGETS} principals (text)`);
  }
  const derivationOrigin = checkDerivationOriginField(p.icrc95DerivationOrigin, 'icrc95DerivationOrigin');
  if (!derivationOrigin.ok) return derivationOrigin;
  return {
    ok: true,
    value: {
      sessionKey: sessionKey.value,
      maxTimeToLive,
      targets: targets as string[] | undefined,
      derivationOrigin: derivationOrigin.value,
    },
  };
}

/** ICRC-34 "Result": base64 keys and signatures, the expiration as a base-10 string, no targets. */
export function delegationResult(chain: SignedChain) {
  return {
    publicKey: base64.encode(chain.userKey),
    signerDelegation: chain.delegations.map((d) => ({
      delegation: { pubkey: base64.encode(d.pubkey), expiration: d.expiration.toString() },
      signature: base64.encode(d.signature),
    })),
  };
}

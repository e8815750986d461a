/**
 * The ways into an identity that this browser holds (issue 11, deliverables 2 and 3): passkeys (ic/passkey.ts)
 * and, where WebAuthn is missing, keys kept in this browser (ic/device-key.ts), seen as one list. Sign-in offers
 * them, the manage page marks them "this device" and forgets one when it is removed from the identity, and
 * creating an identity or adding a device makes a new one of the kind this browser supports.
 */
import type { SignIdentity } from '@icp-sdk/core/agent';
import {
  checkDeviceKeyStorage,
  createDeviceKey,
  deviceKeyFor,
  forgetDeviceKey,
  rememberDeviceKey,
  storedDeviceKeys,
} from './device-key.ts';
import {
  createPasskey,
  forgetPasskey,
  passkeyFor,
  rememberPasskey,
  storedPasskeys,
  webAuthnAvailable,
} from './passkey.ts';

export type KeyKind = 'passkey' | 'device-key';

export interface BrowserKey {
  readonly anchor: string;
  readonly kind: KeyKind;
  /** Principal text, as the identity's authenticator list shows it. */
  readonly principal: string;
  signer(): Promise<SignIdentity>;
}

/** A freshly made key, not yet an authenticator; `remember` keeps it once the canister has accepted it. */
export interface NewKey {
  readonly kind: KeyKind;
  readonly identity: SignIdentity;
  remember(anchor: bigint): Promise<void>;
}

/** Passkeys where the browser has WebAuthn, otherwise a key kept in this browser. */
export function keyKindHere(): KeyKind {
  return webAuthnAvailable() ? 'passkey' : 'device-key';
}

/**
 * Makes a key of `kind`: a passkey prompts the person; a device key is made only once the browser has shown
 * that it can keep it.
 */
export async function newKey(kind: KeyKind): Promise<NewKey> {
  if (kind === 'passkey') {
    const identity = await createPasskey();
    return { kind, identity, remember: async (anchor) => rememberPasskey(anchor, identity) };
  }
  await checkDeviceKeyStorage();
  const identity = await createDeviceKey();
  return { kind, identity, remember: (anchor) => rememberDeviceKey(anchor, identity) };
}

/** Every key this browser holds, each kind oldest first; unreadable entries are skipped (see the two stores). */
export async function keysInThisBrowser(): Promise<BrowserKey[]> {
  const passkeys = storedPasskeys().map((p): BrowserKey => {
    const identity = passkeyFor(p);
    return {
      anchor: p.anchor,
      kind: 'passkey',
      principal: identity.getPrincipal().toText(),
      signer: async () => identity,
    };
  });
  const deviceKeys = (await storedDeviceKeys()).map(
    (d): BrowserKey => ({
      anchor: d.anchor,
      kind: 'device-key',
      principal: d.principal,
      signer: () => deviceKeyFor(d),
    }),
  );
  return [...passkeys, ...deviceKeys];
}

/**
 * One key per identity for the sign-in list: a passkey where this browser can use passkeys, else a key kept
 * here; of several, the newest. In identity-number order.
 */
export function onePerIdentity(keys: readonly BrowserKey[], passkeysWork: boolean): BrowserKey[] {
  const chosen = new Map<string, BrowserKey>();
  for (const k of keys) {
    if (k.kind === 'passkey' && !passkeysWork) continue;
    const have = chosen.get(k.anchor);
    if (!have || have.kind === k.kind || k.kind === 'passkey') chosen.set(k.anchor, k);
  }
  return [...chosen.values()].sort((a, b) => (BigInt(a.anchor) < BigInt(b.anchor) ? -1 : 1));
}

/** Forgets a key this browser holds, once it no longer opens the identity. */
export function forgetKey(key: BrowserKey): Promise<void> {
  return key.kind === 'passkey'
    ? Promise.resolve(forgetPasskey(key.principal))
    : forgetDeviceKey(key.principal);
}

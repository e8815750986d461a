/**
 * Passkeys (WebAuthn, W3C Web Authentication Level 2) as IC identities: the agent's WebAuthnIdentity signs each
 * request with the passkey; its principal is the self-authenticating one of the COSE public key, which the
 * endpoint checks as a replica does. The credential id and public key are kept in this browser (localStorage)
 * so the same passkey signs in again without creating another; they are public data, the private key never
 * leaves the authenticator.
 */
import { WebAuthnIdentity } from '@icp-sdk/core/identity';

const STORE = 'waxseal.passkeys';

export interface StoredPasskey {
  readonly anchor: string;
  readonly identity: string;
}

export function storedPasskeys(storage: Storage = localStorage): StoredPasskey[] {
  try {
    const v = JSON.parse(storage.getItem(STORE) ?? '[]');
    return Array.isArray(v)
      ? v.filter((p) => typeof p?.anchor === 'string' && typeof p?.identity === 'string')
      : [];
  } catch {
    return [];
  }
}

export function rememberPasskey(
  anchor: bigint,
  identity: WebAuthnIdentity,
  storage: Storage = localStorage,
): void {
  const list = storedPasskeys(storage).filter((p) => p.anchor !== anchor.toString());
  list.push({ anchor: anchor.toString(), identity: JSON.stringify(identity.toJSON()) });
  storage.setItem(STORE, JSON.stringify(list));
}

export function passkeyFor(stored: StoredPasskey): WebAuthnIdentity {
  return WebAuthnIdentity.fromJSON(stored.identity);
}

/** Asks the browser for a new passkey for Waxseal on this site. */
export function createPasskey(): Promise<WebAuthnIdentity> {
  return WebAuthnIdentity.create({
    publicKey: {
      rp: { name: 'Waxseal' },
      user: {
        id: crypto.getRandomValues(new Uint8Array(16)),
        name: 'Waxseal identity',
        displayName: 'Waxseal identity',
      },
      pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
      challenge: crypto.getRandomValues(new Uint8Array(32)),
      authenticatorSelection: { userVerification: 'preferred', residentKey: 'preferred' },
      timeout: 60_000,
      attestation: 'none',
    },
  });
}

/**
 * Passkeys (WebAuthn, W3C Web Authentication Level 2) as IC identities: the agent's WebAuthnIdentity signs each
 * request with the passkey; its principal is the self-authenticating one of the COSE public key, which the
 * endpoint checks as a replica does. The credential id and public key are kept in this browser (localStorage)
 * so the same passkey signs in again without creating another; they are public data, the private key never
 * leaves the authenticator. The store is read defensively: anything unreadable is skipped, never fatal.
 */
import { WebAuthnIdentity } from '@icp-sdk/core/identity';

const STORE = 'waxseal.passkeys';

export interface StoredPasskey {
  readonly anchor: string;
  readonly identity: string;
}

/** Whether this browser can make and use passkeys at all (absent in some embedded and older browsers). */
export function webAuthnAvailable(): boolean {
  return typeof window !== 'undefined' && typeof window.PublicKeyCredential !== 'undefined';
}

function storage(given?: Storage): Storage | null {
  try {
    return given ?? localStorage;
  } catch {
    return null; // storage disabled: reading `localStorage` itself throws
  }
}

/** The passkeys this browser remembers: entries that do not parse as a passkey are left out. */
export function storedPasskeys(given?: Storage): StoredPasskey[] {
  try {
    const v: unknown = JSON.parse(storage(given)?.getItem(STORE) ?? '[]');
    if (!Array.isArray(v)) return [];
    return v.filter((p): p is StoredPasskey => {
      if (typeof p?.anchor !== 'string' || !/^\d+$/.test(p.anchor) || typeof p?.identity !== 'string') {
        return false;
      }
      try {
        WebAuthnIdentity.fromJSON(p.identity);
        return true;
      } catch {
        return false;
      }
    });
  } catch {
    return [];
  }
}

function save(list: StoredPasskey[], given?: Storage): void {
  const s = storage(given);
  if (!s) throw new Error('this browser does not let Waxseal keep anything (site storage is turned off)');
  s.setItem(STORE, JSON.stringify(list));
}

/** Remembers `identity` as a passkey for `anchor`, after any stored before (the list is oldest first). */
export function rememberPasskey(anchor: bigint, identity: WebAuthnIdentity, given?: Storage): void {
  const entry = { anchor: anchor.toString(), identity: JSON.stringify(identity.toJSON()) };
  const list = storedPasskeys(given).filter(
    (p) => p.anchor !== entry.anchor || p.identity !== entry.identity,
  );
  save([...list, entry], given);
}

/** Forgets the stored passkey with this principal, once it has been removed from its identity. */
export function forgetPasskey(principal: string, given?: Storage): void {
  const list = storedPasskeys(given);
  const rest = list.filter((p) => passkeyFor(p).getPrincipal().toText() !== principal);
  if (rest.length !== list.length) save(rest, given);
}

/** The person cancelled the passkey prompt, or let it time out (WebAuthn reports both as NotAllowedError). */
export function isPasskeyCancelled(e: unknown): boolean {
  return e instanceof DOMException && e.name === 'NotAllowedError';
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

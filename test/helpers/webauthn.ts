/**
 * A passkey authenticator for Node tests: `navigator.credentials.get` answered as a browser answers
 * @icp-sdk/core's `WebAuthnIdentity.sign` (WebAuthn Level 2 "Verifying an Authentication Assertion": client data
 * JSON with type `webauthn.get` and the base64url challenge, authenticator data, and an ES256 signature over
 * `authenticatorData ‖ SHA-256(clientDataJSON)`), with faults a broken or hostile client could introduce.
 */
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { WebAuthnIdentity } from '@icp-sdk/core/identity';
import { sha256 } from '@noble/hashes/sha2.js';
import { base64urlnopad } from '@scure/base';
import { vi } from 'vitest';
import { concatBytes, toHex, utf8 } from '../../src/encoding/bytes.ts';

/** `challenge`: signs another message; `type`: a `webauthn.create` client data; `signature`: signs other data. */
export type WebAuthnFault = 'none' | 'challenge' | 'type' | 'signature';

interface GetOptions {
  publicKey: { challenge: Uint8Array; allowCredentials: { id: Uint8Array }[] };
}

export class StubAuthenticator {
  fault: WebAuthnFault = 'none';
  private readonly keys = new Map<string, KeyObject>();
  private created = 0;

  /** Puts this authenticator behind `navigator.credentials` until {@link uninstall}. */
  install(): void {
    vi.stubGlobal('navigator', { credentials: { get: (o: GetOptions) => this.get(o) } });
  }

  uninstall(): void {
    vi.unstubAllGlobals();
  }

  /** A new P-256 credential: the agent's own WebAuthnIdentity around its COSE key (RFC 9053 §7.1.1). */
  p256Identity(): WebAuthnIdentity {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const rawId = utf8(`credential-${++this.created}`);
    this.keys.set(toHex(rawId), pair.privateKey);
    const jwk = pair.publicKey.export({ format: 'jwk' });
    const b64 = (s: string | undefined) => base64urlnopad.decode(s!);
    const cose = concatBytes(
      Uint8Array.of(0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20),
      b64(jwk.x),
      Uint8Array.of(0x22, 0x58, 0x20),
      b64(jwk.y),
    );
    return new WebAuthnIdentity(rawId, cose, undefined);
  }

  private async get({ publicKey }: GetOptions) {
    const id = publicKey.allowCredentials[0]?.id;
    const key = id && this.keys.get(toHex(new Uint8Array(id)));
    if (!key) throw new Error('NotAllowedError: no such credential');
    const challenge =
      this.fault === 'challenge' ? utf8('another message') : new Uint8Array(publicKey.challenge);
    const clientDataJSON = utf8(
      JSON.stringify({
        type: this.fault === 'type' ? 'webauthn.create' : 'webauthn.get',
        challenge: base64urlnopad.encode(challenge),
        origin: 'http://localhost:5173',
        crossOrigin: false,
      }),
    );
    // rpIdHash ‖ flags (UP, UV) ‖ signCount
    const authenticatorData = concatBytes(sha256(utf8('localhost')), Uint8Array.of(0x05, 0, 0, 0, 1));
    const signed = concatBytes(
      authenticatorData,
      sha256(this.fault === 'signature' ? utf8('{}') : clientDataJSON),
    );
    return {
      authenticatorAttachment: null,
      response: { authenticatorData, clientDataJSON, signature: new Uint8Array(sign('sha256', signed, key)) },
    };
  }
}

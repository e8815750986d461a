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
import { afterAll, beforeAll, vi } from 'vitest';
import { concatBytes, toHex, utf8 } from '../../src/encoding/bytes.ts';

/** `challenge`: signs another message; `type`: a `webauthn.create` client data; `signature`: signs other data. */
export type WebAuthnFault = 'none' | 'challenge' | 'type' | 'signature';

const b64 = (s: string | undefined) => base64urlnopad.decode(s!);

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
    const jwk = pair.publicKey.export({ format: 'jwk' });
    const cose = concatBytes(
      Uint8Array.of(0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20),
      b64(jwk.x),
      Uint8Array.of(0x22, 0x58, 0x20),
      b64(jwk.y),
    );
    return this.credential(pair.privateKey, cose);
  }

  /** A new RSA credential, a 2048-bit key as Windows Hello makes: COSE_Key RSA RS256 (RFC 8230 §4). */
  rsaIdentity(): WebAuthnIdentity {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = pair.publicKey.export({ format: 'jwk' });
    const cose = concatBytes(
      Uint8Array.of(0xa4, 0x01, 0x03, 0x03, 0x39, 0x01, 0x00, 0x20, 0x59, 0x01, 0x00),
      b64(jwk.n),
      Uint8Array.of(0x21, 0x43),
      b64(jwk.e),
    );
    return this.credential(pair.privateKey, cose);
  }

  /** Registers `privateKey` under a new credential id. */
  private credential(privateKey: KeyObject, cose: Uint8Array): WebAuthnIdentity {
    const rawId = utf8(`credential-${++this.created}`);
    this.keys.set(toHex(rawId), privateKey);
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

/** A {@link StubAuthenticator} behind `navigator.credentials` for the tests of the enclosing describe block. */
export function useStubAuthenticator(): StubAuthenticator {
  const authenticator = new StubAuthenticator();
  beforeAll(() => authenticator.install());
  afterAll(() => authenticator.uninstall());
  return authenticator;
}

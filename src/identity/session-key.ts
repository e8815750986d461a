/**
 * Session keys a delegation may be issued to (protocol.md §9): DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) of
 * Ed25519 (RFC 8410 §4), ECDSA P-256 or secp256k1 (RFC 5480 §2), uncompressed points, at most 1024 bytes.
 * agent-js writes exactly these encodings, so a fixed prefix plus the key length is a complete check.
 */
import { hex } from '@scure/base';

const PREFIXES: ReadonlyArray<{ kind: SessionKeyKind; prefix: Uint8Array; keyLength: number }> = [
  { kind: 'ed25519', prefix: hex.decode('302a300506032b6570032100'), keyLength: 32 },
  { kind: 'p256', prefix: hex.decode('3059301306072a8648ce3d020106082a8648ce3d030107034200'), keyLength: 65 },
  { kind: 'secp256k1', prefix: hex.decode('3056301006072a8648ce3d020106052b8104000a034200'), keyLength: 65 },
];

export type SessionKeyKind = 'ed25519' | 'p256' | 'secp256k1';
export const MAX_SESSION_KEY_BYTES = 1024;

/** The key's kind, or null when it is not one of the accepted encodings. */
export function sessionKeyKind(der: Uint8Array): SessionKeyKind | null {
  if (der.length > MAX_SESSION_KEY_BYTES) return null;
  for (const { kind, prefix, keyLength } of PREFIXES) {
    if (der.length !== prefix.length + keyLength) continue;
    if (!prefix.every((b, i) => der[i] === b)) continue;
    if (keyLength === 65 && der[prefix.length] !== 0x04) return null;
    return kind;
  }
  return null;
}

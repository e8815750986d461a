/**
 * The gateway's IC identity: an Ed25519 key (RFC 8032) in a PKCS#8 PEM file (RFC 8410 §7), the format dfx
 * identities use, created on first start. Its self-authenticating principal is what the operator lists in the
 * canister's `gateway_principals`.
 *
 * The file is created with O_EXCL and mode 0600, so two starts cannot race to different keys, and a key that
 * other users can read is refused (as ssh refuses one): anyone holding it can relay mail as this gateway.
 */
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { base64url } from '@scure/base';

export class IdentityKeyError extends Error {}

function fromPem(pem: string, file: string): Ed25519KeyIdentity {
  try {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`a ${key.asymmetricKeyType} key, not Ed25519`);
    const { d } = key.export({ format: 'jwk' });
    return Ed25519KeyIdentity.fromSecretKey(base64url.decode(`${d}`.padEnd(44, '=')));
  } catch (e) {
    throw new IdentityKeyError(`${file} is not an Ed25519 PKCS#8 PEM key: ${(e as Error).message}`);
  }
}

function create(file: string): Ed25519KeyIdentity | null {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const pem = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return null;
    throw new IdentityKeyError(`cannot create ${file}: ${(e as NodeJS.ErrnoException).code}`);
  }
  try {
    writeFileSync(fd, pem);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return fromPem(pem, file);
}

/** Loads the key, creating it when the file does not exist. */
export function loadOrCreateIdentity(file: string): { identity: Ed25519KeyIdentity; created: boolean } {
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new IdentityKeyError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code}`);
    }
    const made = create(file);
    if (made) return { identity: made, created: true };
    mode = statSync(file).mode;
  }
  if ((mode & 0o077) !== 0) {
    throw new IdentityKeyError(
      `${file} is readable by other users (mode ${(mode & 0o777).toString(8)}); run chmod 600 ${file}`,
    );
  }
  return { identity: fromPem(readFileSync(file, 'utf8'), file), created: false };
}

/** Signs test messages with dkimpy, an independent DKIM implementation, through Debian's python3. */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { encodeBase64 } from '../../src/encoding/bytes.ts';

export const DEBIAN_PYTHON = '/usr/bin/python3';

export interface SignJob {
  message: string;
  domain: string;
  selector: string;
  headers: string[];
  timestamp: number;
}

export interface Ed25519TestKey {
  seedB64: string;
  /** The DKIM key record for it. */
  record: string;
}

export function ed25519TestKey(): Ed25519TestKey {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const seed = new Uint8Array(privateKey.export({ format: 'der', type: 'pkcs8' })).subarray(16);
  const raw = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })).subarray(12);
  return { seedB64: encodeBase64(seed), record: `v=DKIM1; k=ed25519; p=${encodeBase64(raw)}` };
}

/** Signs every job with the same key in one python process; returns CRLF messages as binary strings. */
export function dkimpySign(key: Ed25519TestKey, jobs: SignJob[]): string[] {
  const input = JSON.stringify({
    jobs: jobs.map((j) => ({ ...j, key: key.seedB64, algorithm: 'ed25519-sha256' })),
  });
  const out = execFileSync(DEBIAN_PYTHON, [join(import.meta.dirname, 'dkimpy-sign.py')], {
    input,
    encoding: 'latin1',
  });
  return JSON.parse(out).signed;
}

/**
 * Every CryptoBackend (src/crypto/backend.ts), for the suites that must see identical verdicts from all of
 * them: add a backend here and every vector, mutation and agreement test runs on it.
 */
import type { CryptoBackend } from '../../src/crypto/backend.ts';
import { nodeCrypto } from '../../src/crypto/node.ts';
import { pureCrypto } from '../../src/crypto/pure.ts';
import { webCrypto } from '../../src/crypto/webcrypto.ts';

export const BACKENDS: readonly CryptoBackend[] = [pureCrypto, webCrypto, nodeCrypto];

/** Each backend's answer by name, so a disagreement names the backend: `{ pure: true, webcrypto: false, … }`. */
export async function verdicts(fn: (b: CryptoBackend) => Promise<boolean>): Promise<Record<string, boolean>> {
  const got = await Promise.all(BACKENDS.map(fn));
  return Object.fromEntries(BACKENDS.map((b, i) => [b.name, got[i]!]));
}

/** The answer every backend must give: `unanimous(false)` = `{ pure: false, webcrypto: false, … }`. */
export function unanimous(verdict: boolean): Record<string, boolean> {
  return Object.fromEntries(BACKENDS.map((b) => [b.name, verdict]));
}

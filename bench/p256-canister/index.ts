/**
 * A benchmark-only canister (scripts/bench-p256.ts builds it; never deployed): verifies one fixed ECDSA P-256
 * signature n times with Waxseal's verifier (src/crypto/p256.ts) or with @noble/curves, so the instruction counts
 * of both run in the same QuickJS build as the Waxseal canister.
 */
import { p256 } from '@noble/curves/nist.js';
import { IDL, query } from 'azle';
import { p256Verify } from '../../src/crypto/p256.ts';

const SECRET = new Uint8Array(48).fill(7); // a fixed seed: the inputs are the same on every build
const MESSAGE = new TextEncoder().encode('DNSSEC RRset bytes stand-in');
const KEY = p256.getPublicKey(p256.utils.randomSecretKey(SECRET), false);
const SIGNATURE = p256.sign(MESSAGE, p256.utils.randomSecretKey(SECRET));

const verifiers: Record<string, () => boolean> = {
  waxseal: () => p256Verify(KEY.subarray(1), MESSAGE, SIGNATURE),
  noble: () => p256.verify(SIGNATURE, MESSAGE, KEY, { lowS: false }),
};

export default class {
  /** Runs `n` verifications with the named implementation; true when all passed. */
  @query([IDL.Text, IDL.Nat32], IDL.Bool)
  verify(implementation: string, n: number): boolean {
    const run = verifiers[implementation];
    if (!run) throw new Error(`unknown implementation ${implementation}`);
    let ok = true;
    for (let i = 0; i < n; i++) ok = run() && ok;
    return ok;
  }
}

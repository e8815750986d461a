/**
 * The host's state-root signature (src/host/certificate.ts `signStateRoot`) skips noble's redundant subgroup checks
 * and encodes the point itself. It must give byte for byte what noble's `sign(…).toBytes(true)` gives (both signs
 * of y come up over 64 roots), and the agent's BLS check must accept it.
 */
import { blsVerify } from '@icp-sdk/core/agent';
import { bls12_381 } from '@noble/curves/bls12-381.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blsPublicKey, STATE_ROOT_DOMAIN_SEPARATOR, signStateRoot } from '../src/host/certificate.ts';

const bls = bls12_381.shortSignatures;

describe('signStateRoot', () => {
  it('equals noble sign + toBytes(true) for any key and root, and the agent verifies it', () => {
    const yFlags = new Set<number>();
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 48, maxLength: 48 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (seed, root) => {
          const { secretKey } = bls.keygen(seed);
          const message = new Uint8Array([...STATE_ROOT_DOMAIN_SEPARATOR, ...root]);
          const ours = signStateRoot(secretKey, root);
          expect(ours).toEqual(bls.sign(bls.hash(message), secretKey).toBytes(true));
          yFlags.add(ours[0]! & 0xe0);
          expect(blsVerify(blsPublicKey(secretKey), ours, message)).toBe(true);
        },
      ),
      { numRuns: 64 },
    );
    expect([...yFlags].sort()).toEqual([0x80, 0xa0]);
  });
});

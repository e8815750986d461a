/**
 * The gateway's certificate signature check (src/gateway/bls-verifier.ts): the agent's BLS verify in a worker
 * thread, remembered per exact (key, signature, message). A real signature passes, any changed byte fails, and the
 * answers agree with the agent's own check in this thread.
 */
import { blsVerify } from '@icp-sdk/core/agent';
import { afterAll, describe, expect, it } from 'vitest';
import { BlsVerifier } from '../src/gateway/bls-verifier.ts';
import { blsPublicKey, STATE_ROOT_DOMAIN_SEPARATOR, signStateRoot } from '../src/host/certificate.ts';
import { blsSecretKeyFromSeed } from './helpers/ic-certificates.ts';

const sk = blsSecretKeyFromSeed(new Uint8Array(48).fill(7));
const pk = blsPublicKey(sk);
const root = new Uint8Array(32).fill(1);
const sig = signStateRoot(sk, root);
const msg = new Uint8Array([...STATE_ROOT_DOMAIN_SEPARATOR, ...root]);
const verifier = new BlsVerifier();
afterAll(() => verifier.close());

const flip = (b: Uint8Array, i: number) => {
  const c = b.slice();
  c[i]! ^= 1;
  return c;
};

describe('BlsVerifier', () => {
  it('accepts the signature of a state root, as the agent does', async () => {
    expect(blsVerify(pk, sig, msg)).toBe(true);
    expect(await verifier.verify(pk, sig, msg)).toBe(true);
  });

  it('refuses a changed message, signature or key, and garbage, without throwing', async () => {
    expect(await verifier.verify(pk, sig, flip(msg, msg.length - 1))).toBe(false);
    expect(await verifier.verify(pk, flip(sig, 10), msg)).toBe(false);
    expect(await verifier.verify(flip(pk, 50), sig, msg)).toBe(false);
    expect(await verifier.verify(new Uint8Array(3), new Uint8Array(2), msg)).toBe(false);
  });

  it('concurrent checks of one round share one answer; a remembered false stays false', async () => {
    const bad = flip(sig, 20);
    const answers = await Promise.all([
      ...Array.from({ length: 8 }, () => verifier.verify(pk, sig, msg)),
      ...Array.from({ length: 8 }, () => verifier.verify(pk, bad, msg)),
    ]);
    expect(answers).toEqual([...Array(8).fill(true), ...Array(8).fill(false)]);
    expect(verifier.verify(pk, sig, msg)).toBe(verifier.verify(pk, sig, msg));
  });

  it('keeps checking in this thread once the worker is gone', async () => {
    const v = new BlsVerifier();
    await v.close();
    expect(await v.verify(pk, sig, msg)).toBe(true);
    expect(await v.verify(pk, flip(sig, 1), msg)).toBe(false);
  });
});

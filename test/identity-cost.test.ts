/**
 * Work done by the canister-side signature map, counted in SHA-256 compression blocks (the dominant cost in
 * QuickJS: ≈ 1.7 M instructions per block, ic-notes §0/§1.8). With 100 live signatures, `add` must rehash one
 * path (not rebuild the tree) and `get_delegation`'s witness must not hash at all.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it, vi } from 'vitest';
import { delegationSignatureCbor } from '../src/identity/canister-sig.ts';
import { delegationMessageHash } from '../src/identity/delegation.ts';
import { reconstruct } from '../src/identity/hash-tree.ts';
import { SignatureMap } from '../src/identity/signature-map.ts';

const counter = vi.hoisted(() => ({ blocks: 0 }));

// Every importer of SHA-256 in this file's module graph (src and this test) gets the counting wrapper, so
// inputs are hashed before `measure` starts.
vi.mock('@noble/hashes/sha2.js', async (importOriginal) => {
  const mod = await importOriginal<typeof import('@noble/hashes/sha2.js')>();
  const blocks = (n: number) => Math.ceil((n + 9) / 64);
  const sha256 = Object.assign(
    (msg: Uint8Array) => {
      counter.blocks += blocks(msg.length);
      return mod.sha256(msg);
    },
    mod.sha256,
    {
      create: () => {
        const inner = mod.sha256.create();
        let len = 0;
        const h = {
          update(b: Uint8Array) {
            len += b.length;
            inner.update(b);
            return h;
          },
          digest() {
            counter.blocks += blocks(len);
            return inner.digest();
          },
        };
        return h;
      },
    },
  );
  return { ...mod, sha256 };
});

const te = new TextEncoder();
const seedHash = (i: number) => sha256(te.encode(`seed ${i}`));
const msgHash = (i: number) => sha256(te.encode(`msg ${i}`));
const INSTRUCTIONS_PER_BLOCK = 1.7e6;

function measure<T>(f: () => T): [T, number] {
  counter.blocks = 0;
  const r = f();
  return [r, counter.blocks];
}

describe('signature map cost with 100 live signatures (100 distinct seeds)', () => {
  const map = new SignatureMap();
  for (let i = 0; i < 100; i++) map.add(seedHash(i), msgHash(i), 1_000n + BigInt(i));
  // As in the canister: every update ends by certifying, which rehashes what it changed.
  map.certifiedData();
  // A full rebuild hashes ≥ 7 blocks per signature (leaf, 2 labels, forks): ≈ 700 blocks for 100.
  const FULL_REBUILD_BLOCKS = 7 * 100;

  it('add (prepare_delegation) rehashes one path: O(log n) blocks', () => {
    const costs: number[] = [];
    for (let i = 100; i < 110; i++) {
      map.prune(0n);
      const [s, m] = [seedHash(i), msgHash(i)];
      const [, blocks] = measure(() => {
        map.add(s, m, 2_000n);
        map.certifiedData();
      });
      costs.push(blocks);
    }
    const worst = Math.max(...costs);
    console.info(
      `add+certify with ~100 live sigs: ${Math.min(...costs)}–${worst} SHA-256 blocks ` +
        `(≈ ${((worst * INSTRUCTIONS_PER_BLOCK) / 1e6).toFixed(0)} M QuickJS instructions); full rebuild ≈ ${FULL_REBUILD_BLOCKS}`,
    );
    expect(worst).toBeLessThan(80);
  });

  it('witness (get_delegation) does no hashing; the whole get_delegation path is a handful of blocks', () => {
    const [s, m] = [seedHash(50), msgHash(50)];
    const [w, blocks] = measure(() => map.witness(s, m));
    expect(blocks).toBe(0);
    expect(w).toBeDefined();
    const [, cached] = measure(() => map.certifiedData());
    expect(cached).toBe(0);
    // A real get_delegation: SHA-256(seed), the delegation RIH and message hash, witness, CBOR.
    const seed = te.encode('a 32-byte seed for the canister!');
    const d = { pubkey: new Uint8Array(44), expiration: 1_234_567_890_000_000_000n };
    map.add(sha256(seed), delegationMessageHash(d), 3_000n);
    map.certifiedData();
    // Counted: SHA-256(seed), the RIH of {pubkey, expiration} and SHA-256 of the payload; the witness is free.
    const [sig, getBlocks] = measure(() => delegationSignatureCbor(map, new Uint8Array(1200), seed, d));
    expect(sig).toBeDefined();
    console.info(`get_delegation signature: ${getBlocks} SHA-256 blocks, ${sig!.length} bytes`);
    expect(getBlocks).toBeLessThan(15);
    // Sanity: the counted wrapper is the real SHA-256.
    expect(reconstruct(map.witness(sha256(seed), delegationMessageHash(d))!)).toEqual(map.certifiedData());
  });

  it('prune of 50 expired signatures rehashes the union of their paths once', () => {
    const [removed, blocks] = measure(() => {
      const n = map.prune(1_999n);
      map.certifiedData();
      return n;
    });
    expect(removed).toBe(50);
    console.info(`prune 50 of ~110: ${blocks} SHA-256 blocks`);
    expect(blocks).toBeLessThan(FULL_REBUILD_BLOCKS / 2);
  });
});

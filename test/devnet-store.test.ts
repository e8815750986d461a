/**
 * The devnet's building blocks without HTTP: the data folder (journal records, torn tails, damaged snapshots,
 * compaction), state-tree witnesses (IC interface spec "Certification": a pruned tree keeps its root hash and
 * reveals exactly the requested paths) and the JSON → Candid install argument.
 */
import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IDL } from '@icp-sdk/core/candid';
import { sha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { init } from '../canister/declarations/waxseal.did.ts';
import { ConfigArgError, encodeConfigArg } from '../src/devnet/config-arg.ts';
import { DataFolder, DataFolderError, type DevnetIdentity } from '../src/devnet/persistence.ts';
import {
  certifiedStateTree,
  type RequestStatus,
  rootHash,
  roundTree,
  type StateFacts,
  witness,
} from '../src/devnet/state-tree.ts';
import { compareBytes, utf8 } from '../src/encoding/bytes.ts';
import { DIRTY_BLOCK, StableMemory } from '../src/host/memory.ts';
import { encodeCbor } from '../src/identity/cbor.ts';
import { type HashTree, lookupPath, pruned, reconstruct } from '../src/identity/hash-tree.ts';
import { tempDirs } from './helpers/temp-dirs.ts';

const tempDir = tempDirs('waxseal-store-');
function folder(): DataFolder {
  return new DataFolder(join(tempDir(), 'data'));
}

const IDENTITY: DevnetIdentity = {
  format: 1,
  canisterId: 'rrkah-fqaaa-aaaaa-aaaaq-cai',
  controllers: ['2vxsx-fae'],
  rootSecretKey: '11'.repeat(32),
  nodeSecretKey: '22'.repeat(32),
};

const PAGE = 65_536n;

/** Whole-memory comparison (vitest's deep equality is slow on hundreds of KiB). */
function expectSameMemory(a: StableMemory, b: StableMemory): void {
  expect(a.size).toBe(b.size);
  expect(Buffer.from(a.toBytes()).equals(Buffer.from(b.toBytes()))).toBe(true);
}

/** A memory of `pages` pages with `writes` applied, each committed like a message. */
function memoryWith(pages: bigint, writes: readonly { at: number; bytes: Uint8Array }[]): StableMemory {
  const m = new StableMemory();
  m.grow(pages);
  for (const w of writes) {
    m.begin();
    m.write(BigInt(w.at), w.bytes);
    m.commit();
  }
  return m;
}

describe('data folder', () => {
  it('a new folder loads back the snapshot: same bytes, time and version', () => {
    const data = folder();
    const m = memoryWith(4n, [{ at: 70_000, bytes: Uint8Array.of(1, 2, 3) }]);
    m.takeDirtyBlocks();
    data.create(IDENTITY, m, 123n, 1n);
    const loaded = data.load();
    expect(loaded.identity).toEqual(IDENTITY);
    expect(loaded.timeNs).toBe(123n);
    expect(loaded.version).toBe(1n);
    expect(loaded.stable.size).toBe(4n);
    expectSameMemory(loaded.stable, m);
    expect(loaded.replayed).toBe(0);
  });

  it('journal records replay in order over the snapshot, with their statuses', async () => {
    const data = folder();
    const m = memoryWith(2n, []);
    data.create(IDENTITY, m, 1n, 1n);
    m.begin();
    m.write(10n, Uint8Array.of(9, 9));
    m.commit();
    await data.append(2n, 1n, m.takeDirtyBlocks(), [
      { id: 'aa', expiry: '5', sender: '04', canister: '01', status: 'replied', reply: 'AQ==' },
    ]);
    m.grow(1n);
    m.begin();
    m.write(2n * PAGE + 5n, Uint8Array.of(7));
    m.write(10n, Uint8Array.of(8));
    m.commit();
    await data.append(3n, 2n, m.takeDirtyBlocks(), []);
    data.close();
    const loaded = data.load();
    expect(loaded.replayed).toBe(2);
    expect(loaded.timeNs).toBe(3n);
    expect(loaded.version).toBe(2n);
    expect(loaded.stable.size).toBe(3n);
    expectSameMemory(loaded.stable, m);
    expect(loaded.statuses.map((s) => s.id)).toEqual(['aa']);
  });

  it('a torn last record (the process died while writing it) is cut off; the earlier ones stay', async () => {
    const data = folder();
    const m = memoryWith(1n, []);
    data.create(IDENTITY, m, 1n, 1n);
    m.begin();
    m.write(0n, Uint8Array.of(5));
    m.commit();
    await data.append(2n, 1n, m.takeDirtyBlocks(), []);
    data.close();
    const journal = join(data.dir, 'journal.wal');
    const good = statSync(journal).size;
    appendFileSync(journal, readFileSync(journal).subarray(0, 100)); // half of a second record
    const loaded = data.load();
    expect(loaded.replayed).toBe(1);
    expect(loaded.tornTail).toBe(true);
    expect(loaded.stable.read(0n, 1)).toEqual(Uint8Array.of(5));
    expect(statSync(journal).size).toBe(good);
  });

  it('a flipped byte inside a record ends the replay there (its hash fails)', async () => {
    const data = folder();
    const m = memoryWith(1n, []);
    data.create(IDENTITY, m, 1n, 1n);
    for (const v of [1, 2]) {
      m.begin();
      m.write(0n, Uint8Array.of(v));
      m.commit();
      await data.append(BigInt(v + 1), 1n, m.takeDirtyBlocks(), []);
    }
    data.close();
    const journal = join(data.dir, 'journal.wal');
    const bytes = readFileSync(journal);
    bytes[bytes.length - 40]! ^= 0xff; // inside the second record
    writeFileSync(journal, bytes);
    const loaded = data.load();
    expect(loaded.replayed).toBe(1);
    expect(loaded.stable.read(0n, 1)).toEqual(Uint8Array.of(1));
  });

  it('a damaged snapshot or devnet.json is a DataFolderError, not a crash', () => {
    const data = folder();
    data.create(IDENTITY, memoryWith(1n, []), 1n, 1n);
    const snapshot = join(data.dir, 'stable.snapshot');
    const bytes = readFileSync(snapshot);
    bytes[10]! ^= 1;
    writeFileSync(snapshot, bytes);
    expect(() => data.load()).toThrow(DataFolderError);
    writeFileSync(join(data.dir, 'devnet.json'), '{not json');
    expect(() => data.load()).toThrow(/devnet\.json is unreadable/);
  });

  it('compaction folds the journal into the snapshot and empties it; loading gives the same state', async () => {
    const data = folder();
    const m = memoryWith(2n, []);
    data.create(IDENTITY, m, 1n, 1n);
    m.begin();
    m.write(65_000n, new Uint8Array(2000).fill(3)); // spans two blocks and two pages
    m.commit();
    await data.append(2n, 1n, m.takeDirtyBlocks(), []);
    data.compact(m, 2n, 1n, []);
    expect(statSync(join(data.dir, 'journal.wal')).size).toBe(0);
    const loaded = data.load();
    expectSameMemory(loaded.stable, m);
    expect(loaded.replayed).toBe(0);
  });

  it('property: any sequence of committed writes survives append + load byte for byte', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.array(
            fc.record({
              at: fc.integer({ min: 0, max: 3 * 65_536 - 64 }),
              bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }),
            }),
            { maxLength: 4 },
          ),
          { maxLength: 4 },
        ),
        async (rounds) => {
          const data = folder();
          const m = memoryWith(3n, []);
          data.create(IDENTITY, m, 1n, 1n);
          for (const [i, writes] of rounds.entries()) {
            for (const w of writes) {
              m.begin();
              m.write(BigInt(w.at), w.bytes);
              m.commit();
            }
            await data.append(BigInt(i + 2), 1n, m.takeDirtyBlocks(), []);
          }
          data.close();
          expectSameMemory(data.load().stable, m);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('a rolled-back write is not journaled', () => {
    const m = memoryWith(1n, []);
    m.begin();
    m.write(0n, Uint8Array.of(1));
    m.rollback();
    expect(m.takeDirtyBlocks().blocks.size).toBe(0);
    m.begin();
    m.write(BigInt(DIRTY_BLOCK) - 1n, Uint8Array.of(1, 2)); // straddles blocks 0 and 1
    m.commit();
    expect([...m.takeDirtyBlocks().blocks.keys()]).toEqual([0n, 1n]);
  });
});

describe('state tree witnesses', () => {
  const facts: StateFacts = {
    timeNs: 1_700_000_000_000_000_000n,
    subnet: {
      subnetId: Uint8Array.of(1, 2),
      publicKeyDer: Uint8Array.of(3),
      canisterRanges: [[Uint8Array.of(0), Uint8Array.of(9)]],
      nodeId: Uint8Array.of(4),
      nodePublicKeyDer: Uint8Array.of(5),
    },
    canisters: [
      {
        id: Uint8Array.of(0, 1),
        certifiedData: Uint8Array.of(6),
        moduleHash: Uint8Array.of(7),
        controllers: [Uint8Array.of(4)],
        publicMetadata: new Map([['candid:service', new TextEncoder().encode('service : {}')]]),
      },
    ],
    statuses: [1, 2, 3].map((i) => ({
      id: new Uint8Array(32).fill(i),
      sender: Uint8Array.of(4),
      canisterId: Uint8Array.of(0, 1),
      ingressExpiry: 1n,
      outcome: { status: 'replied' as const, reply: Uint8Array.of(i) },
    })),
  };
  const tree = certifiedStateTree(facts);

  it('keeps the root hash and reveals the requested request status, hiding the others', () => {
    const id2 = new Uint8Array(32).fill(2);
    const cut = witness(tree, [['request_status', id2], ['time']]);
    expect(reconstruct(cut)).toEqual(reconstruct(tree));
    expect(lookupPath(['request_status', id2, 'reply'], cut)).toEqual({
      status: 'found',
      value: Uint8Array.of(2),
    });
    expect(lookupPath(['request_status', new Uint8Array(32).fill(1), 'reply'], cut).status).not.toBe('found');
    expect(lookupPath(['time'], cut).status).toBe('found');
    expect(lookupPath(['subnet', Uint8Array.of(1, 2), 'public_key'], cut).status).not.toBe('found');
  });

  it('a path prefix reveals the whole subtree (read_state of /subnet)', () => {
    const cut = witness(tree, [['subnet']]);
    expect(lookupPath(['subnet', Uint8Array.of(1, 2), 'node', Uint8Array.of(4), 'public_key'], cut)).toEqual({
      status: 'found',
      value: Uint8Array.of(5),
    });
    expect(lookupPath(['canister', Uint8Array.of(0, 1), 'module_hash'], cut).status).not.toBe('found');
  });

  it('property: any set of paths keeps the root hash', () => {
    const labels = ['canister', 'request_status', 'subnet', 'time', 'metadata', 'x'];
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.constantFrom(...labels), { maxLength: 3 }), { maxLength: 4 }),
        (paths) => {
          expect(reconstruct(witness(tree, paths))).toEqual(reconstruct(tree));
        },
      ),
    );
  });

  /** `witness` as it was before subtree hashes were memoised: visits every node, hashes every pruned subtree. */
  const uncachedWitness = (t: HashTree, paths: readonly (readonly Uint8Array[])[]): HashTree => {
    if (paths.some((p) => p.length === 0)) return t;
    if (paths.length === 0) return pruned(reconstruct(t));
    switch (t[0]) {
      case 0:
        return t;
      case 1: {
        const left = uncachedWitness(t[1], paths);
        const right = uncachedWitness(t[2], paths);
        return left[0] === 4 && right[0] === 4 ? pruned(reconstruct(t)) : [1, left, right];
      }
      case 2: {
        const rest = paths.filter((p) => compareBytes(p[0]!, t[1]) === 0).map((p) => p.slice(1));
        return rest.length === 0 ? pruned(reconstruct(t)) : [2, t[1], uncachedWitness(t[2], rest)];
      }
      default:
        return t[0] === 3 ? pruned(reconstruct(t)) : t;
    }
  };

  it("a round's witnesses are the uncached ones, byte for byte, and each reconstructs the round's root", () => {
    const statusOf = (i: number): RequestStatus => ({
      id: sha256(Uint8Array.of(i >> 8, i)),
      sender: Uint8Array.of(4),
      canisterId: Uint8Array.of(0, 1),
      ingressExpiry: 1n,
      outcome:
        i % 5 === 0
          ? { status: 'rejected', rejectCode: 5, rejectMessage: `no ${i}`, errorCode: 'IC0503' }
          : { status: 'replied', reply: Uint8Array.of(i) },
    });
    for (const n of [1, 2, 3, 10, 33, 100]) {
      const statuses = Array.from({ length: n }, (_, i) => statusOf(i));
      const round = roundTree(1_700_000_000_000_000_000n, statuses);
      const root = rootHash(round);
      expect(root).toEqual(reconstruct(round));
      for (const s of statuses) {
        const w = witness(round, [['request_status', s.id], ['time']]);
        const expected = uncachedWitness(round, [[utf8('request_status'), s.id], [utf8('time')]]);
        expect(encodeCbor(w)).toEqual(encodeCbor(expected));
        expect(reconstruct(w)).toEqual(root);
        expect(lookupPath(['request_status', s.id, 'status'], w).status).toBe('found');
      }
      // A status the round does not hold: absent, still under the same root.
      const other = witness(round, [['request_status', new Uint8Array(32)], ['time']]);
      expect(encodeCbor(other)).toEqual(
        encodeCbor(uncachedWitness(round, [[utf8('request_status'), new Uint8Array(32)], [utf8('time')]])),
      );
      expect(reconstruct(other)).toEqual(root);
    }
  });
});

describe('JSON config → install argument', () => {
  const decode = (bytes: Uint8Array) => IDL.decode(init({ IDL }), bytes)[0] as unknown[];

  it('maps every field of Config: opt absent or null → none, nat64 from a number or a decimal string', () => {
    const arg = encodeConfigArg({
      mail_hosts: ['mail.example.org'],
      app_origin: 'https://app.example.org',
      doh: {
        allowed_domains: ['gmail.com'],
        providers: [{ name: 'A', url: 'https://a/dns-query' }],
        quorum: 1,
        cache_seconds: 60,
      },
      gateway_principals: ['2vxsx-fae'],
      identity_number_start: '18446744073709551615',
      root_anchors: null,
    });
    const [config] = decode(arg) as [Record<string, unknown>];
    expect(config.mail_hosts).toEqual([['mail.example.org']]);
    expect(config.root_anchors).toEqual([]);
    expect(config.identity_number_start).toEqual([18446744073709551615n]);
    expect((config.gateway_principals as [{ toText(): string }[]])[0][0]!.toText()).toBe('2vxsx-fae');
    expect(decode(encodeConfigArg(null))).toEqual([]);
  });

  it.each([
    [{ mail_host: ['x'] }, /unknown field "mail_host"/],
    [{ identity_number_start: -1 }, /identity_number_start: expected a non-negative integer/],
    [{ identity_number_start: 1.5 }, /expected a non-negative integer/],
    [
      { doh: { allowed_domains: [], providers: [], quorum: 256, cache_seconds: 1 } },
      /doh\.quorum: 256 does not fit in nat8/,
    ],
    [{ doh: { allowed_domains: [], providers: [] } }, /doh\.(quorum|cache_seconds): is required/],
    [
      { gateway_principals: ['not a principal'] },
      /gateway_principals\[0\]: "not a principal" is not a valid principal/,
    ],
    [{ mail_hosts: 'mail.example.org' }, /mail_hosts: expected an array/],
    [[1], /config: expected an object/],
  ])('refuses %j with a message naming the field', (json, message) => {
    expect(() => encodeConfigArg(json)).toThrow(ConfigArgError);
    expect(() => encodeConfigArg(json)).toThrow(message);
  });

  it('property: arbitrary JSON either encodes or is a ConfigArgError, never another exception', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (json) => {
        try {
          encodeConfigArg(json);
        } catch (e) {
          expect(e).toBeInstanceOf(ConfigArgError);
        }
      }),
      { numRuns: 300 },
    );
  });
});

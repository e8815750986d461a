/**
 * The canister's signature map, as Internet Identity keeps it (ic-canister-sig-creation `SignatureMap`):
 * seed hash → (message hash → expiry), certified as the hash tree
 *
 *     sig ─ <SHA-256(seed)> ─ <SHA-256(message)> ─ Leaf("")
 *
 * (IC interface spec "Canister signatures": the signature's tree must contain the empty leaf at
 * `["sig", H(seed), H(msg)]`). The canister sets `certified_data = labeled_hash("sig", rootHash())`
 * ({@link SignatureMap.certifiedData}) in the update that adds a signature, and a later query cuts a witness
 * from the same heap structure, so a query does no hashing at all.
 *
 * Cost (QuickJS hashes at about 1.7 M instructions per SHA-256 block): `add` and `prune` only restructure and
 * mark paths dirty; {@link SignatureMap.certifiedData} then rehashes the union of those paths once (about 30
 * blocks for one add with 100 live signatures, against about 700 for a full rebuild; measured in
 * test/identity-cost.test.ts). A clean map's `witness` does no hashing. So the update must call
 * `certifiedData()` (it needs it for `certified_data` anyway): hashing left for a query would be redone, and
 * lost, on every query.
 * The map lives in heap: after an upgrade it is empty, and the canister must certify `certifiedData()` of an
 * empty map again (ic-notes §1.6).
 *
 * Pure: runs in the canister (QuickJS).
 */
import { CertifiedTree } from './certified-tree.ts';
import { type HashTree, labeled, labeledHash, leaf, leafHash } from './hash-tree.ts';

/** II prunes at most this many expired signatures per update, bounding the work of any single call. */
export const MAX_SIGS_TO_PRUNE = 50;

const HASH_LEN = 32;
const EMPTY = new Uint8Array(0);
/** `reconstruct(Leaf(""))`, the value hash of every signature entry. */
const UNIT_HASH = leafHash(EMPTY);

interface Signature {
  expiresAt: bigint;
}

interface QueueItem {
  expiresAt: bigint;
  seq: number;
  seedHash: Uint8Array;
  msgHash: Uint8Array;
}

/** Binary min-heap on (expiresAt, insertion order): earliest expiry first, ties first-come. */
class ExpiryQueue {
  private readonly items: QueueItem[] = [];

  get length(): number {
    return this.items.length;
  }

  private less(a: QueueItem, b: QueueItem): boolean {
    return a.expiresAt < b.expiresAt || (a.expiresAt === b.expiresAt && a.seq < b.seq);
  }

  peek(): QueueItem | undefined {
    return this.items[0];
  }

  push(item: QueueItem): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }

  pop(): QueueItem | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0 || !last) return top;
    a[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < a.length && this.less(a[l]!, a[m]!)) m = l;
      if (r < a.length && this.less(a[r]!, a[m]!)) m = r;
      if (m === i) break;
      [a[i], a[m]] = [a[m]!, a[i]!];
      i = m;
    }
    return top;
  }
}

function checkHash(name: string, h: Uint8Array): void {
  if (h.length !== HASH_LEN) throw new RangeError(`${name} must be a 32-byte SHA-256 hash`);
}

export class SignatureMap {
  private readonly seeds = new CertifiedTree<CertifiedTree<Signature>>((msgs) => msgs.rootHash());
  private readonly queue = new ExpiryQueue();
  private seq = 0;
  private count = 0;
  private certified: Uint8Array | null = null;

  /** Number of live signatures. */
  get size(): number {
    return this.count;
  }

  /**
   * Adds (or keeps) the signature for `(seedHash, msgHash)`, valid until `expiresAtNs` (IC time, ns).
   * Adding an existing pair keeps the later expiry and leaves the root unchanged. Call {@link prune} first,
   * as II's `add_signature` does, so the map cannot grow without bound.
   */
  add(seedHash: Uint8Array, msgHash: Uint8Array, expiresAtNs: bigint): void {
    checkHash('seedHash', seedHash);
    checkHash('msgHash', msgHash);
    let msgs = this.seeds.get(seedHash);
    const existing = msgs?.get(msgHash);
    if (existing) {
      if (expiresAtNs <= existing.expiresAt) return;
      // The queue item for the old expiry becomes stale; prune recognises and skips it.
      existing.expiresAt = expiresAtNs;
    } else {
      if (!msgs) {
        msgs = new CertifiedTree<Signature>(() => UNIT_HASH);
        msgs.set(msgHash, { expiresAt: expiresAtNs });
        this.seeds.set(seedHash, msgs);
      } else {
        msgs.set(msgHash, { expiresAt: expiresAtNs });
        this.seeds.refresh(seedHash);
      }
      this.count++;
      this.certified = null;
    }
    this.queue.push({
      expiresAt: expiresAtNs,
      seq: this.seq++,
      seedHash: seedHash.slice(),
      msgHash: msgHash.slice(),
    });
  }

  /**
   * Removes signatures with `expiresAt <= nowNs`, earliest expiry first, at most `max` per call
   * (II: `MAX_SIGS_TO_PRUNE` = 50). Returns how many were removed.
   */
  prune(nowNs: bigint, max: number = MAX_SIGS_TO_PRUNE): number {
    let removed = 0;
    while (removed < max) {
      const top = this.queue.peek();
      if (!top || top.expiresAt > nowNs) break;
      this.queue.pop();
      const msgs = this.seeds.get(top.seedHash);
      const sig = msgs?.get(top.msgHash);
      // Stale item: the pair was re-added with a later expiry (or already removed).
      if (!msgs || !sig || sig.expiresAt !== top.expiresAt) continue;
      msgs.delete(top.msgHash);
      if (msgs.size === 0) this.seeds.delete(top.seedHash);
      else this.seeds.refresh(top.seedHash);
      this.count--;
      this.certified = null;
      removed++;
    }
    return removed;
  }

  has(seedHash: Uint8Array, msgHash: Uint8Array): boolean {
    return this.expiresAt(seedHash, msgHash) !== undefined;
  }

  expiresAt(seedHash: Uint8Array, msgHash: Uint8Array): bigint | undefined {
    return this.seeds.get(seedHash)?.get(msgHash)?.expiresAt;
  }

  /** Root hash of the seed forest (ic-canister-sig-creation `SignatureMap::root_hash`). */
  rootHash(): Uint8Array {
    return this.seeds.rootHash().slice();
  }

  /** What the canister certifies: `labeled_hash("sig", rootHash())`. Cached between mutations. */
  certifiedData(): Uint8Array {
    this.certified ??= labeledHash('sig', this.rootHash());
    return this.certified.slice();
  }

  /**
   * `Labeled("sig", …)` revealing exactly the path `["sig", seedHash, msgHash]` (leaf `""`); everything else is
   * pruned. Reconstructs to {@link certifiedData}. Undefined if the pair is not in the map.
   */
  witness(seedHash: Uint8Array, msgHash: Uint8Array): HashTree | undefined {
    const msgs = this.seeds.get(seedHash);
    if (!msgs?.has(msgHash)) return undefined;
    const inner = (m: CertifiedTree<Signature>): HashTree => m.witness(msgHash, () => leaf(EMPTY))!;
    return labeled('sig', this.seeds.witness(seedHash, inner)!);
  }

  /** The full certified tree `Labeled("sig", …)` (tests and debugging; O(n)). */
  toHashTree(): HashTree {
    return labeled(
      'sig',
      this.seeds.toHashTree((m) => m.toHashTree(() => leaf(EMPTY))),
    );
  }

  /** Live entries as `[seedHash, msgHash, expiresAt]`, in label order. */
  *entries(): IterableIterator<[Uint8Array, Uint8Array, bigint]> {
    for (const [seedHash, msgs] of this.seeds.entries()) {
      for (const [msgHash, sig] of msgs.entries()) yield [seedHash, msgHash, sig.expiresAt];
    }
  }

  /** Height of the seed tree (tests check it stays logarithmic). */
  get depth(): number {
    return this.seeds.depth;
  }
}

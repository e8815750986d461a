/**
 * A certified map: an AVL tree keyed by byte-string labels whose nodes cache the hash of the IC hash tree
 * (IC interface spec "Certification") they stand for. Mutations only mark the nodes on their path dirty;
 * {@link CertifiedTree.rootHash} rehashes the dirty nodes once, so one insert costs O(log n) hashes and a batch
 * (e.g. pruning 50 signatures) costs the union of its paths. Witnesses of a clean tree cost no hashing at all,
 * which matters because a canister query cannot keep what it computes: call `rootHash()` in the update.
 *
 * Shape. A node with key k, value v, children L and R stands for the hash tree
 *
 *     E = Labeled(k, tree(v))      T = R ? Fork(E, R) : E      node = L ? Fork(L, T) : T
 *
 * Flattening its forks lists L's labels, then k, then R's labels, so in-order AVL traversal gives strictly
 * increasing labels: the tree is `well_formed` whatever its balance history (the spec only constrains the
 * order of labels in a forest, never the fork shape). The shape, and so the root hash, depends on insertion
 * order; that is fine because every replica runs the same updates and the witness is cut from the same shape.
 *
 * Pure: runs in the canister (QuickJS).
 */
import { compareBytes } from '../encoding/bytes.ts';
import { emptyHash, fork, forkHash, type HashTree, labeled, labeledHash, pruned } from './hash-tree.ts';

interface Node<V> {
  key: Uint8Array;
  value: V;
  left: Node<V> | null;
  right: Node<V> | null;
  height: number;
  /** The subtree changed since its hashes were computed (then every ancestor is dirty too). */
  dirty: boolean;
  /** The value changed since `entry` was computed. */
  entryDirty: boolean;
  /** labeledHash(key, valueHash(value)) */
  entry: Uint8Array;
  /** right ? forkHash(entry, right.hash) : entry */
  tail: Uint8Array;
  /** left ? forkHash(left.hash, tail) : tail */
  hash: Uint8Array;
}

const height = <V>(n: Node<V> | null): number => (n ? n.height : 0);

export class CertifiedTree<V> {
  private root: Node<V> | null = null;
  private count = 0;

  /** `valueHash(v)` is the root hash of the subtree stored under a key (e.g. `leafHash("")`). */
  constructor(private readonly valueHash: (value: V) => Uint8Array) {}

  get size(): number {
    return this.count;
  }

  /** Root hash of the forest; `reconstruct(Empty)` when there are no entries. Rehashes dirty nodes. */
  rootHash(): Uint8Array {
    if (!this.root) return emptyHash();
    this.flush(this.root);
    return this.root.hash;
  }

  get(key: Uint8Array): V | undefined {
    let n = this.root;
    while (n) {
      const c = compareBytes(key, n.key);
      if (c === 0) return n.value;
      n = c < 0 ? n.left : n.right;
    }
    return undefined;
  }

  has(key: Uint8Array): boolean {
    return this.get(key) !== undefined;
  }

  /** Inserts or replaces. The key is copied, so callers may reuse their buffer. */
  set(key: Uint8Array, value: V): void {
    this.root = this.insert(this.root, key.slice(), value);
  }

  /**
   * Call after mutating, in place, a value whose hash changed (e.g. a nested tree): marks that entry and its
   * path for rehashing. No-op for an absent key.
   */
  refresh(key: Uint8Array): void {
    if (this.has(key)) this.root = this.touch(this.root!, key);
  }

  delete(key: Uint8Array): boolean {
    const before = this.count;
    this.root = this.remove(this.root, key);
    return this.count !== before;
  }

  /**
   * A pruned tree revealing only `key`'s entry, with `valueWitness(value)` below its label; every subtree off
   * the path is a Pruned node carrying the cached hash. Reconstructs to {@link rootHash}. Undefined if absent.
   */
  witness(key: Uint8Array, valueWitness: (value: V) => HashTree): HashTree | undefined {
    if (this.root) this.flush(this.root);
    return this.witnessAt(this.root, key, valueWitness);
  }

  /** The whole tree, unpruned (tests and debugging). */
  toHashTree(valueTree: (value: V) => HashTree): HashTree {
    const build = (n: Node<V> | null): HashTree | null => {
      if (!n) return null;
      const e = labeled(n.key, valueTree(n.value));
      const r = build(n.right);
      const t = r ? fork(e, r) : e;
      const l = build(n.left);
      return l ? fork(l, t) : t;
    };
    return build(this.root) ?? [0];
  }

  /** Entries in key order. */
  *entries(): IterableIterator<[Uint8Array, V]> {
    const stack: Node<V>[] = [];
    let n = this.root;
    while (n || stack.length > 0) {
      while (n) {
        stack.push(n);
        n = n.left;
      }
      const top = stack.pop()!;
      yield [top.key, top.value];
      n = top.right;
    }
  }

  /** AVL height of the whole tree (tests check the O(log n) bound). */
  get depth(): number {
    return height(this.root);
  }

  private newNode(key: Uint8Array, value: V): Node<V> {
    this.count++;
    const none = new Uint8Array(0);
    return {
      key,
      value,
      left: null,
      right: null,
      height: 1,
      dirty: true,
      entryDirty: true,
      entry: none,
      tail: none,
      hash: none,
    };
  }

  /** Recomputes the height and marks the node for rehashing (it is on a mutated path). */
  private update(n: Node<V>): Node<V> {
    n.height = 1 + Math.max(height(n.left), height(n.right));
    n.dirty = true;
    return n;
  }

  /** Rehashes dirty nodes bottom-up: the entry if its value changed, then at most two fork hashes per node. */
  private flush(n: Node<V>): void {
    if (!n.dirty) return;
    if (n.left) this.flush(n.left);
    if (n.right) this.flush(n.right);
    if (n.entryDirty) {
      n.entry = labeledHash(n.key, this.valueHash(n.value));
      n.entryDirty = false;
    }
    n.tail = n.right ? forkHash(n.entry, n.right.hash) : n.entry;
    n.hash = n.left ? forkHash(n.left.hash, n.tail) : n.tail;
    n.dirty = false;
  }

  private rotateRight(n: Node<V>): Node<V> {
    const l = n.left!;
    n.left = l.right;
    l.right = this.update(n);
    return this.update(l);
  }

  private rotateLeft(n: Node<V>): Node<V> {
    const r = n.right!;
    n.right = r.left;
    r.left = this.update(n);
    return this.update(r);
  }

  private rebalance(n: Node<V>): Node<V> {
    const balance = height(n.left) - height(n.right);
    if (balance > 1) {
      if (height(n.left!.left) < height(n.left!.right)) n.left = this.rotateLeft(n.left!);
      return this.rotateRight(n);
    }
    if (balance < -1) {
      if (height(n.right!.right) < height(n.right!.left)) n.right = this.rotateRight(n.right!);
      return this.rotateLeft(n);
    }
    return this.update(n);
  }

  private insert(n: Node<V> | null, key: Uint8Array, value: V): Node<V> {
    if (!n) return this.newNode(key, value);
    const c = compareBytes(key, n.key);
    if (c < 0) n.left = this.insert(n.left, key, value);
    else if (c > 0) n.right = this.insert(n.right, key, value);
    else {
      n.value = value;
      n.entryDirty = true;
    }
    return this.rebalance(n);
  }

  private touch(n: Node<V>, key: Uint8Array): Node<V> {
    const c = compareBytes(key, n.key);
    if (c < 0) n.left = this.touch(n.left!, key);
    else if (c > 0) n.right = this.touch(n.right!, key);
    else n.entryDirty = true;
    return this.update(n);
  }

  private removeMin(n: Node<V>, out: { min: Node<V> | null }): Node<V> | null {
    if (!n.left) {
      out.min = n;
      return n.right;
    }
    n.left = this.removeMin(n.left, out);
    return this.rebalance(n);
  }

  private remove(n: Node<V> | null, key: Uint8Array): Node<V> | null {
    if (!n) return null;
    const c = compareBytes(key, n.key);
    if (c < 0) n.left = this.remove(n.left, key);
    else if (c > 0) n.right = this.remove(n.right, key);
    else {
      this.count--;
      if (!n.left) return n.right;
      if (!n.right) return n.left;
      const out: { min: Node<V> | null } = { min: null };
      const right = this.removeMin(n.right, out);
      const m = out.min!;
      // The successor keeps its key, value and entry hash; only its children and fork hashes change.
      m.left = n.left;
      m.right = right;
      return this.rebalance(m);
    }
    return this.rebalance(n);
  }

  private witnessAt(
    n: Node<V> | null,
    key: Uint8Array,
    valueWitness: (value: V) => HashTree,
  ): HashTree | undefined {
    if (!n) return undefined;
    const c = compareBytes(key, n.key);
    if (c < 0) {
      const lw = this.witnessAt(n.left, key, valueWitness);
      return lw && fork(lw, pruned(n.tail));
    }
    let tail: HashTree;
    if (c === 0) {
      const e = labeled(n.key, valueWitness(n.value));
      tail = n.right ? fork(e, pruned(n.right.hash)) : e;
    } else {
      const rw = this.witnessAt(n.right, key, valueWitness);
      if (!rw) return undefined;
      tail = fork(pruned(n.entry), rw);
    }
    return n.left ? fork(pruned(n.left.hash), tail) : tail;
  }
}

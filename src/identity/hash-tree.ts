/**
 * IC hash trees, IC interface spec "Certification" → "Encoding of certificates", "Lookup" and the
 * well-formedness rule; CBOR shape from "Certification" → "Encoding": `[0]`, `[1 l r]`, `[2 label t]`,
 * `[3 value]`, `[4 hash]`.
 *
 * The tuple representation is exactly the CBOR shape, so a tree is written with the generic CBOR writer and
 * can be handed to @icp-sdk/core in tests without conversion. Pure: runs in the canister (QuickJS).
 */
import { sha256 } from '../crypto/sha256.ts';
import { compareBytes, concatBytes, utf8 } from '../encoding/bytes.ts';
import type { CborDecoded, CborWriter } from './cbor.ts';

export type EmptyTree = readonly [0];
export type ForkTree = readonly [1, HashTree, HashTree];
export type LabeledTree = readonly [2, Uint8Array, HashTree];
export type LeafTree = readonly [3, Uint8Array];
export type PrunedTree = readonly [4, Uint8Array];
export type HashTree = EmptyTree | ForkTree | LabeledTree | LeafTree | PrunedTree;

/** A label given as bytes, or as text (UTF-8), like the spec's path notation `/canister/<id>/certified_data`. */
export type Label = Uint8Array | string;

/** A label's bytes: text as UTF-8. */
export const labelBytes = (l: Label): Uint8Array => (typeof l === 'string' ? utf8(l) : l);

/** `domain_sep(s) = byte(|s|) · s` (spec "Certification"). */
export function domainSeparator(s: string): Uint8Array {
  const b = utf8(s);
  if (b.length > 255) throw new RangeError('domain separator longer than 255 bytes');
  const out = new Uint8Array(1 + b.length);
  out[0] = b.length;
  out.set(b, 1);
  return out;
}

const SEP_EMPTY = domainSeparator('ic-hashtree-empty');
const SEP_FORK = domainSeparator('ic-hashtree-fork');
const SEP_LABELED = domainSeparator('ic-hashtree-labeled');
const SEP_LEAF = domainSeparator('ic-hashtree-leaf');

export const fork = (left: HashTree, right: HashTree): ForkTree => [1, left, right];
export const labeled = (label: Label, subtree: HashTree): LabeledTree => [2, labelBytes(label), subtree];
export const leaf = (value: Uint8Array | string): LeafTree => [3, labelBytes(value)];
export const pruned = (hash: Uint8Array): PrunedTree => {
  if (hash.length !== 32) throw new RangeError('a pruned node holds a 32-byte hash');
  return [4, hash];
};

const EMPTY_HASH = sha256(SEP_EMPTY);

/** `reconstruct(Empty)`. */
export function emptyHash(): Uint8Array {
  return EMPTY_HASH.slice();
}

/** `H(domain_sep("ic-hashtree-fork") · l · r)`. */
export function forkHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(concatBytes(SEP_FORK, left, right));
}

/** `H(domain_sep("ic-hashtree-labeled") · label · subtreeHash)`: e.g. certified data = labeledHash("sig", root). */
export function labeledHash(label: Label, subtreeHash: Uint8Array): Uint8Array {
  return sha256(concatBytes(SEP_LABELED, labelBytes(label), subtreeHash));
}

/** `H(domain_sep("ic-hashtree-leaf") · value)`. */
export function leafHash(value: Uint8Array): Uint8Array {
  return sha256(concatBytes(SEP_LEAF, value));
}

/** The root hash of a (possibly pruned) tree, spec `reconstruct`. */
export function reconstruct(t: HashTree): Uint8Array {
  switch (t[0]) {
    case 0:
      return emptyHash();
    case 1:
      return forkHash(reconstruct(t[1]), reconstruct(t[2]));
    case 2:
      return labeledHash(t[1], reconstruct(t[2]));
    case 3:
      return leafHash(t[1]);
    case 4:
      return t[1];
  }
}

/** `flatten_forks`: the forest of non-fork nodes in order; Empty contributes nothing. */
function flattenForks(t: HashTree): Array<LabeledTree | LeafTree | PrunedTree> {
  const out: Array<LabeledTree | LeafTree | PrunedTree> = [];
  const stack: HashTree[] = [t];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n[0] === 1) {
      stack.push(n[2], n[1]);
    } else if (n[0] !== 0) {
      out.push(n);
    }
  }
  return out;
}

/**
 * Result of `lookup_path`. `absent`: provably not in the tree the witness was cut from. `unknown`: the witness
 * does not say (pruned). `error`: the path ends at an inner node.
 */
export type LookupResult =
  | { readonly status: 'found'; readonly value: Uint8Array }
  | { readonly status: 'absent' }
  | { readonly status: 'unknown' }
  | { readonly status: 'error' };

const ABSENT: LookupResult = { status: 'absent' };
const UNKNOWN: LookupResult = { status: 'unknown' };
const ERROR: LookupResult = { status: 'error' };

type LabelResult = { status: 'found'; subtree: HashTree } | { status: 'absent' } | { status: 'unknown' };

/** `find_label`, the spec's rules applied in order: Found, then the four Absent cases, else Unknown. */
function findLabel(l: Uint8Array, forest: ReadonlyArray<LabeledTree | LeafTree | PrunedTree>): LabelResult {
  for (const n of forest)
    if (n[0] === 2 && compareBytes(n[1], l) === 0) return { status: 'found', subtree: n[2] };
  if (forest.length === 0) return { status: 'absent' };
  const first = forest[0]!;
  const last = forest[forest.length - 1]!;
  if (forest.length === 1 && first[0] === 3) return { status: 'absent' };
  if (first[0] === 2 && compareBytes(l, first[1]) < 0) return { status: 'absent' };
  if (last[0] === 2 && compareBytes(last[1], l) < 0) return { status: 'absent' };
  for (let i = 0; i + 1 < forest.length; i++) {
    const a = forest[i]!;
    const b = forest[i + 1]!;
    if (a[0] === 2 && b[0] === 2 && compareBytes(a[1], l) < 0 && compareBytes(l, b[1]) < 0) {
      return { status: 'absent' };
    }
  }
  return { status: 'unknown' };
}

/** Spec `lookup_path`. Meaningful on well-formed trees (see {@link isWellFormed}). */
export function lookupPath(path: readonly Label[], tree: HashTree): LookupResult {
  let t = tree;
  for (const label of path) {
    const r = findLabel(labelBytes(label), flattenForks(t));
    if (r.status === 'absent') return ABSENT;
    if (r.status === 'unknown') return UNKNOWN;
    t = r.subtree;
  }
  switch (t[0]) {
    case 0:
      return ABSENT;
    case 3:
      return { status: 'found', value: t[1] };
    case 4:
      return UNKNOWN;
    default:
      return ERROR;
  }
}

/**
 * Spec `well_formed`: a tree is a lone Leaf, or a forest whose labels strictly increase, which contains no Leaf,
 * and whose labeled subtrees are well formed. Lookups give sound Absent answers only on such trees.
 */
export function isWellFormed(tree: HashTree): boolean {
  const pending: HashTree[] = [tree];
  while (pending.length > 0) {
    const t = pending.pop()!;
    if (t[0] === 3) continue;
    let prev: Uint8Array | undefined;
    for (const n of flattenForks(t)) {
      if (n[0] === 3) return false;
      if (n[0] === 2) {
        if (prev !== undefined && compareBytes(prev, n[1]) >= 0) return false;
        prev = n[1];
        pending.push(n[2]);
      }
    }
  }
  return true;
}

/** Writes the tree's CBOR (untagged) into `w`; used when the tree is a field of a larger value. */
export function writeHashTree(w: CborWriter, t: HashTree): CborWriter {
  // The tuples are already the CBOR shape; CborWriter.value writes small ints and byte strings as required.
  return w.value(t);
}

/** Validates a decoded CBOR value as a hash tree (node tags, arities, byte strings, 32-byte pruned hashes). */
export function hashTreeFromCbor(v: CborDecoded): HashTree | null {
  if (!Array.isArray(v) || v.length === 0) return null;
  const a = v as readonly CborDecoded[];
  switch (a[0]) {
    case 0:
      return a.length === 1 ? [0] : null;
    case 1: {
      if (a.length !== 3) return null;
      const l = hashTreeFromCbor(a[1]!);
      const r = l && hashTreeFromCbor(a[2]!);
      return l && r ? [1, l, r] : null;
    }
    case 2: {
      if (a.length !== 3 || !(a[1] instanceof Uint8Array)) return null;
      const sub = hashTreeFromCbor(a[2]!);
      return sub ? [2, a[1], sub] : null;
    }
    case 3:
      return a.length === 2 && a[1] instanceof Uint8Array ? [3, a[1]] : null;
    case 4:
      return a.length === 2 && a[1] instanceof Uint8Array && a[1].length === 32 ? [4, a[1]] : null;
    default:
      return null;
  }
}

// The certified state tree the devnet shows clients (IC interface specification, "Certification" → "The system
// state tree": /time, /subnet, /request_status, /canister; "HTTPS interface" → "Request: Read state" for which
// paths a read_state may ask for and what the certificate reveals).
//
// The devnet plays one subnet whose key is the root key (no delegation), so HttpAgent takes its subnet id as
// selfAuthenticating(root key) and looks for the canister range at /subnet/<id>/canister_ranges.
// A tree is built per round from the facts it must prove (never the whole history) and cut down with
// `witness` to the requested paths before it is sent.

import { compareBytes, utf8 } from '../encoding/bytes.ts';
import { encodeTime, type StateTree, stateTree } from '../host/certificate.ts';
import { encodeCbor } from '../identity/cbor.ts';
import { leb128 } from '../identity/delegation.ts';
import {
  forkHash,
  type HashTree,
  type Label,
  labelBytes,
  labeledHash,
  pruned,
  reconstruct,
} from '../identity/hash-tree.ts';

export interface SubnetFacts {
  subnetId: Uint8Array;
  /** DER BLS key of the subnet; equals the root key. */
  publicKeyDer: Uint8Array;
  /** Inclusive canister id ranges the subnet hosts. */
  canisterRanges: ReadonlyArray<readonly [Uint8Array, Uint8Array]>;
  nodeId: Uint8Array;
  /** 44-byte DER Ed25519 key of the node that signs query responses. */
  nodePublicKeyDer: Uint8Array;
}

export interface CanisterFacts {
  id: Uint8Array;
  certifiedData: Uint8Array;
  moduleHash: Uint8Array;
  controllers: readonly Uint8Array[];
  /** Public custom sections (`icp:public <name>`) by name, e.g. `candid:service`. */
  publicMetadata: ReadonlyMap<string, Uint8Array>;
}

/** A request the devnet has answered (spec "Request status": replied or rejected; the rest is transient). */
export interface RequestStatus {
  id: Uint8Array;
  sender: Uint8Array;
  canisterId: Uint8Array;
  ingressExpiry: bigint;
  outcome:
    | { status: 'replied'; reply: Uint8Array }
    | { status: 'rejected'; rejectCode: number; rejectMessage: string; errorCode: string };
}

export interface StateFacts {
  timeNs: bigint;
  subnet: SubnetFacts;
  canisters: readonly CanisterFacts[];
  statuses: readonly RequestStatus[];
}

function statusTree(s: RequestStatus): StateTree {
  const o = s.outcome;
  const fields = new Map<string, StateTree>([['status', utf8(o.status)]]);
  if (o.status === 'replied') fields.set('reply', o.reply);
  else {
    fields.set('reject_code', leb128(o.rejectCode));
    fields.set('reject_message', utf8(o.rejectMessage));
    fields.set('error_code', utf8(o.errorCode));
  }
  return fields;
}

/** The full tree for one round. */
export function certifiedStateTree(facts: StateFacts): HashTree {
  const { subnet } = facts;
  const canisters = new Map<Uint8Array, StateTree>();
  for (const c of facts.canisters) {
    const metadata = new Map<string, StateTree>(c.publicMetadata);
    canisters.set(
      c.id,
      new Map<string, StateTree>([
        ['certified_data', c.certifiedData],
        ['controllers', encodeCbor([...c.controllers])],
        ['metadata', metadata],
        ['module_hash', c.moduleHash],
      ]),
    );
  }
  const statuses = new Map<Uint8Array, StateTree>(facts.statuses.map((s) => [s.id, statusTree(s)]));
  return stateTree(
    new Map<string, StateTree>([
      ['canister', canisters],
      ['request_status', statuses],
      [
        'subnet',
        new Map([
          [
            subnet.subnetId,
            new Map<string, StateTree>([
              ['canister_ranges', encodeCbor(subnet.canisterRanges.map(([a, b]) => [a, b]))],
              ['node', new Map([[subnet.nodeId, new Map([['public_key', subnet.nodePublicKeyDer]])]])],
              ['public_key', subnet.publicKeyDer],
            ]),
          ],
        ]),
      ],
      ['time', encodeTime(facts.timeNs)],
    ]),
  );
}

/** The tree of an update round: only `/request_status/<id>/…` of its calls and `/time`. */
export function roundTree(timeNs: bigint, statuses: readonly RequestStatus[]): HashTree {
  return stateTree(
    new Map<string, StateTree>([
      ['request_status', new Map<Uint8Array, StateTree>(statuses.map((s) => [s.id, statusTree(s)]))],
      ['time', encodeTime(timeNs)],
    ]),
  );
}

/**
 * The tree with everything pruned except the subtrees at `paths` (each revealed whole, as read_state reveals
 * every path that has a requested path as prefix). The root hash is unchanged, so one signature serves every
 * witness of a tree.
 */
export function witness(tree: HashTree, paths: readonly (readonly Label[])[]): HashTree {
  return cut(
    tree,
    paths.map((p) => p.map(labelBytes)),
  );
}

/**
 * Subtree hashes, remembered per tree node (trees are never mutated): a round signs its tree's root and cuts one
 * witness per call from it, so each node is hashed once per round rather than once per witness.
 */
const subtreeHashes = new WeakMap<HashTree, Uint8Array>();

/** `reconstruct(tree)`, memoised per node. */
export function rootHash(tree: HashTree): Uint8Array {
  let h = subtreeHashes.get(tree);
  if (h) return h;
  switch (tree[0]) {
    case 1:
      h = forkHash(rootHash(tree[1]), rootHash(tree[2]));
      break;
    case 2:
      h = labeledHash(tree[1], rootHash(tree[2]));
      break;
    default:
      h = reconstruct(tree);
  }
  subtreeHashes.set(tree, h);
  return h;
}

/**
 * The lowest and highest label among the labeled nodes of a fork's forest; `unlabeled` when it has none,
 * `has-empty` when it holds an Empty (which `cut` keeps, so such a forest never collapses into one pruned node).
 */
type LabelSpan = readonly [lo: Uint8Array, hi: Uint8Array] | 'unlabeled' | 'has-empty';

const forkSpans = new WeakMap<HashTree, LabelSpan>();

function labelSpan(tree: HashTree): LabelSpan {
  switch (tree[0]) {
    case 0:
      return 'has-empty';
    case 2:
      return [tree[1], tree[1]];
    case 3:
    case 4:
      return 'unlabeled';
  }
  let span = forkSpans.get(tree);
  if (span) return span;
  const a = labelSpan(tree[1]);
  const b = labelSpan(tree[2]);
  if (a === 'has-empty' || b === 'has-empty') span = 'has-empty';
  else if (a === 'unlabeled') span = b;
  else if (b === 'unlabeled') span = a;
  else span = [compareBytes(a[0], b[0]) <= 0 ? a[0] : b[0], compareBytes(a[1], b[1]) >= 0 ? a[1] : b[1]];
  forkSpans.set(tree, span);
  return span;
}

/**
 * False when `cut` would prune every node of this fork's forest (no path's next label falls in its span), so the
 * fork can be pruned whole without visiting it: a witness then walks only the O(log n) forks on its paths.
 */
function mayReveal(fork: HashTree, paths: readonly (readonly Uint8Array[])[]): boolean {
  const span = labelSpan(fork);
  if (span === 'has-empty') return true;
  if (span === 'unlabeled') return false;
  const [lo, hi] = span;
  return paths.some(
    (p) => compareBytes(p[0] as Uint8Array, lo) >= 0 && compareBytes(p[0] as Uint8Array, hi) <= 0,
  );
}

function cut(tree: HashTree, paths: readonly (readonly Uint8Array[])[]): HashTree {
  if (paths.some((p) => p.length === 0)) return tree;
  if (paths.length === 0) return pruned(rootHash(tree));
  switch (tree[0]) {
    case 0:
      return tree;
    case 1: {
      if (!mayReveal(tree, paths)) return pruned(rootHash(tree));
      const left = cut(tree[1], paths);
      const right = cut(tree[2], paths);
      if (left[0] === 4 && right[0] === 4) return pruned(rootHash(tree));
      return [1, left, right];
    }
    case 2: {
      const label = tree[1];
      const rest = paths.filter((p) => compareBytes(p[0] as Uint8Array, label) === 0).map((p) => p.slice(1));
      return rest.length === 0 ? pruned(rootHash(tree)) : [2, label, cut(tree[2], rest)];
    }
    default:
      // A leaf or a pruned node under a path that goes deeper: nothing more to reveal.
      return tree[0] === 3 ? pruned(rootHash(tree)) : tree;
  }
}

// The certified state tree the devnet shows clients (IC interface specification, "Certification" → "The system
// state tree": /time, /subnet, /request_status, /canister; "HTTPS interface" → "Request: Read state" for which
// paths a read_state may ask for and what the certificate reveals).
//
// The devnet plays one subnet whose key is the root key (no delegation), so HttpAgent takes its subnet id as
// selfAuthenticating(root key) and looks for the canister range at /subnet/<id>/canister_ranges.
// A tree is built per round from the facts it must prove (never the whole history) and cut down with
// `witness` to the requested paths before it is sent.

import { encodeCbor } from '../identity/cbor.ts';
import { leb128 } from '../identity/delegation.ts';
import type { HashTree, Label } from '../identity/hash-tree.ts';
import { compareBytes, pruned, reconstruct } from '../identity/hash-tree.ts';
import { encodeTime, type StateTree, stateTree } from '../identity/test-certificate.ts';

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

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

function statusTree(s: RequestStatus): StateTree {
  const o = s.outcome;
  const fields = new Map<string, StateTree>([['status', text(o.status)]]);
  if (o.status === 'replied') fields.set('reply', o.reply);
  else {
    fields.set('reject_code', leb128(o.rejectCode));
    fields.set('reject_message', text(o.rejectMessage));
    fields.set('error_code', text(o.errorCode));
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

const labelBytes = (l: Label): Uint8Array => (typeof l === 'string' ? text(l) : l);

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
 * Subtree hashes, remembered per tree node: a round cuts one witness per call from the same tree, and hashing the
 * whole tree for each of them made a round's cost grow with the square of its size.
 */
const subtreeHashes = new WeakMap<HashTree, Uint8Array>();

function hashOf(tree: HashTree): Uint8Array {
  let h = subtreeHashes.get(tree);
  if (!h) {
    h = reconstruct(tree);
    subtreeHashes.set(tree, h);
  }
  return h;
}

function cut(tree: HashTree, paths: readonly (readonly Uint8Array[])[]): HashTree {
  if (paths.some((p) => p.length === 0)) return tree;
  if (paths.length === 0) return pruned(hashOf(tree));
  switch (tree[0]) {
    case 0:
      return tree;
    case 1: {
      const left = cut(tree[1], paths);
      const right = cut(tree[2], paths);
      if (left[0] === 4 && right[0] === 4) return pruned(hashOf(tree));
      return [1, left, right];
    }
    case 2: {
      const label = tree[1];
      const rest = paths.filter((p) => compareBytes(p[0] as Uint8Array, label) === 0).map((p) => p.slice(1));
      return rest.length === 0 ? pruned(hashOf(tree)) : [2, label, cut(tree[2], rest)];
    }
    default:
      // A leaf or a pruned node under a path that goes deeper: nothing more to reveal.
      return tree[0] === 3 ? pruned(hashOf(tree)) : tree;
  }
}

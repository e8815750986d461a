/**
 * Property tests (fast-check) for src/identity: the CBOR writer/reader against @icp-sdk/core's decoder, hash-tree
 * reconstruction and lookup (IC interface spec "Certification") against @icp-sdk/core and a naive model, and the
 * signature map against a model map under random add / re-add / prune sequences.
 */
import { reconstruct as agentReconstruct, Cbor, requestIdOf } from '@icp-sdk/core/agent';
import { Principal } from '@icp-sdk/core/principal';
import { hex } from '@scure/base';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareBytes } from '../src/encoding/bytes.ts';
import { type StateTree, stateTree } from '../src/host/certificate.ts';
import { type CborDecoded, type CborValue, decodeCbor, encodeCbor } from '../src/identity/cbor.ts';
import { delegationHash } from '../src/identity/delegation.ts';
import { type HashTree, isWellFormed, lookupPath, reconstruct } from '../src/identity/hash-tree.ts';
import { SignatureMap } from '../src/identity/signature-map.ts';
import { decodeHashTree, encodeHashTree, leafPaths } from './helpers/ic-certificates.ts';
import { principalFromText, principalToText } from './helpers/principal-text.ts';

const x = (b: Uint8Array) => hex.encode(b);
const bytes = (max: number, min = 0) => fc.uint8Array({ minLength: min, maxLength: max });
const hash32 = bytes(32, 32);

/** Converts our decoded value to plain JS for comparison with @dfinity/cbor's output. */
function plain(v: CborDecoded): unknown {
  if (v instanceof Uint8Array || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(plain);
  return Object.fromEntries(Object.entries(v).map(([k, w]) => [k, plain(w as CborDecoded)]));
}

const cborValue: fc.Arbitrary<CborValue> = fc.letrec<{ v: CborValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    fc.constantFrom(0, 23, 24, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32),
    fc.bigInt({ min: 2n ** 53n, max: 2n ** 64n - 1n }),
    fc.string({ unit: 'binary', maxLength: 30 }),
    bytes(70),
    fc.array(tie('v'), { maxLength: 5 }),
    fc.dictionary(
      fc.string({ minLength: 1, maxLength: 8 }).filter((k) => k !== '__proto__'),
      tie('v'),
      { maxKeys: 4 },
    ),
  ),
})).v;

const label = fc.oneof(
  bytes(4),
  fc.constantFrom('a', 'b', 'sig', 'time').map((s) => new TextEncoder().encode(s)),
);

/** Arbitrary (not necessarily well-formed) hash trees. */
const anyTree: fc.Arbitrary<HashTree> = fc.letrec<{ t: HashTree }>((tie) => ({
  t: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant<HashTree>([0]),
    bytes(8).map((v): HashTree => [3, v]),
    hash32.map((h): HashTree => [4, h]),
    fc.tuple(tie('t'), tie('t')).map(([l, r]): HashTree => [1, l, r]),
    fc.tuple(label, tie('t')).map(([l, t]): HashTree => [2, l, t]),
  ),
})).t;

/** Nested label → subtree maps describing full well-formed state trees. */
const stateSpec: fc.Arbitrary<StateTree> = fc.letrec<{ s: StateTree }>((tie) => ({
  s: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    bytes(6),
    fc
      .uniqueArray(fc.tuple(bytes(3), tie('s')), { maxLength: 5, selector: ([k]) => x(k) })
      .map((entries) => new Map<Uint8Array, StateTree>(entries)),
  ),
})).s;

function pathsOf(spec: StateTree, prefix: Uint8Array[] = []): Array<[Uint8Array[], Uint8Array]> {
  if (spec instanceof Uint8Array) return [[prefix, spec]];
  return [...spec.entries()].flatMap(([k, v]) =>
    pathsOf(v, [...prefix, typeof k === 'string' ? new TextEncoder().encode(k) : k]),
  );
}

describe('CBOR', () => {
  it('our writer → our reader and @icp-sdk/core Cbor.decode give back the value', () => {
    fc.assert(
      fc.property(cborValue, (v) => {
        const enc = encodeCbor(v);
        const ours = plain(decodeCbor(enc));
        const norm = (w: unknown): unknown =>
          typeof w === 'bigint' && w <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(w) : w;
        const walk = (w: unknown): unknown =>
          w instanceof Uint8Array
            ? x(w)
            : Array.isArray(w)
              ? w.map(walk)
              : w && typeof w === 'object'
                ? Object.fromEntries(Object.entries(w).map(([k, y]) => [k, walk(y)]))
                : norm(w);
        expect(walk(ours)).toEqual(walk(v));
        expect(walk(Cbor.decode(enc))).toEqual(walk(v));
      }),
      { numRuns: 300 },
    );
  });

  it('the reader never throws anything but CborError and never reads past the input', () => {
    fc.assert(
      fc.property(bytes(40), (b) => {
        try {
          decodeCbor(b);
        } catch (e) {
          expect((e as Error).name).toBe('CborError');
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('hash trees', () => {
  it('reconstruct matches @icp-sdk/core; CBOR round-trips', async () => {
    await fc.assert(
      fc.asyncProperty(anyTree, async (t) => {
        expect(x(reconstruct(t))).toBe(x(await agentReconstruct(t as never)));
        expect(decodeHashTree(encodeHashTree(t))).toEqual(t);
      }),
      { numRuns: 300 },
    );
  });

  it('full state trees are well formed; every path is found, other labels are absent', () => {
    fc.assert(
      fc.property(stateSpec, bytes(3), (spec, probe) => {
        const t = stateTree(spec);
        expect(isWellFormed(t)).toBe(true);
        const paths = pathsOf(spec);
        for (const [p, v] of paths) expect(lookupPath(p, t)).toEqual({ status: 'found', value: v });
        if (!(spec instanceof Uint8Array)) {
          const present = [...spec.keys()].some((k) => compareBytes(k as Uint8Array, probe) === 0);
          if (!present) expect(lookupPath([probe], t).status).toBe('absent');
        }
      }),
      { numRuns: 300 },
    );
  });

  it('on well-formed trees, found means the leaf is there and absent means no visible leaf is', () => {
    const key = (p: Uint8Array[]) => JSON.stringify(p.map(x));
    let checked = 0;
    fc.assert(
      fc.property(anyTree, fc.array(label, { maxLength: 3 }), (t, path) => {
        const r = lookupPath(path, t); // never throws, even on ill-formed trees
        if (!isWellFormed(t)) return;
        checked++;
        const leaves = new Map(leafPaths(t).map(([p, v]) => [key(p), x(v)]));
        if (r.status === 'found') expect(leaves.get(key(path))).toBe(x(r.value));
        if (r.status === 'absent') expect(leaves.has(key(path))).toBe(false);
        // Every visible leaf is found by its own path.
        for (const [p, v] of leafPaths(t)) expect(lookupPath(p, t)).toEqual({ status: 'found', value: v });
      }),
      { numRuns: 1000 },
    );
    expect(checked).toBeGreaterThan(100);
  });
});

describe('signature map', () => {
  it('reconstruct(witness) == certified data for random maps; each witness reveals exactly its own path', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: 7 }), hash32), {
          minLength: 1,
          maxLength: 40,
          size: 'max',
          selector: ([s, m]) => `${s}:${x(m)}`,
        }),
        (pairs) => {
          const seed = (s: number) => new Uint8Array(32).fill(s);
          const map = new SignatureMap();
          for (const [s, m] of pairs) map.add(seed(s), m, 1n);
          const root = x(map.certifiedData());
          expect(x(reconstruct(map.toHashTree()))).toBe(root);
          for (const [s, m] of pairs) {
            const w = map.witness(seed(s), m)!;
            expect(x(reconstruct(w))).toBe(root);
            expect(isWellFormed(w)).toBe(true);
            expect(lookupPath(['sig', seed(s), m], w).status).toBe('found');
            for (const [s2, m2] of pairs.slice(0, 5)) {
              if (s2 !== s || x(m2) !== x(m))
                expect(lookupPath(['sig', seed(s2), m2], w).status).not.toBe('found');
            }
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  type Op =
    | { kind: 'add'; seed: number; msg: number; exp: number }
    | { kind: 'prune'; now: number; max: number };
  const op: fc.Arbitrary<Op> = fc.oneof(
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('add' as const),
        seed: fc.nat(5),
        msg: fc.nat(12),
        exp: fc.nat(60),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('prune' as const),
        now: fc.nat(60),
        max: fc.integer({ min: 1, max: 8 }),
      }),
    },
  );

  it('random add / re-add / prune sequences agree with a model; pruning keeps the survivors certified', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120, size: 'max' }), (ops) => {
        const h = (n: number, tag: number) => new Uint8Array(32).fill(n).map((b, i) => (i === 0 ? tag : b));
        const map = new SignatureMap();
        // Model: key → { exp, seq } where seq orders equal expiries by when that expiry was set.
        const model = new Map<string, { seed: number; msg: number; exp: number; seq: number }>();
        let seq = 0;
        for (const [step, o] of ops.entries()) {
          if (o.kind === 'add') {
            const k = `${o.seed}/${o.msg}`;
            const cur = model.get(k);
            if (!cur || o.exp > cur.exp) model.set(k, { seed: o.seed, msg: o.msg, exp: o.exp, seq });
            seq++;
            map.add(h(o.seed, 1), h(o.msg, 2), BigInt(o.exp));
          } else {
            const expired = [...model.entries()]
              .filter(([, e]) => e.exp <= o.now)
              .sort(([, a], [, b]) => a.exp - b.exp || a.seq - b.seq)
              .slice(0, o.max);
            for (const [k] of expired) model.delete(k);
            expect(map.prune(BigInt(o.now), o.max)).toBe(expired.length);
          }
          expect(map.size).toBe(model.size);
          // Hashing is deferred to certifiedData(): also let several mutations pile up before looking.
          if (step % 3 !== 0 && step !== ops.length - 1) continue;
          const root = x(map.certifiedData());
          expect(x(reconstruct(map.toHashTree()))).toBe(root);
          for (const e of model.values()) {
            expect(map.expiresAt(h(e.seed, 1), h(e.msg, 2))).toBe(BigInt(e.exp));
            expect(x(reconstruct(map.witness(h(e.seed, 1), h(e.msg, 2))!))).toBe(root);
          }
          expect(map.depth).toBeLessThanOrEqual(Math.ceil(1.45 * Math.log2(model.size + 2)));
        }
        if (model.size === 0) expect(x(map.certifiedData())).toBe(x(new SignatureMap().certifiedData()));
      }),
      { numRuns: 150 },
    );
  });
});

describe('delegations and principals', () => {
  it('RIH of random delegations equals @icp-sdk/core requestIdOf', () => {
    fc.assert(
      fc.property(
        bytes(100),
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        fc.option(fc.array(bytes(29), { maxLength: 4 }), { nil: undefined }),
        (pubkey, expiration, targets) => {
          const theirs = requestIdOf({
            pubkey,
            expiration,
            ...(targets ? { targets: targets.map((t) => Principal.fromUint8Array(t)) } : {}),
          });
          expect(x(delegationHash({ pubkey, expiration, targets }))).toBe(x(theirs));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('principal text matches @icp-sdk/core and round-trips', () => {
    fc.assert(
      fc.property(bytes(29), (p) => {
        const text = principalToText(p);
        expect(text).toBe(Principal.fromUint8Array(p).toText());
        expect(x(principalFromText(text))).toBe(x(p));
      }),
      { numRuns: 300 },
    );
  });
});

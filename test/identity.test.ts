/**
 * Unit tests for src/identity: CBOR writer/reader, hash trees (IC interface spec "Certification", including the
 * spec's example tree), the signature map, delegation hashing and keys, principals, and an end-to-end canister
 * signature under a certificate we sign ourselves, checked with @icp-sdk/core (Certificate, DelegationChain,
 * DelegationIdentity).
 */
import { createContext, runInContext } from 'node:vm';
import { Certificate, IC_REQUEST_AUTH_DELEGATION_DOMAIN_SEPARATOR, requestIdOf } from '@icp-sdk/core/agent';
import { Delegation, DelegationChain, DelegationIdentity, Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { Principal } from '@icp-sdk/core/principal';
import { sha256 } from '@noble/hashes/sha2.js';
import { hex } from '@scure/base';
import { describe, expect, it } from 'vitest';
import { blsPublicKey, blsPublicKeyDer, dataCertificateTree } from '../src/host/certificate.ts';
import { delegationSignatureCbor, encodeCanisterSignature } from '../src/identity/canister-sig.ts';
import { CborTagged, decodeCbor, encodeCbor, encodeCborSelfDescribed } from '../src/identity/cbor.ts';
import {
  canisterSigPublicKeyDer,
  type DelegationFields,
  delegationHash,
  delegationMessageHash,
  leb128,
  parseCanisterSigPublicKeyDer,
  selfAuthenticatingPrincipal,
  userSeed,
} from '../src/identity/delegation.ts';
import {
  emptyHash,
  fork,
  type HashTree,
  isWellFormed,
  labeled,
  labeledHash,
  leaf,
  lookupPath,
  pruned,
  reconstruct,
} from '../src/identity/hash-tree.ts';
import { MAX_SIGS_TO_PRUNE, SignatureMap } from '../src/identity/signature-map.ts';
import { bundleIife } from './helpers/bundle.ts';
import {
  blsSecretKeyFromSeed,
  buildCertificate,
  decodeHashTree,
  encodeHashTree,
  leafPaths,
  subnetDelegationTree,
  verifyDelegationSignature,
} from './helpers/ic-certificates.ts';
import { crc32, principalFromText, principalToText } from './helpers/principal-text.ts';

const te = new TextEncoder();
const h = (s: string) => hex.decode(s);
const x = (b: Uint8Array) => hex.encode(b);
const seedHashOf = (i: number) => sha256(te.encode(`seed ${i % 37}`));
const msgHashOf = (i: number) => sha256(te.encode(`message ${i}`));

describe('CBOR writer and reader', () => {
  it('writes shortest-form heads at every boundary', () => {
    const cases: Array<[number | bigint, string]> = [
      [0, '00'],
      [23, '17'],
      [24, '1818'],
      [255, '18ff'],
      [256, '190100'],
      [65535, '19ffff'],
      [65536, '1a00010000'],
      [0xffffffff, '1affffffff'],
      [0x100000000, '1b0000000100000000'],
      [(1n << 64n) - 1n, '1bffffffffffffffff'],
    ];
    for (const [n, enc] of cases) {
      expect(x(encodeCbor(n))).toBe(enc);
      const back = decodeCbor(h(enc));
      expect(BigInt(back as number | bigint)).toBe(BigInt(n));
    }
    expect(() => encodeCbor(-1)).toThrow();
    expect(() => encodeCbor(1.5)).toThrow();
    expect(() => encodeCbor(1n << 64n)).toThrow();
  });

  it('writes bytes, text, arrays, maps in property order, and the self-describe tag', () => {
    expect(x(encodeCbor(new Uint8Array(0)))).toBe('40');
    expect(x(encodeCbor(h('0102')))).toBe('420102');
    expect(x(encodeCbor(new Uint8Array(24)))).toBe(`5818${'00'.repeat(24)}`);
    expect(x(encodeCbor('sig'))).toBe('63736967');
    expect(x(encodeCbor('ü'))).toBe('62c3bc');
    expect(x(encodeCbor([1, [2, 3]]))).toBe('8201820203');
    expect(x(encodeCbor({ b: 1, a: 2 }))).toBe('a2616201616102');
    expect(x(encodeCborSelfDescribed([0]))).toBe('d9d9f78100');
    expect(x(encodeCbor(new CborTagged(55799, 'a')))).toBe('d9d9f76161');
  });

  it('reads strictly: truncation, trailing bytes, indefinite lengths, other tags, duplicates, bad UTF-8', () => {
    for (const bad of [
      '', // empty
      '42ff', // truncated bytes
      '8201', // truncated array
      '0000', // trailing byte
      '5f4101ff', // indefinite bytes
      '9f01ff', // indefinite array
      'c240', // tag 2
      '20', // negative int
      'f6', // null
      'fb3ff0000000000000', // float
      'a2616101616102', // duplicate key
      'a10101', // non-text key
      '62c328', // bad UTF-8
      '1c', // reserved additional info
      '5b0000000100000000', // length beyond input
    ]) {
      expect(() => decodeCbor(h(bad)), bad).toThrow();
    }
    expect(() => decodeCbor(h(`${'81'.repeat(300)}00`))).toThrow(/deep/);
    expect(decodeCbor(h('1800'))).toBe(0); // non-shortest ints are accepted, as by the IC
    const m = decodeCbor(h('a1695f5f70726f746f5f5f01')) as Record<string, unknown>; // {"__proto__": 1}
    expect(Object.getPrototypeOf(m)).toBeNull();
    expect(Object.getOwnPropertyDescriptor(m, '__proto__')?.value).toBe(1);
  });
});

/*
 * IC interface spec "Certification" → "Example": the tree
 *   ─┬─┬╴"a" ─┬─┬╴"x" ─╴"hello"
 *    │ │      │ └╴Empty
 *    │ │      └╴  "y" ─╴"world"
 *    │ └╴"b" ──╴"good"
 *    └─┬╴"c" ──╴Empty
 *      └╴"d" ──╴"morning"
 * with its CBOR, its root hash and the hashes of the pruned witness the spec shows for /a/y and /d.
 */
const SPEC_TREE: HashTree = fork(
  fork(
    labeled('a', fork(fork(labeled('x', leaf('hello')), [0]), labeled('y', leaf('world')))),
    labeled('b', leaf('good')),
  ),
  fork(labeled('c', [0]), labeled('d', leaf('morning'))),
);
const SPEC_TREE_CBOR =
  '8301830183024161830183018302417882034568656c6c6f810083024179820345776f726c6483024162820344676f6f648301830241638100830241648203476d6f726e696e67';
const SPEC_ROOT = 'eb5c5b2195e62d996b84c9bcc8259d19a83786a2f59e0878cec84c811f669aa0';
const SPEC_PRUNED: HashTree = fork(
  fork(
    labeled(
      'a',
      fork(
        pruned(h('1b4feff9bef8131788b0c9dc6dbad6e81e524249c879e9f10f71ce3749f5a638')),
        labeled('y', leaf('world')),
      ),
    ),
    labeled('b', pruned(h('7b32ac0c6ba8ce35ac82c255fc7906f7fc130dab2a090f80fe12f9c2cae83ba6'))),
  ),
  fork(
    pruned(h('ec8324b8a1f1ac16bd2e806edba78006479c9877fed4eb464a25485465af601d')),
    labeled('d', leaf('morning')),
  ),
);

describe('hash trees (spec "Certification")', () => {
  it("reconstructs and encodes the spec's example tree", () => {
    expect(x(encodeHashTree(SPEC_TREE))).toBe(SPEC_TREE_CBOR);
    expect(x(reconstruct(SPEC_TREE))).toBe(SPEC_ROOT);
    expect(decodeHashTree(h(SPEC_TREE_CBOR))).toEqual(SPEC_TREE);
    expect(x(reconstruct(SPEC_PRUNED))).toBe(SPEC_ROOT);
    expect(x(reconstruct(fork(labeled('x', leaf('hello')), [0])))).toBe(
      '1b4feff9bef8131788b0c9dc6dbad6e81e524249c879e9f10f71ce3749f5a638',
    );
  });

  it('hashes small trees as hand-computed from the domain separators', () => {
    const sep = (s: string) => [s.length, ...te.encode(s)];
    const H = (...parts: ArrayLike<number>[]) =>
      sha256(Uint8Array.from(parts.flatMap((p) => [...Array.from(p)])));
    expect(x(emptyHash())).toBe(x(H(sep('ic-hashtree-empty'))));
    expect(x(reconstruct(leaf('')))).toBe(x(H(sep('ic-hashtree-leaf'))));
    const lv = H(sep('ic-hashtree-leaf'), te.encode('v'));
    const lab = H(sep('ic-hashtree-labeled'), te.encode('k'), lv);
    expect(x(reconstruct(labeled('k', leaf('v'))))).toBe(x(lab));
    expect(x(labeledHash('k', lv))).toBe(x(lab));
    expect(x(reconstruct(fork(labeled('k', leaf('v')), [0])))).toBe(
      x(H(sep('ic-hashtree-fork'), lab, H(sep('ic-hashtree-empty')))),
    );
    expect(sep('ic-hashtree-labeled')[0]).toBe(0x13);
  });

  it('looks up found / absent / unknown / error as the spec defines', () => {
    const r = (path: string[], t: HashTree = SPEC_PRUNED) => lookupPath(path, t).status;
    expect(lookupPath(['a', 'y'], SPEC_PRUNED)).toEqual({ status: 'found', value: te.encode('world') });
    expect(lookupPath(['d'], SPEC_PRUNED)).toEqual({ status: 'found', value: te.encode('morning') });
    expect(r(['a', 'x'])).toBe('unknown'); // behind a pruned node on the left of y
    expect(r(['b'])).toBe('unknown'); // the value is pruned
    expect(r(['c'])).toBe('unknown'); // between b and d there is a pruned node
    expect(r(['ca'])).toBe('unknown');
    expect(r(['0'])).toBe('absent'); // before the first label
    expect(r(['e'])).toBe('absent'); // after the last label
    expect(r(['aa'])).toBe('absent'); // between adjacent labels a and b
    expect(r(['a', 'z'])).toBe('absent');
    expect(r(['d', 'more'])).toBe('absent'); // below a leaf: find_label(l, [Leaf _]) = Absent
    expect(r(['a'])).toBe('error'); // ends at an inner node
    expect(r([], [0])).toBe('absent');
    expect(r(['c'], SPEC_TREE)).toBe('absent'); // labeled Empty
    expect(r(['a', 'x'], SPEC_TREE)).toBe('found');
    expect(r(['b', 'x'], SPEC_TREE)).toBe('absent');
    expect(r([], pruned(new Uint8Array(32)))).toBe('unknown');
    // A label that extends its left neighbour (as "canister_ranges" extends "canister") is still found.
    // (@icp-sdk/core 6.1.0's lookup_path answers Absent here: its label comparison mishandles prefixes.)
    const prefixTree = fork(labeled('a', leaf('A')), labeled('ab', leaf('AB')));
    expect(lookupPath(['ab'], prefixTree)).toEqual({ status: 'found', value: te.encode('AB') });
    expect(r(['aa'], prefixTree)).toBe('absent');
    expect(r(['abc'], prefixTree)).toBe('absent');
  });

  it('checks well-formedness: increasing labels, no leaves among labels', () => {
    expect(isWellFormed(SPEC_TREE)).toBe(true);
    expect(isWellFormed(SPEC_PRUNED)).toBe(true);
    expect(isWellFormed(leaf('x'))).toBe(true);
    expect(isWellFormed(fork(labeled('b', leaf('')), labeled('a', leaf(''))))).toBe(false);
    expect(isWellFormed(fork(labeled('a', leaf('')), labeled('a', leaf(''))))).toBe(false);
    expect(isWellFormed(fork(labeled('a', leaf('')), leaf('')))).toBe(false);
    expect(isWellFormed(fork(leaf(''), [0]))).toBe(false);
    expect(isWellFormed(labeled('a', fork(labeled('z', [0]), labeled('y', [0]))))).toBe(false);
    // Shape is free; only the in-order label sequence matters.
    expect(isWellFormed(fork(labeled('a', [0]), fork(pruned(new Uint8Array(32)), labeled('b', [0]))))).toBe(
      true,
    );
  });

  it('rejects malformed CBOR trees', () => {
    for (const bad of ['8105', '820100', '8301', '8204410a', '82034100' /* ok leaf */, '8304']) {
      const t = decodeHashTree(h(bad));
      if (bad === '82034100') expect(t).toEqual(leaf(h('00')));
      else expect(t, bad).toBeNull();
    }
    expect(decodeHashTree(encodeCbor([4, new Uint8Array(31)]))).toBeNull();
    expect(decodeHashTree(encodeCbor([4, new Uint8Array(32)]))).toEqual(pruned(new Uint8Array(32)));
    expect(decodeHashTree(encodeCbor([2, 'text label', [0]]))).toBeNull();
  });
});

describe('signature map', () => {
  it('witnesses each of 100 signatures: reconstructs to the certified data, reveals exactly that path', () => {
    const map = new SignatureMap();
    for (let i = 0; i < 100; i++) map.add(seedHashOf(i), msgHashOf(i), 1000n + BigInt(i));
    expect(map.size).toBe(100);
    const certified = map.certifiedData();
    expect(x(certified)).toBe(x(labeledHash('sig', map.rootHash())));
    expect(x(reconstruct(map.toHashTree()))).toBe(x(certified));
    expect(isWellFormed(map.toHashTree())).toBe(true);
    expect(leafPaths(map.toHashTree())).toHaveLength(100);
    for (let i = 0; i < 100; i++) {
      const w = map.witness(seedHashOf(i), msgHashOf(i))!;
      expect(x(reconstruct(w))).toBe(x(certified));
      expect(isWellFormed(w)).toBe(true);
      const paths = leafPaths(w);
      expect(paths).toHaveLength(1);
      expect(paths[0]![0].map(x)).toEqual([x(te.encode('sig')), x(seedHashOf(i)), x(msgHashOf(i))]);
      expect(paths[0]![1]).toHaveLength(0);
      expect(lookupPath(['sig', seedHashOf(i), msgHashOf(i)], w)).toEqual({
        status: 'found',
        value: new Uint8Array(),
      });
      // Another signature is never provably there, and never reported as found.
      const j = (i + 1) % 100;
      expect(lookupPath(['sig', seedHashOf(j), msgHashOf(j)], w).status).not.toBe('found');
    }
    expect(map.witness(seedHashOf(0), msgHashOf(1))).toBeUndefined();
    expect(map.witness(sha256(te.encode('nobody')), msgHashOf(1))).toBeUndefined();
    expect(map.depth).toBeLessThanOrEqual(8); // 37 seeds in an AVL tree
  });

  it('is empty at first: root = reconstruct(Empty), nothing to witness', () => {
    const map = new SignatureMap();
    expect(x(map.rootHash())).toBe(x(emptyHash()));
    expect(x(map.certifiedData())).toBe(x(reconstruct(labeled('sig', [0]))));
    expect(map.witness(seedHashOf(0), msgHashOf(0))).toBeUndefined();
    expect(() => map.add(te.encode('raw seed'), msgHashOf(0), 1n)).toThrow(RangeError);
  });

  it('prunes expired signatures first, at most 50 per call, and returns to the empty root', () => {
    const map = new SignatureMap();
    const emptyRoot = x(map.certifiedData());
    // Expiries 0..119 inserted in a scrambled order.
    const order = Array.from({ length: 120 }, (_, i) => (i * 7) % 120);
    for (const i of order) map.add(seedHashOf(i), msgHashOf(i), BigInt(i));
    expect(map.prune(-1n)).toBe(0);
    expect(map.prune(79n)).toBe(MAX_SIGS_TO_PRUNE); // 80 expired, only 50 go
    for (let i = 0; i < 50; i++) expect(map.has(seedHashOf(i), msgHashOf(i))).toBe(false);
    for (let i = 50; i < 120; i++) expect(map.has(seedHashOf(i), msgHashOf(i))).toBe(true);
    expect(map.prune(79n)).toBe(30);
    expect(map.size).toBe(40);
    expect(map.prune(79n)).toBe(0);
    expect(map.prune(1000n, 5)).toBe(5);
    expect([...map.entries()].map((e) => Number(e[2])).sort((a, b) => a - b)[0]).toBe(85);
    for (const [s, m] of map.entries()) {
      expect(x(reconstruct(map.witness(s, m)!))).toBe(x(map.certifiedData()));
    }
    expect(map.prune(1000n)).toBe(35);
    expect(x(map.certifiedData())).toBe(emptyRoot);
  });

  it('re-adding keeps the later expiry without changing the root; stale queue items are skipped', () => {
    const map = new SignatureMap();
    map.add(seedHashOf(1), msgHashOf(1), 10n);
    map.add(seedHashOf(2), msgHashOf(2), 15n);
    const root = x(map.certifiedData());
    map.add(seedHashOf(1), msgHashOf(1), 20n);
    map.add(seedHashOf(1), msgHashOf(1), 5n);
    expect(x(map.certifiedData())).toBe(root);
    expect(map.expiresAt(seedHashOf(1), msgHashOf(1))).toBe(20n);
    expect(map.prune(15n)).toBe(1); // the stale item at 10 does not remove (1, 1)
    expect(map.has(seedHashOf(1), msgHashOf(1))).toBe(true);
    expect(map.has(seedHashOf(2), msgHashOf(2))).toBe(false);
    expect(map.prune(20n)).toBe(1);
    expect(map.size).toBe(0);
  });
});

describe('delegations, keys, principals, seeds', () => {
  it('LEB128 is shortest-form', () => {
    expect(x(leb128(0n))).toBe('00');
    expect(x(leb128(127n))).toBe('7f');
    expect(x(leb128(128n))).toBe('8001');
    expect(x(leb128(624485n))).toBe('e58e26');
    expect(() => leb128(-1n)).toThrow();
  });

  it('delegation RIH equals @icp-sdk/core requestIdOf on the same map (with and without targets)', () => {
    const pubkey = h('302a300506032b6570032100'.padEnd(88, 'ab'));
    const targets = [Principal.fromText('rwlgt-iiaaa-aaaaa-aaaaa-cai'), Principal.fromText('aaaaa-aa')];
    const cases: Array<[DelegationFields, Record<string, unknown>]> = [
      [
        { pubkey, expiration: 0n },
        { pubkey, expiration: 0n },
      ],
      [
        { pubkey, expiration: 1650114196974266000n },
        { pubkey, expiration: 1650114196974266000n },
      ],
      [
        { pubkey, expiration: 5n, targets: targets.map((p) => p.toUint8Array()) },
        { pubkey, expiration: 5n, targets },
      ],
      [
        { pubkey, expiration: 5n, targets: [] },
        { pubkey, expiration: 5n, targets: [] },
      ],
    ];
    for (const [ours, theirs] of cases) expect(x(delegationHash(ours))).toBe(x(requestIdOf(theirs)));
    // Delegation.toCborValue() is what agent-js hashes and signs for a chain link.
    const d = new Delegation(pubkey, 77n, targets);
    expect(
      x(delegationHash({ pubkey, expiration: 77n, targets: targets.map((p) => p.toUint8Array()) })),
    ).toBe(x(requestIdOf({ ...d.toCborValue() })));
    // targets: [] and absent hash differently (ic-notes §1.7).
    expect(x(delegationHash({ pubkey, expiration: 5n, targets: [] }))).not.toBe(
      x(delegationHash({ pubkey, expiration: 5n })),
    );
    expect(x(delegationMessageHash({ pubkey, expiration: 5n }))).toBe(
      x(
        sha256(
          new Uint8Array([
            ...IC_REQUEST_AUTH_DELEGATION_DOMAIN_SEPARATOR,
            ...requestIdOf({ pubkey, expiration: 5n }),
          ]),
        ),
      ),
    );
  });

  it('canister-signature keys: DER layout, long seeds, strict parsing', () => {
    const cid = principalFromText('rwlgt-iiaaa-aaaaa-aaaaa-cai');
    const der = canisterSigPublicKeyDer(cid, new Uint8Array(32).fill(9));
    expect(der).toHaveLength(19 + 1 + 10 + 32);
    // 30 <17+n> · 30 0c <OID> · 03 <n+1> 00 · raw, with raw = |cid|·cid·seed of n = 43 bytes (ic-notes §1.1).
    expect(x(der.subarray(0, 19))).toBe(
      `30${(17 + 43).toString(16)}300c060a2b0601040183b843010203${(43 + 1).toString(16)}00`,
    );
    const long = canisterSigPublicKeyDer(cid, new Uint8Array(200).fill(1)); // long-form DER lengths
    expect(parseCanisterSigPublicKeyDer(long)?.seed).toEqual(new Uint8Array(200).fill(1));
    expect(parseCanisterSigPublicKeyDer(canisterSigPublicKeyDer(cid, new Uint8Array()))?.seed).toHaveLength(
      0,
    );
    for (const bad of [
      new Uint8Array(),
      der.subarray(0, der.length - 1),
      new Uint8Array([...der, 0]),
      Uint8Array.from(der, (b, i) => (i === 18 ? 1 : b)), // unused-bits byte
      Uint8Array.from(der, (b, i) => (i === 19 ? 60 : b)), // canister id length beyond the key
    ]) {
      expect(parseCanisterSigPublicKeyDer(bad)).toBeNull();
    }
  });

  it('principals: self-authenticating bytes and text match @icp-sdk/core', () => {
    const cid = principalFromText('qoctq-giaaa-aaaaa-aaaea-cai');
    for (let i = 0; i < 20; i++) {
      const der = canisterSigPublicKeyDer(cid, sha256(te.encode(`seed ${i}`)));
      const ours = selfAuthenticatingPrincipal(der);
      const theirs = Principal.selfAuthenticating(der);
      expect(x(ours)).toBe(x(theirs.toUint8Array()));
      expect(principalToText(ours)).toBe(theirs.toText());
      expect(x(principalFromText(theirs.toText()))).toBe(x(ours));
    }
    expect(principalToText(new Uint8Array())).toBe('aaaaa-aa');
    expect(principalToText(Uint8Array.of(4))).toBe('2vxsx-fae'); // anonymous
    expect(crc32(te.encode('123456789'))).toBe(0xcbf43926);
    expect(() => principalFromText('rwlgt-iiaaa-aaaaa-aaaaa-cak')).toThrow();
    expect(() => principalFromText('RWLGT-IIAAA-AAAAA-AAAAA-CAI')).toThrow();
  });

  it('user seed is SHA-256(len·salt ‖ len·anchor_decimal ‖ len·origin)', () => {
    const salt = new Uint8Array(32).fill(0xaa);
    const expected = sha256(
      new Uint8Array([32, ...salt, 5, ...te.encode('10042'), 19, ...te.encode('https://example.org')]),
    );
    expect(x(userSeed(salt, 10042n, 'https://example.org'))).toBe(x(expected));
    expect(x(userSeed(salt, 1n, 'https://example.org'))).not.toBe(
      x(userSeed(salt, 10n, 'https://example.org')),
    );
    expect(x(userSeed(salt, 1n, 'a'))).not.toBe(x(userSeed(salt, 1n, 'b')));
    expect(() => userSeed(salt, 1n, 'x'.repeat(256))).toThrow(RangeError);
    expect(() => userSeed(salt, -1n, 'x')).toThrow(RangeError);
  });
});

describe('end to end: our certificate, our signature map, @icp-sdk/core on the other side', () => {
  const rootSecret = blsSecretKeyFromSeed(new Uint8Array(48).fill(1));
  const rootKeyDer = blsPublicKeyDer(blsPublicKey(rootSecret));
  /** Canister ids are an 8-byte big-endian index followed by 0x01 0x01. */
  const canister = (n: number) => Uint8Array.from([0, 0, 0, 0, 0, 0, 0, n, 1, 1]);
  const canisterId = canister(7);
  const salt = new Uint8Array(32).fill(7);
  const seed = userSeed(salt, 10000n, 'https://waxseal.example');
  const userKey = canisterSigPublicKeyDer(canisterId, seed);
  const nowNs = BigInt(Date.now()) * 1_000_000n;

  async function signedChain(certify: (certifiedData: Uint8Array) => Uint8Array) {
    const session = Ed25519KeyIdentity.generate(new Uint8Array(32).fill(3));
    const sessionDer = new Uint8Array(session.getPublicKey().toDer());
    const delegation: DelegationFields = {
      pubkey: sessionDer,
      expiration: nowNs + 30n * 60n * 1_000_000_000n,
    };
    // prepare_delegation (update): prune, add, certify.
    const map = new SignatureMap();
    for (let i = 0; i < 20; i++) map.add(seedHashOf(i), msgHashOf(i), nowNs + 60_000_000_000n);
    map.prune(nowNs);
    map.add(sha256(seed), delegationMessageHash(delegation), nowNs + 60_000_000_000n);
    const certificate = certify(map.certifiedData());
    // get_delegation (query): witness + certificate.
    const signature = delegationSignatureCbor(map, certificate, seed, delegation)!;
    return { session, sessionDer, delegation, signature, certificate, map };
  }

  it('root-signed certificate: @icp-sdk/core Certificate accepts it; the signature verifies; DelegationIdentity', async () => {
    const { session, sessionDer, delegation, signature, certificate, map } = await signedChain((cd) =>
      buildCertificate(dataCertificateTree(canisterId, cd, nowNs), rootSecret),
    );
    const cert = await Certificate.create({
      certificate,
      rootKey: rootKeyDer,
      principal: { canisterId: Principal.fromUint8Array(canisterId) },
    });
    const found = cert.lookup_path(['canister', canisterId, 'certified_data']);
    expect(found.status === 'Found' && x(found.value)).toBe(x(map.certifiedData()));
    expect(
      await verifyDelegationSignature(userKey, delegation, signature, { rootKey: rootKeyDer }),
    ).toMatchObject({
      ok: true,
    });
    // Time checks work on a fresh certificate.
    expect(
      await verifyDelegationSignature(userKey, delegation, signature, {
        rootKey: rootKeyDer,
        maxCertificateAgeMinutes: 5,
      }),
    ).toMatchObject({ ok: true });

    const chain = DelegationChain.fromDelegations(
      [{ delegation: new Delegation(sessionDer, delegation.expiration), signature: signature as never }],
      userKey as never,
    );
    const identity = DelegationIdentity.fromDelegation(session, chain);
    expect(identity.getPrincipal().toText()).toBe(principalToText(selfAuthenticatingPrincipal(userKey)));
    expect(identity.getPrincipal().toText()).toBe(Principal.selfAuthenticating(userKey).toText());
    // A signature for one seed does not verify for another user.
    const otherKey = canisterSigPublicKeyDer(canisterId, userSeed(salt, 10001n, 'https://waxseal.example'));
    expect(
      await verifyDelegationSignature(otherKey, delegation, signature, { rootKey: rootKeyDer }),
    ).toMatchObject({
      ok: false,
      reason: 'SignatureNotInTree',
    });
  });

  it('subnet-delegated certificate: canister_ranges must contain the canister', async () => {
    const subnetSecret = blsSecretKeyFromSeed(new Uint8Array(48).fill(2));
    const subnetId = Principal.fromText(
      'tdb26-jop6k-aogll-7ltgs-eruif-6kk7m-qpktf-gdiqx-mxtrf-vb5e6-eqe',
    ).toUint8Array();
    const delegated = (ranges: Array<[Uint8Array, Uint8Array]>) =>
      signedChain((cd) =>
        buildCertificate(dataCertificateTree(canisterId, cd, nowNs), subnetSecret, {
          subnetId,
          certificate: buildCertificate(
            subnetDelegationTree(subnetId, blsPublicKeyDer(blsPublicKey(subnetSecret)), ranges, nowNs),
            rootSecret,
          ),
        }),
      );
    const inRange = await delegated([
      [canister(0), canister(3)],
      [canister(6), canister(9)],
    ]);
    expect(
      await verifyDelegationSignature(userKey, inRange.delegation, inRange.signature, {
        rootKey: rootKeyDer,
      }),
    ).toMatchObject({ ok: true });
    const outOfRange = await delegated([
      [canister(0), canister(6)],
      [canister(8), canister(9)],
    ]);
    expect(
      await verifyDelegationSignature(userKey, outOfRange.delegation, outOfRange.signature, {
        rootKey: rootKeyDer,
      }),
    ).toMatchObject({ ok: false, reason: 'CanisterMismatch' });
    // The subnet key alone is not a root key.
    const subnetKeyDer = blsPublicKeyDer(blsPublicKey(subnetSecret));
    expect(
      await verifyDelegationSignature(userKey, inRange.delegation, inRange.signature, {
        rootKey: subnetKeyDer,
      }),
    ).toMatchObject({ ok: false, reason: 'BadCertificate' });
  });

  it('certificate for a stale root (certified before the latest add) → CertifiedDataMismatch', async () => {
    const map = new SignatureMap();
    const d: DelegationFields = { pubkey: te.encode('session'), expiration: 1n };
    const stale = buildCertificate(dataCertificateTree(canisterId, map.certifiedData(), nowNs), rootSecret);
    map.add(sha256(seed), delegationMessageHash(d), nowNs);
    const sig = encodeCanisterSignature(stale, map.witness(sha256(seed), delegationMessageHash(d))!);
    expect(await verifyDelegationSignature(userKey, d, sig, { rootKey: rootKeyDer })).toMatchObject({
      ok: false,
      reason: 'CertifiedDataMismatch',
    });
  });

  it('a custom trusted certificate verifier can replace the BLS check', async () => {
    const map = new SignatureMap();
    const d: DelegationFields = { pubkey: te.encode('session'), expiration: 1n };
    map.add(sha256(seed), delegationMessageHash(d), nowNs);
    const tree = dataCertificateTree(canisterId, map.certifiedData(), nowNs);
    const sig = delegationSignatureCbor(map, encodeHashTree(tree), seed, d)!;
    const seen: string[] = [];
    const r = await verifyDelegationSignature(userKey, d, sig, {
      verifyCertificate: async (certificate, cid) => {
        seen.push(principalToText(cid));
        return { ok: true, tree: decodeHashTree(certificate)! };
      },
    });
    expect(r).toMatchObject({ ok: true });
    expect(seen).toEqual([principalToText(canisterId)]);
  });
});

describe('runs without Node or Web APIs (QuickJS-like sandbox)', () => {
  it('bundles the canister-side modules with no @icp-sdk and builds a signature in a bare context', async () => {
    const code = await bundleIife(
      `
      import { SignatureMap } from './src/identity/signature-map.ts';
      import { delegationSignatureCbor } from './src/identity/canister-sig.ts';
      import { canisterSigPublicKeyDer, delegationMessageHash, selfAuthenticatingPrincipal, userSeed } from './src/identity/delegation.ts';
      import { principalFromText, principalToText } from './test/helpers/principal-text.ts';
      import { reconstruct } from './src/identity/hash-tree.ts';
      import { sha256 } from '@noble/hashes/sha2.js';
      globalThis.run = () => {
        const seed = userSeed(new Uint8Array(32), 7n, 'https://a.example');
        const d = { pubkey: new Uint8Array([1, 2, 3]), expiration: 5n };
        const map = new SignatureMap();
        for (let i = 0; i < 10; i++) map.add(sha256(new Uint8Array([i])), sha256(new Uint8Array([i, i])), BigInt(i));
        map.prune(3n);
        map.add(sha256(seed), delegationMessageHash(d), 100n);
        const sig = delegationSignatureCbor(map, new Uint8Array([0xd9, 0xd9, 0xf7, 0xa0]), seed, d);
        const key = canisterSigPublicKeyDer(principalFromText('rdmx6-jaaaa-aaaaa-aaadq-cai'), seed);
        return [sig.length, principalToText(selfAuthenticatingPrincipal(key)), map.size];
      };
      `,
      'neutral',
    );
    expect(code).not.toContain('@icp-sdk');
    const sandbox: Record<string, unknown> = { TextEncoder, TextDecoder };
    createContext(sandbox);
    runInContext(code, sandbox);
    for (const name of ['Buffer', 'atob', 'process', 'require', 'crypto']) {
      expect(runInContext(`typeof ${name}`, sandbox)).toBe('undefined');
    }
    const [len, principal, size] = (sandbox.run as () => [number, string, number])();
    expect(len).toBeGreaterThan(100);
    expect(size).toBe(7);
    const seed = userSeed(new Uint8Array(32), 7n, 'https://a.example');
    expect(principal).toBe(
      Principal.selfAuthenticating(
        canisterSigPublicKeyDer(principalFromText('rdmx6-jaaaa-aaaaa-aaadq-cai'), seed),
      ).toText(),
    );
  });
});

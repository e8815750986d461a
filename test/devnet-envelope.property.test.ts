// Properties of the devnet's request decoding and authentication (src/devnet/envelope.ts, authenticate.ts):
// hostile bytes never make it throw, a damaged signed body is never taken for another request of the same
// sender, and re-encodings that CBOR treats as the same value keep the request id.

import { AnonymousIdentity } from '@icp-sdk/core/agent';
import {
  DelegationChain,
  DelegationIdentity,
  ECDSAKeyIdentity,
  Ed25519KeyIdentity,
} from '@icp-sdk/core/identity';
import { Secp256k1KeyIdentity } from '@icp-sdk/core/identity/secp256k1';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { type AuthContext, authenticate } from '../src/devnet/authenticate.ts';
import { decodeEnvelope } from '../src/devnet/envelope.ts';
import { toHex, utf8 } from '../src/encoding/bytes.ts';
import { CertificateSigner } from '../src/host/certificate.ts';
import {
  type CborMap,
  type CborValue,
  decodeCbor,
  encodeCbor,
  encodeCborSelfDescribed,
} from '../src/identity/cbor.ts';
import { applyMutation, mutation } from './helpers/byte-mutations.ts';
import {
  type AgentRequest,
  agentRequest,
  canisterNumber,
  type RequestKind,
} from './helpers/devnet-requests.ts';

const NOW_MS = Date.now();
const NOW = BigInt(NOW_MS) * 1_000_000n;
const ctx: AuthContext = { nowNs: NOW, rootKey: new CertificateSigner(new Uint8Array(32).fill(9)).rootKey };
const CANISTER = canisterNumber(7).toUint8Array();
const EXPIRY = NOW + 4n * 60n * 1_000_000_000n;

interface Sample extends AgentRequest {
  readonly name: string;
  readonly kind: RequestKind;
  readonly sender: string;
  readonly signed: boolean;
}

const samples: Sample[] = [];

beforeAll(async () => {
  const ed = Ed25519KeyIdentity.generate(new Uint8Array(32).fill(1));
  const session = await ECDSAKeyIdentity.generate();
  const chain = await DelegationChain.create(ed, session.getPublicKey(), new Date(NOW_MS + 3_600_000), {
    targets: [canisterNumber(7)],
  });
  const delegated = DelegationIdentity.fromDelegation(session, chain);
  const k1 = Secp256k1KeyIdentity.generate(new Uint8Array(32).fill(2));
  const cases = [
    { name: 'Ed25519 call', identity: ed, kind: 'call', signed: true },
    { name: 'delegated P-256 query', identity: delegated, kind: 'query', signed: true },
    { name: 'secp256k1 read_state', identity: k1, kind: 'read_state', signed: true },
    { name: 'anonymous query', identity: new AnonymousIdentity(), kind: 'query', signed: false },
  ] as const;
  for (const c of cases) {
    const req = await agentRequest(c.identity, c.kind, {
      expiry: EXPIRY,
      paths: [[utf8('request_status'), new Uint8Array(32).fill(3)], [utf8('time')]],
    });
    const sender = toHex(c.identity.getPrincipal().toUint8Array());
    samples.push({ ...req, name: c.name, kind: c.kind, sender, signed: c.signed });
  }
  for (const s of samples) {
    const result = await authenticate(s.body, s.kind, CANISTER, ctx);
    if (!result.ok) throw new Error(`${s.name} does not authenticate: ${result.message}`);
  }
});

const sample = () => fc.integer({ min: 0, max: 3 }).map((i) => samples[i]!);

/** Structured junk: CBOR maps whose keys are the envelope's own field names, with values of every kind. */
const fieldName = fc.constantFrom(
  'content',
  'sender_pubkey',
  'sender_sig',
  'sender_delegation',
  'request_type',
  'canister_id',
  'method_name',
  'arg',
  'sender',
  'ingress_expiry',
  'nonce',
  'paths',
  'sender_info',
  'delegation',
  'signature',
  'pubkey',
  'expiration',
  'targets',
  'permissions',
);
const { value: cborJunk } = fc.letrec<{ value: CborValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom<CborValue>('call', 'query', 'read_state', 'queries', new Uint8Array([4]), CANISTER),
    fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    fc.uint8Array({ maxLength: 40 }),
    fc.string({ maxLength: 8 }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fieldName, tie('value'), { maxKeys: 6 }),
  ),
}));

describe('hostile input never throws', () => {
  it('random bytes are refused with a 400 and a sentence', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 300 }),
        fc.constantFrom('call', 'query', 'read_state'),
        async (body, endpoint) => {
          const result = await authenticate(body, endpoint, CANISTER, ctx);
          expect(result.ok).toBe(false);
          expect(!result.ok && result.status).toBe(400);
          expect(!result.ok && result.message.length).toBeGreaterThan(10);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('structured junk with the envelope field names is refused, never thrown', async () => {
    await fc.assert(
      fc.asyncProperty(cborJunk, fc.boolean(), async (value, tagged) => {
        const body = tagged ? encodeCborSelfDescribed(value) : encodeCbor(value);
        expect(() => decodeEnvelope(body)).not.toThrow();
        const result = await authenticate(body, 'call', CANISTER, ctx);
        expect(result.ok).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('a damaged agent body is refused, or is the same request of the same sender', () => {
  it('flip, set, truncate, extend, insert, delete', async () => {
    await fc.assert(
      fc.asyncProperty(sample(), fc.array(mutation, { minLength: 1, maxLength: 3 }), async (s, ms) => {
        const body = ms.reduce(applyMutation, s.body);
        const result = await authenticate(body, s.kind, CANISTER, ctx);
        if (!result.ok) return;
        if (s.signed) {
          expect(toHex(result.request.sender)).toBe(s.sender);
          expect(toHex(result.request.requestId)).toBe(toHex(s.requestId));
        } else {
          // Anonymous requests are unsigned, so their content may change; their sender may not.
          expect(toHex(result.request.sender)).toBe('04');
        }
      }),
      { numRuns: 1500 },
    );
  });
});

describe('CBOR-equivalent re-encodings keep the request id', () => {
  /** The map with its keys in the order `order` gives (a permutation of its keys). */
  const reorder = (map: CborMap, order: readonly string[]): CborMap =>
    Object.fromEntries(order.map((k) => [k, map[k]!]));

  it('map keys in any order, with or without the self-describe tag', async () => {
    await fc.assert(
      fc.asyncProperty(
        sample().chain((s) => {
          const envelope = decodeCbor(s.body) as CborMap;
          const content = envelope.content as CborMap;
          const keys = (m: CborMap) => Object.keys(m);
          const permutation = (m: CborMap) =>
            fc.shuffledSubarray(keys(m), { minLength: keys(m).length, maxLength: keys(m).length });
          return fc.tuple(fc.constant(s), permutation(envelope), permutation(content), fc.boolean());
        }),
        async ([s, envelopeOrder, contentOrder, tagged]) => {
          const envelope = decodeCbor(s.body) as CborMap;
          const rewritten = reorder(
            { ...envelope, content: reorder(envelope.content as CborMap, contentOrder) },
            envelopeOrder,
          ) as CborValue;
          const body = tagged ? encodeCborSelfDescribed(rewritten) : encodeCbor(rewritten);
          const result = await authenticate(body, s.kind, CANISTER, ctx);
          if (!result.ok) expect.fail(result.message);
          expect(toHex(result.request.requestId)).toBe(toHex(s.requestId));
        },
      ),
      { numRuns: 200 },
    );
  });
});

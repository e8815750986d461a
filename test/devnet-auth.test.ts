// Request authentication of the devnet (src/devnet/authenticate.ts), one test per rule of the IC interface
// specification "Authentication" as summarised in ic-endpoint-and-signin.md A5. Every accepted body is built
// by @icp-sdk/core 6.1 itself (test/helpers/devnet-requests.ts); refusals rewrite such a body or build the
// chain the agent would build for the bad case.

import {
  AnonymousIdentity,
  type DerEncodedPublicKey,
  type Identity,
  type Signature,
} from '@icp-sdk/core/agent';
import {
  AttributesIdentity,
  Delegation,
  DelegationChain,
  DelegationIdentity,
  ECDSAKeyIdentity,
  Ed25519KeyIdentity,
} from '@icp-sdk/core/identity';
import { Secp256k1KeyIdentity } from '@icp-sdk/core/identity/secp256k1';
import { Principal } from '@icp-sdk/core/principal';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import {
  type AuthContext,
  type AuthErrorCode,
  authenticate,
  type Endpoint,
  INVALID_EXPIRY_PREFIX,
} from '../src/devnet/authenticate.ts';
import { decodeEnvelope } from '../src/devnet/envelope.ts';
import { verifySignature } from '../src/devnet/signature-schemes.ts';
import { concatBytes, toHex, utf8 } from '../src/encoding/bytes.ts';
import { CertificateSigner, dataCertificateTree } from '../src/host/certificate.ts';
import { delegationSignatureCbor } from '../src/identity/canister-sig.ts';
import {
  canisterSigPublicKeyDer,
  type DelegationFields,
  delegationMessageHash,
  selfAuthenticatingPrincipal,
} from '../src/identity/delegation.ts';
import { SignatureMap } from '../src/identity/signature-map.ts';
import { chainIdentity, rewrite } from './helpers/devnet-envelopes.ts';
import {
  agentRequest,
  canisterNumber,
  type RequestKind,
  type RequestOptions,
} from './helpers/devnet-requests.ts';
import { useStubAuthenticator } from './helpers/webauthn.ts';

const NOW_MS = Date.now();
const NOW = BigInt(NOW_MS) * 1_000_000n;
const SECOND = 1_000_000_000n;
const MINUTE = 60n * SECOND;
const signer = new CertificateSigner(new Uint8Array(32).fill(9));
const ctx: AuthContext = { nowNs: NOW, rootKey: signer.rootKey };
const CANISTER = canisterNumber(7);
const OTHER = canisterNumber(8);

const ed = (n: number) => Ed25519KeyIdentity.generate(new Uint8Array(32).fill(n));
const x = (b: Uint8Array | ArrayBuffer) => toHex(new Uint8Array(b));

/** Builds the agent's body for `kind` and authenticates it at `/kind` of CANISTER. */
async function roundTrip(identity: Identity, kind: RequestKind, o: Partial<RequestOptions> = {}) {
  const req = await agentRequest(identity, kind, { expiry: NOW + 4n * MINUTE, ...o });
  const result = await authenticate(req.body, kind, (o.canisterId ?? CANISTER).toUint8Array(), ctx);
  return { req, result };
}

async function expectAccepted(identity: Identity, kind: RequestKind, o: Partial<RequestOptions> = {}) {
  const { req, result } = await roundTrip(identity, kind, o);
  if (!result.ok) expect.fail(`${result.code}: ${result.message}`);
  expect(x(result.request.requestId)).toBe(x(req.requestId));
  expect(x(result.request.sender)).toBe(x(identity.getPrincipal().toUint8Array()));
  return result.request;
}

function expectRefused(
  result: Awaited<ReturnType<typeof authenticate>>,
  code: AuthErrorCode,
): asserts result is Extract<typeof result, { ok: false }> {
  if (result.ok) expect.fail(`accepted, but ${code} was expected`);
  expect(result.code).toBe(code);
  expect(result.status).toBe(400);
  expect(result.message).toMatch(/^[A-Z].*\S$/);
}

describe('accepted: bodies built by @icp-sdk/core 6.1, request id = requestIdOf', () => {
  it('anonymous call, query and read_state', async () => {
    const anonymous = new AnonymousIdentity();
    const call = await expectAccepted(anonymous, 'call');
    expect(call).toMatchObject({ kind: 'call', methodName: 'greet', targets: null });
    expect(call.kind === 'call' && call.nonce).toHaveLength(16);
    await expectAccepted(anonymous, 'query');
    const read = await expectAccepted(anonymous, 'read_state', {
      paths: [[utf8('time')], [utf8('request_status'), new Uint8Array(32)]],
    });
    expect(read.kind === 'read_state' && read.paths.map((p) => p.map(x))).toEqual([
      [x(utf8('time'))],
      [x(utf8('request_status')), x(new Uint8Array(32))],
    ]);
  });

  it('Ed25519 key (RFC 8410)', async () => {
    await expectAccepted(ed(1), 'call');
    await expectAccepted(ed(1), 'query');
    await expectAccepted(ed(1), 'read_state');
  });

  it('ECDSA P-256 key (the AuthClient session key kind)', async () => {
    const p256 = await ECDSAKeyIdentity.generate();
    await expectAccepted(p256, 'call');
    await expectAccepted(p256, 'query');
  });

  it('ECDSA secp256k1 key (OID 1.3.132.0.10)', async () => {
    const k1 = Secp256k1KeyIdentity.generate(new Uint8Array(32).fill(5));
    await expectAccepted(k1, 'call');
    await expectAccepted(k1, 'read_state');
  });

  it('delegation chains of 1, 2 and 3 across key kinds, without targets', async () => {
    const p256 = await ECDSAKeyIdentity.generate();
    const k1 = Secp256k1KeyIdentity.generate(new Uint8Array(32).fill(6));
    for (const keys of [
      [ed(1), p256],
      [ed(1), k1, p256],
      [k1, ed(2), ed(3), p256],
    ]) {
      const identity = await chainIdentity(keys);
      const request = await expectAccepted(identity, 'call');
      expect(request.targets).toBeNull();
    }
  });

  it('targets: intersected along the chain and returned', async () => {
    const identity = await chainIdentity([ed(1), ed(2), ed(3)], {
      targets: [
        [CANISTER, OTHER],
        [OTHER, CANISTER, canisterNumber(9)],
      ],
    });
    const call = await expectAccepted(identity, 'call');
    expect(call.targets?.map(x)).toEqual([x(CANISTER.toUint8Array()), x(OTHER.toUint8Array())]);
    await expectAccepted(identity, 'query', { canisterId: OTHER });
    // read_state is not addressed to a canister: the server checks request_status reads against the targets.
    const read = await expectAccepted(identity, 'read_state');
    expect(read.targets).toHaveLength(2);
  });

  it('a nonce of 32 bytes is accepted; query nonces too', async () => {
    const request = await expectAccepted(ed(1), 'query', { nonce: new Uint8Array(32).fill(1) });
    expect(request.kind === 'query' && request.nonce).toHaveLength(32);
    await expectAccepted(ed(1), 'call', { nonce: new Uint8Array(32).fill(2) });
  });

  it('sender_info from AttributesIdentity is hashed into the request id and passed through', async () => {
    const identity = new AttributesIdentity({
      inner: ed(1),
      attributes: { data: utf8('attrs'), signature: utf8('not checked here') },
      signer: { canisterId: OTHER },
    });
    await expectAccepted(identity, 'call');
    await expectAccepted(identity, 'query');
  });

  it('unknown content fields are hashed, as "each field that is present" (Representation-independent hashing)', async () => {
    const extra = {
      future_field: utf8('x'),
      future_nat: 7n,
      future_list: [[utf8('a')], [utf8('b')]],
      future_map: { a: 'b' },
    };
    const { req, result } = await roundTrip(ed(1), 'call', { extra });
    if (!result.ok) expect.fail(result.message);
    expect(x(result.request.requestId)).toBe(x(req.requestId));
    // Removing the field changes the id, so the signature no longer matches.
    const stripped = rewrite(req.body, (e) => {
      delete e.content.future_map;
    });
    expectRefused(await authenticate(stripped, 'call', CANISTER.toUint8Array(), ctx), 'BadSignature');
  });
});

describe('accepted: WebAuthn (DER-wrapped COSE key, OID 1.3.6.1.4.1.56387.1.1)', () => {
  /** The authenticator behind `navigator.credentials.get`, as a browser answers WebAuthnIdentity.sign. */
  const authenticator = useStubAuthenticator();

  it('P-256 (ES256) key signs the request', async () => {
    authenticator.fault = 'none';
    await expectAccepted(authenticator.p256Identity(), 'call');
  });

  it('RSA (RS256) key signs the request', async () => {
    authenticator.fault = 'none';
    await expectAccepted(authenticator.rsaIdentity(), 'query');
  });

  it('a WebAuthn key at the root of a delegation chain (the Internet Identity shape)', async () => {
    authenticator.fault = 'none';
    const session = await ECDSAKeyIdentity.generate();
    await expectAccepted(await chainIdentity([authenticator.p256Identity(), session]), 'call');
  });

  it('refused: challenge not base64url(message), type not webauthn.get, signature over other data', async () => {
    const identity = authenticator.p256Identity();
    for (const t of ['challenge', 'type', 'signature'] as const) {
      authenticator.fault = t;
      const { result } = await roundTrip(identity, 'call');
      expectRefused(result, 'BadSignature');
      expect(result.message).toContain(
        t === 'challenge' ? 'challenge' : t === 'type' ? 'webauthn.get' : 'does not verify',
      );
    }
  });
});

describe('canister signatures (OID 1.3.6.1.4.1.56387.1.2) under the host root key', () => {
  const signingCanister = canisterNumber(3).toUint8Array();
  const seed = sha256(utf8('user seed'));
  const userKey = canisterSigPublicKeyDer(signingCanister, seed);

  /** What Waxseal's get_delegation hands a dApp: the session key delegated by a canister signature. */
  async function canisterSignedIdentity(targets?: Principal[]) {
    const session = await ECDSAKeyIdentity.generate();
    const sessionDer = new Uint8Array(session.getPublicKey().toDer());
    const fields: DelegationFields = {
      pubkey: sessionDer,
      expiration: NOW + 30n * MINUTE,
      targets: targets?.map((t) => t.toUint8Array()),
    };
    const map = new SignatureMap();
    map.add(sha256(seed), delegationMessageHash(fields), NOW + MINUTE);
    const certificate = signer.certify(dataCertificateTree(signingCanister, map.certifiedData(), NOW));
    const signature = delegationSignatureCbor(map, certificate, seed, fields)!;
    const chain = DelegationChain.fromDelegations(
      [
        {
          delegation: new Delegation(sessionDer, fields.expiration, targets),
          signature: signature as Signature,
        },
      ],
      userKey as DerEncodedPublicKey,
    );
    return DelegationIdentity.fromDelegation(session, chain);
  }

  it('a delegation signed by a canister signature authenticates the session key', async () => {
    const identity = await canisterSignedIdentity([CANISTER]);
    expect(x(identity.getPrincipal().toUint8Array())).toBe(x(selfAuthenticatingPrincipal(userKey)));
    const request = await expectAccepted(identity, 'call');
    expect(request.targets?.map(x)).toEqual([x(CANISTER.toUint8Array())]);
  });

  it('refused under a different root key', async () => {
    const { req } = await roundTrip(await canisterSignedIdentity(), 'call');
    const otherRoot = new CertificateSigner(new Uint8Array(32).fill(4)).rootKey;
    const result = await authenticate(req.body, 'call', CANISTER.toUint8Array(), {
      ...ctx,
      rootKey: otherRoot,
    });
    expectRefused(result, 'DelegationBadSignature');
    expect(result.message).toContain('canister signature');
  });
});

describe('refused', () => {
  it('a wrong sender_sig (signature by another key)', async () => {
    const { req } = await roundTrip(ed(1), 'call');
    const forged = rewrite(req.body, (e) => {
      e.sender_sig = new Uint8Array(64).fill(7);
    });
    expectRefused(await authenticate(forged, 'call', CANISTER.toUint8Array(), ctx), 'BadSignature');
  });

  it('sender is not selfAuthenticating(sender_pubkey)', async () => {
    const { result } = await roundTrip(ed(1), 'call', { sender: ed(2).getPrincipal() });
    expectRefused(result, 'SenderMismatch');
  });

  it('the anonymous sender with a sender_pubkey', async () => {
    const { result } = await roundTrip(ed(1), 'query', { sender: Principal.anonymous() });
    expectRefused(result, 'AnonymousWithSignature');
  });

  it('a non-anonymous sender without sender_sig', async () => {
    const { req } = await roundTrip(ed(1), 'query');
    const unsigned = rewrite(req.body, (e) => {
      delete e.sender_sig;
    });
    expectRefused(await authenticate(unsigned, 'query', CANISTER.toUint8Array(), ctx), 'MissingSignature');
  });

  it('a sender_pubkey of no supported scheme (a BLS key)', async () => {
    const { req } = await roundTrip(ed(1), 'query');
    const bls = rewrite(req.body, (e) => {
      e.sender_pubkey = signer.rootKey;
      e.content.sender = selfAuthenticatingPrincipal(signer.rootKey);
    });
    expectRefused(await authenticate(bls, 'query', CANISTER.toUint8Array(), ctx), 'UnsupportedKey');
  });

  it('an expired delegation', async () => {
    const identity = await chainIdentity([ed(1), ed(2), ed(3)], {});
    const expired = await chainIdentity([ed(1), ed(2)], { expiration: new Date(NOW_MS - 1) });
    await expectAccepted(identity, 'query');
    const { result } = await roundTrip(expired, 'query');
    expectRefused(result, 'DelegationExpired');
  });

  it('21 delegations (20 accepted)', async () => {
    const keys = Array.from({ length: 22 }, (_, i) => ed(i + 1));
    await expectAccepted(await chainIdentity(keys.slice(0, 21)), 'query');
    const { result } = await roundTrip(await chainIdentity(keys), 'query');
    expectRefused(result, 'DelegationTooLong');
  });

  it('the canister outside the targets, or outside their intersection', async () => {
    const { result } = await roundTrip(await chainIdentity([ed(1), ed(2)], { targets: [[OTHER]] }), 'call');
    expectRefused(result, 'DelegationTargets');
    const disjoint = await chainIdentity([ed(1), ed(2), ed(3)], { targets: [[CANISTER], [OTHER]] });
    expectRefused((await roundTrip(disjoint, 'query')).result, 'DelegationTargets');
  });

  it('a delegation with more than 1000 targets (1000 accepted)', async () => {
    const many = (n: number) => [
      CANISTER,
      ...Array.from({ length: n - 1 }, (_, i) => canisterNumber(10 + (i % 200))),
    ];
    await expectAccepted(await chainIdentity([ed(1), ed(2)], { targets: [many(1000)] }), 'query');
    const { result } = await roundTrip(
      await chainIdentity([ed(1), ed(2)], { targets: [many(1001)] }),
      'query',
    );
    expectRefused(result, 'DelegationTargets');
  });

  it('a cycle (A → B → A) and a self-delegation (A → A)', async () => {
    const [a, b] = [ed(1), ed(2)];
    expectRefused((await roundTrip(await chainIdentity([a, b, a]), 'call')).result, 'DelegationCycle');
    expectRefused((await roundTrip(await chainIdentity([a, a]), 'call')).result, 'DelegationCycle');
  });

  it('permissions "queries" on /call (queries and read_state still accepted)', async () => {
    const identity = await chainIdentity([ed(1), ed(2), ed(3)], { permissions: [undefined, 'queries'] });
    await expectAccepted(identity, 'query');
    await expectAccepted(identity, 'read_state');
    const { result } = await roundTrip(identity, 'call');
    expectRefused(result, 'DelegationPermissions');
  });

  it('an unknown permissions value invalidates the delegation', async () => {
    const identity = await chainIdentity([ed(1), ed(2)], { permissions: ['everything'] });
    expectRefused((await roundTrip(identity, 'query')).result, 'DelegationPermissions');
  });

  it('an unknown field in a delegation', async () => {
    const { req } = await roundTrip(await chainIdentity([ed(1), ed(2)]), 'query');
    const body = rewrite(req.body, (e) => {
      e.sender_delegation![0]!.delegation.scope = 'all';
    });
    expectRefused(await authenticate(body, 'query', CANISTER.toUint8Array(), ctx), 'MalformedEnvelope');
  });

  it('a delegation signature by the wrong key', async () => {
    const { req } = await roundTrip(await chainIdentity([ed(1), ed(2), ed(3)]), 'query');
    const body = rewrite(req.body, (e) => {
      e.sender_delegation![1]!.signature = e.sender_delegation![0]!.signature;
    });
    expectRefused(await authenticate(body, 'query', CANISTER.toUint8Array(), ctx), 'DelegationBadSignature');
  });

  it('a nonce of 33 bytes', async () => {
    const { result } = await roundTrip(ed(1), 'call', { nonce: new Uint8Array(33) });
    expectRefused(result, 'NonceTooLong');
  });

  it('an effective canister id that is not canister_id, and the management canister', async () => {
    const { req } = await roundTrip(ed(1), 'call');
    expectRefused(
      await authenticate(req.body, 'call', OTHER.toUint8Array(), ctx),
      'EffectiveCanisterIdMismatch',
    );
    expectRefused(await authenticate(req.body, 'call', null, ctx), 'EffectiveCanisterIdMismatch');
    const management = await agentRequest(ed(1), 'call', {
      expiry: NOW + MINUTE,
      canisterId: Principal.managementCanister(),
    });
    expectRefused(await authenticate(management.body, 'call', new Uint8Array(), ctx), 'ManagementCanister');
  });

  it('a request type that is not the endpoint', async () => {
    const { req } = await roundTrip(ed(1), 'query');
    for (const endpoint of ['call', 'read_state'] as Endpoint[]) {
      expectRefused(await authenticate(req.body, endpoint, CANISTER.toUint8Array(), ctx), 'WrongRequestType');
    }
    const unknown = rewrite(req.body, (e) => {
      e.content.request_type = 'update';
    });
    expectRefused(await authenticate(unknown, 'query', CANISTER.toUint8Array(), ctx), 'WrongRequestType');
  });

  it('malformed bodies: not CBOR, trailing bytes, wrong field types', async () => {
    expectRefused(
      await authenticate(utf8('{"content":{}}'), 'call', CANISTER.toUint8Array(), ctx),
      'MalformedCbor',
    );
    const { req } = await roundTrip(ed(1), 'call');
    const trailing = concatBytes(req.body, Uint8Array.of(0));
    expectRefused(await authenticate(trailing, 'call', CANISTER.toUint8Array(), ctx), 'MalformedCbor');
    const textId = rewrite(req.body, (e) => {
      e.content.canister_id = CANISTER.toText();
    });
    const refused = await authenticate(textId, 'call', CANISTER.toUint8Array(), ctx);
    expectRefused(refused, 'MalformedEnvelope');
    expect(refused.message).toBe(
      'The request field content.canister_id must be a principal (a byte string), but it is a text string.',
    );
  });

  it('read_state: 1000 paths of 127 labels are accepted; 1001 paths or 128 labels are not', async () => {
    const label = utf8('l');
    await expectAccepted(ed(1), 'read_state', { paths: Array.from({ length: 1000 }, () => [label]) });
    await expectAccepted(ed(1), 'read_state', { paths: [Array.from({ length: 127 }, () => label)] });
    const many = await roundTrip(ed(1), 'read_state', { paths: Array.from({ length: 1001 }, () => [label]) });
    expectRefused(many.result, 'TooManyPaths');
    const deep = await roundTrip(ed(1), 'read_state', { paths: [Array.from({ length: 128 }, () => label)] });
    expectRefused(deep.result, 'PathTooLong');
  });
});

describe('ingress_expiry in [now, now + 5 min + 30 s]', () => {
  const MAX = NOW + 5n * MINUTE + 30n * SECOND;

  it('the exact bounds are accepted', async () => {
    await expectAccepted(ed(1), 'call', { expiry: NOW });
    await expectAccepted(ed(1), 'call', { expiry: MAX });
  });

  it('1 ns past either bound is refused with the replica wording HttpAgent looks for', async () => {
    for (const expiry of [NOW - 1n, MAX + 1n]) {
      const { result } = await roundTrip(ed(1), 'call', { expiry });
      expectRefused(result, 'InvalidExpiry');
      expect(result.message.startsWith(INVALID_EXPIRY_PREFIX)).toBe(true);
      expect(result.message).toMatch(
        /^Invalid request expiry: Specified ingress_expiry not within expected range: Minimum allowed expiry: \S+, Maximum allowed expiry: \S+, Provided expiry: \S+$/,
      );
    }
    const { result } = await roundTrip(ed(1), 'read_state', { expiry: MAX + 1n });
    expectRefused(result, 'InvalidExpiry');
    expect(result.message).toContain(
      `Maximum allowed expiry: ${new Date(NOW_MS + 330_000).toISOString().slice(0, -1)}000000Z`,
    );
  });

  it('anonymous query and read_state may have any expiry; an anonymous call may not', async () => {
    const anonymous = new AnonymousIdentity();
    await expectAccepted(anonymous, 'query', { expiry: NOW - MINUTE });
    await expectAccepted(anonymous, 'read_state', { expiry: NOW + 60n * MINUTE });
    expectRefused((await roundTrip(anonymous, 'call', { expiry: NOW - 1n })).result, 'InvalidExpiry');
  });
});

describe('building blocks', () => {
  it('decodeEnvelope reads the body without the self-describe tag to the same request id', async () => {
    const { req } = await roundTrip(ed(1), 'call');
    const untagged = req.body.subarray(3);
    const decoded = decodeEnvelope(untagged);
    expect(decoded.ok && x(decoded.requestId)).toBe(x(req.requestId));
  });

  it('verifySignature: malformed keys and signatures are typed failures, not exceptions', async () => {
    const p256Der = new Uint8Array((await ECDSAKeyIdentity.generate()).getPublicKey().toDer());
    const offCurve = p256Der.slice();
    offCurve[offCurve.length - 1]! ^= 1;
    const cases: Array<[Uint8Array, Uint8Array, string]> = [
      [new Uint8Array(), new Uint8Array(64), 'UnsupportedKey'],
      [offCurve, new Uint8Array(64), 'UnsupportedKey'],
      [p256Der, new Uint8Array(63), 'BadSignature'],
      [p256Der, new Uint8Array(64), 'BadSignature'],
      [canisterSigPublicKeyDer(canisterNumber(3).toUint8Array(), utf8('s')), utf8('junk'), 'BadSignature'],
    ];
    for (const [key, sig, reason] of cases) {
      expect(await verifySignature(key, utf8('m'), sig, ctx)).toMatchObject({ ok: false, reason });
    }
  });
});

/**
 * The devnet endpoint's refusals and robustness, over real HTTP to the in-process devnet (src/devnet/server.ts,
 * authenticate.ts; design note ic-endpoint-and-signin.md, "Local endpoint" checklist; issue 9, "Tests"):
 * WebAuthn-signed requests through an unmodified HttpAgent, every rejection of the checklist as a 4xx with a
 * sentence and no state change, the agent recovering from a skewed clock through `Invalid request expiry: `,
 * CORS, the bounded call queue (429), random and mutated envelopes (fast-check) and `/_devnet/stats`.
 *
 * Request bodies are built by @icp-sdk/core 6.1 itself (test/helpers/devnet-requests.ts) and POSTed with
 * `fetch`; "no state change" means the devnet's `callsExecuted` and the canister's `waxseal_identities`
 * metric are both unchanged, and most refused bodies are `create_identity` calls, which would move both.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { type ActorSubclass, HttpAgent, type Identity } from '@icp-sdk/core/agent';
import { IDL } from '@icp-sdk/core/candid';
import {
  DelegationChain,
  DelegationIdentity,
  ECDSAKeyIdentity,
  Ed25519KeyIdentity,
} from '@icp-sdk/core/identity';
import { Secp256k1KeyIdentity } from '@icp-sdk/core/identity/secp256k1';
import { Principal } from '@icp-sdk/core/principal';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { _SERVICE } from '../canister/declarations/waxseal.did.ts';
import { REQUEST_DOMAIN_SEPARATOR } from '../src/devnet/authenticate.ts';
import { decodeEnvelope } from '../src/devnet/envelope.ts';
import { MAX_BODY_BYTES } from '../src/devnet/server.ts';
import { concatBytes, toHex, utf8 } from '../src/encoding/bytes.ts';
import { applyMutation, mutation } from './helpers/byte-mutations.ts';
import { startDevnet, type TestDevnet } from './helpers/devnet.ts';
import { chainIdentity, rewrite } from './helpers/devnet-envelopes.ts';
import {
  type AgentRequest,
  agentRequest,
  canisterNumber,
  type RequestKind,
  type RequestOptions,
} from './helpers/devnet-requests.ts';
import { ok } from './helpers/result.ts';
import { useStubAuthenticator } from './helpers/webauthn.ts';

const MINUTE_MS = 60_000;
const MINUTE_NS = 60_000_000_000n;
const nowNs = () => BigInt(Date.now()) * 1_000_000n;
const NO_ARGS = new Uint8Array(IDL.encode([], []));
/** A canister this devnet does not host. */
const OTHER = canisterNumber(42);

let d: TestDevnet;
let cid: Principal;
let anonymous: ActorSubclass<_SERVICE>;

beforeAll(async () => {
  d = await startDevnet();
  cid = d.devnet.canisterId;
  expect(cid.toText()).not.toBe(OTHER.toText());
  anonymous = await d.actor();
}, 120_000);
afterAll(async () => d?.close());

const ed = () => Ed25519KeyIdentity.generate();

// ---- HTTP ----

interface Answer {
  status: number;
  text: string;
  bytes: Uint8Array;
  headers: Headers;
}

async function request(path: string, init: RequestInit = {}, base = d.url): Promise<Answer> {
  const res = await fetch(`${base}${path}`, init);
  const bytes = new Uint8Array(await res.arrayBuffer());
  return { status: res.status, text: new TextDecoder().decode(bytes), bytes, headers: res.headers };
}

function post(
  path: string,
  body: Uint8Array,
  base = d.url,
  contentType = 'application/cbor',
): Promise<Answer> {
  return request(
    path,
    { method: 'POST', headers: { 'content-type': contentType }, body: body as Uint8Array<ArrayBuffer> },
    base,
  );
}

const at = (endpoint: RequestKind, canister: Principal = cid, version = endpoint === 'call' ? 4 : 3) =>
  `/api/v${version}/canister/${canister.toText()}/${endpoint}`;

// ---- Request bodies, as the agent builds them ----

/** The agent's body of `create_identity` (an update call) to this devnet's canister. */
function createIdentityBody(identity: Identity, o: Partial<RequestOptions> = {}): Promise<AgentRequest> {
  return agentRequest(identity, 'call', {
    expiry: nowNs() + 4n * MINUTE_NS,
    canisterId: cid,
    ...o,
    extra: { method_name: 'create_identity', arg: NO_ARGS, ...o.extra },
  });
}

/** The agent's body of a `whoami` request (`kind` call or query). */
function whoamiBody(identity: Identity, kind: 'call' | 'query', o: Partial<RequestOptions> = {}) {
  return agentRequest(identity, kind, {
    expiry: nowNs() + 4n * MINUTE_NS,
    canisterId: cid,
    ...o,
    extra: { method_name: 'whoami', arg: NO_ARGS, ...o.extra },
  });
}

function readStateBody(identity: Identity, paths: Uint8Array[][]) {
  return agentRequest(identity, 'read_state', { expiry: nowNs() + 4n * MINUTE_NS, paths });
}

// ---- State: what a wrongly accepted request would change ----

interface State {
  callsExecuted: number;
  identities: number;
}

async function identitiesMetric(): Promise<number> {
  const res = await anonymous.http_request({
    method: 'GET',
    url: '/metrics',
    headers: [],
    body: new Uint8Array(),
    certificate_version: [],
  });
  expect(res.status_code).toBe(200);
  const m = new TextDecoder().decode(res.body).match(/^waxseal_identities (\d+)$/m);
  if (!m) throw new Error('no waxseal_identities in /metrics');
  return Number(m[1]);
}

async function state(): Promise<State> {
  return { callsExecuted: d.devnet.callsExecuted, identities: await identitiesMetric() };
}

/** `send` is answered `status` with a plain-text sentence matching `message`, and nothing changed. */
async function expectRefused(
  send: () => Promise<Answer>,
  status: number,
  message: RegExp | string,
): Promise<Answer> {
  const before = await state();
  const answer = await send();
  expect(answer.status, answer.text).toBe(status);
  expect(answer.headers.get('content-type')).toMatch(/^text\/plain/);
  expect(answer.text).toMatch(/^[A-Z].*\S\n$/s);
  if (typeof message === 'string') expect(answer.text).toContain(message);
  else expect(answer.text).toMatch(message);
  expect(await state()).toEqual(before);
  return answer;
}

// ---- 1. WebAuthn over HTTP ----

describe('WebAuthn (passkey) identities over HTTP', () => {
  const authenticator = useStubAuthenticator();

  it('an HttpAgent with a WebAuthnIdentity: whoami, create_identity and identity_info as selfAuth(DER COSE key)', async () => {
    authenticator.fault = 'none';
    const identity = authenticator.p256Identity();
    const principal = Principal.selfAuthenticating(new Uint8Array(identity.getPublicKey().toDer()));
    expect(identity.getPrincipal().toText()).toBe(principal.toText());
    const actor = await d.actor(identity);
    expect((await actor.whoami()).toText()).toBe(principal.toText());
    const before = await state();
    const anchor = ok(await actor.create_identity());
    expect(await state()).toEqual({
      callsExecuted: before.callsExecuted + 1,
      identities: before.identities + 1,
    });
    const info = ok(await actor.identity_info(anchor));
    expect(info.authenticators.map((p) => p.toText())).toEqual([principal.toText()]);
  });

  const faults = [
    ['a challenge that is not base64url(the request message)', 'challenge', /challenge/],
    ['client data of type webauthn.create', 'type', /webauthn\.get/],
    ['a signature over other client data', 'signature', /does not verify/],
  ] as const;
  for (const [name, fault, message] of faults) {
    it(`refused with 400, never run: ${name}`, async () => {
      const identity = authenticator.p256Identity();
      authenticator.fault = fault;
      try {
        const { body } = await createIdentityBody(identity);
        const answer = await expectRefused(() => post(at('call'), body), 400, message);
        expect(answer.text).toContain('sender_sig is not a valid signature');
      } finally {
        authenticator.fault = 'none';
      }
    });
  }
});

// ---- 2. Every rejection of the checklist ----

describe('refusals: a 4xx with a sentence, and the canister never runs the request', () => {
  it('control: the same kind of body, well formed, is accepted and moves both counters', async () => {
    const before = await state();
    const { body } = await createIdentityBody(ed());
    const answer = await post(at('call'), body);
    expect(answer.status).toBe(200);
    expect(await state()).toEqual({
      callsExecuted: before.callsExecuted + 1,
      identities: before.identities + 1,
    });
  });

  it('a wrong sender_sig (another key’s signature of the same request id)', async () => {
    const identity = ed();
    const { body, requestId } = await createIdentityBody(identity);
    const other = await ed().sign(concatBytes(REQUEST_DOMAIN_SEPARATOR, requestId));
    const forged = rewrite(body, (e) => {
      e.sender_sig = new Uint8Array(other);
    });
    await expectRefused(() => post(at('call'), forged), 400, 'sender_sig is not a valid signature');
  });

  it('sender ≠ selfAuthenticating(sender_pubkey)', async () => {
    const { body } = await createIdentityBody(ed(), { sender: ed().getPrincipal() });
    await expectRefused(() => post(at('call'), body), 400, /is not the principal of sender_pubkey/);
  });

  it('the anonymous sender with a sender_pubkey and sender_sig', async () => {
    const { body } = await createIdentityBody(ed(), { sender: Principal.anonymous() });
    await expectRefused(() => post(at('call'), body), 400, /anonymous principal, so sender_pubkey/);
  });

  it('an expired delegation', async () => {
    const identity = await chainIdentity([ed(), ed()], { expiration: new Date(Date.now() - 1000) });
    const { body } = await createIdentityBody(identity);
    await expectRefused(() => post(at('call'), body), 400, /expired/i);
  });

  it('a chain of 21 delegations', async () => {
    const keys = Array.from({ length: 22 }, ed);
    const { body } = await createIdentityBody(await chainIdentity(keys));
    await expectRefused(() => post(at('call'), body), 400, /21 delegations|at most 20/);
  });

  it('the canister outside the delegation’s targets', async () => {
    const identity = await chainIdentity([ed(), ed()], { targets: [[OTHER]] });
    const { body } = await createIdentityBody(identity);
    await expectRefused(() => post(at('call'), body), 400, /not among the targets/);
  });

  it('a cycle in the delegation chain (A → B → A)', async () => {
    const [a, b] = [ed(), ed()];
    const { body } = await createIdentityBody(await chainIdentity([a, b, a]));
    await expectRefused(() => post(at('call'), body), 400, /cycle|more than once|appears twice/i);
  });

  it('permissions "queries" on /call; the same identity’s query is answered', async () => {
    const identity = await chainIdentity([ed(), ed()], { permissions: ['queries'] });
    const { body } = await createIdentityBody(identity);
    await expectRefused(() => post(at('call'), body), 400, /limited to queries/);
    const actor = await d.actor(identity);
    expect((await actor.whoami()).toText()).toBe(identity.getPrincipal().toText());
  });

  it('a nonce of 33 bytes', async () => {
    const { body } = await createIdentityBody(ed(), { nonce: new Uint8Array(33).fill(1) });
    await expectRefused(() => post(at('call'), body), 400, /nonce is 33 bytes long/);
  });

  it('the effective canister id of the URL ≠ canister_id', async () => {
    const { body } = await createIdentityBody(ed(), { canisterId: OTHER });
    await expectRefused(() => post(at('call'), body), 400, /they must be the same/);
  });

  it('ingress_expiry in the past, or after now + 5 min 30 s: "Invalid request expiry: "', async () => {
    for (const expiry of [nowNs() - 1_000_000_000n, nowNs() + 5n * MINUTE_NS + 40_000_000_000n]) {
      const { body } = await createIdentityBody(ed(), { expiry });
      await expectRefused(() => post(at('call'), body), 400, /^Invalid request expiry: /);
    }
  });

  it('a request_type that is not the endpoint’s', async () => {
    const identity = ed();
    const call = await createIdentityBody(identity);
    const query = await agentRequest(identity, 'query', {
      expiry: nowNs() + 4n * MINUTE_NS,
      canisterId: cid,
      extra: { method_name: 'create_identity', arg: NO_ARGS },
    });
    const read = await readStateBody(identity, [[utf8('time')]]);
    await expectRefused(() => post(at('call'), query.body), 400, /call endpoint.*"query"/);
    await expectRefused(() => post(at('call'), read.body), 400, /call endpoint.*"read_state"/);
    await expectRefused(() => post(at('query'), call.body), 400, /query endpoint.*"call"/);
    await expectRefused(() => post(at('read_state'), call.body), 400, /read_state endpoint.*"call"/);
  });

  it('malformed CBOR: not CBOR, a truncated body, trailing bytes', async () => {
    const { body } = await createIdentityBody(ed());
    for (const bad of [
      utf8('{"content":{}}'),
      body.subarray(0, body.length - 5),
      concatBytes(body, Uint8Array.of(0)),
    ]) {
      await expectRefused(() => post(at('call'), bad), 400, /not valid CBOR/);
    }
  });

  it('a body over 2 MiB: 413 (declared or streamed), the connection closed, and the server keeps serving', async () => {
    const big = new Uint8Array(MAX_BODY_BYTES + 1);
    const declared = await expectRefused(
      () => post(at('call'), big),
      413,
      /exceeds the 2097152-byte ingress limit/,
    );
    expect(declared.headers.get('connection')).toBe('close');
    // Without a Content-Length the server counts while reading and stops at the limit.
    const chunk = new Uint8Array(256 * 1024);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 9; i++) controller.enqueue(chunk);
        controller.close();
      },
    });
    const streamed = await expectRefused(
      () =>
        request(at('call'), {
          method: 'POST',
          headers: { 'content-type': 'application/cbor' },
          body: stream,
          duplex: 'half',
        } as RequestInit),
      413,
      /exceeds the 2097152-byte ingress limit/,
    );
    // Kept alive, the half-read connection would stall the client's next request on it (then ECONNRESET).
    expect(streamed.headers.get('connection')).toBe('close');
    for (let i = 0; i < 3; i++) expect((await request('/api/v2/status')).status).toBe(200);
    const { body } = await createIdentityBody(ed());
    expect((await post(at('call'), body)).status).toBe(200);
  });

  it('a Content-Type other than application/cbor: 415', async () => {
    const { body } = await createIdentityBody(ed());
    await expectRefused(
      () => post(at('call'), body, d.url, 'application/json'),
      415,
      /must be application\/cbor/,
    );
    await expectRefused(
      () => request(at('call'), { method: 'POST', body: body as Uint8Array<ArrayBuffer> }),
      415,
      /must be application\/cbor/,
    );
  });

  it('a canister this devnet does not host: 404', async () => {
    const { body } = await createIdentityBody(ed(), { canisterId: OTHER });
    await expectRefused(() => post(at('call', OTHER), body), 404, /does not exist on this devnet/);
    const query = await whoamiBody(ed(), 'query', { canisterId: OTHER });
    await expectRefused(() => post(at('query', OTHER), query.body), 404, /does not exist on this devnet/);
  });

  it('an unknown route: 404', async () => {
    const { body } = await createIdentityBody(ed());
    for (const path of [
      '/api/v2/nothing',
      `/api/v4/canister/${cid.toText()}/query`,
      `/api/v5/canister/${cid.toText()}/call`,
      `/api/v4/canister/${cid.toText()}/call/extra`,
    ]) {
      await expectRefused(() => post(path, body), 404, `No such endpoint: ${path}`);
    }
  });

  it('GET / is a page saying what the endpoint is and how to connect; POST / is 405', async () => {
    const page = await request('/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = page.text;
    expect(html).toContain(cid.toText());
    expect(html).toContain('shouldFetchRootKey: true');
    const { body } = await createIdentityBody(ed());
    await expectRefused(() => post('/', body), 405, /use GET/);
  });

  it('GET on a POST route, POST on a GET route: 405 with Allow', async () => {
    const get = await expectRefused(() => request(at('call')), 405, /GET is not allowed on .*; use POST/);
    expect(get.headers.get('allow')).toBe('POST, OPTIONS');
    const { body } = await createIdentityBody(ed());
    const postStatus = await expectRefused(() => post('/api/v2/status', body), 405, /use GET/);
    expect(postStatus.headers.get('allow')).toBe('GET, OPTIONS');
  });

  it('read_state of another sender’s request_status: 403 (its own sender reads it)', async () => {
    const [owner, stranger] = [ed(), ed()];
    const call = await whoamiBody(owner, 'call');
    expect((await post(at('call'), call.body)).status).toBe(200);
    const path = [utf8('request_status'), call.requestId];
    const own = await readStateBody(owner, [path]);
    expect((await post(at('read_state'), own.body)).status).toBe(200);
    const foreign = await readStateBody(stranger, [path]);
    await expectRefused(() => post(at('read_state'), foreign.body), 403, /only its sender may read/);
  });

  it('read_state of canister/<another id>/…: 400 (canister/<effective id>/… is answered)', async () => {
    const identity = ed();
    const ours = await readStateBody(identity, [[utf8('canister'), cid.toUint8Array(), utf8('module_hash')]]);
    expect((await post(at('read_state'), ours.body)).status).toBe(200);
    const other = await readStateBody(identity, [
      [utf8('canister'), OTHER.toUint8Array(), utf8('module_hash')],
    ]);
    await expectRefused(() => post(at('read_state'), other.body), 400, /must name the effective canister id/);
  });

  it('an effective canister id that is not a principal: 400', async () => {
    const { body } = await createIdentityBody(ed());
    await expectRefused(
      () => post('/api/v4/canister/not-a-principal/call', body),
      400,
      /not a valid principal/,
    );
  });
});

// ---- 3. ingress_expiry and the agent's clock ----

/**
 * The client's clock, skewed only for code running inside `clientClock.run(skew, …)` (the agent's requests and
 * everything they await), so that the in-process devnet keeps the true time. A real skewed clock moves both
 * `Date.now()` and `new Date()`, and the agent reads both: its expiry and its clock sync use Date.now, but
 * `Certificate.verify` (agent/certificate.js) compares the certificate's /time with `new Date()` plus the synced
 * offset. Skewing Date.now alone is therefore no clock the agent can recover from: after the sync the retried
 * call runs, but its certificate is refused ("System time has been synced with the IC network, but certificate
 * is still too far in the future" when ahead, "Certificate is signed more than 5 minutes in the past" behind).
 */
const clientClock = new AsyncLocalStorage<number>();
const RealDate = Date;
const clientNow = () => RealDate.now() + (clientClock.getStore() ?? 0);
class ClientDate extends RealDate {
  constructor(...args: [] | [string | number | Date]) {
    if (args.length === 0) super(clientNow());
    else super(...args);
  }
  static override now(): number {
    return clientNow();
  }
}

describe('ingress_expiry: the agent syncs its clock from read_state /time and retries', () => {
  for (const [name, skewMs] of [
    ['10 minutes ahead', 10 * MINUTE_MS],
    ['10 minutes behind', -10 * MINUTE_MS],
  ] as const) {
    it(`a client clock ${name}: first call refused with "Invalid request expiry: ", the retry runs once`, async () => {
      const identity = ed();
      const seen: { path: string; status: number; text: string }[] = [];
      const before = await state();
      globalThis.Date = ClientDate as DateConstructor;
      let anchor: bigint;
      try {
        anchor = await clientClock.run(skewMs, async () => {
          expect(Math.round((Date.now() - RealDate.now()) / MINUTE_MS)).toBe(skewMs / MINUTE_MS);
          const agent = await HttpAgent.create({
            host: d.url,
            shouldFetchRootKey: true,
            identity,
            fetch: async (input, init) => {
              const res = await fetch(input, init);
              const path = new URL(String(input)).pathname;
              seen.push({ path, status: res.status, text: res.ok ? '' : await res.clone().text() });
              return res;
            },
          });
          const reply = await agent.update(cid, { methodName: 'create_identity', arg: NO_ARGS });
          const [result] = IDL.decode(
            [IDL.Variant({ Ok: IDL.Nat64, Err: IDL.Record({ code: IDL.Text, message: IDL.Text }) })],
            new Uint8Array(reply.reply),
          ) as unknown as [{ Ok: bigint } | { Err: { code: string; message: string } }];
          return ok(result);
        });
      } finally {
        globalThis.Date = RealDate;
      }
      const calls = seen.filter((s) => s.path.endsWith('/call'));
      expect(calls.map((c) => c.status)).toEqual([400, 200]);
      expect(calls[0]!.text).toMatch(/^Invalid request expiry: /);
      expect(seen.filter((s) => s.path.endsWith('/read_state')).length).toBeGreaterThan(0);
      expect(await state()).toEqual({
        callsExecuted: before.callsExecuted + 1,
        identities: before.identities + 1,
      });
      const info = ok(await (await d.actor(identity)).identity_info(anchor));
      expect(info.authenticators.map((p) => p.toText())).toEqual([identity.getPrincipal().toText()]);
    });
  }
});

// ---- 4. CORS ----

describe('CORS', () => {
  it('an OPTIONS preflight from another loopback origin is answered 204 with the allow headers', async () => {
    const res = await fetch(`${d.url}${at('call')}`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://localhost:5173',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toMatch(/^(\*|http:\/\/localhost:5173)$/);
    const list = (h: string) => (res.headers.get(h) ?? '').split(',').map((s) => s.trim().toLowerCase());
    expect(list('access-control-allow-methods')).toContain('post');
    expect(list('access-control-allow-headers')).toContain('content-type');
  });

  it('answers and refusals carry access-control-allow-origin', async () => {
    const headers = { origin: 'http://localhost:5173' };
    const status = await request('/api/v2/status', { headers });
    expect(status.status).toBe(200);
    expect(status.headers.get('access-control-allow-origin')).toBeTruthy();
    const query = await whoamiBody(ed(), 'query');
    const answered = await request(at('query'), {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/cbor' },
      body: query.body as Uint8Array<ArrayBuffer>,
    });
    expect(answered.status).toBe(200);
    expect(answered.headers.get('access-control-allow-origin')).toBeTruthy();
    const refused = await request(at('call'), { method: 'POST', headers, body: 'x' });
    expect(refused.status).toBe(415);
    expect(refused.headers.get('access-control-allow-origin')).toBeTruthy();
  });
});

// ---- 5. The bounded queue ----

describe('the call queue is bounded', () => {
  it('maxQueuedCalls 2: 40 concurrent create_identity calls get 200 or 429, and only the 200s ran', async () => {
    const small = await startDevnet({}, { maxQueuedCalls: 2 });
    try {
      // A round that never waits runs within one turn of the event loop, so no other request is read while it
      // runs and nothing ever waits in the queue. A canister method that waits (an HTTPS outcall) makes the
      // queue grow; a delay before each update stands in for one.
      const host = small.devnet.host;
      const update = host.update.bind(host);
      vi.spyOn(host, 'update').mockImplementation(async (...args) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        return update(...args);
      });
      const canisterId = small.devnet.canisterId;
      const bodies = await Promise.all(
        Array.from({ length: 40 }, () =>
          agentRequest(ed(), 'call', {
            expiry: nowNs() + 4n * MINUTE_NS,
            canisterId,
            extra: { method_name: 'create_identity', arg: NO_ARGS },
          }),
        ),
      );
      const before = small.devnet.callsExecuted;
      const answers = await Promise.all(
        bodies.map(({ body }) => post(at('call', canisterId), body, small.url)),
      );
      const statuses = answers.map((a) => a.status);
      const accepted = statuses.filter((s) => s === 200).length;
      const busy = answers.filter((a) => a.status === 429);
      expect(accepted + busy.length).toBe(40);
      expect(busy.length).toBeGreaterThan(0);
      expect(accepted).toBeGreaterThan(0);
      for (const a of busy) expect(a.text).toMatch(/^The devnet is busy: its queue of update calls is full/);
      expect(small.devnet.callsExecuted - before).toBe(accepted);
      expect(small.devnet.queuedCalls).toBe(0);
      const metrics = await (await small.actor()).http_request({
        method: 'GET',
        url: '/metrics',
        headers: [],
        body: new Uint8Array(),
        certificate_version: [],
      });
      expect(new TextDecoder().decode(metrics.body)).toMatch(
        new RegExp(`^waxseal_identities ${accepted}$`, 'm'),
      );
    } finally {
      vi.restoreAllMocks();
      await small.close();
    }
  });
});

// ---- 6. Properties over HTTP ----

/** Every status the endpoint may give a hostile body; never a 5xx. */
const ALLOWED = new Set([200, 202, 400, 403, 404, 413, 415]);

describe('properties over HTTP: hostile bodies never crash the server nor reach the canister', () => {
  interface Sample extends AgentRequest {
    readonly kind: RequestKind;
  }
  const samples: Sample[] = [];

  beforeAll(async () => {
    const session = await ECDSAKeyIdentity.generate();
    const chain = await DelegationChain.create(
      ed(),
      session.getPublicKey(),
      new Date(Date.now() + 3_600_000),
      {
        targets: [cid],
      },
    );
    const delegated = DelegationIdentity.fromDelegation(session, chain);
    const k1 = Secp256k1KeyIdentity.generate();
    const expiry = nowNs() + 4n * MINUTE_NS;
    samples.push(
      { kind: 'call', ...(await createIdentityBody(ed(), { expiry })) },
      { kind: 'call', ...(await createIdentityBody(delegated, { expiry })) },
      { kind: 'query', ...(await whoamiBody(delegated, 'query', { expiry })) },
      { kind: 'read_state', ...(await readStateBody(k1, [[utf8('time')]])) },
    );
  });

  it('random bytes, bare or behind the self-describe tag, to call, query and read_state', async () => {
    const before = d.devnet.callsExecuted;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 400 }),
          fc.uint8Array({ maxLength: 400 }).map((b) => concatBytes(Uint8Array.of(0xd9, 0xd9, 0xf7), b)),
        ),
        fc.constantFrom<RequestKind>('call', 'query', 'read_state'),
        async (body, kind) => {
          const answer = await post(at(kind), body);
          expect(ALLOWED.has(answer.status), `${answer.status}: ${answer.text}`).toBe(true);
          expect(answer.status).toBe(400);
          expect(d.devnet.callsExecuted).toBe(before);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('mutated signed bodies (flip, set, truncate, extend, insert, delete) never execute as another request', async () => {
    /** Request ids of samples that have run: a CBOR-equivalent body of a call is that call, run at most once. */
    const ran = new Set<string>();
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: samples.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        async (index, ms) => {
          const s = samples[index]!;
          const body = ms.reduce(applyMutation, s.body);
          const before = d.devnet.callsExecuted;
          const answer = await post(at(s.kind), body);
          expect(ALLOWED.has(answer.status), `${answer.status}: ${answer.text}`).toBe(true);
          const executed = d.devnet.callsExecuted - before;
          if (answer.status === 200 || executed > 0) {
            // Accepted: the same request as the sample, by CBOR equivalence (e.g. without the tag).
            const decoded = decodeEnvelope(body);
            expect(decoded.ok && toHex(decoded.requestId)).toBe(toHex(s.requestId));
          }
          if (executed > 0) {
            expect(s.kind).toBe('call');
            expect(executed).toBe(1);
            expect(ran.has(toHex(s.requestId))).toBe(false);
            ran.add(toHex(s.requestId));
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

// ---- 7. /_devnet/stats ----

describe('/_devnet/stats', () => {
  it('is JSON with the devnet’s counters', async () => {
    const answer = await request('/_devnet/stats');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('application/json');
    const stats = JSON.parse(answer.text) as Record<string, number>;
    for (const key of [
      'callsExecuted',
      'rounds',
      'queuedCalls',
      'requests',
      'handlerMs',
      'updateMs',
      'queryMs',
      'queries',
      'journalMs',
      'certifyMs',
    ]) {
      expect(typeof stats[key], key).toBe('number');
    }
    expect(stats.callsExecuted).toBe(d.devnet.callsExecuted);
    expect(stats.callsExecuted).toBeGreaterThan(0);
    expect(stats.rounds).toBe(d.devnet.rounds);
    expect(stats.queuedCalls).toBe(0);
    expect(stats.requests).toBeGreaterThan(0);
  });
});

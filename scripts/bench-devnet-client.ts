/**
 * One client process of `npm run bench:devnet` (scripts/bench-devnet.ts forks several): K concurrent callers
 * calling one workload in a closed loop, each with its own identity. How a call is made depends on `checks`:
 * - `agent` and `server`: each caller has its own unmodified HttpAgent (default options plus
 *   `shouldFetchRootKey`) and the generated actor. The agent's own work (Ed25519 request signing, undici `fetch`,
 *   CBOR, and in `agent` mode the BLS verification of every update certificate and the node signature of every
 *   query reply) runs here, which is why the load is spread over processes.
 * - `raw`: before the clock starts, each caller builds its signed request bodies exactly as HttpAgent puts them
 *   on the wire (scripts/lib/agent-request.ts); in the run it only POSTs them with node:http over keep-alive
 *   connections (one `http.Agent` per process) and decodes the CBOR reply far enough to see success. A query body
 *   is reused for every call (queries are not deduplicated); every update needs its own (a replayed call is
 *   answered from its recorded status, not executed), so each caller has a bounded stock of them and stops when
 *   it runs out (reported as `ranOutAt`). The client's CPU per call is then a fraction of a millisecond, so the
 *   server, not the clients, sets the rate.
 *
 * Protocol: the setup comes as JSON in the environment (BENCH_DEVNET_CLIENT), so nothing is sent before this
 * process listens. The client creates its agents (raw: builds its request bodies), makes one call per caller
 * (which also fetches the subnet's node keys for query verification) and sends `ready` over the IPC channel; the parent answers `run` with
 * absolute wall-clock times (ms since the epoch, shared by all processes): calls start at `startAt`, and the calls
 * that end in [measureFrom, measureTo) are measured. The callers keep the server loaded after `measureTo` until the
 * parent sends `stop` (it reads the server's counters first), and never start a call after `stopBy`; each caller
 * is also bounded by `maxCallsPerCaller`. The client answers `report` and exits.
 */
import { generateKeyPairSync } from 'node:crypto';
import { request as httpRequest, Agent as KeepAliveAgent } from 'node:http';
import { performance } from 'node:perf_hooks';
import {
  Actor,
  AnonymousIdentity,
  Cbor,
  Expiry,
  type HashTree,
  HttpAgent,
  type Identity,
  lookup_path,
  lookupResultToBuffer,
} from '@icp-sdk/core/agent';
import { IDL } from '@icp-sdk/core/candid';
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { Principal } from '@icp-sdk/core/principal';
import { type _SERVICE, idlFactory } from '../canister/declarations/waxseal.did.ts';
import { type AgentRequest, agentRequest } from './lib/agent-request.ts';

export const WORKLOADS = [
  'whoami_query',
  'whoami_update',
  'email_challenge_status',
  'email_recovery_prepare',
] as const;
export type Workload = (typeof WORKLOADS)[number];

export interface ClientSetup {
  url: string;
  canisterId: string;
  workload: Workload;
  /** Concurrent callers in this process. */
  callers: number;
  /** Index of this process (for distinct addresses). */
  process: number;
  maxCallsPerCaller: number;
  /**
   * `agent`: the agent's default checks (BLS verification of every update certificate, query signatures).
   * `server`: the same HttpAgent with those two client-side checks off (`verifyQuerySignatures: false`, a
   * `blsVerify` that accepts), so that a 2-core machine's clients can load the server to saturation. The server
   * does exactly the same work in both modes; the agent-mode tests prove its answers verify.
   * `raw`: pre-built request bodies POSTed with node:http (see the top of this file): the server's capacity.
   */
  checks: Checks;
  /** `raw` updates: request bodies to build in this process (shared out among its callers). */
  updateBodies: number;
}

export type Checks = 'agent' | 'server' | 'raw';

export interface RunMessage {
  type: 'run';
  startAt: number;
  measureFrom: number;
  measureTo: number;
  /** Hard bound: no call starts after this, even without `stop`. */
  stopBy: number;
  /**
   * Paced (open-loop) runs: every caller starts a call each `intervalMs`, the callers of all processes spread
   * evenly over the interval, whatever the previous call took. Unset: closed loop (the next call as soon as the last
   * one ends).
   */
  pace?: { intervalMs: number; totalCallers: number };
}

export interface ReportMessage {
  type: 'report';
  /** Latency (ms) of every call that completed successfully inside the window. */
  latencies: number[];
  /** Successful calls over the whole run (warm-up included). */
  total: number;
  /** Failed calls over the whole run, and the first failure's message. */
  errors: number;
  firstError?: string;
  /** CPU time (user + system) of this process inside the window, ms. */
  cpuMs: number;
  /** Event-loop utilisation of this process inside the window (1 = the client's thread never waited). */
  elu: number;
  /** `raw` updates: bodies built, the time that took (ms), and when the first caller ran out (wall ms). */
  bodies?: number;
  buildMs?: number;
  ranOutAt?: number;
}

export type ClientMessage = { type: 'ready' } | ReportMessage | { type: 'failed'; message: string };

const wallMs = () => performance.timeOrigin + performance.now();
const sleepUntil = (t: number) => new Promise((r) => setTimeout(r, Math.max(0, t - wallMs())));
const noArgs = new Uint8Array(IDL.encode([], []));

/** A fresh Ed25519 session key, DER (44 bytes), made by node:crypto so key generation costs the client little. */
function sessionKeyDer(): Uint8Array {
  return new Uint8Array(generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'der' }));
}

function send(message: ClientMessage): Promise<void> {
  return new Promise((resolve, reject) =>
    process.send!(message, (e: Error | null) => (e ? reject(e) : resolve())),
  );
}

type Call = () => Promise<void>;

interface Caller {
  call: Call;
  /** Calls this caller can still make (`raw` updates: its stock of bodies), when bounded. */
  left?: () => number;
  bodies?: number;
}

async function makeCaller(setup: ClientSetup, index: number): Promise<Caller> {
  const anonymous = setup.workload === 'email_recovery_prepare';
  const identity: Identity | undefined = anonymous ? undefined : Ed25519KeyIdentity.generate();
  const light = setup.checks === 'server';
  const agent = await HttpAgent.create({
    host: setup.url,
    shouldFetchRootKey: true,
    ...(identity ? { identity } : {}),
    ...(light ? { verifyQuerySignatures: false } : {}),
  });
  const blsVerify = light ? { blsVerify: async () => true } : {};
  const canisterId = Principal.fromText(setup.canisterId);
  const actor = Actor.createActor<_SERVICE>(idlFactory, { agent, canisterId, ...blsVerify });
  const expected = identity ? identity.getPrincipal().toText() : Principal.anonymous().toText();
  const address = `user${setup.process * setup.callers + index}@example.test`;
  let call: Call;
  switch (setup.workload) {
    case 'whoami_query':
      call = async () => {
        const p = await actor.whoami();
        if (p.toText() !== expected) throw new Error(`whoami returned ${p.toText()}`);
      };
      break;
    case 'whoami_update':
      call = async () => {
        const { reply } = await agent.update(canisterId, { methodName: 'whoami', arg: noArgs }, blsVerify);
        const [p] = IDL.decode([IDL.Principal], reply) as unknown as [Principal];
        if (p.toText() !== expected) throw new Error(`whoami (update) returned ${p.toText()}`);
      };
      break;
    case 'email_challenge_status': {
      const prepared = await actor.email_recovery_prepare(address, sessionKeyDer());
      if ('Err' in prepared)
        throw new Error(`email_recovery_prepare: ${prepared.Err.code}: ${prepared.Err.message}`);
      const { nonce } = prepared.Ok;
      call = async () => {
        const status = await actor.email_challenge_status(nonce);
        if (!('Pending' in status)) throw new Error(`email_challenge_status: ${Object.keys(status)[0]}`);
      };
      break;
    }
    case 'email_recovery_prepare':
      call = async () => {
        const key = sessionKeyDer();
        const r = await actor.email_recovery_prepare(address, key);
        if ('Err' in r) throw new Error(`email_recovery_prepare: ${r.Err.code}: ${r.Err.message}`);
      };
      break;
  }
  await call(); // fetches the subnet node keys (queries) and proves the workload works before the clock starts
  return { call };
}

// ---- raw mode ----

/** A raw request that has no answer within this time fails (the run itself is bounded by `stopBy`). */
const RAW_TIMEOUT_MS = 30_000;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const service = idlFactory({ IDL });
const method = (name: string) => {
  const func = service._fields.find(([n]) => n === name)?.[1];
  if (!func) throw new Error(`the canister has no method ${name}`);
  return func;
};
const decoder = new TextDecoder();
const bytesEqual = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

interface Posted {
  status: number;
  body: Uint8Array;
}

/** One POST over the process's keep-alive connections; resolves with the status and the whole body. */
function post(agent: KeepAliveAgent, url: URL, body: Uint8Array): Promise<Posted> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/cbor', 'content-length': body.length },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.once('error', reject);
        res.once('end', () =>
          resolve({ status: res.statusCode ?? 0, body: new Uint8Array(Buffer.concat(chunks)) }),
        );
      },
    );
    req.setTimeout(RAW_TIMEOUT_MS, () => req.destroy(new Error(`no answer within ${RAW_TIMEOUT_MS} ms`)));
    req.once('error', reject);
    req.end(body);
  });
}

interface ReplyEnvelope {
  status?: string;
  reply?: { arg: Uint8Array };
  certificate?: Uint8Array;
  reject_message?: string;
}

function envelope(posted: Posted): ReplyEnvelope {
  if (posted.status !== 200)
    throw new Error(`HTTP ${posted.status}: ${decoder.decode(posted.body.subarray(0, 300))}`);
  const reply = Cbor.decode<ReplyEnvelope>(posted.body);
  if (reply.status !== 'replied') throw new Error(`${reply.status}: ${reply.reject_message ?? ''}`);
  return reply;
}

/** The reply of a query: `status` is `replied`. */
function queryReply(posted: Posted): Uint8Array {
  const { reply } = envelope(posted);
  if (!reply) throw new Error('a replied query without a reply');
  return reply.arg;
}

/**
 * The reply of a v4 call: `status` is `replied` with a certificate whose tree says `replied` for this request
 * (the certificate's BLS signature is not checked: that is the client-side cost this mode leaves out).
 */
function callReply(posted: Posted, requestId: Uint8Array): Uint8Array {
  const { certificate } = envelope(posted);
  if (!certificate) throw new Error('a replied call without a certificate');
  const { tree } = Cbor.decode<{ tree: HashTree }>(certificate);
  const leaf = (name: string) => lookupResultToBuffer(lookup_path(['request_status', requestId, name], tree));
  const status = leaf('status');
  if (!status || decoder.decode(status) !== 'replied')
    throw new Error(`request status ${status ? decoder.decode(status) : 'absent'}`);
  const reply = leaf('reply');
  if (!reply) throw new Error('request status replied without a reply');
  return reply;
}

async function makeRawCaller(setup: ClientSetup, index: number, http: KeepAliveAgent): Promise<Caller> {
  const base = new URL(setup.url);
  if (!LOOPBACK.has(base.hostname))
    throw new Error(`raw clients are for loopback only, not ${base.hostname}`);
  const anonymous = setup.workload === 'email_recovery_prepare';
  const identity: Identity = anonymous ? new AnonymousIdentity() : Ed25519KeyIdentity.generate();
  const canisterId = Principal.fromText(setup.canisterId);
  const endpoint = (kind: 'query' | 'call') =>
    new URL(`/api/${kind === 'query' ? 'v3' : 'v4'}/canister/${canisterId.toText()}/${kind}`, base);
  const queryUrl = endpoint('query');
  const callUrl = endpoint('call');
  // ingress_expiry 4 min ahead as the agent computes it (rounded down to the minute; the devnet accepts up to
  // 5 min): the run starts within the next minute (the parent waits at most 60 s for a quiet machine).
  const expiry = Expiry.fromDeltaInMilliseconds(240_000).toBigInt();
  const build = (kind: 'query' | 'call', methodName: string, arg: Uint8Array) =>
    agentRequest(identity, kind, { expiry, canisterId, methodName, arg });
  const whoami = new Uint8Array(IDL.encode([IDL.Principal], [identity.getPrincipal()]));
  const address = `user${setup.process * setup.callers + index}@example.test`;
  const prepareArg = () =>
    new Uint8Array(IDL.encode(method('email_recovery_prepare').argTypes, [address, sessionKeyDer()]));
  /** The result of `email_recovery_prepare`: its nonce, or a failure. */
  const prepared = (reply: Uint8Array): string => {
    const [result] = IDL.decode(method('email_recovery_prepare').retTypes, reply) as unknown as [
      { Ok: { nonce: string } } | { Err: { code: string; message: string } },
    ];
    if ('Err' in result) throw new Error(`email_recovery_prepare: ${result.Err.code}: ${result.Err.message}`);
    return result.Ok.nonce;
  };
  const expect = (reply: Uint8Array, expected: Uint8Array, what: string) => {
    if (!bytesEqual(reply, expected)) throw new Error(`${what}: unexpected reply`);
  };

  if (setup.workload === 'whoami_query' || setup.workload === 'email_challenge_status') {
    let request: AgentRequest;
    let expected: Uint8Array;
    if (setup.workload === 'whoami_query') {
      request = await build('query', 'whoami', noArgs);
      expected = whoami;
    } else {
      const prepare = await build('call', 'email_recovery_prepare', prepareArg());
      const nonce = prepared(callReply(await post(http, callUrl, prepare.body), prepare.requestId));
      request = await build(
        'query',
        'email_challenge_status',
        new Uint8Array(IDL.encode([IDL.Text], [nonce])),
      );
      // The reply to check against: `Pending`, decoded once here, then compared byte for byte.
      expected = queryReply(await post(http, queryUrl, request.body));
      const [status] = IDL.decode(method('email_challenge_status').retTypes, expected) as unknown as [object];
      if (!('Pending' in status)) throw new Error(`email_challenge_status: ${Object.keys(status)[0]}`);
    }
    const call = async () =>
      expect(queryReply(await post(http, queryUrl, request.body)), expected, setup.workload);
    await call(); // opens this caller's connection and proves the workload works before the clock starts
    return { call };
  }

  // Updates: one body per call (distinct nonces), built now; the first proves the workload works.
  const count =
    1 + Math.min(setup.maxCallsPerCaller, Math.max(1, Math.floor(setup.updateBodies / setup.callers)));
  const bodies: AgentRequest[] = [];
  for (let i = 0; i < count; i++) {
    bodies.push(
      setup.workload === 'whoami_update'
        ? await build('call', 'whoami', noArgs)
        : await build('call', 'email_recovery_prepare', prepareArg()),
    );
  }
  let next = 0;
  const call = async () => {
    const request = bodies[next++];
    if (!request) throw new Error('out of request bodies'); // runCaller checks `left` first
    const reply = callReply(await post(http, callUrl, request.body), request.requestId);
    if (setup.workload === 'whoami_update') expect(reply, whoami, 'whoami (update)');
    else prepared(reply);
  };
  await call();
  return { call, left: () => bodies.length - next, bodies: count - 1 };
}

let stopped = false;

/**
 * One caller's loop. Paced, a call's latency counts from the moment it was due, not from when it was sent: a call
 * held up by a slow predecessor is late by that much (no coordinated omission).
 */
async function runCaller(
  caller: Caller,
  run: RunMessage,
  max: number,
  out: ReportMessage,
  callerIndex: number,
): Promise<void> {
  const { pace } = run;
  const phase = pace ? (callerIndex / pace.totalCallers) * pace.intervalMs : 0;
  await sleepUntil(run.startAt + phase);
  for (let n = 0; n < max && !stopped; n++) {
    const due = pace ? run.startAt + phase + n * pace.intervalMs : undefined;
    if (due !== undefined && due > wallMs()) await sleepUntil(due);
    const started = due ?? wallMs();
    if (started >= run.stopBy || stopped) return;
    if (caller.left?.() === 0) {
      out.ranOutAt = Math.min(out.ranOutAt ?? started, started);
      return;
    }
    let failure: unknown;
    try {
      await caller.call();
    } catch (e) {
      failure = e;
    }
    const ended = wallMs();
    const inWindow = ended >= run.measureFrom && ended < run.measureTo;
    if (failure === undefined) {
      out.total++;
      if (inWindow) out.latencies.push(ended - started);
    } else {
      out.errors++;
      out.firstError ??= (failure as Error)?.message ?? String(failure);
    }
  }
}

async function main(): Promise<void> {
  const setup = JSON.parse(process.env.BENCH_DEVNET_CLIENT ?? '') as ClientSetup;
  const built = performance.now();
  const http =
    setup.checks === 'raw' ? new KeepAliveAgent({ keepAlive: true, maxSockets: setup.callers }) : null;
  const callers = await Promise.all(
    Array.from({ length: setup.callers }, (_, i) =>
      http ? makeRawCaller(setup, i, http) : makeCaller(setup, i),
    ),
  );
  const buildMs = performance.now() - built;
  const running = new Promise<RunMessage>((resolve) =>
    process.once('message', (m) => resolve(m as RunMessage)),
  );
  await send({ type: 'ready' });
  const run = await running;
  process.once('message', () => {
    stopped = true; // the only message after `run` is `stop`
  });
  const out: ReportMessage = { type: 'report', latencies: [], total: 0, errors: 0, cpuMs: 0, elu: 0 };
  const bodies = callers.reduce((n, c) => n + (c.bodies ?? 0), 0);
  if (bodies > 0) Object.assign(out, { bodies, buildMs: Math.round(buildMs) });
  // CPU and event-loop utilisation over the window, sampled at its edges.
  let cpu0 = process.cpuUsage();
  let elu0 = performance.eventLoopUtilization();
  const sampled = (async () => {
    await sleepUntil(run.measureFrom);
    cpu0 = process.cpuUsage();
    elu0 = performance.eventLoopUtilization();
    await sleepUntil(run.measureTo);
    const cpu = process.cpuUsage(cpu0);
    out.cpuMs = (cpu.user + cpu.system) / 1000;
    out.elu = performance.eventLoopUtilization(elu0).utilization;
  })();
  await Promise.all([
    ...callers.map((c, i) =>
      runCaller(c, run, setup.maxCallsPerCaller, out, setup.process * setup.callers + i),
    ),
    sampled,
  ]);
  await send(out);
}

main().then(
  () => process.exit(0), // the keep-alive sockets would otherwise hold the process open
  async (e: unknown) => {
    await send({ type: 'failed', message: (e as Error)?.stack ?? String(e) }).catch(() => {});
    process.exit(1);
  },
);

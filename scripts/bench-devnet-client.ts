/**
 * One client process of `npm run bench:devnet` (scripts/bench-devnet.ts forks several): K concurrent callers,
 * each with its own unmodified HttpAgent (default options plus `shouldFetchRootKey`) and the generated actor,
 * calling one workload in a closed loop. The agent's own checks (BLS certificate verification of every update
 * reply, the node signature of every query reply, Ed25519 request signing) run here, which is why the load is
 * spread over processes.
 *
 * Protocol: the setup comes as JSON in the environment (BENCH_DEVNET_CLIENT), so nothing is sent before this
 * process listens. The client creates its agents, makes one call per caller (which also fetches the subnet's
 * node keys for query verification) and sends `ready` over the IPC channel; the parent answers `run` with
 * absolute wall-clock times (ms since the epoch, shared by all processes): calls start at `startAt`, and the calls
 * that end in [measureFrom, measureTo) are measured. The callers keep the server loaded after `measureTo` until the
 * parent sends `stop` (it reads the server's counters first), and never start a call after `stopBy`; each caller
 * is also bounded by `maxCallsPerCaller`. The client answers `report` and exits.
 */
import { generateKeyPairSync } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Actor, HttpAgent, type Identity } from '@icp-sdk/core/agent';
import { IDL } from '@icp-sdk/core/candid';
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { Principal } from '@icp-sdk/core/principal';
import { type _SERVICE, idlFactory } from '../canister/declarations/waxseal.did.ts';

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
   */
  checks: 'agent' | 'server';
}

export interface RunMessage {
  type: 'run';
  startAt: number;
  measureFrom: number;
  measureTo: number;
  /** Hard bound: no call starts after this, even without `stop`. */
  stopBy: number;
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

async function makeCaller(setup: ClientSetup, index: number): Promise<Call> {
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
  return call;
}

let stopped = false;

async function runCaller(call: Call, run: RunMessage, max: number, out: ReportMessage): Promise<void> {
  await sleepUntil(run.startAt);
  for (let n = 0; n < max && !stopped; n++) {
    const started = wallMs();
    if (started >= run.stopBy) return;
    let failure: unknown;
    try {
      await call();
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
  const calls = await Promise.all(Array.from({ length: setup.callers }, (_, i) => makeCaller(setup, i)));
  const running = new Promise<RunMessage>((resolve) =>
    process.once('message', (m) => resolve(m as RunMessage)),
  );
  await send({ type: 'ready' });
  const run = await running;
  process.once('message', () => {
    stopped = true; // the only message after `run` is `stop`
  });
  const out: ReportMessage = { type: 'report', latencies: [], total: 0, errors: 0, cpuMs: 0, elu: 0 };
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
  await Promise.all([...calls.map((c) => runCaller(c, run, setup.maxCallsPerCaller, out)), sampled]);
  await send(out);
}

main().then(
  () => process.exit(0), // the agents' keep-alive sockets would otherwise hold the process open
  async (e: unknown) => {
    await send({ type: 'failed', message: (e as Error)?.stack ?? String(e) }).catch(() => {});
    process.exit(1);
  },
);

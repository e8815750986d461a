/**
 * `npm run bench:gateway`: SMTP acceptance throughput and latency of `waxseal gateway` on loopback, against
 * postfix's `smtp-sink` (accepts and discards: the ceiling of this machine and this client) in the same run, and
 * the end-to-end time from the final 250 to `SetupComplete` for a proof-attached challenge mail.
 *
 * Phase `accept` (BENCH_PHASES, default `accept,e2e`):
 * - servers, in this order: smtp-sink, then the gateway with the relay off (acceptance alone: RCPT check, DATA
 *   checks, durable spool write, 250), then with the relay on (the same, while deliveries to the devnet compete
 *   for the CPU). The gateway runs as a child process (`waxseal gateway`, scripts/local-stack/gateway.ts) against
 *   a `waxseal devnet` started as the local stack starts it (scripts/local-stack/devnet.ts; fresh data folder,
 *   `mail_hosts = ['mail.waxseal.localhost']`), so RCPT is judged against the hosts the canister's `config` names
 *   and every 250 waits for the real spool's fsyncs.
 * - the load: scripts/bench-gateway-client.ts, forked; BENCH_SESSIONS persistent sessions, opened before the clock;
 *   5 KiB messages to `register@mail.waxseal.localhost`. Two runs per server:
 *   `rate`: open loop at BENCH_RATE messages/s for BENCH_MESSAGES messages (the first BENCH_WARMUP not counted):
 *   the latency percentiles, from the moment each message was due to its final 250 (queueing in the client
 *   included, so overload cannot hide); `capacity`: closed loop, every session sending back to back, for
 *   BENCH_CAPACITY_MESSAGES messages: the accepted messages/s, whose ratio to smtp-sink's is the headline.
 * - between the relay-on runs, the spool is left to drain (at most BENCH_DRAIN_MAX_S): the relay's rate.
 *
 * Phase `e2e`: named + dnsdist (the local stack's DNS, scripts/local-stack/dns.ts) serve the signed test zones, the
 * devnet is configured as `npm start` configures it (localConfig), the gateway attaches DNSSEC proofs over that
 * DoH. BENCH_E2E_N times, one after another: a fresh identity, `email_setup_prepare` for `bench-e2e-<i>@ecdsa.wxtest`,
 * the challenge mail signed by dkimpy (Ed25519, `sel._domainkey.ecdsa.wxtest`) and sent over SMTP; timed from the
 * final 250 to the first `email_challenge_status` answer that is `SetupComplete` (polled every BENCH_E2E_POLL_MS).
 *
 * Output: a table on stdout, bench/gateway.json after a full accept phase (see BENCHMARKS.md for every field), and
 * exit 1 when a target is missed or something failed. Targets (issue 10: the acceptance path, with the real spool
 * and the real RCPT check): the gateway accepts ≥ 1,000 messages/s, and at 1,000 messages/s offered keeps up with
 * p99 < 100 ms; e2e every sample < 2 s. The same figures with the relay delivering to a devnet on the same cores
 * are measured and reported against the same numbers (`relay_on_missed`), but do not decide the exit status.
 *
 * Knobs: BENCH_PHASES, BENCH_GATEWAYS (`relay-off,relay-on`), BENCH_RATE (1000), BENCH_MESSAGES (10000),
 * BENCH_WARMUP (1000), BENCH_CAPACITY_MESSAGES (10000), BENCH_SESSIONS (128), BENCH_MAX_S (per run, 60),
 * BENCH_DRAIN_MAX_S (30), BENCH_E2E_N (10), BENCH_E2E_POLL_MS (10), BENCH_QUIET_WAIT_MS (60000),
 * BENCH_GATEWAY_LOG_LEVEL (info), WAXSEAL_SKIP_BUILD=1 (use build/waxseal.wasm as it is). Every wait is bounded;
 * every server listens on 127.0.0.1 only; nothing is downloaded.
 */
import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Actor, type ActorSubclass, HttpAgent } from '@icp-sdk/core/agent';
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { type _SERVICE, idlFactory } from '../canister/declarations/waxseal.did.ts';
import { bytes, compose, signMail } from '../test/helpers/challenge-mail.ts';
import {
  type ClientMessage,
  type ClientSetup,
  type ReadyMessage,
  type RunMessage,
  type RunReport,
  SmtpSession,
  transaction,
} from './bench-gateway-client.ts';
import { buildCanister, staleReason } from './local-stack/canister-build.ts';
import {
  type DevnetReady,
  LOCAL_APP_ORIGIN,
  LOCAL_MAIL_HOST,
  localConfig,
  startDevnet,
} from './local-stack/devnet.ts';
import { type DnsStack, startDnsStack } from './local-stack/dns.ts';
import { type GatewayReady, startGateway, writeGatewayConfig } from './local-stack/gateway.ts';
import {
  exited,
  findBinary,
  freePort,
  launch,
  MissingBinaryError,
  type Running,
  sleep,
  waitUntil,
} from './local-stack/process.ts';

const ROOT = join(import.meta.dirname, '..');
const CLIENT = join(import.meta.dirname, 'bench-gateway-client.ts');
const NAME = 'bench:gateway';

const num = (name: string, fallback: number) => {
  const v = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name} must be a non-negative number`);
  return v;
};
const list = (name: string, fallback: string) => (process.env[name] ?? fallback).split(',').filter(Boolean);

const PHASES = list('BENCH_PHASES', 'accept,e2e');
const GATEWAYS = [...new Set(list('BENCH_GATEWAYS', 'relay-off,relay-on'))];
for (const p of PHASES)
  if (p !== 'accept' && p !== 'e2e') throw new Error(`BENCH_PHASES: unknown phase ${p}`);
for (const g of GATEWAYS)
  if (g !== 'relay-off' && g !== 'relay-on') throw new Error(`BENCH_GATEWAYS: unknown ${g}`);
const RATE = num('BENCH_RATE', 1000);
const MESSAGES = num('BENCH_MESSAGES', 10_000);
const WARMUP = Math.min(num('BENCH_WARMUP', 1000), Math.floor(MESSAGES / 2));
const CAPACITY_MESSAGES = num('BENCH_CAPACITY_MESSAGES', 10_000);
const SESSIONS = num('BENCH_SESSIONS', 128);
const MAX_MS = num('BENCH_MAX_S', 60) * 1000;
const DRAIN_MAX_MS = num('BENCH_DRAIN_MAX_S', 30) * 1000;
const E2E_N = num('BENCH_E2E_N', 10);
const E2E_POLL_MS = num('BENCH_E2E_POLL_MS', 10);
const QUIET_WAIT_MS = num('BENCH_QUIET_WAIT_MS', 60_000);
const QUIET_CORES = 0.3;
/** A rate run keeps up when it accepts at least this share of the offered rate over its counted window. */
const KEEP_UP = 0.98;
const LOG_LEVEL = process.env.BENCH_GATEWAY_LOG_LEVEL ?? 'info';
const MESSAGE_BYTES = 5 * 1024;
const FROM = 'bench@ecdsa.wxtest';
const TX_TIMEOUT_MS = 30_000;
const E2E_TIMEOUT_MS = 30_000;
/** Bound on one canister call of the e2e phase (the agent's own bound is the ingress expiry, minutes). */
const CALL_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 30_000;
const CLIENT_READY_TIMEOUT_MS = 60_000;
const TARGETS = { accept_per_s: 1000, p99_ms: 100, e2e_ms: 2000 };
/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat (100 on Linux x86-64). */
const CLOCK_TICK_MS = 10;
const E2E_DOMAIN = 'ecdsa.wxtest';

const say = (line: string) => process.stderr.write(`${NAME}: ${line}\n`);
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

// ---- children: every one is stopped, whatever happens ----

const children = new Set<ChildProcess>();
const work = mkdtempSync(join(tmpdir(), 'waxseal-bench-gateway-'));
process.on('exit', () => {
  for (const c of children) if (!exited(c)) c.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const c of children) if (!exited(c)) c.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
    process.exit(130);
  });
}

/** SIGTERM, then SIGKILL after `ms`; the exit code (null when it had to be killed). */
async function stop(p: ChildProcess, ms = STOP_TIMEOUT_MS): Promise<number | null> {
  if (!exited(p)) {
    const gone = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill('SIGTERM');
    const killed = await withTimeout(gone, ms, 'stop').then(
      () => false,
      () => {
        p.kill('SIGKILL');
        return true;
      },
    );
    if (killed) await gone;
  }
  children.delete(p);
  return p.exitCode;
}

// ---- CPU accounting (/proc) ----

function cpuMsOf(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of proc(5) (utime, stime); the slice starts at field 3.
    return (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_MS;
  } catch {
    return 0; // gone
  }
}

function machineCpuMs(): number {
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
  const [user, nice, system, , , irq, softirq, steal] = ticks.map(Number);
  return (user! + nice! + system! + irq! + softirq! + steal!) * CLOCK_TICK_MS;
}

/** The processes whose CPU a run reports: the server measured, the devnet, the client, and everything of ours. */
interface Roles {
  server?: ChildProcess;
  devnet?: ChildProcess;
  client?: ChildProcess;
}

interface CpuSnapshot {
  at: number;
  server: number;
  devnet: number;
  client: number;
  ours: number;
  machine: number;
}

function cpuSnapshot(roles: Roles): CpuSnapshot {
  const ours = [process.pid, ...[...children].map((c) => c.pid)].reduce<number>(
    (s, pid) => s + cpuMsOf(pid),
    0,
  );
  return {
    at: performance.now(),
    server: cpuMsOf(roles.server?.pid),
    devnet: cpuMsOf(roles.devnet?.pid),
    client: cpuMsOf(roles.client?.pid),
    ours,
    machine: machineCpuMs(),
  };
}

/** Cores used between two snapshots. */
function cores(a: CpuSnapshot, b: CpuSnapshot) {
  const ms = b.at - a.at;
  const c = (x: number) => round(x / ms, 2);
  return {
    server: c(b.server - a.server),
    devnet: c(b.devnet - a.devnet),
    client: c(b.client - a.client),
    machine: c(b.machine - a.machine),
    other_jobs: c(Math.max(0, b.machine - a.machine - (b.ours - a.ours))),
  };
}

/** Waits (up to BENCH_QUIET_WAIT_MS) until processes other than ours use less than QUIET_CORES; returns that use. */
async function waitForQuiet(): Promise<number> {
  const deadline = performance.now() + QUIET_WAIT_MS;
  for (;;) {
    const a = cpuSnapshot({});
    await sleep(1000);
    const busy = cores(a, cpuSnapshot({})).other_jobs;
    if (busy < QUIET_CORES || performance.now() >= deadline) return busy;
  }
}

// ---- the load client ----

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (v: T) => void;
  reject: (e: Error) => void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {}); // reported through whichever promise is awaited
  return { promise, resolve, reject };
}

/** One forked client process with its open sessions; runs are requested one at a time. */
class LoadClient {
  #pending: Deferred<ClientMessage> = deferred();
  #failure: Error | null = null;

  private constructor(
    readonly proc: ChildProcess,
    readonly ready: ReadyMessage,
  ) {}

  static async start(setup: ClientSetup): Promise<LoadClient> {
    const proc = fork(CLIENT, [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, BENCH_GATEWAY_CLIENT: JSON.stringify(setup) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.add(proc);
    let box: LoadClient | null = null;
    const first: Deferred<ClientMessage> = deferred();
    const current = () => (box ? box.#pending : first);
    proc.on('message', (m: ClientMessage) => {
      if (m.type === 'failed') current().reject(new Error(`load client: ${m.message}`));
      else current().resolve(m);
    });
    proc.once('exit', (code, signal) => {
      const e = new Error(`load client exited (${code ?? signal})`);
      if (box) box.#failure = e;
      current().reject(e);
    });
    try {
      const m = await withTimeout(first.promise, CLIENT_READY_TIMEOUT_MS, 'opening the client sessions');
      if (m.type !== 'ready') throw new Error(`load client: unexpected ${m.type}`);
      box = new LoadClient(proc, m);
      return box;
    } catch (e) {
      await stop(proc, 5000);
      throw e;
    }
  }

  async run(run: RunMessage): Promise<RunReport> {
    if (this.#failure) throw this.#failure;
    this.#pending = deferred();
    this.proc.send(run);
    const m = await withTimeout(this.#pending.promise, run.maxMs + run.txTimeoutMs + 30_000, 'load run');
    if (m.type !== 'report') throw new Error(`load client: unexpected ${m.type}`);
    return m;
  }

  /** QUITs the sessions and exits (killed after 10 s). */
  async close(): Promise<void> {
    if (!exited(this.proc)) this.proc.send({ type: 'close' });
    const gone = new Promise<void>((r) => (exited(this.proc) ? r() : this.proc.once('exit', () => r())));
    await withTimeout(gone, 10_000, 'client exit').catch(() => this.proc.kill('SIGKILL'));
    children.delete(this.proc);
  }
}

// ---- one server under load ----

type ServerName = 'smtp-sink' | 'gateway, relay off' | 'gateway, relay on';

interface Target {
  name: ServerName;
  host: string;
  port: number;
  roles: Roles;
  /** The gateway's operator URL (metrics). */
  ops?: string;
}

export interface RunSummary {
  server: ServerName;
  mode: 'rate' | 'capacity';
  /** Messages/s offered (open loop); null in the closed-loop capacity run. */
  offered_per_s: number | null;
  sessions: number;
  pipelining: boolean;
  messages: number;
  warmup: number;
  sent: number;
  accepted: number;
  unsent: number;
  errors: number;
  first_error?: string;
  refusals: Record<string, number>;
  first_refusal?: string;
  reconnects: number;
  /** Sessions the server had closed while idle between runs, reopened before the clock started. */
  reopened_before: number;
  /** Counted (post-warm-up) accepted messages per second of the counted window. */
  accept_per_s: number;
  /** From due (rate) or written (capacity) to the final 250, counted messages, ms. */
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  max_ms: number;
  /** From the write of MAIL+RCPT+DATA to the final 250 (no client queueing), ms. */
  service_p50_ms: number;
  service_p99_ms: number;
  /** Longest wait of a counted message for a free session in the client, ms. */
  max_queue_ms: number;
  window_ms: number;
  /** Rate runs: every message accepted (no errors, none unsent) at ≥ KEEP_UP of the offered rate. */
  kept_up: boolean;
  /** CPU over the run, in cores. */
  cpu: ReturnType<typeof cores>;
  /** Server (smtp-sink or gateway process) and client CPU per message sent (ms), and the client's event-loop use. */
  server_cpu_ms_per_message: number;
  client_cpu_ms_per_message: number;
  client_elu: number;
  /** Gateway only: Prometheus samples that changed during the run (counters as deltas, gauges as read after). */
  metrics?: Record<string, number>;
  /** Relay on, after the rate run: how the spool drained. */
  drain?: Drain;
}

function summarise(
  target: Target,
  ready: ReadyMessage,
  r: RunReport,
  c0: CpuSnapshot,
  c1: CpuSnapshot,
): RunSummary {
  const cpu = cores(c0, c1);
  const serverCpuMs = c1.server - c0.server;
  const lat = [...r.latencies].sort((a, b) => a - b);
  const svc = [...r.service].sort((a, b) => a - b);
  const ms = (x: number) => round(x, 2);
  return {
    server: target.name,
    mode: r.rate > 0 ? 'rate' : 'capacity',
    offered_per_s: r.rate > 0 ? r.rate : null,
    sessions: ready.sessions,
    pipelining: ready.pipelining,
    messages: r.messages,
    warmup: r.warmup,
    sent: r.sent,
    accepted: r.accepted,
    unsent: r.unsent,
    errors: r.errors,
    ...(r.firstError ? { first_error: r.firstError } : {}),
    refusals: r.refusals,
    ...(r.firstRefusal ? { first_refusal: r.firstRefusal } : {}),
    reconnects: r.reconnects,
    reopened_before: r.reopenedBefore,
    accept_per_s: r.windowMs > 0 ? round((lat.length / r.windowMs) * 1000) : 0,
    p50_ms: ms(percentile(lat, 50)),
    p90_ms: ms(percentile(lat, 90)),
    p99_ms: ms(percentile(lat, 99)),
    max_ms: ms(lat.at(-1) ?? Number.NaN),
    service_p50_ms: ms(percentile(svc, 50)),
    service_p99_ms: ms(percentile(svc, 99)),
    max_queue_ms: ms(r.maxQueueMs),
    window_ms: round(r.windowMs),
    kept_up:
      r.rate > 0 &&
      r.accepted === r.messages &&
      r.unsent === 0 &&
      r.errors === 0 &&
      lat.length / r.windowMs >= (KEEP_UP * r.rate) / 1000,
    cpu,
    server_cpu_ms_per_message: round(serverCpuMs / Math.max(1, r.sent), 3),
    client_cpu_ms_per_message: round(r.cpuMs / Math.max(1, r.sent), 3),
    client_elu: round(r.elu, 2),
  };
}

// ---- gateway metrics ----

/** Prometheus text → `name{labels}` → value; histogram buckets and the default Node metrics except a few dropped. */
async function scrape(ops: string): Promise<Record<string, number>> {
  const res = await fetch(`${ops}/metrics`, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`${ops}/metrics answered ${res.status}`);
  const keep =
    /^waxseal_gateway_(smtp_|messages_|refusals_|accept_seconds_(sum|count)|spool_|deliveries_|canister_call_seconds_(sum|count)|proofs_|process_cpu_seconds_total|process_resident_memory_bytes|nodejs_eventloop_lag_p99_seconds)/;
  const out: Record<string, number> = {};
  for (const line of (await res.text()).split('\n')) {
    if (line.startsWith('#') || !keep.test(line)) continue;
    const space = line.lastIndexOf(' ');
    out[line.slice(0, space).replace('waxseal_gateway_', '')] = Number(line.slice(space + 1));
  }
  return out;
}

const GAUGES = /^(smtp_sessions|spool_|process_resident|nodejs_eventloop)/;

function metricDelta(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(b)) {
    const d = GAUGES.test(k) ? v : v - (a[k] ?? 0);
    if (d !== 0 || GAUGES.test(k)) out[k] = round(d, 4);
  }
  return out;
}

interface Drain {
  /** Spool depth when the wait began and at its end; the time it took (or the bound), ms. */
  from: number;
  left: number;
  ms: number;
  /** Deliveries that ended (delivered or refused by the canister) per second during the wait. */
  relayed_per_s: number;
}

/** Waits (≤ BENCH_DRAIN_MAX_S) for the gateway's spool to empty. */
async function drain(ops: string): Promise<Drain> {
  const done = (m: Record<string, number>) =>
    (m['deliveries_total{outcome="delivered"}'] ?? 0) + (m['deliveries_total{outcome="rejected"}'] ?? 0);
  const first = await scrape(ops);
  const t0 = performance.now();
  let last = first;
  while (performance.now() - t0 < DRAIN_MAX_MS && (last.spool_messages ?? 0) > 0) {
    await sleep(500);
    last = await scrape(ops);
  }
  const ms = performance.now() - t0;
  return {
    from: first.spool_messages ?? 0,
    left: last.spool_messages ?? 0,
    ms: round(ms),
    relayed_per_s: round(((done(last) - done(first)) / ms) * 1000),
  };
}

// ---- the two runs against one server ----

async function measure(target: Target, afterRate?: () => Promise<Drain>): Promise<RunSummary[]> {
  const setup: ClientSetup = {
    host: target.host,
    port: target.port,
    sessions: SESSIONS,
    mailHost: LOCAL_MAIL_HOST,
    from: FROM,
    messageBytes: MESSAGE_BYTES,
    openTimeoutMs: 30_000,
  };
  const client = await LoadClient.start(setup);
  const roles = { ...target.roles, client: client.proc };
  if (!client.ready.pipelining)
    say(`${target.name} does not advertise PIPELINING: commands go one at a time`);
  const rows: RunSummary[] = [];
  try {
    const runs: RunMessage[] = [
      {
        type: 'run',
        rate: RATE,
        messages: MESSAGES,
        warmup: WARMUP,
        maxMs: MAX_MS,
        txTimeoutMs: TX_TIMEOUT_MS,
        reconnectBudget: SESSIONS,
      },
      {
        type: 'run',
        rate: 0,
        messages: CAPACITY_MESSAGES,
        warmup: Math.min(WARMUP, Math.floor(CAPACITY_MESSAGES / 2)),
        maxMs: MAX_MS,
        txTimeoutMs: TX_TIMEOUT_MS,
        reconnectBudget: SESSIONS,
      },
    ];
    for (const run of runs) {
      const busy = await waitForQuiet();
      if (busy >= QUIET_CORES) say(`  (other jobs use ${busy.toFixed(2)} cores)`);
      const m0 = target.ops ? await scrape(target.ops) : undefined;
      const c0 = cpuSnapshot(roles);
      const report = await client.run(run);
      const c1 = cpuSnapshot(roles);
      const row = summarise(target, client.ready, report, c0, c1);
      if (target.ops && m0) row.metrics = metricDelta(m0, await scrape(target.ops));
      if (run.rate > 0 && afterRate) row.drain = await afterRate();
      rows.push(row);
      say(
        `  ${target.name}, ${row.mode}${row.offered_per_s ? ` ${row.offered_per_s}/s` : ''}: ${row.accept_per_s} accepted/s, ` +
          `p50 ${row.p50_ms} ms, p99 ${row.p99_ms} ms, max ${row.max_ms} ms` +
          `${row.errors ? `, ${row.errors} errors (${row.first_error})` : ''}` +
          `${Object.keys(row.refusals).length ? `, refusals ${JSON.stringify(row.refusals)} (${row.first_refusal})` : ''}` +
          `${row.unsent ? `, ${row.unsent} unsent` : ''}` +
          `${row.cpu.other_jobs >= QUIET_CORES ? ` (other jobs took ${row.cpu.other_jobs} cores meanwhile)` : ''}` +
          `${row.drain ? `; then the spool drained from ${row.drain.from} to ${row.drain.left} in ${row.drain.ms} ms (${row.drain.relayed_per_s} relayed/s)` : ''}`,
      );
    }
  } finally {
    await client.close();
  }
  return rows;
}

// ---- smtp-sink ----

async function runSink(): Promise<RunSummary[]> {
  let bin: string;
  try {
    bin = findBinary('smtp-sink');
  } catch (e) {
    if (e instanceof MissingBinaryError)
      throw new Error(
        'smtp-sink not found (Debian package postfix); install it with: sudo apt-get install -y postfix ' +
          '(or sudo ./scripts/install-system-deps.sh, which installs it without configuring an MTA)',
      );
    throw e;
  }
  const port = await freePort();
  // -u: smtp-sink refuses to run as root without a user to switch to; -m: simultaneous sessions (default 256).
  const user = process.getuid?.() === 0 ? ['-u', userInfo().username] : [];
  const args = [...user, '-m', String(Math.max(256, SESSIONS + 32)), `127.0.0.1:${port}`, '1024'];
  const sink = launch('smtp-sink', bin, args);
  children.add(sink.proc);
  try {
    await waitUntil(sink, async () => {
      const s = await SmtpSession.open('127.0.0.1', port, 1000);
      await s.quit(1000);
      return true;
    });
    return await measure({ name: 'smtp-sink', host: '127.0.0.1', port, roles: { server: sink.proc } });
  } finally {
    await stop(sink.proc, 5000);
  }
}

// ---- the devnet and the gateway ----

interface Devnet {
  running: Running;
  ready: DevnetReady;
}

async function runDevnet(dns: DnsStack | undefined): Promise<Devnet> {
  const stale = staleReason();
  if (stale) {
    say(`building the canister (${stale}), about 10 s…`);
    await buildCanister(join(work, 'build.log'));
  }
  const configFile = join(work, 'devnet-config.json');
  const config = dns
    ? localConfig(dns.dohUrl)
    : { mail_hosts: [LOCAL_MAIL_HOST], app_origin: LOCAL_APP_ORIGIN };
  writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
  const devnet = startDevnet({
    port: 0,
    dataDir: join(work, 'devnet'),
    configFile,
    clean: true,
    logFile: join(work, 'devnet.log'),
  });
  children.add(devnet.running.proc);
  return { running: devnet.running, ready: await devnet.ready };
}

interface Gateway {
  running: Running;
  ready: GatewayReady;
  host: string;
  port: number;
  logs(): Record<string, unknown>[];
}

async function runGateway(devnet: Devnet, name: string, relay: boolean, dns?: DnsStack): Promise<Gateway> {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  const file = writeGatewayConfig(dir, {
    smtpListen: '127.0.0.1:0',
    opsListen: '127.0.0.1:0',
    canisterUrl: devnet.ready.url,
    canisterId: devnet.ready.canister_id,
    spoolDir: join(dir, 'spool'),
    keyFile: join(dir, 'gateway.key'),
    dohUrls: dns ? [dns.dohUrl] : [],
    // The bench comes from one address.
    limits: { connectionsPerIp: 100_000, messagesPerMinute: 10_000_000 },
    relay: { enabled: relay },
    smtp: { shutdownGraceS: 5 },
    logLevel: LOG_LEVEL,
  });
  const g = startGateway(file, { logFile: join(dir, 'gateway.log') });
  children.add(g.running.proc);
  const ready = await g.ready;
  const m = /^(.*):(\d+)$/.exec(ready.smtp);
  if (!m) throw new Error(`gateway ready line: unexpected smtp address ${ready.smtp}`);
  return { running: g.running, ready, host: m[1]!, port: Number(m[2]), logs: g.logs };
}

/** SIGTERM; the gateway must drain and exit 0. */
async function stopGateway(g: Gateway): Promise<void> {
  const code = await stop(g.running.proc);
  if (code !== 0)
    throw new Error(`the gateway did not exit cleanly on SIGTERM (${code ?? 'killed'}):\n${g.running.log()}`);
}

async function runGatewayAccept(devnet: Devnet, relay: boolean, dns?: DnsStack): Promise<RunSummary[]> {
  const name = relay ? 'relay-on' : 'relay-off';
  const g = await runGateway(devnet, name, relay, dns);
  try {
    return await measure(
      {
        name: relay ? 'gateway, relay on' : 'gateway, relay off',
        host: g.host,
        port: g.port,
        roles: { server: g.running.proc, devnet: devnet.running.proc },
        ops: g.ready.ops,
      },
      relay ? () => drain(g.ready.ops) : undefined,
    );
  } finally {
    await stopGateway(g);
  }
}

// ---- phase e2e ----

export interface E2eSummary {
  samples: number;
  /** Final 250 → first SetupComplete seen, ms. */
  latencies_ms: number[];
  p50_ms: number;
  max_ms: number;
  /** Statuses seen before SetupComplete, per sample (e.g. `Pending`). */
  paths: string[];
  failures: string[];
  poll_ms: number;
  /** Gateway metrics over the phase (proofs attached, canister call time). */
  metrics: Record<string, number>;
  /** The gateway's own `delivered` log lines: spool → canister Ok, ms. */
  delivered_latency_ms: number[];
}

type StatusName = string;

const statusName = (s: object): StatusName => Object.keys(s)[0] ?? '?';

async function runE2e(devnet: Devnet, dns: DnsStack): Promise<E2eSummary> {
  const g = await runGateway(devnet, 'e2e', true, dns);
  const result: E2eSummary = {
    samples: E2E_N,
    latencies_ms: [],
    p50_ms: Number.NaN,
    max_ms: Number.NaN,
    paths: [],
    failures: [],
    poll_ms: E2E_POLL_MS,
    metrics: {},
    delivered_latency_ms: [],
  };
  let session: SmtpSession | null = null;
  try {
    const owner = Ed25519KeyIdentity.generate();
    const agent = await HttpAgent.create({
      host: devnet.ready.url,
      identity: owner,
      shouldFetchRootKey: true,
    });
    const actor: ActorSubclass<_SERVICE> = Actor.createActor<_SERVICE>(idlFactory, {
      agent,
      canisterId: devnet.ready.canister_id,
    });
    const bounded = <T>(p: Promise<T>, what: string) => withTimeout(p, CALL_TIMEOUT_MS, what);
    const ok = <T>(r: { Ok: T } | { Err: { code: string; message: string } }, what: string): T => {
      if ('Err' in r) throw new Error(`${what}: ${r.Err.code}: ${r.Err.message}`);
      return r.Ok;
    };
    // Every challenge first, then one dkimpy process signs every mail (neither is timed).
    const challenges: { address: string; nonce: string; mailbox: string }[] = [];
    for (let i = 0; i < E2E_N; i++) {
      const anchor = ok(await bounded(actor.create_identity(), 'create_identity'), 'create_identity');
      const address = `bench-e2e-${i}@${E2E_DOMAIN}`;
      const c = ok(
        await bounded(actor.email_setup_prepare(anchor, address), 'email_setup_prepare'),
        'email_setup_prepare',
      );
      challenges.push({ address, nonce: c.nonce, mailbox: c.mailbox });
    }
    const now = Math.floor(Date.now() / 1000);
    const signed = signMail(
      challenges.map((c) => ({
        message: compose({ from: c.address, subject: `Waxseal ${c.nonce}`, to: c.mailbox }),
        domain: E2E_DOMAIN,
        selector: 'sel',
        key: 'ed25519' as const,
        headers: ['from', 'to', 'subject', 'date', 'message-id'],
        timestamp: now - 5,
      })),
    );
    const m0 = await scrape(g.ready.ops);
    session = await SmtpSession.open(g.host, g.port, 10_000);
    for (const [i, c] of challenges.entries()) {
      const data = dataBytes(bytes(signed[i]!));
      const sent = await transaction(
        session,
        { mail: `MAIL FROM:<${c.address}>\r\n`, rcpt: `RCPT TO:<${c.mailbox}>\r\n` },
        data,
        TX_TIMEOUT_MS,
      );
      if (sent.kind !== 'accepted') {
        result.failures.push(
          `${c.address}: ${sent.kind === 'refused' ? `${sent.stage} ${sent.reply.code} ${sent.reply.lines.join(' ')}` : sent.error.message}`,
        );
        continue;
      }
      const seen: StatusName[] = [];
      let final: StatusName = '?';
      let at = Number.NaN;
      while (performance.now() - sent.end < E2E_TIMEOUT_MS) {
        const status = await bounded(actor.email_challenge_status(c.nonce), 'email_challenge_status');
        final = statusName(status);
        if (final === 'SetupComplete' || final === 'Failed' || final === 'Expired') {
          at = performance.now();
          if (final === 'Failed')
            seen.push(`Failed(${(status as { Failed: { code: string } }).Failed.code})`);
          break;
        }
        if (seen.at(-1) !== final) seen.push(final);
        await sleep(E2E_POLL_MS);
      }
      result.paths.push(seen.join('→') || '-');
      if (final === 'SetupComplete') result.latencies_ms.push(round(at - sent.end, 1));
      else
        result.failures.push(
          `${c.address}: ${final === '?' ? 'no status' : final} after ${E2E_TIMEOUT_MS} ms`,
        );
    }
    result.metrics = metricDelta(m0, await scrape(g.ready.ops));
  } finally {
    await session?.quit(2000);
    await stopGateway(g);
  }
  for (const line of g.logs()) {
    if (line.outcome === 'delivered' && typeof line.latency_ms === 'number')
      result.delivered_latency_ms.push(round(line.latency_ms, 1));
  }
  const sorted = [...result.latencies_ms].sort((a, b) => a - b);
  result.p50_ms = percentile(sorted, 50);
  result.max_ms = sorted.at(-1) ?? Number.NaN;
  return result;
}

/** The DATA bytes of a message: dot-stuffed (RFC 5321 §4.5.2), ending in CRLF `.` CRLF. */
function dataBytes(message: Uint8Array): Buffer {
  let text = Buffer.from(message).toString('latin1');
  if (!text.endsWith('\r\n')) text += '\r\n';
  return Buffer.from(`${text.replace(/^\./, '..').replace(/\r\n\./g, '\r\n..')}.\r\n`, 'latin1');
}

// ---- output ----

function printRows(rows: RunSummary[]): void {
  console.table(
    rows.map((r) => ({
      server: r.server,
      run: r.offered_per_s ? `open loop ${r.offered_per_s}/s` : 'closed loop',
      'accepted/s': r.accept_per_s,
      'p50 ms': r.p50_ms,
      'p99 ms': r.p99_ms,
      'max ms': r.max_ms,
      'service p99 ms': r.service_p99_ms,
      'kept up': r.offered_per_s ? r.kept_up : '',
      errors: r.errors + Object.values(r.refusals).reduce((s, n) => s + n, 0) + r.unsent,
      'server cores': r.cpu.server,
      'devnet cores': r.cpu.devnet,
      'client cores': r.cpu.client,
      'other jobs': r.cpu.other_jobs,
    })),
  );
}

function markdown(rows: RunSummary[]): string {
  const head = [
    'server',
    'load',
    'accepted/s',
    'p50 ms',
    'p99 ms',
    'max ms',
    'cores: server',
    'devnet',
    'client',
  ];
  const lines = rows.map((r) =>
    [
      r.server,
      r.offered_per_s ? `open loop, ${r.offered_per_s}/s` : `closed loop, ${r.sessions} sessions`,
      Math.round(r.accept_per_s),
      r.p50_ms.toFixed(1),
      r.p99_ms.toFixed(1),
      r.max_ms.toFixed(1),
      r.cpu.server.toFixed(2),
      r.cpu.devnet.toFixed(2),
      r.cpu.client.toFixed(2),
    ].join(' | '),
  );
  return [
    `| ${head.join(' | ')} |`,
    `| --- | --- | ${head
      .slice(2)
      .map(() => '---:')
      .join(' | ')} |`,
    ...lines.map((l) => `| ${l} |`),
  ].join('\n');
}

/** The measured checkout's commit, marked when src/ or bin/ have uncommitted changes (read-only git commands). */
function version(): string {
  try {
    const git = (...args: string[]) =>
      execFileSync('git', ['-C', ROOT, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const dirty = git('status', '--porcelain', '--', 'src', 'bin').trim() !== '';
    return `${git('rev-parse', '--short', 'HEAD').trim()}${dirty ? ' + uncommitted changes' : ''}`;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

/** Problems (failed transactions) and missed targets, as lines. */
function verdict(
  rows: RunSummary[],
  e2e: E2eSummary | undefined,
): { problems: string[]; missed: string[]; relayOnMissed: string[] } {
  const problems: string[] = [];
  for (const r of rows) {
    const refused = Object.values(r.refusals).reduce((s, n) => s + n, 0);
    if (r.errors || refused || r.unsent)
      problems.push(
        `${r.server}, ${r.mode}: ${r.errors} errors, ${refused} refusals, ${r.unsent} unsent (${r.first_error ?? r.first_refusal ?? 'time bound'})`,
      );
  }
  for (const f of e2e?.failures ?? []) problems.push(`e2e: ${f}`);
  const missed: string[] = [];
  const relayOnMissed: string[] = [];
  for (const server of ['gateway, relay on', 'gateway, relay off'] as const) {
    const out = server === 'gateway, relay on' ? relayOnMissed : missed;
    const rate = rows.find((r) => r.server === server && r.mode === 'rate');
    const cap = rows.find((r) => r.server === server && r.mode === 'capacity');
    if (cap && cap.accept_per_s < TARGETS.accept_per_s)
      out.push(`${server}: ${cap.accept_per_s} accepted/s < ${TARGETS.accept_per_s}`);
    if (rate && !(rate.p99_ms < TARGETS.p99_ms))
      out.push(`${server}: p99 ${rate.p99_ms} ms ≥ ${TARGETS.p99_ms} ms at ${rate.offered_per_s}/s`);
    if (rate && !rate.kept_up) out.push(`${server}: did not keep up with ${rate.offered_per_s}/s`);
  }
  if (e2e && !(e2e.max_ms < TARGETS.e2e_ms))
    missed.push(`e2e: slowest 250 → SetupComplete ${e2e.max_ms} ms ≥ ${TARGETS.e2e_ms} ms`);
  return { problems, missed, relayOnMissed };
}

function writeResults(
  rows: RunSummary[],
  e2e: E2eSummary | undefined,
  machine: string,
  v: { problems: string[]; missed: string[]; relayOnMissed: string[] },
) {
  const find = (server: ServerName, mode: 'rate' | 'capacity') =>
    rows.find((r) => r.server === server && r.mode === mode);
  const headline: ServerName = 'gateway, relay off';
  const cap = find(headline, 'capacity');
  const rate = find(headline, 'rate');
  const sinkCap = find('smtp-sink', 'capacity');
  const sinkRate = find('smtp-sink', 'rate');
  if (!cap || !rate || !sinkCap || !sinkRate) return false;
  const perConfig = (server: ServerName) => {
    const c = find(server, 'capacity');
    const r = find(server, 'rate');
    return c && r
      ? {
          accept_per_s: c.accept_per_s,
          ratio_to_sink: round(c.accept_per_s / sinkCap.accept_per_s, 3),
          p50_ms: r.p50_ms,
          p99_ms: r.p99_ms,
          max_ms: r.max_ms,
          rate_accept_per_s: r.accept_per_s,
          kept_up: r.kept_up,
          capacity_p99_ms: c.p99_ms,
        }
      : undefined;
  };
  const out = {
    accept_per_s: cap.accept_per_s,
    p50_ms: rate.p50_ms,
    p99_ms: rate.p99_ms,
    sink_accept_per_s: sinkCap.accept_per_s,
    ratio_to_sink: round(cap.accept_per_s / sinkCap.accept_per_s, 3),
    max_ms: rate.max_ms,
    sink_p50_ms: sinkRate.p50_ms,
    sink_p99_ms: sinkRate.p99_ms,
    headline,
    relay_on: perConfig('gateway, relay on'),
    relay_off: perConfig('gateway, relay off'),
    ...(e2e ? { e2e_p50_ms: e2e.p50_ms, e2e_max_ms: e2e.max_ms, e2e_samples: e2e.latencies_ms.length } : {}),
    targets: TARGETS,
    missed: v.missed,
    relay_on_missed: v.relayOnMissed,
    problems: v.problems,
    date: new Date().toISOString(),
    machine,
    gateway: version(),
    settings: {
      rate: RATE,
      messages: MESSAGES,
      warmup: WARMUP,
      capacity_messages: CAPACITY_MESSAGES,
      sessions: SESSIONS,
      message_bytes: MESSAGE_BYTES,
      max_s: MAX_MS / 1000,
      gateway_log_level: LOG_LEVEL,
    },
    runs: rows,
    ...(e2e ? { e2e } : {}),
  };
  mkdirSync(join(ROOT, 'bench'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'gateway.json'), `${JSON.stringify(out, null, 2)}\n`);
  return true;
}

// ---- main ----

async function main(): Promise<number> {
  const machine = `${cpus().length}-core ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.versions.node}`;
  say(`${machine}; phases ${PHASES.join(', ')}; work folder ${work}`);
  const rows: RunSummary[] = [];
  let e2e: E2eSummary | undefined;
  let dns: DnsStack | undefined;
  let devnet: Devnet | undefined;
  try {
    if (PHASES.includes('accept')) rows.push(...(await runSink()));
    if (PHASES.includes('e2e')) {
      say('starting named and dnsdist…');
      dns = await startDnsStack({ logDir: work });
      for (const p of dns.processes) children.add(p.proc);
    }
    say('starting waxseal devnet…');
    devnet = await runDevnet(dns);
    say(`devnet at ${devnet.ready.url}, canister ${devnet.ready.canister_id}`);
    if (PHASES.includes('accept')) {
      for (const g of GATEWAYS) rows.push(...(await runGatewayAccept(devnet, g === 'relay-on', dns)));
    }
    if (dns && devnet) {
      say(`e2e: ${E2E_N} proof-attached setup mails, one at a time…`);
      e2e = await runE2e(devnet, dns);
      say(
        `  e2e: 250 → SetupComplete p50 ${e2e.p50_ms} ms, max ${e2e.max_ms} ms (${e2e.latencies_ms.join(', ')})`,
      );
    }
  } catch (e) {
    say(`failed: ${(e as Error)?.stack ?? String(e)}`);
    if (devnet && !exited(devnet.running.proc)) say(`devnet log (tail):\n${devnet.running.log()}`);
    return 1;
  } finally {
    if (devnet) await stop(devnet.running.proc);
    await dns?.stop();
    for (const c of children) if (!exited(c)) c.kill('SIGKILL');
  }
  if (rows.length) {
    printRows(rows);
    console.log(`\n${markdown(rows)}\n`);
  }
  if (e2e) console.log(JSON.stringify({ e2e }, null, 2));
  const v = verdict(rows, e2e);
  const full =
    PHASES.includes('accept') &&
    GATEWAYS.includes('relay-off') &&
    GATEWAYS.includes('relay-on') &&
    writeResults(rows, e2e, machine, v);
  if (!full) say('not a full run: bench/gateway.json is left as it was');
  for (const p of v.problems) say(`problem: ${p}`);
  for (const m of v.missed) say(`target missed: ${m}`);
  for (const m of v.relayOnMissed)
    say(`with the relay on (reported, not a target of the acceptance path): ${m}`);
  if (v.problems.length === 0 && v.missed.length === 0) say('all targets met');
  return v.problems.length || v.missed.length ? 1 : 0;
}

const code = await main();
rmSync(work, { recursive: true, force: true });
process.exit(code);

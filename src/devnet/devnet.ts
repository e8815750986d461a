// The devnet engine: one Waxseal canister in the Node IC host, driven the way a subnet drives it (IC interface
// specification, "Abstract behavior" → "Ingress message inducted", "Execution", "Certification"), and kept in
// a data folder (persistence.ts).
//
// Update calls queue in arrival order and run one at a time, as soon as the main thread is free. Whenever the
// signing worker is free, every call that has run since the last round forms a round: its stable-memory changes
// and answers are written to the journal, and one BLS signature certifies a state tree with all of its request
// statuses. Its callers are answered once that signature exists (with `fsync`, also once the record is
// fdatasynced). One signature per round rather than per call is what keeps a loaded devnet fast (BLS signing
// costs milliseconds), and the write before answering is what makes an answered call survive `kill -9`.
//
// Time follows the wall clock but never goes backwards (it is persisted); it moves at the start of each round
// and at each 1 s timer tick, so queries see the time of the last certified state, as on the IC.
//
// Longer than 400 lines on purpose: the queue, the rounds, the journal and the certification are one ordering
// argument (run, fsync, sign, then answer) held by one class; request records are request-status.ts, the
// journal persistence.ts and the tree state-tree.ts.

import { createHash } from 'node:crypto';
import { Principal } from '@icp-sdk/core/principal';
import { hex } from '@scure/base';
import { toHex } from '../encoding/bytes.ts';
import { CertificateSigner } from '../host/certificate.ts';
import { IcHost, localCanisterId } from '../host/host.ts';
import { selfAuthenticatingPrincipal } from '../identity/delegation.ts';
import type { HashTree, Label } from '../identity/hash-tree.ts';
import { type NodeSignature, NodeSigner, type QueryOutcome } from './node-signer.ts';
import { DataFolder } from './persistence.ts';
import { fromStored, outcomeOf, toStored } from './request-status.ts';
import { RootSigner } from './root-signer.ts';
import {
  type CanisterFacts,
  certifiedStateTree,
  type RequestStatus,
  rootHash,
  roundTree,
  type SubnetFacts,
  witness,
} from './state-tree.ts';

/** Calls waiting to run at most; beyond this a call is refused with 429 (the agent retries). */
export const MAX_QUEUED_CALLS = 1000;
/** Calls one round runs at most, so a long queue still gets answers every few milliseconds. */
const MAX_CALLS_PER_ROUND = 256;
const TICK_INTERVAL_MS = 1000;
/** The canister ids this subnet hosts: the first 2^20 of the local range, as a dfx replica assigns them. */
const CANISTER_RANGE: readonly [Uint8Array, Uint8Array] = [
  localCanisterId(0).toUint8Array(),
  localCanisterId(0xfffff).toUint8Array(),
];

export interface DevnetOptions {
  dataDir: string;
  /** The canister module (build/waxseal.wasm). */
  wasm: Uint8Array;
  /** Candid-encoded install argument (fresh data folder) or upgrade argument (existing one). */
  arg?: Uint8Array;
  /** Wipe the data folder first. */
  clean?: boolean;
  log?: (line: string) => void;
  /** Wall clock in ns (tests may pin it). */
  wallClock?: () => bigint;
  /** Bound of the call queue; default {@link MAX_QUEUED_CALLS}. */
  maxQueuedCalls?: number;
  /** Answer a call only once its journal record is fdatasynced, not only written (default false). */
  fsync?: boolean;
}

/** A call that passed authentication (authenticate.ts). */
export interface IngressCall {
  requestId: Uint8Array;
  canisterId: Uint8Array;
  methodName: string;
  arg: Uint8Array;
  sender: Uint8Array;
  ingressExpiry: bigint;
}

export type CallAnswer = { status: RequestStatus; certificate: Uint8Array };

interface QueuedCall {
  call: IngressCall;
  waiters: { resolve: (a: CallAnswer) => void; reject: (e: Error) => void }[];
}

/** A call that has run and waits for its round to be certified. */
interface RanCall {
  entry: QueuedCall;
  status: RequestStatus;
}

const nowFromWall = (): bigint => BigInt(Date.now()) * 1_000_000n;

/**
 * Public custom sections of a module (`icp:public <name>`), as /canister/<id>/metadata shows them. Read from the
 * host's compiled module (cached by content hash), so the wasm is not compiled a second time.
 */
async function moduleMetadata(host: IcHost, wasm: Uint8Array): Promise<Map<string, Uint8Array>> {
  const { module } = await host.prepare(wasm);
  const out = new Map<string, Uint8Array>();
  for (const section of ['candid:service', 'candid:args', 'motoko:compiler']) {
    const [found] = WebAssembly.Module.customSections(module, `icp:public ${section}`);
    if (found) out.set(section, new Uint8Array(found));
  }
  return out;
}

export class Devnet {
  readonly host: IcHost;
  readonly canisterId: Principal;
  readonly node: NodeSigner;
  readonly subnet: SubnetFacts;
  /** What `open` did: installed fresh, or resumed (upgrade path) from the data folder. */
  readonly started: { mode: 'installed' | 'resumed'; replayedRounds: number; tornTail: boolean };
  private readonly data: DataFolder;
  private readonly rootSigner: RootSigner;
  private readonly log: (line: string) => void;
  private readonly wallClock: () => bigint;
  private readonly maxQueuedCalls: number;
  private readonly statuses = new Map<string, RequestStatus>();
  private readonly queue: QueuedCall[] = [];
  private readonly queuedById = new Map<string, QueuedCall>();
  private readonly moduleHash: Uint8Array;
  private readonly metadata: Map<string, Uint8Array>;
  private pumping?: Promise<void>;
  /** The round being signed, if any. */
  private signing?: Promise<void>;
  /** Calls that have run and wait for the next round. */
  private readonly unsigned: RanCall[] = [];
  /** Answer only once the round's journal record is fdatasynced (survives a power cut, not only `kill -9`). */
  private readonly fsyncBeforeAnswer: boolean;
  /** Timers have run since the last journal record (a call's changes go with its round). */
  private journalDue = false;
  private midMessage = false;
  private compacting = false;
  private tickTimer?: NodeJS.Timeout;
  private tickDue = false;
  private closed = false;
  /** Rounds committed and update calls executed since start (for tests and benchmarks). */
  rounds = 0;
  callsExecuted = 0;
  /** Milliseconds spent in the canister (updates, queries), on the journal and on certification. */
  readonly timing = { updateMs: 0, queryMs: 0, queries: 0, journalMs: 0, certifyMs: 0 };

  private constructor(parts: {
    host: IcHost;
    canisterId: Principal;
    node: NodeSigner;
    data: DataFolder;
    options: DevnetOptions;
    started: Devnet['started'];
    statuses: RequestStatus[];
    metadata: Map<string, Uint8Array>;
  }) {
    this.host = parts.host;
    this.canisterId = parts.canisterId;
    this.node = parts.node;
    this.data = parts.data;
    this.started = parts.started;
    this.log = parts.options.log ?? (() => {});
    this.wallClock = parts.options.wallClock ?? nowFromWall;
    this.maxQueuedCalls = parts.options.maxQueuedCalls ?? MAX_QUEUED_CALLS;
    this.fsyncBeforeAnswer = parts.options.fsync ?? false;
    this.moduleHash = new Uint8Array(createHash('sha256').update(parts.options.wasm).digest());
    this.metadata = parts.metadata;
    const rootKey = parts.host.rootKey;
    this.subnet = {
      subnetId: selfAuthenticatingPrincipal(rootKey),
      publicKeyDer: rootKey,
      canisterRanges: [CANISTER_RANGE],
      nodeId: parts.node.nodeId,
      nodePublicKeyDer: parts.node.publicKeyDer,
    };
    for (const s of parts.statuses) this.statuses.set(toHex(s.id), s);
    this.rootSigner = new RootSigner(parts.host.signer);
  }

  /** Opens the data folder: installs the canister into a new one, or resumes the saved one through post_upgrade. */
  static async open(options: DevnetOptions): Promise<Devnet> {
    const data = new DataFolder(options.dataDir);
    if (options.clean) data.clean();
    const wall = (options.wallClock ?? nowFromWall)();
    if (!data.exists) {
      const rootSigner = new CertificateSigner();
      const node = new NodeSigner();
      const host = await IcHost.create({ now: wall, rootSecretKey: rootSigner.secretKey });
      const { id } = await host.install(options.wasm, options.arg ? { arg: options.arg } : {});
      await host.tick();
      const stable = host.stableMemory(id);
      stable.takeDirtyBlocks();
      data.create(
        {
          format: 1,
          canisterId: id.toText(),
          controllers: [Principal.anonymous().toText()],
          rootSecretKey: toHex(rootSigner.secretKey),
          nodeSecretKey: toHex(node.seed),
        },
        stable,
        host.time,
        host.info(id).version,
      );
      return new Devnet({
        host,
        canisterId: id,
        node,
        data,
        options,
        started: { mode: 'installed', replayedRounds: 0, tornTail: false },
        statuses: [],
        metadata: await moduleMetadata(host, options.wasm),
      });
    }
    const loaded = data.load();
    const now = wall > loaded.timeNs ? wall : loaded.timeNs + 1n;
    const host = await IcHost.create({ now, rootSecretKey: hex.decode(loaded.identity.rootSecretKey) });
    const canisterId = Principal.fromText(loaded.identity.canisterId);
    await host.resume(options.wasm, {
      canisterId,
      controllers: loaded.identity.controllers.map((c) => Principal.fromText(c)),
      version: loaded.version,
      stable: loaded.stable,
      ...(options.arg ? { arg: options.arg } : {}),
    });
    const devnet = new Devnet({
      host,
      canisterId,
      node: new NodeSigner(hex.decode(loaded.identity.nodeSecretKey)),
      data,
      options,
      started: { mode: 'resumed', replayedRounds: loaded.replayed, tornTail: loaded.tornTail },
      statuses: loaded.statuses.map(fromStored).filter((s) => s.ingressExpiry >= now),
      metadata: await moduleMetadata(host, options.wasm),
    });
    // post_upgrade and its timers changed stable memory: make that durable before serving anyone.
    await devnet.host.tick();
    await devnet.commitRound([]);
    return devnet;
  }

  /** Runs due timers every second until `close`. */
  startTicking(): void {
    this.tickTimer = setInterval(() => {
      this.tickDue = true;
      void this.pump();
    }, TICK_INTERVAL_MS);
    this.tickTimer.unref();
  }

  /** The wall clock (ns) the devnet follows: the replica's "now" for ingress expiry checks. */
  wallTime(): bigint {
    return this.wallClock();
  }

  get rootKey(): Uint8Array {
    return this.host.rootKey;
  }

  get queuedCalls(): number {
    return this.queue.length;
  }

  /** The status of an answered request, by id. */
  status(requestId: Uint8Array): RequestStatus | undefined {
    return this.statuses.get(toHex(requestId));
  }

  /** True from when a call is queued until its caller has been answered. */
  isQueued(requestId: Uint8Array): boolean {
    return this.queuedById.has(toHex(requestId));
  }

  /**
   * Queues an update call and resolves once it has run, its effects are on disk and its status is certified.
   * A call whose id is already queued shares that run: an identical call is never executed twice.
   * Returns null when the queue is full.
   */
  submit(call: IngressCall): Promise<CallAnswer> | null {
    if (this.closed) return Promise.reject(new Error('the devnet is shutting down'));
    const key = toHex(call.requestId);
    let queued = this.queuedById.get(key);
    if (!queued) {
      if (this.queue.length >= this.maxQueuedCalls) return null;
      queued = { call, waiters: [] };
      this.queue.push(queued);
      this.queuedById.set(key, queued);
    }
    const entry = queued;
    const answer = new Promise<CallAnswer>((resolve, reject) => entry.waiters.push({ resolve, reject }));
    void this.pump();
    return answer;
  }

  /** Runs a query against the current state; the result is signed by the node. */
  async query(
    call: Omit<IngressCall, 'ingressExpiry'>,
  ): Promise<{ outcome: QueryOutcome; signature: NodeSignature }> {
    const started = performance.now();
    const result = await this.host.query(
      Principal.fromUint8Array(call.canisterId),
      call.methodName,
      call.arg,
      { caller: Principal.fromUint8Array(call.sender), scratch: true },
    );
    this.timing.queryMs += performance.now() - started;
    this.timing.queries++;
    const outcome = outcomeOf(result);
    return { outcome, signature: this.node.signQueryResponse(outcome, call.requestId, this.wallClock()) };
  }

  /** A certificate revealing `paths` (and /time) of the current state, with the named request statuses in it. */
  certify(paths: readonly (readonly Label[])[], statuses: readonly RequestStatus[]): Uint8Array {
    return this.host.signer.certify(witness(this.stateTree(statuses), [...paths, ['time']]));
  }

  private stateTree(statuses: readonly RequestStatus[]): HashTree {
    return certifiedStateTree({
      timeNs: this.host.time,
      subnet: this.subnet,
      canisters: [this.canisterFacts()],
      statuses,
    });
  }

  private canisterFacts(): CanisterFacts {
    const info = this.host.info(this.canisterId);
    return {
      id: this.canisterId.toUint8Array(),
      certifiedData: info.certifiedData,
      moduleHash: this.moduleHash,
      controllers: info.controllers.map((c) => c.toUint8Array()),
      publicMetadata: this.metadata,
    };
  }

  private pump(): Promise<void> {
    this.pumping ??= this.runCalls().finally(() => {
      this.pumping = undefined;
    });
    return this.pumping;
  }

  private advanceClock(): void {
    const wall = this.wallClock();
    if (wall > this.host.time) this.host.setTime(wall);
  }

  private async runCalls(): Promise<void> {
    while (!this.closed && (this.queue.length > 0 || this.tickDue)) {
      // Let the HTTP server read every request that has already arrived before running the next ones.
      await new Promise((resolve) => setImmediate(resolve));
      this.advanceClock();
      if (this.tickDue) {
        this.tickDue = false;
        await this.executing(() => this.host.tick());
        this.journalDue = true;
        this.pruneStatuses();
        // Writes the timers' changes, and closes a round whose signer finished while the timers ran.
        this.advance();
      }
      for (const entry of this.queue.splice(0, MAX_CALLS_PER_ROUND)) {
        const { call } = entry;
        const started = performance.now();
        const result = await this.executing(() =>
          this.host.update(Principal.fromUint8Array(call.canisterId), call.methodName, call.arg, {
            caller: Principal.fromUint8Array(call.sender),
          }),
        );
        const status: RequestStatus = {
          id: call.requestId,
          sender: call.sender,
          canisterId: call.canisterId,
          ingressExpiry: call.ingressExpiry,
          outcome: outcomeOf(result),
        };
        this.statuses.set(toHex(call.requestId), status);
        this.timing.updateMs += performance.now() - started;
        this.callsExecuted++;
        this.unsigned.push({ entry, status });
        this.advance();
      }
      if (this.data.shouldCompact) {
        this.compacting = true;
        await this.data.idle();
        this.compact();
        this.compacting = false;
        this.advance();
      }
    }
  }

  private async executing<T>(run: () => Promise<T>): Promise<T> {
    this.midMessage = true;
    try {
      return await run();
    } finally {
      this.midMessage = false;
    }
  }

  /**
   * Closes a round as soon as the signer is free: every call that has run since the last round. Nothing starts in
   * the middle of a message, so a record never holds half of one. Timers' changes with no call to answer are
   * written at once.
   */
  private advance(): void {
    if (this.midMessage || this.compacting) return;
    if (this.unsigned.length > 0) {
      if (!this.signing) this.closeRound();
    } else if (this.journalDue) {
      this.commitRound([]).catch((e: unknown) =>
        this.log(`devnet: could not sync the journal: ${String(e)}`),
      );
    }
  }

  /**
   * Writes the round's record and hands its tree to the signing worker. The callers are answered once it is
   * signed (and, with `fsync`, synced). A call waits for the rest of the signature in flight, then its own.
   */
  private closeRound(): void {
    const calls = this.unsigned.splice(0);
    const statuses = calls.map((c) => c.status);
    const journalStarted = performance.now();
    let synced: Promise<void>;
    try {
      synced = this.commitRound(statuses);
    } catch (e) {
      this.fail(calls, e);
      return;
    }
    const certifyStarted = performance.now();
    this.timing.journalMs += certifyStarted - journalStarted;
    // The round's tree holds only what its certificates reveal (statuses and time): hashing the subnet and
    // canister subtrees (the 14 KB candid:service metadata above all) on every round cost more than the rest.
    const tree = roundTree(this.host.time, statuses);
    // rootHash remembers every subtree's hash, so the witnesses cut below hash nothing of the tree again.
    const signed = this.rootSigner.sign(rootHash(tree));
    this.timing.certifyMs += performance.now() - certifyStarted;
    this.signing = signed.finally(() => {
      this.signing = undefined;
      this.advance();
    });
    if (!this.fsyncBeforeAnswer) {
      synced.catch((e: unknown) => this.log(`devnet: could not sync the journal: ${String(e)}`));
    }
    Promise.all([signed, this.fsyncBeforeAnswer ? synced : undefined]).then(
      () => {
        for (const { entry, status } of calls) {
          this.queuedById.delete(toHex(entry.call.requestId));
          const certificate = this.host.signer.certify(
            witness(tree, [['request_status', status.id], ['time']]),
          );
          for (const w of entry.waiters) w.resolve({ status, certificate });
        }
      },
      (e: unknown) => this.fail(calls, e),
    );
  }

  private fail(calls: readonly RanCall[], e: unknown): void {
    const failure = e instanceof Error ? e : new Error(String(e));
    this.log(`devnet: could not commit a round: ${failure.message}`);
    for (const { entry } of calls) {
      this.queuedById.delete(toHex(entry.call.requestId));
      for (const w of entry.waiters) w.reject(failure);
    }
  }

  /** Writes what changed since the last record to the journal; resolves when it is fsynced. */
  private commitRound(statuses: readonly RequestStatus[]): Promise<void> {
    const stable = this.host.stableMemory(this.canisterId);
    const dirty = stable.takeDirtyBlocks();
    this.journalDue = false;
    const version = this.host.info(this.canisterId).version;
    this.rounds++;
    return this.data.append(this.host.time, version, dirty, statuses.map(toStored));
  }

  private compact(): void {
    this.data.compact(
      this.host.stableMemory(this.canisterId),
      this.host.time,
      this.host.info(this.canisterId).version,
      [...this.statuses.values()].map(toStored),
    );
  }

  /** Answered requests are remembered until their ingress expiry has passed (then a replay is refused anyway). */
  private pruneStatuses(): void {
    const now = this.host.time;
    for (const [key, s] of this.statuses) if (s.ingressExpiry < now) this.statuses.delete(key);
  }

  /** Finishes queued work, folds the journal into a snapshot and closes the folder. */
  async close(): Promise<void> {
    if (this.tickTimer) clearInterval(this.tickTimer);
    // Every queued call runs and is answered; a stage that settles may start the other one again.
    while (this.pumping || this.signing) {
      await this.pumping;
      await this.signing;
    }
    this.closed = true;
    await this.data.idle();
    this.pruneStatuses();
    this.compact();
    this.data.close();
    await this.rootSigner.close();
  }
}

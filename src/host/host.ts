// The Node IC host: runs compiled canister wasm (Azle 0.33 in particular) under Node with a faithful `ic0`
// System API (IC interface spec, "Canister interface (System API)" and "Abstract behavior"; ic-notes §4).
//
//   const host = await IcHost.create();
//   const { id } = await host.install(wasm, { arg });
//   await host.update(id, 'method', candidArg, { caller });   // { kind: 'reply', bytes } | { kind: 'reject', … }
//   await host.query(id, 'method', candidArg);                // never persists state; has a data certificate
//   host.advanceTime(60_000_000_000n); await host.tick();     // global timer → ic-cdk-timers self-calls
//   host.createActor(idlFactory, id)                          // Candid actor facade (actor.ts)
//
// Time is explicit (ns): it only moves with `advanceTime` / `setTime`. Timers only fire in `tick()`.
//
// Longer than 400 lines on purpose: this is the host's public surface, one method per management or ingress
// operation over one registry of canisters; the work behind each is in canister.ts, scheduler.ts and ic0.ts.

import { createHash } from 'node:crypto';
import type { IDL } from '@icp-sdk/core/candid';
import { Principal } from '@icp-sdk/core/principal';
import { type ActorOptions, createHostActor, type HostActor } from './actor.ts';
import { Canister } from './canister.ts';
import { CertificateSigner } from './certificate.ts';
import type { StableMemory } from './memory.ts';
import { newMessage, noReply, Scheduler, trapReject } from './scheduler.ts';
import { type CallOptions, type CallResult, MANAGEMENT_CANISTER_ID, RejectCode } from './types.ts';
import { type PreparedWasm, prepareWasm } from './wasm.ts';

export interface IcHostOptions {
  /** Initial time in ns since the epoch; defaults to the wall clock. */
  now?: bigint;
  /** 32-byte BLS12-381 secret key of the host's root of trust; random when omitted. */
  rootSecretKey?: Uint8Array;
  /** Receives `ic0.debug_print` output (Azle's console.log); default: kept in `host.logs`, echoed when IC_HOST_DEBUG is set. */
  debugPrint?: (canisterId: string, text: string) => void;
  /** `fetch` used for HTTPS outcalls; defaults to the global one. */
  fetch?: typeof fetch;
  /** Timeout of an HTTPS outcall; default 30 s. */
  httpTimeoutMs?: number;
  /** Limit on messages per drain (call loops); default 100 000. */
  maxMessagesPerDrain?: number;
}

export interface InstallOptions {
  /** Candid-encoded init argument; empty when omitted. */
  arg?: Uint8Array;
  /** The installing principal: caller of `canister_init` and the only controller. Anonymous when omitted. */
  controller?: Principal;
  /** Explicit canister id; the next free id of the local range when omitted. */
  canisterId?: Principal;
}

export interface UpgradeOptions {
  arg?: Uint8Array;
  /** Caller of the upgrade hooks; defaults to the first controller. */
  sender?: Principal;
}

export interface ResumeOptions {
  canisterId: Principal;
  controllers: readonly Principal[];
  /** The version before the process stopped; resuming counts as one upgrade. */
  version: bigint;
  stable: StableMemory;
  /** Candid-encoded post_upgrade argument; empty when omitted. */
  arg?: Uint8Array;
}

export interface InstalledCanister {
  id: Principal;
  /** Instructions used by `canister_init` (0n without instrumentation). */
  initInstructions: bigint;
}

export interface CanisterInfo {
  id: Principal;
  controllers: Principal[];
  version: bigint;
  certifiedData: Uint8Array;
  globalTimer: bigint;
  stableMemoryPages: bigint;
  /** Size of the wasm heap (linear memory) in bytes. */
  heapBytes: number;
  instrumented: boolean;
  queries: string[];
  updates: string[];
}

/** Thrown by `install` / `upgrade` when the canister traps in an install hook. */
export class InstallError extends Error {
  override name = 'InstallError';
}

/** Canister id `index` of the local id range: 8-byte big-endian index · 0x01 0x01 (as the replica assigns). */
export function localCanisterId(index: number): Principal {
  const bytes = new Uint8Array(10);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(index));
  bytes[8] = 1;
  bytes[9] = 1;
  return Principal.fromUint8Array(bytes);
}

/** The index of a canister id of the local range, or undefined for any other principal. */
function localCanisterIndex(id: Principal): number | undefined {
  const bytes = id.toUint8Array();
  if (bytes.length !== 10 || bytes[8] !== 1 || bytes[9] !== 1) return undefined;
  return Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0));
}

export class IcHost {
  readonly signer: CertificateSigner;
  readonly logs: { canisterId: string; text: string }[] = [];
  private nowNs: bigint;
  private readonly canistersById = new Map<string, Canister>();
  private readonly wasmCache = new Map<string, Promise<PreparedWasm>>();
  private readonly scheduler: Scheduler;
  private readonly debugPrint: (canisterId: string, text: string) => void;
  private nextIndex = 0;
  private lastInstructions?: bigint;

  private constructor(options: IcHostOptions) {
    this.nowNs = options.now ?? BigInt(Date.now()) * 1_000_000n;
    this.signer = new CertificateSigner(options.rootSecretKey);
    this.debugPrint =
      options.debugPrint ??
      ((canisterId, text) => {
        this.logs.push({ canisterId, text });
        if (process.env.IC_HOST_DEBUG) process.stderr.write(`[${canisterId}] ${text}\n`);
      });
    this.scheduler = new Scheduler({
      now: () => this.nowNs,
      canister: (id) => this.canistersById.get(id.toText()),
      canisters: () => this.canistersById.values(),
      maxTasks: options.maxMessagesPerDrain ?? 100_000,
      fetch: options.fetch ?? globalThis.fetch,
      httpTimeoutMs: options.httpTimeoutMs ?? 30_000,
      runTransform: (canister, method, arg) =>
        this.runQuery(canister, method, arg, Principal.fromText(MANAGEMENT_CANISTER_ID), false),
    });
  }

  static async create(options: IcHostOptions = {}): Promise<IcHost> {
    return new IcHost(options);
  }

  /** The host's root key, DER-wrapped (`308182…036100 ‖ G2`), for `Certificate.create({ rootKey })`. */
  get rootKey(): Uint8Array {
    return this.signer.rootKey;
  }

  // ── time ──

  /** Current time in ns since the epoch. */
  get time(): bigint {
    return this.nowNs;
  }

  advanceTime(ns: bigint): void {
    if (ns < 0n) throw new RangeError('advanceTime: time cannot go backwards');
    this.nowNs += ns;
  }

  setTime(ns: bigint): void {
    this.nowNs = ns;
  }

  /** Runs due global timers (and heartbeats), then every message they cause. */
  async tick(): Promise<void> {
    this.scheduler.scheduleTimers();
    await this.scheduler.drain();
  }

  // ── canisters ──

  /** Patches and compiles a module (cached by content hash). */
  prepare(wasm: Uint8Array): Promise<PreparedWasm> {
    const key = createHash('sha256').update(wasm).digest('hex');
    let prepared = this.wasmCache.get(key);
    if (!prepared) {
      prepared = prepareWasm(wasm);
      this.wasmCache.set(key, prepared);
      prepared.catch(() => this.wasmCache.delete(key));
    }
    return prepared;
  }

  async install(wasm: Uint8Array, options: InstallOptions = {}): Promise<InstalledCanister> {
    const prepared = await this.prepare(wasm);
    const id = options.canisterId ?? this.freshId();
    if (this.canistersById.has(id.toText())) throw new InstallError(`canister ${id.toText()} already exists`);
    const controller = options.controller ?? Principal.anonymous();
    const canister = new Canister(id, prepared, [controller], (text) => this.debugPrint(id.toText(), text));
    let initInstructions = 0n;
    if (canister.hasExport('canister_init')) {
      const message = newMessage({
        kind: 'init',
        method: 'canister_init',
        arg: options.arg ?? new Uint8Array(0),
        caller: controller.toUint8Array(),
        time: this.nowNs,
        replicated: true,
      });
      const outcome = canister.run(message, { export: 'canister_init' }, true);
      initInstructions = outcome.instructions;
      this.recordInstructions(prepared, outcome.instructions);
      if (outcome.trap !== undefined) {
        throw new InstallError(`canister_init of ${id.toText()} trapped: ${outcome.trap}`);
      }
    }
    canister.version = 1n;
    this.canistersById.set(id.toText(), canister);
    return { id, initInstructions };
  }

  async upgrade(canisterId: Principal, wasm: Uint8Array, options: UpgradeOptions = {}): Promise<void> {
    const canister = this.get(canisterId);
    const prepared = await this.prepare(wasm);
    const sender = options.sender ?? canister.controllers[0] ?? Principal.anonymous();
    if (!canister.isController(sender.toUint8Array())) {
      throw new InstallError(`${sender.toText()} is not a controller of ${canisterId.toText()}`);
    }
    const hook = (kind: 'pre_upgrade' | 'post_upgrade', arg: Uint8Array) =>
      newMessage({
        kind,
        method: `canister_${kind}`,
        arg,
        caller: sender.toUint8Array(),
        time: this.nowNs,
        replicated: true,
      });
    const outcome = canister.upgrade(
      prepared,
      hook('pre_upgrade', new Uint8Array(0)),
      hook('post_upgrade', options.arg ?? new Uint8Array(0)),
    );
    this.recordInstructions(prepared, outcome.instructions);
    if (outcome.trap !== undefined) {
      throw new InstallError(
        `upgrade of ${canisterId.toText()} failed: ${outcome.phase} trapped: ${outcome.trap}`,
      );
    }
  }

  /**
   * Brings back a canister whose heap is gone (the host process stopped): a fresh instance of `wasm` over the saved
   * stable memory, then `canister_post_upgrade` with `arg`, exactly the second half of an upgrade. There is no
   * pre_upgrade to run because the old heap no longer exists; a canister that keeps all its state in stable
   * memory (as Waxseal does) loses nothing.
   */
  async resume(wasm: Uint8Array, saved: ResumeOptions): Promise<void> {
    const id = saved.canisterId;
    if (this.canistersById.has(id.toText())) throw new InstallError(`canister ${id.toText()} already exists`);
    const prepared = await this.prepare(wasm);
    const canister = new Canister(id, prepared, [...saved.controllers], (text) =>
      this.debugPrint(id.toText(), text),
    );
    canister.stable = saved.stable;
    canister.version = saved.version;
    if (canister.hasExport('canister_post_upgrade')) {
      const message = newMessage({
        kind: 'post_upgrade',
        method: 'canister_post_upgrade',
        arg: saved.arg ?? new Uint8Array(0),
        caller: (saved.controllers[0] ?? Principal.anonymous()).toUint8Array(),
        time: this.nowNs,
        replicated: true,
      });
      const outcome = canister.run(message, { export: 'canister_post_upgrade' }, true);
      this.recordInstructions(prepared, outcome.instructions);
      if (outcome.trap !== undefined) {
        throw new InstallError(`canister_post_upgrade of ${id.toText()} trapped: ${outcome.trap}`);
      }
    }
    canister.version += 1n;
    this.canistersById.set(id.toText(), canister);
    const index = localCanisterIndex(id);
    if (index !== undefined && index >= this.nextIndex) this.nextIndex = index + 1;
  }

  /** The canister's stable memory, for persistence (its dirty blocks) and diagnostics. */
  stableMemory(canisterId: Principal): StableMemory {
    return this.get(canisterId).stable;
  }

  /** Facts about an installed canister. */
  info(canisterId: Principal): CanisterInfo {
    const c = this.get(canisterId);
    return {
      id: c.principal,
      controllers: [...c.controllers],
      version: c.version,
      certifiedData: c.certifiedData,
      globalTimer: c.globalTimer,
      stableMemoryPages: c.stable.size,
      heapBytes: c.memory().length,
      instrumented: c.wasm.instructionCounterExport !== undefined,
      ...c.methods(),
    };
  }

  /** Instructions of the last call, install or upgrade; undefined when that module is not instrumented. */
  instructionsOfLastCall(): bigint | undefined {
    return this.lastInstructions;
  }

  // ── calls ──

  /**
   * An ingress update call. `canister_inspect_message` runs first when exported. Resolves once the call has been
   * responded to and every message it caused (calls, callbacks, outcalls) has run.
   */
  async update(
    canisterId: Principal,
    method: string,
    arg: Uint8Array,
    options: CallOptions = {},
  ): Promise<CallResult> {
    const canister = this.canistersById.get(canisterId.toText());
    if (!canister) return destinationInvalid(`Canister ${canisterId.toText()} not found`);
    const caller = options.caller ?? Principal.anonymous();
    if (canister.hasExport('canister_inspect_message')) {
      const message = newMessage({
        kind: 'inspect_message',
        method,
        arg,
        caller: caller.toUint8Array(),
        time: this.nowNs,
        replicated: false,
      });
      const outcome = canister.run(message, { export: 'canister_inspect_message' }, false);
      if (outcome.trap !== undefined) return trapReject(canister, outcome.trap);
      if (!message.accepted) {
        return {
          kind: 'reject',
          code: RejectCode.CanisterReject,
          message: `Canister ${canisterId.toText()} rejected the message '${method}' in canister_inspect_message`,
        };
      }
    }
    const pending = this.scheduler.submit(canisterId, method, arg, caller);
    await this.scheduler.drain();
    const { result, instructions } = await pending;
    this.recordInstructions(canister.wasm, instructions);
    return result;
  }

  /** A non-replicated (ingress) query: state changes are discarded; `ic0.data_certificate_*` is available. */
  async query(
    canisterId: Principal,
    method: string,
    arg: Uint8Array,
    options: CallOptions = {},
  ): Promise<CallResult> {
    return this.runQuery(
      canisterId,
      method,
      arg,
      options.caller ?? Principal.anonymous(),
      true,
      options.scratch,
    );
  }

  private runQuery(
    canisterId: Principal,
    method: string,
    arg: Uint8Array,
    caller: Principal,
    withCertificate: boolean,
    scratch = false,
  ): CallResult {
    const canister = this.canistersById.get(canisterId.toText());
    if (!canister) return destinationInvalid(`Canister ${canisterId.toText()} not found`);
    const entry = [`canister_query ${method}`, `canister_composite_query ${method}`].find((e) =>
      canister.hasExport(e),
    );
    if (!entry) return destinationInvalid(`Canister ${canisterId.toText()} has no query method '${method}'`);
    const time = this.nowNs;
    const message = newMessage({
      kind: entry.startsWith('canister_query') ? 'query' : 'composite_query',
      method,
      arg,
      caller: caller.toUint8Array(),
      time,
      replicated: false,
      canRespond: true,
      ...(withCertificate
        ? { certificate: () => this.signer.dataCertificate(canister.id, canister.certifiedData, time) }
        : {}),
    });
    const outcome = scratch
      ? canister.runScratchQuery(message, { export: entry })
      : canister.run(message, { export: entry }, false);
    this.recordInstructions(canister.wasm, outcome.instructions);
    if (outcome.trap !== undefined) return trapReject(canister, outcome.trap);
    return message.response ?? noReply(canister);
  }

  /** An actor whose methods encode/decode Candid and call `update` or `query` per the IDL annotations. */
  createActor<T = Record<string, (...args: unknown[]) => Promise<unknown>>>(
    idlFactory: IDL.InterfaceFactory,
    canisterId: Principal,
    options: ActorOptions = {},
  ): HostActor<T> {
    return createHostActor<T>(this, idlFactory, canisterId, options);
  }

  // ── internals ──

  private get(canisterId: Principal): Canister {
    const c = this.canistersById.get(canisterId.toText());
    if (!c) throw new Error(`Canister ${canisterId.toText()} not found`);
    return c;
  }

  private freshId(): Principal {
    for (;;) {
      const id = localCanisterId(this.nextIndex++);
      if (!this.canistersById.has(id.toText())) return id;
    }
  }

  private recordInstructions(wasm: PreparedWasm, instructions: bigint): void {
    this.lastInstructions = wasm.instructionCounterExport === undefined ? undefined : instructions;
  }
}

function destinationInvalid(message: string): CallResult {
  return { kind: 'reject', code: RejectCode.DestinationInvalid, message };
}

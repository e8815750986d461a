// One canister in the Node IC host: its wasm instance, heap, stable memory, certified data and global timer, and
// atomic message execution (IC interface spec, "Abstract behavior" → "Canister state", "Message execution",
// "Code installation" / "Upgrades"; ic-notes §4.3 "atomicity", §4.5 items 3–4).
//
// Every message runs against a snapshot: the heap (copied), all mutable globals (exported by `prepareWasm`,
// including the `__stack_pointer`), stable memory (journaled per page), certified data and the global timer.
// The snapshot is restored when the message traps and after every query, so queries never persist state. If the
// memory grew during the message, the instance is re-created from the compiled module first (memory cannot
// shrink). Instrumented modules (`ic-wasm instrument`, ic-notes §4.6) report per-message instruction counts.

import { Principal } from '@icp-sdk/core/principal';
import { buildIc0, type Ic0Function, type Ic0Runtime, linkImports, type Message } from './ic0.ts';
import { StableMemory, WASM_PAGE } from './memory.ts';
import { CanisterTrap } from './types.ts';
import type { PreparedWasm } from './wasm.ts';

export interface Outcome {
  /** The trap message when the message trapped (its effects were rolled back). */
  trap?: string;
  /** Instructions counted by the instrumentation (0n without instrumentation). */
  instructions: bigint;
}

interface Snapshot {
  heap: Uint8Array;
  globals: Map<string, number | bigint>;
  certifiedData: Uint8Array;
  globalTimer: bigint;
}

/** Where a message enters the module: an export, or a callback from the function table. */
export type Entry = { export: string } | { table: number; env: number };

export const DEFAULT_CYCLE_BALANCE = 100_000_000_000_000n;

/** Scratch queries between two restores of the committed heap at most (bounds what queries can leave behind). */
export const MAX_SCRATCH_QUERIES = 64;

/** Size of the metadata block `ic-wasm instrument` keeps at stable memory offset 0 (ic-notes §4.6). */
const INSTRUMENT_METADATA_SIZE = 24n;

export class Canister implements Ic0Runtime {
  readonly id: Uint8Array;
  readonly principal: Principal;
  stable = new StableMemory();
  certifiedData: Uint8Array = new Uint8Array(0);
  globalTimer = 0n;
  version = 0n;
  cycleBalance = DEFAULT_CYCLE_BALANCE;
  controllers: Principal[];
  wasm: PreparedWasm;
  private instance: WebAssembly.Instance;
  private readonly ic0: Record<string, Ic0Function>;
  private current?: Message;
  private view?: Uint8Array;
  private upgradePhase?: 'pre' | 'post';
  private stableTouched = false;
  /** The heap copy `run` takes before each message, reused: allocating a fresh one per message cost more than copying. */
  private heapBefore: Uint8Array = new Uint8Array(0);
  /** The committed state while scratch queries run (see `runScratchQuery`); undefined outside such a window. */
  private scratchBase?: Snapshot;
  private scratchBuffer: Uint8Array = new Uint8Array(0);
  private scratchQueries = 0;

  constructor(
    principal: Principal,
    wasm: PreparedWasm,
    controllers: Principal[],
    private readonly log: (text: string) => void,
  ) {
    this.principal = principal;
    this.id = principal.toUint8Array();
    this.controllers = controllers;
    this.wasm = wasm;
    this.ic0 = buildIc0(this);
    this.instance = this.instantiate();
  }

  private instantiate(): WebAssembly.Instance {
    this.view = undefined;
    return new WebAssembly.Instance(this.wasm.module, linkImports(this.wasm.module, this.ic0));
  }

  private get exports(): WebAssembly.Exports {
    return this.instance.exports;
  }

  private get wasmMemory(): WebAssembly.Memory {
    const memory = this.exports.memory;
    if (!(memory instanceof WebAssembly.Memory))
      throw new Error('the canister module does not export its memory');
    return memory;
  }

  // ── Ic0Runtime ──

  memory(): Uint8Array {
    const buffer = this.wasmMemory.buffer;
    if (this.view?.buffer !== buffer) this.view = new Uint8Array(buffer);
    return this.view;
  }

  message(): Message {
    if (!this.current) throw new CanisterTrap('System API called outside of a message execution');
    return this.current;
  }

  isController(principal: Uint8Array): boolean {
    const text = Principal.fromUint8Array(principal).toText();
    return this.controllers.some((c) => c.toText() === text);
  }

  instructionCounter(): bigint {
    const name = this.wasm.instructionCounterExport;
    if (name === undefined) return 0n;
    return (this.exports[name] as WebAssembly.Global).value as bigint;
  }

  debugPrint(text: string): void {
    this.log(text);
  }

  /**
   * `ic-wasm instrument` saves 24 bytes of profiling metadata at stable offset 0 in its injected pre_upgrade and
   * reads them back at the top of post_upgrade. In an Azle canister that is the MemoryManager header, so the
   * write would wipe every StableBTreeMap (ic-notes §4.6). The host drops that write, and answers that read with
   * metadata that keeps the counter running and tracing off, so instrumented builds survive upgrades here.
   */
  stableAccess(op: 'read' | 'write', offset: bigint, size: bigint): 'skip' | Uint8Array | undefined {
    const first = !this.stableTouched;
    this.stableTouched = true;
    if (this.upgradePhase === undefined || offset !== 0n || size !== INSTRUMENT_METADATA_SIZE)
      return undefined;
    if (this.upgradePhase === 'pre' && op === 'write') return 'skip';
    if (this.upgradePhase === 'post' && op === 'read' && first) {
      const meta = new Uint8Array(24);
      const view = new DataView(meta.buffer);
      view.setBigUint64(0, this.instructionCounter(), true); // total_counter
      view.setInt32(16, 1, true); // is_init = 1: tracing stays off
      return meta;
    }
    return undefined;
  }

  // ── queries about the module ──

  hasExport(name: string): boolean {
    return typeof this.exports[name] === 'function';
  }

  /** Method names exported as `canister_query X` / `canister_composite_query X` / `canister_update X`. */
  methods(): { queries: string[]; updates: string[] } {
    const queries: string[] = [];
    const updates: string[] = [];
    for (const name of Object.keys(this.exports)) {
      if (name.startsWith('canister_query ')) queries.push(name.slice(15));
      else if (name.startsWith('canister_composite_query ')) queries.push(name.slice(25));
      else if (name.startsWith('canister_update ')) updates.push(name.slice(16));
    }
    return { queries, updates };
  }

  // ── snapshots ──

  /** `into`: a buffer to copy the heap into when it has the heap's size (otherwise a new copy is made). */
  private snapshot(into?: Uint8Array): Snapshot {
    const globals = new Map<string, number | bigint>();
    for (const name of this.wasm.mutableGlobals.values()) {
      globals.set(name, (this.exports[name] as WebAssembly.Global).value as number | bigint);
    }
    const mem = this.memory();
    let heap: Uint8Array;
    if (into?.length === mem.length) {
      into.set(mem);
      heap = into;
    } else {
      heap = mem.slice();
    }
    return {
      heap,
      globals,
      certifiedData: this.certifiedData,
      globalTimer: this.globalTimer,
    };
  }

  private restore(s: Snapshot): void {
    if (this.wasmMemory.buffer.byteLength !== s.heap.length) {
      this.instance = this.instantiate();
      const have = this.wasmMemory.buffer.byteLength;
      if (have < s.heap.length) this.wasmMemory.grow((s.heap.length - have) / WASM_PAGE);
    }
    const mem = this.memory();
    mem.set(s.heap);
    if (mem.length > s.heap.length) mem.fill(0, s.heap.length);
    for (const [name, value] of s.globals) (this.exports[name] as WebAssembly.Global).value = value;
    this.certifiedData = s.certifiedData;
    this.globalTimer = s.globalTimer;
  }

  private setInstrumentationIsInit(): void {
    const name = this.wasm.isInitExport;
    if (name !== undefined) (this.exports[name] as WebAssembly.Global).value = 1;
  }

  // ── execution ──

  /**
   * Runs one message. `persist: false` (queries) or a trap restores the state from before the message; the
   * message's outputs (response, calls) must then be ignored by the caller unless `persist` and no trap.
   */
  run(message: Message, entry: Entry, persist: boolean): Outcome {
    if (this.current) throw new Error('re-entrant message execution');
    this.endScratch();
    const before = this.snapshot(this.heapBefore);
    this.heapBefore = before.heap;
    const outcome = this.execute(message, entry);
    if (outcome.trap !== undefined || !persist) {
      this.stable.rollback();
      this.restore(before);
    } else {
      this.stable.commit();
      if (message.kind === 'init' || message.kind === 'post_upgrade') this.setInstrumentationIsInit();
    }
    return outcome;
  }

  /** Invokes `entry` for `message` with stable memory journaled (the caller commits or rolls back). */
  private execute(message: Message, entry: Entry): Outcome {
    this.stable.begin();
    message.counterStart = this.instructionCounter();
    this.current = message;
    this.stableTouched = false;
    let trap: string | undefined;
    try {
      this.invoke(entry);
    } catch (e) {
      trap = describeTrap(e);
    } finally {
      this.current = undefined;
    }
    const instructions = this.instructionCounter() - message.counterStart;
    return trap === undefined ? { instructions } : { trap, instructions };
  }

  /**
   * Runs a query without copying the heap before and restoring it after (each costs a copy of the whole heap,
   * about 1 ms for an Azle canister, several times the query itself). Instead, consecutive scratch queries share
   * one working heap: the committed heap is saved once, and restored before the next message of any other kind,
   * after a trap, and after {@link MAX_SCRATCH_QUERIES} queries. Stable memory, certified data and the timer are
   * still rolled back after every query, so no query changes what an update sees; only heap state a query leaves
   * behind (caches, garbage) can be seen by a later query in the same window.
   */
  runScratchQuery(message: Message, entry: Entry): Outcome {
    if (this.current) throw new Error('re-entrant message execution');
    if (!this.scratchBase) {
      this.scratchBase = this.snapshot(this.scratchBuffer);
      this.scratchBuffer = this.scratchBase.heap;
      this.scratchQueries = 0;
    }
    const { certifiedData, globalTimer } = this;
    const outcome = this.execute(message, entry);
    this.stable.rollback();
    this.certifiedData = certifiedData;
    this.globalTimer = globalTimer;
    if (outcome.trap !== undefined || ++this.scratchQueries >= MAX_SCRATCH_QUERIES) this.endScratch();
    return outcome;
  }

  /** Puts back the committed heap after scratch queries (a no-op outside a scratch window). */
  endScratch(): void {
    if (!this.scratchBase) return;
    this.restore(this.scratchBase);
    this.scratchBase = undefined;
  }

  private invoke(entry: Entry): void {
    if ('export' in entry) {
      const fn = this.exports[entry.export];
      if (typeof fn !== 'function') throw new CanisterTrap(`the module does not export ${entry.export}`);
      fn();
      return;
    }
    const table = this.wasm.tableExport === undefined ? undefined : this.exports[this.wasm.tableExport];
    if (!(table instanceof WebAssembly.Table))
      throw new CanisterTrap('callback: the module has no function table');
    const fn = entry.table < table.length ? table.get(entry.table) : null;
    if (typeof fn !== 'function')
      throw new CanisterTrap(`callback: no function at table index ${entry.table}`);
    fn(entry.env);
  }

  /**
   * Upgrade (spec "IC method install_code", mode upgrade): pre_upgrade on the old module, then a fresh instance of
   * the new module with the same stable memory and certified data, the global timer cleared, then post_upgrade.
   * If either hook traps, the canister is left exactly as it was.
   */
  upgrade(
    wasm: PreparedWasm,
    pre: Message,
    post: Message,
  ): Outcome & { phase?: 'pre_upgrade' | 'post_upgrade' } {
    this.endScratch();
    const stableBefore = this.stable.clone();
    const oldWasm = this.wasm;
    const oldInstance = this.instance;
    const oldState = this.snapshot();
    let instructions = 0n;
    if (this.hasExport('canister_pre_upgrade')) {
      this.upgradePhase = oldWasm.instructionCounterExport === undefined ? undefined : 'pre';
      const outcome = this.run(pre, { export: 'canister_pre_upgrade' }, true);
      this.upgradePhase = undefined;
      instructions += outcome.instructions;
      if (outcome.trap !== undefined) return { ...outcome, phase: 'pre_upgrade' };
    }
    this.wasm = wasm;
    this.instance = this.instantiate();
    this.globalTimer = 0n;
    if (this.hasExport('canister_post_upgrade')) {
      this.upgradePhase = wasm.instructionCounterExport === undefined ? undefined : 'post';
      const outcome = this.run(post, { export: 'canister_post_upgrade' }, true);
      this.upgradePhase = undefined;
      instructions += outcome.instructions;
      if (outcome.trap !== undefined) {
        this.wasm = oldWasm;
        this.instance = oldInstance;
        this.view = undefined;
        this.stable = stableBefore;
        this.restore(oldState);
        return { trap: outcome.trap, instructions, phase: 'post_upgrade' };
      }
    } else {
      this.setInstrumentationIsInit();
    }
    this.version += 1n;
    return { instructions };
  }
}

function describeTrap(e: unknown): string {
  if (e instanceof CanisterTrap) return e.message;
  if (e instanceof WebAssembly.RuntimeError) return `wasm trap: ${e.message}`;
  if (e instanceof RangeError && /call stack/i.test(e.message)) return `stack overflow: ${e.message}`;
  if (e instanceof Error) return `host error during execution: ${e.name}: ${e.message}`;
  return `trap: ${String(e)}`;
}

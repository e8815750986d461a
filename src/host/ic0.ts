// The `ic0` System API imports (IC interface spec, "Canister interface (System API)": "Overview of imports",
// "Method arguments", "Responding", "Ingress message inspection", "Self-identification", "Canister status",
// "Inter-canister method calls", "Cycles", "Stable memory", "System time", "Global timer", "Performance counter",
// "Replicated execution check", "Controller check", "Certified data", "Debugging aids").
//
// `buildIc0` implements the functions against an `Ic0Runtime` (one canister, one message at a time);
// `linkImports` binds every import the module declares, so an import the host does not implement links fine and
// traps with a clear message when it is called (ic-notes §4.3 "unknown imports").
//
// i32 values arrive as JS numbers (possibly negative: pointers are reinterpreted with `>>> 0`); i64 values
// arrive and must be returned as BigInt (ic-notes §4.5).
//
// Longer than 400 lines on purpose: `buildIc0` is the spec's import table, one short function per import in
// the spec's order, all closing over the same runtime and availability sets; split, the table would be harder
// to check against the spec's list.

import { concatBytes } from '../encoding/bytes.ts';
import type { StableMemory } from './memory.ts';
import { CanisterTrap } from './types.ts';

/** The kind of message being executed; decides which System API functions are available. */
export type MessageKind =
  | 'init'
  | 'pre_upgrade'
  | 'post_upgrade'
  | 'update'
  | 'query'
  | 'replicated_query'
  | 'composite_query'
  | 'reply_callback'
  | 'reject_callback'
  | 'cleanup'
  | 'global_timer'
  | 'heartbeat'
  | 'inspect_message';

export interface Callback {
  fun: number;
  env: number;
}

/** An outgoing call, built by `call_new` … `call_perform` (spec "Inter-canister method calls"). */
export interface OutgoingCall {
  callee: Uint8Array;
  method: string;
  arg: Uint8Array;
  cycles: bigint;
  reply: Callback;
  reject: Callback;
  cleanup?: Callback;
  timeoutSeconds?: number;
}

/** The state of one message execution. Output fields are only acted upon if the message does not trap. */
export interface Message {
  kind: MessageKind;
  /** Exported method name, without the `canister_update ` prefix. */
  method: string;
  arg: Uint8Array;
  caller: Uint8Array;
  time: bigint;
  replicated: boolean;
  /** Lazily built data certificate; only non-replicated queries have one. */
  certificate?: () => Uint8Array;
  /** For reject callbacks: the reject being delivered. */
  reject?: { code: number; message: string };
  cyclesAvailable: bigint;
  cyclesRefunded: bigint;
  /** False when the call context already has a response (or there is no call context). */
  canRespond: boolean;
  // ── outputs ──
  replyChunks: Uint8Array[];
  response?: { kind: 'reply'; bytes: Uint8Array } | { kind: 'reject'; code: number; message: string };
  pendingCall?: OutgoingCall & { chunks: Uint8Array[] };
  calls: OutgoingCall[];
  accepted: boolean;
  cyclesAccepted: bigint;
  /** Instruction counter at the start of this message, and the call context's total before it. */
  counterStart: bigint;
  contextInstructions: bigint;
}

/** What the System API needs from the canister runtime. */
export interface Ic0Runtime {
  readonly id: Uint8Array;
  readonly stable: StableMemory;
  memory(): Uint8Array;
  message(): Message;
  certifiedData: Uint8Array;
  globalTimer: bigint;
  version: bigint;
  cycleBalance: bigint;
  isController(principal: Uint8Array): boolean;
  /** Current value of the instrumentation counter; 0n for modules without one. */
  instructionCounter(): bigint;
  debugPrint(text: string): void;
  /** Hook for the `ic-wasm instrument` pre/post-upgrade metadata shim (see canister.ts). */
  stableAccess?(op: 'read' | 'write', offset: bigint, size: bigint): 'skip' | Uint8Array | undefined;
}

const REPLIABLE: ReadonlySet<MessageKind> = new Set([
  'update',
  'query',
  'replicated_query',
  'composite_query',
  'reply_callback',
  'reject_callback',
]);
const WITH_ARG: ReadonlySet<MessageKind> = new Set([
  'init',
  'post_upgrade',
  'update',
  'query',
  'replicated_query',
  'composite_query',
  'reply_callback',
  'inspect_message',
]);
const MAY_CALL: ReadonlySet<MessageKind> = new Set([
  'update',
  'reply_callback',
  'reject_callback',
  'global_timer',
  'heartbeat',
]);
const MUTATING: ReadonlySet<MessageKind> = new Set([
  'init',
  'pre_upgrade',
  'post_upgrade',
  'update',
  'reply_callback',
  'reject_callback',
  'cleanup',
  'global_timer',
  'heartbeat',
]);

const u32 = (n: number): number => n >>> 0;
const u64 = (n: bigint): bigint => BigInt.asUintN(64, n);
const utf8 = new TextDecoder('utf-8', { fatal: false });

export type Ic0Function = (...args: never[]) => number | bigint | undefined;

export function buildIc0(rt: Ic0Runtime): Record<string, Ic0Function> {
  const msg = () => rt.message();
  const only = (name: string, kinds: ReadonlySet<MessageKind>): Message => {
    const m = msg();
    if (!kinds.has(m.kind)) throw new CanisterTrap(`ic0.${name} cannot be called in ${m.kind}`);
    return m;
  };
  const read = (src: number, size: number, what: string): Uint8Array => {
    const mem = rt.memory();
    const s = u32(src);
    const n = u32(size);
    if (s + n > mem.length) throw new CanisterTrap(`ic0.${what}: heap out of bounds (src ${s}, size ${n})`);
    return mem.slice(s, s + n);
  };
  const write = (dst: number, bytes: Uint8Array, what: string): void => {
    const mem = rt.memory();
    const d = u32(dst);
    if (d + bytes.length > mem.length) {
      throw new CanisterTrap(`ic0.${what}: heap out of bounds (dst ${d}, size ${bytes.length})`);
    }
    mem.set(bytes, d);
  };
  /** `*_copy(dst, offset, size)` of a system-provided blob. */
  const copyOut = (what: string, blob: Uint8Array, dst: number, offset: number, size: number): void => {
    const o = u32(offset);
    const n = u32(size);
    if (o + n > blob.length) {
      throw new CanisterTrap(`ic0.${what}: offset ${o} + size ${n} exceeds the data size ${blob.length}`);
    }
    write(dst, blob.subarray(o, o + n), what);
  };
  const write128 = (dst: number, value: bigint, what: string): void => {
    const b = new Uint8Array(16);
    let v = BigInt.asUintN(128, value);
    for (let i = 0; i < 16; i++) {
      b[i] = Number(v & 0xffn);
      v >>= 8n;
    }
    write(dst, b, what);
  };
  const respond = (name: string): Message => {
    const m = only(name, REPLIABLE);
    if (!m.canRespond || m.response)
      throw new CanisterTrap(`ic0.${name}: the call has already been responded to`);
    return m;
  };
  const rejectMessage = (): string => {
    const m = only('msg_reject_msg_size', new Set(['reject_callback']));
    return m.reject?.message ?? '';
  };
  const rejectBytes = () => new TextEncoder().encode(rejectMessage());
  const certificate = (name: string): Uint8Array => {
    const cert = msg().certificate;
    if (!cert)
      throw new CanisterTrap(`ic0.${name}: no data certificate (only available in non-replicated queries)`);
    return cert();
  };
  const stableRead = (dst: number | bigint, offset: bigint, size: bigint, what: string, dst64: boolean) => {
    const shim = rt.stableAccess?.('read', offset, size);
    const bytes = shim instanceof Uint8Array ? shim : rt.stable.read(offset, Number(size));
    const d = dst64 ? Number(u64(dst as bigint)) : u32(dst as number);
    write(d, bytes, what);
  };
  const stableWrite = (offset: bigint, src: number, size: number, what: string) => {
    const bytes = read(src, size, what);
    if (rt.stableAccess?.('write', offset, BigInt(bytes.length)) === 'skip') return;
    rt.stable.write(offset, bytes);
  };
  const stable32Check = (name: string) => {
    if (rt.stable.size > 65_536n) {
      throw new CanisterTrap(`ic0.${name}: stable memory is larger than 4 GiB; use the stable64 API`);
    }
  };
  const performanceCounter = (type: number): bigint => {
    const m = msg();
    const inMessage = rt.instructionCounter() - m.counterStart;
    return type === 1 ? m.contextInstructions + inMessage : inMessage;
  };
  const callback = (fun: number, env: number): Callback => ({ fun: u32(fun), env: u32(env) });

  const api = {
    // ── Method arguments (spec "Method arguments") ──
    msg_arg_data_size: () => only('msg_arg_data_size', WITH_ARG).arg.length,
    msg_arg_data_copy: (dst: number, off: number, size: number) =>
      copyOut('msg_arg_data_copy', only('msg_arg_data_copy', WITH_ARG).arg, dst, off, size),
    msg_caller_size: () => msg().caller.length,
    msg_caller_copy: (dst: number, off: number, size: number) =>
      copyOut('msg_caller_copy', msg().caller, dst, off, size),
    msg_reject_code: () => {
      const m = only('msg_reject_code', new Set(['reply_callback', 'reject_callback']));
      return m.reject?.code ?? 0;
    },
    msg_reject_msg_size: () => rejectBytes().length,
    msg_reject_msg_copy: (dst: number, off: number, size: number) =>
      copyOut('msg_reject_msg_copy', rejectBytes(), dst, off, size),
    msg_method_name_size: () => new TextEncoder().encode(msg().method).length,
    msg_method_name_copy: (dst: number, off: number, size: number) =>
      copyOut('msg_method_name_copy', new TextEncoder().encode(msg().method), dst, off, size),
    accept_message: () => {
      const m = only('accept_message', new Set(['inspect_message']));
      if (m.accepted) throw new CanisterTrap('ic0.accept_message called twice');
      m.accepted = true;
    },

    // ── Responding (spec "Responding") ──
    msg_reply_data_append: (src: number, size: number) => {
      respond('msg_reply_data_append').replyChunks.push(read(src, size, 'msg_reply_data_append'));
    },
    msg_reply: () => {
      const m = respond('msg_reply');
      m.response = { kind: 'reply', bytes: concatBytes(...m.replyChunks) };
    },
    msg_reject: (src: number, size: number) => {
      const m = respond('msg_reject');
      m.response = { kind: 'reject', code: 4, message: utf8.decode(read(src, size, 'msg_reject')) };
    },

    // ── Cycles (spec "Cycles"): a constant balance; attached cycles are tracked, never charged ──
    msg_cycles_available128: (dst: number) => write128(dst, msg().cyclesAvailable, 'msg_cycles_available128'),
    msg_cycles_refunded128: (dst: number) => write128(dst, msg().cyclesRefunded, 'msg_cycles_refunded128'),
    msg_cycles_accept128: (high: bigint, low: bigint, dst: number) => {
      const m = msg();
      const wanted = (u64(high) << 64n) | u64(low);
      const got = wanted < m.cyclesAvailable ? wanted : m.cyclesAvailable;
      m.cyclesAvailable -= got;
      m.cyclesAccepted += got;
      write128(dst, got, 'msg_cycles_accept128');
    },
    msg_cycles_available: () => BigInt.asUintN(64, msg().cyclesAvailable),
    msg_cycles_refunded: () => BigInt.asUintN(64, msg().cyclesRefunded),
    canister_cycle_balance128: (dst: number) => write128(dst, rt.cycleBalance, 'canister_cycle_balance128'),
    canister_liquid_cycle_balance128: (dst: number) =>
      write128(dst, rt.cycleBalance, 'canister_liquid_cycle_balance128'),
    canister_cycle_balance: () => BigInt.asUintN(64, rt.cycleBalance),
    cycles_burn128: (high: bigint, low: bigint, dst: number) => {
      const wanted = (u64(high) << 64n) | u64(low);
      const burnt = wanted < rt.cycleBalance ? wanted : rt.cycleBalance;
      write128(dst, burnt, 'cycles_burn128');
    },
    cost_call: (_methodNameSize: bigint, _payloadSize: bigint, dst: number) => write128(dst, 0n, 'cost_call'),
    cost_create_canister: (dst: number) => write128(dst, 0n, 'cost_create_canister'),
    cost_http_request: (_requestSize: bigint, _maxResSize: bigint, dst: number) =>
      write128(dst, 0n, 'cost_http_request'),

    // ── Self-identification and status ──
    canister_self_size: () => rt.id.length,
    canister_self_copy: (dst: number, off: number, size: number) =>
      copyOut('canister_self_copy', rt.id, dst, off, size),
    canister_status: () => 1, // running
    canister_version: () => rt.version,
    is_controller: (src: number, size: number) => {
      const n = u32(size);
      if (n > 29) throw new CanisterTrap('ic0.is_controller: not a principal (longer than 29 bytes)');
      return rt.isController(read(src, n, 'is_controller')) ? 1 : 0;
    },
    in_replicated_execution: () => (msg().replicated ? 1 : 0),

    // ── Inter-canister calls (spec "Inter-canister method calls") ──
    call_new: (
      calleeSrc: number,
      calleeSize: number,
      nameSrc: number,
      nameSize: number,
      replyFun: number,
      replyEnv: number,
      rejectFun: number,
      rejectEnv: number,
    ) => {
      const m = only('call_new', MAY_CALL);
      if (m.pendingCall) throw new CanisterTrap('ic0.call_new: a call is already being constructed');
      m.pendingCall = {
        callee: read(calleeSrc, calleeSize, 'call_new'),
        method: utf8.decode(read(nameSrc, nameSize, 'call_new')),
        arg: new Uint8Array(0),
        chunks: [],
        cycles: 0n,
        reply: callback(replyFun, replyEnv),
        reject: callback(rejectFun, rejectEnv),
      };
    },
    call_on_cleanup: (fun: number, env: number) => {
      const p = pending('call_on_cleanup');
      if (p.cleanup) throw new CanisterTrap('ic0.call_on_cleanup called twice for one call');
      p.cleanup = callback(fun, env);
    },
    call_data_append: (src: number, size: number) => {
      pending('call_data_append').chunks.push(read(src, size, 'call_data_append'));
    },
    call_cycles_add128: (high: bigint, low: bigint) => {
      pending('call_cycles_add128').cycles += (u64(high) << 64n) | u64(low);
    },
    call_cycles_add: (amount: bigint) => {
      pending('call_cycles_add').cycles += u64(amount);
    },
    call_with_best_effort_response: (timeoutSeconds: number) => {
      pending('call_with_best_effort_response').timeoutSeconds = u32(timeoutSeconds);
    },
    call_perform: () => {
      const m = only('call_perform', MAY_CALL);
      const p = pending('call_perform');
      m.pendingCall = undefined;
      const { chunks, ...call } = p;
      m.calls.push({ ...call, arg: concatBytes(...chunks) });
      return 0;
    },

    // ── Stable memory (spec "Stable memory") ──
    stable64_size: () => rt.stable.size,
    stable64_grow: (pages: bigint) => rt.stable.grow(u64(pages)),
    stable64_read: (dst: bigint, offset: bigint, size: bigint) =>
      stableRead(dst, u64(offset), u64(size), 'stable64_read', true),
    stable64_write: (offset: bigint, src: bigint, size: bigint) =>
      stableWrite(u64(offset), Number(u64(src)), Number(u64(size)), 'stable64_write'),
    stable_size: () => {
      stable32Check('stable_size');
      return Number(rt.stable.size);
    },
    stable_grow: (pages: number) => {
      stable32Check('stable_grow');
      const want = BigInt(u32(pages));
      if (rt.stable.size + want > 65_536n) return -1;
      return Number(rt.stable.grow(want));
    },
    stable_read: (dst: number, offset: number, size: number) => {
      stable32Check('stable_read');
      stableRead(dst, BigInt(u32(offset)), BigInt(u32(size)), 'stable_read', false);
    },
    stable_write: (offset: number, src: number, size: number) => {
      stable32Check('stable_write');
      stableWrite(BigInt(u32(offset)), src, size, 'stable_write');
    },

    // ── Certified data (spec "Certified data") ──
    certified_data_set: (src: number, size: number) => {
      const m = msg();
      if (!MUTATING.has(m.kind))
        throw new CanisterTrap(`ic0.certified_data_set cannot be called in ${m.kind}`);
      if (u32(size) > 32)
        throw new CanisterTrap('ic0.certified_data_set: certified data is at most 32 bytes');
      rt.certifiedData = read(src, size, 'certified_data_set');
    },
    data_certificate_present: () => (msg().certificate ? 1 : 0),
    data_certificate_size: () => certificate('data_certificate_size').length,
    data_certificate_copy: (dst: number, off: number, size: number) =>
      copyOut('data_certificate_copy', certificate('data_certificate_copy'), dst, off, size),

    // ── Time, timer, performance counter ──
    time: () => msg().time,
    global_timer_set: (timestamp: bigint) => {
      const m = msg();
      if (!MUTATING.has(m.kind)) throw new CanisterTrap(`ic0.global_timer_set cannot be called in ${m.kind}`);
      const previous = rt.globalTimer;
      rt.globalTimer = u64(timestamp);
      return previous;
    },
    performance_counter: (type: number) => {
      if (type !== 0 && type !== 1)
        throw new CanisterTrap(`ic0.performance_counter: unknown counter type ${type}`);
      return performanceCounter(type);
    },

    // ── Debugging aids ──
    debug_print: (src: number, size: number) => {
      rt.debugPrint(utf8.decode(read(src, size, 'debug_print')));
    },
    trap: (src: number, size: number) => {
      throw new CanisterTrap(`called \`ic0.trap\` with message: '${utf8.decode(read(src, size, 'trap'))}'`);
    },
  };

  function pending(name: string): OutgoingCall & { chunks: Uint8Array[] } {
    const p = only(name, MAY_CALL).pendingCall;
    if (!p) throw new CanisterTrap(`ic0.${name}: no call is being constructed (call ic0.call_new first)`);
    return p;
  }

  return api as unknown as Record<string, Ic0Function>;
}

/**
 * Builds the import object for `module`: `ic0` functions come from `impl`; any other function import (an `ic0`
 * function the host lacks, or another module such as `wasi_snapshot_preview1`) becomes a stub that traps naming
 * the import. Non-function imports cannot be provided and fail early with a clear error.
 */
export function linkImports(
  module: WebAssembly.Module,
  impl: Record<string, Ic0Function>,
): WebAssembly.Imports {
  const imports: Record<string, Record<string, WebAssembly.ImportValue>> = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.kind !== 'function') {
      throw new Error(
        `canister module imports ${imp.kind} ${imp.module}.${imp.name}, which the Node IC host cannot provide`,
      );
    }
    const fn =
      imp.module === 'ic0' && Object.hasOwn(impl, imp.name)
        ? impl[imp.name]!
        : () => {
            throw new CanisterTrap(
              `the canister called the import ${imp.module}.${imp.name}, which the Node IC host does not implement`,
            );
          };
    imports[imp.module] ??= {};
    imports[imp.module]![imp.name] = fn as WebAssembly.ImportValue;
  }
  return imports;
}

// Message scheduling for the Node IC host (IC interface spec, "Abstract behavior": "Call contexts", "Message
// execution", "Call context management", "Responding to calls", "Global timer" and "Heartbeat"; ic-notes §4.3
// "timers" and "calls", §4.5 item 2).
//
// Ingress updates, inter-canister calls (including self-calls such as ic-cdk-timers' `timer_executor`), responses
// (reply/reject callbacks, with the cleanup callback when a callback traps), global-timer and heartbeat messages
// are tasks in one FIFO queue. `drain()` runs them until the queue is empty and no HTTPS outcall is in flight, so
// a call's effects, including work after its reply, are complete when `IcHost.update` returns. Calls to the
// management canister go to management.ts.

import { Principal } from '@icp-sdk/core/principal';
import type { Canister, Entry, Outcome } from './canister.ts';
import type { Message, MessageKind, OutgoingCall } from './ic0.ts';
import { callManagement, type ManagementEnv } from './management.ts';
import { type CallResult, MANAGEMENT_CANISTER_ID, RejectCode } from './types.ts';

type Origin =
  | { kind: 'ingress'; settle(result: CallResult, instructions: bigint): void }
  | { kind: 'canister'; context: CallContext; call: OutgoingCall }
  | { kind: 'system' };

/** Spec "Call contexts": the state of one incoming call until it has been responded to and has no open calls. */
interface CallContext {
  canister: Canister;
  origin: Origin;
  caller: Uint8Array;
  method: string;
  responded: boolean;
  outstanding: number;
  instructions: bigint;
  /** `canister.version` when the context was created: callbacks into a since-replaced module are not run. */
  moduleVersion: bigint;
}

type Task =
  | {
      kind: 'request';
      target: Principal;
      method: string;
      arg: Uint8Array;
      caller: Principal;
      cycles: bigint;
      origin: Origin;
    }
  | { kind: 'response'; context: CallContext; call: OutgoingCall; result: CallResult; refund: bigint }
  | { kind: 'timer' | 'heartbeat'; canister: Canister };

export interface SchedulerEnv extends ManagementEnv {
  now(): bigint;
  canister(id: Principal): Canister | undefined;
  canisters(): Iterable<Canister>;
  /** Upper bound on tasks per drain, against canisters that call themselves forever. */
  maxTasks: number;
}

const MANAGEMENT = Principal.fromText(MANAGEMENT_CANISTER_ID);

/** A fresh message record; outputs empty. */
export function newMessage(
  fields: Pick<Message, 'kind' | 'method' | 'arg' | 'caller' | 'time' | 'replicated'> & Partial<Message>,
): Message {
  return {
    cyclesAvailable: 0n,
    cyclesRefunded: 0n,
    canRespond: false,
    replyChunks: [],
    calls: [],
    accepted: false,
    cyclesAccepted: 0n,
    counterStart: 0n,
    contextInstructions: 0n,
    ...fields,
  };
}

export function trapReject(canister: Canister, trap: string): CallResult {
  return {
    kind: 'reject',
    code: RejectCode.CanisterError,
    message: `Canister ${canister.principal.toText()} trapped: ${trap}`,
  };
}

export function noReply(canister: Canister): CallResult {
  return {
    kind: 'reject',
    code: RejectCode.CanisterError,
    message: `Canister ${canister.principal.toText()} did not produce a response`,
  };
}

export class Scheduler {
  private readonly queue: Task[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private running?: Promise<void>;

  constructor(private readonly env: SchedulerEnv) {}

  /** Queues an ingress update call; resolves with its response and the instructions its call context used. */
  submit(
    target: Principal,
    method: string,
    arg: Uint8Array,
    caller: Principal,
  ): Promise<{ result: CallResult; instructions: bigint }> {
    return new Promise((resolve) => {
      this.queue.push({
        kind: 'request',
        target,
        method,
        arg,
        caller,
        cycles: 0n,
        origin: { kind: 'ingress', settle: (result, instructions) => resolve({ result, instructions }) },
      });
    });
  }

  /** Spec "Global timer" / "Heartbeat": queues `canister_global_timer` for every canister whose timer is due. */
  scheduleTimers(): void {
    const now = this.env.now();
    for (const c of this.env.canisters()) {
      if (c.hasExport('canister_heartbeat')) this.queue.push({ kind: 'heartbeat', canister: c });
      if (c.globalTimer !== 0n && now >= c.globalTimer) {
        c.globalTimer = 0n;
        if (c.hasExport('canister_global_timer')) this.queue.push({ kind: 'timer', canister: c });
      }
    }
  }

  /** Runs tasks until nothing is queued or in flight. */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.inFlight.size > 0) {
      this.running ??= this.loop().finally(() => {
        this.running = undefined;
      });
      await this.running;
    }
  }

  private async loop(): Promise<void> {
    let steps = 0;
    for (;;) {
      const task = this.queue.shift();
      if (task) {
        if (++steps > this.env.maxTasks) {
          this.queue.length = 0;
          throw new Error(
            `Node IC host: more than ${this.env.maxTasks} messages in one drain (a call loop?)`,
          );
        }
        this.execute(task);
        continue;
      }
      if (this.inFlight.size === 0) return;
      await Promise.race(this.inFlight);
    }
  }

  private execute(task: Task): void {
    switch (task.kind) {
      case 'request':
        this.request(task);
        return;
      case 'response':
        this.response(task.context, task.call, task.result, task.refund);
        return;
      case 'timer':
      case 'heartbeat':
        this.system(task.canister, task.kind);
        return;
    }
  }

  private request(task: Extract<Task, { kind: 'request' }>): void {
    const { target, method, arg, caller, cycles, origin } = task;
    if (target.toText() === MANAGEMENT_CANISTER_ID) {
      const p = callManagement(this.env, method, arg, caller)
        .catch(
          (e): CallResult => ({
            kind: 'reject',
            code: RejectCode.SysFatal,
            message: `management canister: ${(e as Error).message}`,
          }),
        )
        .then((result) => this.deliver(origin, result, cycles, 0n));
      const tracked = p.finally(() => this.inFlight.delete(tracked));
      this.inFlight.add(tracked);
      return;
    }
    const canister = this.env.canister(target);
    if (!canister) {
      this.deliver(
        origin,
        {
          kind: 'reject',
          code: RejectCode.DestinationInvalid,
          message: `Canister ${target.toText()} not found`,
        },
        cycles,
        0n,
      );
      return;
    }
    let entry: string;
    let kind: MessageKind = 'update';
    if (canister.hasExport(`canister_update ${method}`)) entry = `canister_update ${method}`;
    else if (canister.hasExport(`canister_query ${method}`)) {
      // Spec: a query method called as an update runs in replicated mode and its state changes are discarded.
      entry = `canister_query ${method}`;
      kind = 'replicated_query';
    } else {
      this.deliver(
        origin,
        {
          kind: 'reject',
          code: RejectCode.DestinationInvalid,
          message: `Canister ${target.toText()} has no update method '${method}'`,
        },
        cycles,
        0n,
      );
      return;
    }
    const context: CallContext = {
      canister,
      origin,
      caller: caller.toUint8Array(),
      method,
      responded: false,
      outstanding: 0,
      instructions: 0n,
      moduleVersion: canister.version,
    };
    const message = newMessage({
      kind,
      method,
      arg,
      caller: context.caller,
      time: this.env.now(),
      replicated: true,
      canRespond: true,
      cyclesAvailable: cycles,
    });
    // Its changes are discarded anyway, so it runs like a scratch query rather than paying two heap copies.
    const outcome =
      kind === 'update'
        ? canister.run(message, { export: entry }, true)
        : canister.runScratchQuery(message, { export: entry });
    this.settle(context, message, outcome, cycles);
  }

  private response(context: CallContext, call: OutgoingCall, result: CallResult, refund: bigint): void {
    const { canister } = context;
    context.outstanding -= 1;
    canister.cycleBalance += refund;
    const isReply = result.kind === 'reply';
    const message = newMessage({
      kind: isReply ? 'reply_callback' : 'reject_callback',
      method: context.method,
      arg: isReply ? result.bytes : new Uint8Array(0),
      caller: context.caller,
      time: this.env.now(),
      replicated: true,
      canRespond: !context.responded,
      cyclesRefunded: refund,
      contextInstructions: context.instructions,
      ...(result.kind === 'reject' ? { reject: { code: result.code, message: result.message } } : {}),
    });
    const cb = isReply ? call.reply : call.reject;
    if (canister.version !== context.moduleVersion) {
      // The module that registered the callback was replaced by an upgrade; its table indices mean nothing now.
      this.settle(
        context,
        message,
        { trap: 'the callback was dropped: the canister was upgraded', instructions: 0n },
        0n,
      );
      return;
    }
    const outcome = canister.run(message, { table: cb.fun, env: cb.env }, true);
    if (outcome.trap !== undefined && call.cleanup) {
      // Spec: if the callback traps, the cleanup callback runs (its own trap is ignored).
      const cleanup = newMessage({
        kind: 'cleanup',
        method: context.method,
        arg: new Uint8Array(0),
        caller: context.caller,
        time: this.env.now(),
        replicated: true,
      });
      const entry: Entry = { table: call.cleanup.fun, env: call.cleanup.env };
      context.instructions += canister.run(cleanup, entry, true).instructions;
    }
    this.settle(context, message, outcome, 0n);
  }

  private system(canister: Canister, kind: 'timer' | 'heartbeat'): void {
    const context: CallContext = {
      canister,
      origin: { kind: 'system' },
      caller: MANAGEMENT.toUint8Array(),
      method: kind === 'timer' ? 'canister_global_timer' : 'canister_heartbeat',
      responded: true,
      outstanding: 0,
      instructions: 0n,
      moduleVersion: canister.version,
    };
    const message = newMessage({
      kind: kind === 'timer' ? 'global_timer' : 'heartbeat',
      method: context.method,
      arg: new Uint8Array(0),
      caller: context.caller,
      time: this.env.now(),
      replicated: true,
    });
    const outcome = canister.run(message, { export: context.method }, true);
    this.settle(context, message, outcome, 0n);
  }

  /** After a message: act on its outputs (unless it trapped) and close the call context if it is done. */
  private settle(context: CallContext, message: Message, outcome: Outcome, cyclesIn: bigint): void {
    const { canister } = context;
    context.instructions += outcome.instructions;
    let refund = cyclesIn;
    if (outcome.trap === undefined) {
      canister.cycleBalance += message.cyclesAccepted;
      refund = message.cyclesAvailable;
      for (const call of message.calls) {
        context.outstanding += 1;
        canister.cycleBalance -= call.cycles;
        this.queue.push({
          kind: 'request',
          target: Principal.fromUint8Array(call.callee),
          method: call.method,
          arg: call.arg,
          caller: canister.principal,
          cycles: call.cycles,
          origin: { kind: 'canister', context, call },
        });
      }
      if (message.response && !context.responded) this.respond(context, message.response, refund);
    }
    if (!context.responded && context.outstanding === 0) {
      this.respond(
        context,
        outcome.trap === undefined ? noReply(canister) : trapReject(canister, outcome.trap),
        refund,
      );
    }
  }

  private respond(context: CallContext, result: CallResult, refund: bigint): void {
    context.responded = true;
    this.deliver(context.origin, result, refund, context.instructions);
  }

  private deliver(origin: Origin, result: CallResult, refund: bigint, instructions: bigint): void {
    switch (origin.kind) {
      case 'ingress':
        origin.settle(result, instructions);
        return;
      case 'canister':
        this.queue.push({ kind: 'response', context: origin.context, call: origin.call, result, refund });
        return;
      case 'system':
        return;
    }
  }
}

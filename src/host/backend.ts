// One test-facing interface over two backends (ic-notes §5): the Node IC host (always available, offline) and
// PocketIC via @dfinity/pic 0.23 when `POCKET_IC_BIN` points at a pocket-ic server binary (the package's
// postinstall, which downloads it, cannot run here). `chooseBackend()` picks PocketIC when that variable is set.
//
// Both backends: `install` creates a canister, installs the module and then runs one round of timers (`tick`),
// as a replica would right after installation (Azle seeds its RNG in a 0-second timer, ic-notes §0).
// Known differences: PocketIC does not perform HTTPS outcalls by itself (it needs
// `getPendingHttpsOutcalls`/`mockPendingHttpsOutcall`) and reports no instruction counts; the Node host checks no
// request signatures (actors send the identity's principal only, as pic actors do).

import { readFile } from 'node:fs/promises';
import type { Identity } from '@icp-sdk/core/agent';
import type { IDL } from '@icp-sdk/core/candid';
import { Principal } from '@icp-sdk/core/principal';
import type { ActorControls } from './actor.ts';
import { blsPublicKeyDer } from './certificate.ts';
import { IcHost, type IcHostOptions } from './host.ts';

export type BackendActor<T> = T & ActorControls;

export interface BackendInstallOptions {
  arg?: Uint8Array;
  controller?: Principal;
  /** Run due timers after installing (default true). */
  tick?: boolean;
}

export interface BackendUpgradeOptions {
  arg?: Uint8Array;
  sender?: Principal;
  /** Run due timers after upgrading (default true). */
  tick?: boolean;
}

export interface Backend {
  readonly kind: 'node-host' | 'pocket-ic';
  /** The Node host itself (kind 'node-host' only), for host-specific checks. */
  readonly host?: IcHost;
  /** `wasm`: module bytes or a file path. */
  install(wasm: Uint8Array | string, options?: BackendInstallOptions): Promise<Principal>;
  upgrade(canisterId: Principal, wasm: Uint8Array | string, options?: BackendUpgradeOptions): Promise<void>;
  createActor<T>(
    idlFactory: IDL.InterfaceFactory,
    canisterId: Principal,
    options?: { identity?: Pick<Identity, 'getPrincipal'> },
  ): BackendActor<T>;
  /** Moves the clock forward (PocketIC has millisecond resolution). Does not run timers: call `tick`. */
  advanceTime(ns: bigint): Promise<void>;
  tick(): Promise<void>;
  /** DER-wrapped BLS root key that certificates from this backend verify against. */
  rootKey(): Promise<Uint8Array>;
  /** Instructions of the last call (Node host with an instrumented module); undefined otherwise. */
  instructionsOfLastCall(): bigint | undefined;
  tearDown(): Promise<void>;
}

const bytesOf = async (wasm: Uint8Array | string): Promise<Uint8Array> =>
  typeof wasm === 'string' ? new Uint8Array(await readFile(wasm)) : wasm;

export async function nodeHostBackend(options: IcHostOptions = {}): Promise<Backend> {
  const host = await IcHost.create(options);
  return {
    kind: 'node-host',
    host,
    async install(wasm, o = {}) {
      const { id } = await host.install(await bytesOf(wasm), {
        ...(o.arg ? { arg: o.arg } : {}),
        ...(o.controller ? { controller: o.controller } : {}),
      });
      if (o.tick ?? true) await host.tick();
      return id;
    },
    async upgrade(canisterId, wasm, o = {}) {
      await host.upgrade(canisterId, await bytesOf(wasm), {
        ...(o.arg ? { arg: o.arg } : {}),
        ...(o.sender ? { sender: o.sender } : {}),
      });
      if (o.tick ?? true) await host.tick();
    },
    createActor: (idlFactory, canisterId, o = {}) => host.createActor(idlFactory, canisterId, o),
    async advanceTime(ns) {
      host.advanceTime(ns);
    },
    tick: () => host.tick(),
    rootKey: async () => host.rootKey,
    instructionsOfLastCall: () => host.instructionsOfLastCall(),
    tearDown: async () => {},
  };
}

// Minimal structural view of @dfinity/pic 0.23, which is built on @icp-sdk/core 5 (its Principal class is a
// different type from ours, although the same shape at run time).
type AnyPrincipal = { toText(): string; toUint8Array(): Uint8Array };
interface PicActor extends Record<string, unknown> {
  setPrincipal(p: AnyPrincipal): void;
  setIdentity(i: unknown): void;
}
interface PicInstance {
  createCanister(o: { sender?: AnyPrincipal; controllers?: AnyPrincipal[] }): Promise<AnyPrincipal>;
  installCode(o: {
    canisterId: AnyPrincipal;
    wasm: Uint8Array | string;
    arg?: Uint8Array;
    sender?: AnyPrincipal;
  }): Promise<void>;
  upgradeCanister(o: {
    canisterId: AnyPrincipal;
    wasm: Uint8Array | string;
    arg?: Uint8Array;
    sender?: AnyPrincipal;
  }): Promise<void>;
  createActor(idl: IDL.InterfaceFactory, canisterId: AnyPrincipal): PicActor;
  advanceTime(ms: number): Promise<void>;
  tick(times?: number): Promise<void>;
  getPubKey(subnetId: AnyPrincipal): Promise<Uint8Array>;
  getNnsSubnet(): Promise<{ id: AnyPrincipal } | undefined>;
  getCanisterSubnetId(canisterId: AnyPrincipal): Promise<AnyPrincipal | null>;
  getApplicationSubnets(): Promise<{ id: AnyPrincipal }[]>;
  tearDown(): Promise<void>;
}
interface PicModule {
  PocketIcServer: { start(o?: { binPath?: string }): Promise<{ getUrl(): string; stop(): Promise<void> }> };
  PocketIc: { create(url: string, o?: Record<string, unknown>): Promise<PicInstance> };
}

/** Rounds after install/upgrade: global timer → timer_executor self-call → raw_rand → callback. */
const TICKS_AFTER_INSTALL = 5;

export async function pocketIcBackend(options: { binPath?: string } = {}): Promise<Backend> {
  const pic = (await import('@dfinity/pic')) as unknown as PicModule;
  const server = await pic.PocketIcServer.start(options.binPath ? { binPath: options.binPath } : {});
  const instance = await pic.PocketIc.create(server.getUrl());
  let lastCanister: AnyPrincipal | undefined;
  return {
    kind: 'pocket-ic',
    async install(wasm, o = {}) {
      const sender = o.controller;
      const canisterId = await instance.createCanister({
        ...(sender ? { sender, controllers: [sender] } : {}),
      });
      await instance.installCode({
        canisterId,
        wasm,
        ...(o.arg ? { arg: o.arg } : {}),
        ...(sender ? { sender } : {}),
      });
      lastCanister = canisterId;
      if (o.tick ?? true) await instance.tick(TICKS_AFTER_INSTALL);
      return Principal.fromText(canisterId.toText());
    },
    async upgrade(canisterId, wasm, o = {}) {
      await instance.upgradeCanister({
        canisterId,
        wasm,
        ...(o.arg ? { arg: o.arg } : {}),
        ...(o.sender ? { sender: o.sender } : {}),
      });
      if (o.tick ?? true) await instance.tick(TICKS_AFTER_INSTALL);
    },
    createActor<T>(
      idlFactory: IDL.InterfaceFactory,
      canisterId: Principal,
      o: { identity?: Pick<Identity, 'getPrincipal'> } = {},
    ) {
      const actor = instance.createActor(idlFactory, canisterId);
      if (o.identity) actor.setPrincipal(o.identity.getPrincipal());
      // pic actors take pic's Principal type; ours has the same shape.
      const controls: ActorControls = {
        setPrincipal: (p) => actor.setPrincipal(p),
        setIdentity: (i) => actor.setPrincipal(i.getPrincipal()),
      };
      return new Proxy(actor, {
        get: (t, prop, receiver) =>
          prop === 'setPrincipal' || prop === 'setIdentity' ? controls[prop] : Reflect.get(t, prop, receiver),
      }) as unknown as BackendActor<T>;
    },
    async advanceTime(ns) {
      await instance.advanceTime(Number(ns / 1_000_000n));
    },
    tick: () => instance.tick(),
    async rootKey() {
      // With an NNS subnet, app-subnet certificates carry a delegation from it, so the NNS key is the root.
      const nns = await instance.getNnsSubnet();
      const subnet =
        nns?.id ??
        (lastCanister ? await instance.getCanisterSubnetId(lastCanister) : null) ??
        (await instance.getApplicationSubnets())[0]?.id;
      if (!subnet) throw new Error('PocketIC: no subnet to take the root key from');
      const key = new Uint8Array(await instance.getPubKey(subnet));
      return key.length === 96 ? blsPublicKeyDer(key) : key;
    },
    instructionsOfLastCall: () => undefined,
    async tearDown() {
      await instance.tearDown();
      await server.stop();
    },
  };
}

/** PocketIC when `POCKET_IC_BIN` is set, the Node host otherwise. */
export async function chooseBackend(options: IcHostOptions = {}): Promise<Backend> {
  return process.env.POCKET_IC_BIN ? pocketIcBackend() : nodeHostBackend(options);
}

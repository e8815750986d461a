// Node IC host (src/host) against a small Azle fixture canister (test/fixtures/host), built in beforeAll with
// `azle build` and cached; plus a hand-assembled module for unknown imports and a smoke test of the Waxseal
// canister when scripts/build-canister.sh has produced build/waxseal.wasm.

import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Certificate, LookupPathStatus } from '@icp-sdk/core/agent';
import { IDL } from '@icp-sdk/core/candid';
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { Principal } from '@icp-sdk/core/principal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_SCRATCH_QUERIES } from '../src/host/canister.ts';
import { BLS_KEY_DER_PREFIX } from '../src/host/certificate.ts';
import {
  addExports,
  CallRejectedError,
  chooseBackend,
  IcHost,
  InstallError,
  inspectWasm,
} from '../src/host/index.ts';
import { buildHostFixture } from './fixtures/host/build-fixture.ts';
import { buildCanister, WASM } from './helpers/canister.ts';

// ── the fixture's interface (test/fixtures/host/src/index.js) ──

const FetchResult = IDL.Record({ status: IDL.Nat, body: IDL.Text, transformed: IDL.Text });
const RelayResult = IDL.Variant({
  ok: IDL.Vec(IDL.Nat8),
  err: IDL.Record({ code: IDL.Nat32, message: IDL.Text }),
});
const Probe = IDL.Record({ replicated: IDL.Bool, instructions: IDL.Nat64, now: IDL.Nat64 });
const HttpHeader = IDL.Record({ name: IDL.Text, value: IDL.Text });
const HttpResponse = IDL.Record({ status: IDL.Nat, headers: IDL.Vec(HttpHeader), body: IDL.Vec(IDL.Nat8) });
const fixtureIdl: IDL.InterfaceFactory = ({ IDL: I }) =>
  I.Service({
    getMessage: I.Func([], [I.Text], ['query']),
    setMessage: I.Func([I.Text], [I.Text], []),
    setMessageInQuery: I.Func([I.Text], [I.Text], ['query']),
    setThenTrap: I.Func([I.Text], [I.Text], []),
    setThenThrow: I.Func([I.Text], [I.Text], []),
    put: I.Func([I.Text, I.Text], [I.Opt(I.Text)], []),
    get: I.Func([I.Text], [I.Opt(I.Text)], ['query']),
    wasUpgraded: I.Func([], [I.Bool], ['query']),
    scheduleTimer: I.Func([I.Nat32], [I.Nat64], []),
    timerCount: I.Func([], [I.Nat32], ['query']),
    rawRand: I.Func([], [I.Vec(I.Nat8)], []),
    fetchUrl: I.Func([I.Text, I.Opt(I.Nat64)], [FetchResult], []),
    transform: I.Func(
      [I.Record({ context: I.Vec(I.Nat8), response: HttpResponse })],
      [HttpResponse],
      ['query'],
    ),
    setCertified: I.Func([I.Vec(I.Nat8)], [I.Bool], []),
    getCertificate: I.Func([], [I.Opt(I.Vec(I.Nat8))], ['query']),
    certificateInUpdate: I.Func([], [I.Opt(I.Vec(I.Nat8))], []),
    probe: I.Func([], [Probe], ['query']),
    probeUpdate: I.Func([], [Probe], []),
    whoami: I.Func([], [I.Principal], ['query']),
    relay: I.Func([I.Principal, I.Text, I.Vec(I.Nat8)], [RelayResult], []),
    allocateInQuery: I.Func([I.Nat32], [I.Nat32], ['query']),
    heldBytes: I.Func([], [I.Nat32], ['query']),
  });

interface Fixture {
  getMessage(): Promise<string>;
  setMessage(m: string): Promise<string>;
  setMessageInQuery(m: string): Promise<string>;
  setThenTrap(m: string): Promise<string>;
  setThenThrow(m: string): Promise<string>;
  put(k: string, v: string): Promise<[] | [string]>;
  get(k: string): Promise<[] | [string]>;
  wasUpgraded(): Promise<boolean>;
  scheduleTimer(seconds: number): Promise<bigint>;
  timerCount(): Promise<number>;
  rawRand(): Promise<Uint8Array>;
  fetchUrl(url: string, max: [] | [bigint]): Promise<{ status: bigint; body: string; transformed: string }>;
  transform(a: unknown): Promise<unknown>;
  setCertified(d: Uint8Array): Promise<boolean>;
  getCertificate(): Promise<[] | [Uint8Array]>;
  certificateInUpdate(): Promise<[] | [Uint8Array]>;
  probe(): Promise<{ replicated: boolean; instructions: bigint; now: bigint }>;
  probeUpdate(): Promise<{ replicated: boolean; instructions: bigint; now: bigint }>;
  whoami(): Promise<Principal>;
  relay(
    target: Principal,
    method: string,
    arg: Uint8Array,
  ): Promise<{ ok: Uint8Array } | { err: { code: number; message: string } }>;
  allocateInQuery(bytes: number): Promise<number>;
  heldBytes(): Promise<number>;
}

const initArg = (greeting: string) => IDL.encode([IDL.Text], [greeting]);
const SECOND = 1_000_000_000n;

let wasm: Uint8Array;
let instrumentedWasm: Uint8Array;

beforeAll(async () => {
  const fixture = await buildHostFixture();
  wasm = fixture.wasm;
  instrumentedWasm = fixture.instrumentedWasm;
  if (fixture.buildMs > 0) console.info(`host fixture built in ${(fixture.buildMs / 1000).toFixed(1)} s`);
}, 180_000);

describe('Node IC host with the Azle fixture', () => {
  let host: IcHost;
  let id: Principal;
  let actor: Fixture;

  beforeAll(async () => {
    host = await IcHost.create();
    ({ id } = await host.install(wasm, { arg: initArg('hello from init') }));
    await host.tick(); // Azle's 0-second RNG seeding timer, as a replica would run it
    actor = host.createActor<Fixture>(fixtureIdl, id);
  });

  it('round-trips updates and queries through the Candid actor', async () => {
    expect(await actor.getMessage()).toBe('hello from init');
    expect(await actor.setMessage('second')).toBe('hello from init');
    expect(await actor.getMessage()).toBe('second');
  });

  it('returns raw replies and rejects from update/query', async () => {
    const reply = await host.query(id, 'getMessage', IDL.encode([], []));
    expect(reply.kind).toBe('reply');
    if (reply.kind === 'reply') expect(IDL.decode([IDL.Text], reply.bytes)).toEqual(['second']);
    expect(await host.query(id, 'setMessage', IDL.encode([IDL.Text], ['x']))).toMatchObject({
      kind: 'reject',
      code: 3,
      message: expect.stringContaining("has no query method 'setMessage'"),
    });
    expect(await host.update(id, 'nope', IDL.encode([], []))).toMatchObject({ kind: 'reject', code: 3 });
    expect(await host.update(Principal.fromText('aaaaa-aa'), 'raw_rand', new Uint8Array())).toMatchObject({
      kind: 'reject',
      code: 3,
    });
  });

  it('rolls back state changes made by queries (heap and stable memory)', async () => {
    expect(await actor.setMessageInQuery('from a query')).toBe('from a query');
    expect(await actor.getMessage()).toBe('second');
    expect(await actor.get('query')).toEqual([]);
  });

  it('rolls back a trapping update and rejects it with code 5', async () => {
    const error = await actor.setThenTrap('doomed').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CallRejectedError);
    expect(error).toMatchObject({ code: 5, rejectMessage: expect.stringContaining('fixture trap: doomed') });
    expect(await actor.getMessage()).toBe('second');
    expect(await actor.get('trap')).toEqual([]);
    await expect(actor.setThenThrow('also doomed')).rejects.toThrow(
      /Uncaught Error: fixture error: also doomed/,
    );
    expect(await actor.getMessage()).toBe('second');
    // the canister still works after re-instantiation
    expect(await actor.setMessage('third')).toBe('second');
  });

  it('restores the heap when a query grows memory, without growing on every query', async () => {
    const before = host.info(id).heapBytes;
    const block = 64 * 1024 * 1024;
    for (let i = 0; i < 3; i++) expect(await actor.allocateInQuery(block)).toBe(block);
    expect(host.info(id).heapBytes).toBe(before);
    expect(await actor.heldBytes()).toBe(0);
    expect(await actor.getMessage()).toBe('third');
  });

  it('scratch queries share a working heap, but never change what an update or a later window sees', async () => {
    const text = (s: string) => IDL.encode([IDL.Text], [s]);
    const decodeText = (r: Awaited<ReturnType<typeof host.query>>) =>
      r.kind === 'reply' ? IDL.decode([IDL.Text], r.bytes)[0] : r;
    const committed = await actor.getMessage();
    expect(decodeText(await host.query(id, 'setMessageInQuery', text('leak'), { scratch: true }))).toBe(
      'leak',
    );
    // The next update runs on the committed heap, and stable memory was rolled back after the query.
    expect(await actor.get('query')).toEqual([]);
    expect(await actor.setMessage(committed)).toBe(committed);
    // A full window of scratch queries is followed by a restore of the committed heap.
    for (let i = 0; i < MAX_SCRATCH_QUERIES; i++) {
      await host.query(id, 'setMessageInQuery', text(`leak ${i}`), { scratch: true });
    }
    expect(decodeText(await host.query(id, 'getMessage', IDL.encode([], []), { scratch: true }))).toBe(
      committed,
    );
  });

  it('fires timers on tick only once their time has come (ic-cdk-timers self-call)', async () => {
    const start = await actor.timerCount();
    await actor.scheduleTimer(60);
    await host.tick();
    host.advanceTime(30n * SECOND);
    await host.tick();
    expect(await actor.timerCount()).toBe(start);
    host.advanceTime(31n * SECOND);
    await host.tick();
    expect(await actor.timerCount()).toBe(start + 1);
    await host.tick();
    expect(await actor.timerCount()).toBe(start + 1);
  });

  it('answers raw_rand with fresh random bytes', async () => {
    const a = await actor.rawRand();
    const b = await actor.rawRand();
    expect(a).toHaveLength(32);
    expect(b).toHaveLength(32);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
  });

  describe('HTTPS outcalls', () => {
    let server: Server;
    let origin: string;
    let url: string;
    const seen: { method?: string; headers: IncomingHttpHeaders }[] = [];

    beforeAll(async () => {
      server = createServer((req, res) => {
        seen.push({ ...(req.method ? { method: req.method } : {}), headers: req.headers });
        res.setHeader('content-type', 'text/plain');
        res.end(req.url === '/big' ? 'b'.repeat(10_000) : 'hello outcall');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      url = `${origin}/path?q=1`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('performs the request and runs the transform as aaaaa-aa', async () => {
      const result = await actor.fetchUrl(url, []);
      expect(result).toEqual({ status: 200n, body: 'HELLO OUTCALL', transformed: 'ctx-7' });
      expect(seen.at(-1)).toMatchObject({ method: 'GET', headers: { accept: 'text/plain' } });
    });

    it('enforces max_response_bytes', async () => {
      // headers count against the limit too
      await expect(actor.fetchUrl(url, [5n])).rejects.toThrow(/Header size exceeds .* limit 5/);
      await expect(actor.fetchUrl(`${origin}/big`, [1000n])).rejects.toThrow(
        /body exceeds size limit of 1000 bytes/,
      );
      await expect(actor.fetchUrl(`${origin}/big`, [12_000n])).resolves.toMatchObject({
        body: 'B'.repeat(10_000),
      });
    });

    it('reports connection failures as a reject to the canister', async () => {
      await expect(actor.fetchUrl('http://127.0.0.1:1/', [])).rejects.toThrow(
        /connecting to 127\.0\.0\.1:1 failed/,
      );
    });

    it('lets the canister refuse transform calls from other callers', async () => {
      const arg = {
        context: new Uint8Array(),
        response: { status: 200n, headers: [], body: new Uint8Array() },
      };
      await expect(actor.transform(arg)).rejects.toThrow(/only be called by the management canister/);
    });
  });

  it('issues data certificates that @icp-sdk/core Certificate verifies', async () => {
    const data = new Uint8Array(32).map((_, i) => i * 7);
    expect(await actor.setCertified(data)).toBe(true);
    expect(host.info(id).certifiedData).toEqual(data);
    const [certificate] = await actor.getCertificate();
    expect(certificate).toBeInstanceOf(Uint8Array);
    const cert = await Certificate.create({
      certificate: certificate!,
      rootKey: host.rootKey,
      principal: { canisterId: id },
    });
    const found = cert.lookup_path(['canister', id.toUint8Array(), 'certified_data']);
    expect(found.status).toBe(LookupPathStatus.Found);
    if (found.status === LookupPathStatus.Found) expect(new Uint8Array(found.value)).toEqual(data);
    expect(host.rootKey.subarray(0, BLS_KEY_DER_PREFIX.length)).toEqual(BLS_KEY_DER_PREFIX);
    // a different root key does not verify it
    const other = await IcHost.create();
    await expect(
      Certificate.create({
        certificate: certificate!,
        rootKey: other.rootKey,
        principal: { canisterId: id },
      }),
    ).rejects.toThrow();
    // no certificate in updates
    expect(await actor.certificateInUpdate()).toEqual([]);
  });

  it('provides time, caller and replicated-execution flags', async () => {
    const q = await actor.probe();
    expect(q).toMatchObject({ replicated: false, instructions: 0n, now: host.time });
    expect((await actor.probeUpdate()).replicated).toBe(true);
    expect((await actor.whoami()).toText()).toBe('2vxsx-fae');
    const identity = Ed25519KeyIdentity.generate();
    const signed = host.createActor<Fixture>(fixtureIdl, id, { identity });
    expect((await signed.whoami()).toText()).toBe(identity.getPrincipal().toText());
    signed.setPrincipal(id);
    expect((await signed.whoami()).toText()).toBe(id.toText());
    expect(host.instructionsOfLastCall()).toBeUndefined(); // not instrumented
  });
});

describe('inter-canister calls', () => {
  it('calls another canister, with the calling canister as caller, and delivers rejects', async () => {
    const host = await IcHost.create();
    const a = (await host.install(wasm, { arg: initArg('A') })).id;
    const b = (await host.install(wasm, { arg: initArg('B') })).id;
    expect(a.toText()).not.toBe(b.toText());
    const actorA = host.createActor<Fixture>(fixtureIdl, a);
    const actorB = host.createActor<Fixture>(fixtureIdl, b);

    const set = await actorA.relay(b, 'setMessage', IDL.encode([IDL.Text], ['set by A']));
    expect('ok' in set && IDL.decode([IDL.Text], set.ok)).toEqual(['B']);
    expect(await actorB.getMessage()).toBe('set by A');
    // a query method called as an update (replicated query): caller is A
    const who = await actorA.relay(b, 'whoami', IDL.encode([], []));
    expect('ok' in who && (IDL.decode([IDL.Principal], who.ok)[0] as unknown as Principal).toText()).toBe(
      a.toText(),
    );

    expect(await actorA.relay(b, 'setThenTrap', IDL.encode([IDL.Text], ['x']))).toEqual({
      err: { code: 5, message: expect.stringContaining('fixture trap: x') },
    });
    expect(await actorB.getMessage()).toBe('set by A');
    expect(await actorA.relay(b, 'noSuchMethod', IDL.encode([], []))).toMatchObject({ err: { code: 3 } });
    const missing = Principal.fromText('ryjl3-tyaaa-aaaaa-aaaba-cai');
    expect(await actorA.relay(missing, 'x', IDL.encode([], []))).toMatchObject({ err: { code: 3 } });
    expect(await actorA.relay(Principal.fromText('aaaaa-aa'), 'create_canister', IDL.encode([], []))).toEqual(
      {
        err: { code: 4, message: expect.stringContaining("method 'create_canister' is not supported") },
      },
    );
  });
});

describe('upgrades', () => {
  it('keeps stable memory (StableBTreeMap) and resets the heap', async () => {
    const host = await IcHost.create();
    const controller = Ed25519KeyIdentity.generate().getPrincipal();
    const { id } = await host.install(wasm, { arg: initArg('v1'), controller });
    const actor = host.createActor<Fixture>(fixtureIdl, id);
    expect(await actor.put('k', 'v')).toEqual([]);
    await actor.scheduleTimer(3600);
    expect(host.info(id).globalTimer).toBeGreaterThan(0n);

    await expect(
      host.upgrade(id, wasm, { arg: initArg('x'), sender: Principal.anonymous() }),
    ).rejects.toThrow(/not a controller/);
    await host.upgrade(id, wasm, { arg: initArg('v2') });
    expect(await actor.get('k')).toEqual(['v']);
    expect(await actor.get('pre_upgrade')).toEqual(['ran']);
    expect(await actor.getMessage()).toBe('v2');
    expect(await actor.wasUpgraded()).toBe(true);
    expect(host.info(id).version).toBe(2n);
    // the upgrade cleared the 1-hour timer; Azle's post_upgrade armed its 0-second RNG reseeding timer
    expect(host.info(id).globalTimer).toBe(host.time);
  });

  it('leaves the canister untouched when post_upgrade traps', async () => {
    const host = await IcHost.create();
    const { id } = await host.install(wasm, { arg: initArg('v1') });
    const actor = host.createActor<Fixture>(fixtureIdl, id);
    await actor.put('k', 'v');
    await expect(host.upgrade(id, wasm, { arg: IDL.encode([IDL.Nat], [1n]) })).rejects.toThrow(
      /post_upgrade trapped/,
    );
    expect(await actor.get('k')).toEqual(['v']);
    expect(await actor.get('pre_upgrade')).toEqual([]); // pre_upgrade's write was rolled back too
    expect(await actor.getMessage()).toBe('v1');
    expect(await actor.wasUpgraded()).toBe(false);
  });
});

describe('instrumented module (ic-wasm instrument)', () => {
  it('reports instructions per call and backs performance_counter', async () => {
    const host = await IcHost.create();
    const { id, initInstructions } = await host.install(instrumentedWasm, { arg: initArg('hi') });
    console.info(`fixture canister_init: ${initInstructions.toLocaleString('en')} instructions`);
    expect(initInstructions).toBeGreaterThan(500_000_000n);
    expect(host.instructionsOfLastCall()).toBe(initInstructions);
    expect(host.info(id).instrumented).toBe(true);
    await host.tick();
    const actor = host.createActor<Fixture>(fixtureIdl, id);
    await actor.setMessage('x');
    const update = host.instructionsOfLastCall()!;
    expect(update).toBeGreaterThan(500_000n);
    expect(update).toBeLessThan(20_000_000n);
    const probe = await actor.probe();
    expect(probe.instructions).toBeGreaterThan(100_000n);
    expect(probe.instructions).toBeLessThan(host.instructionsOfLastCall()!);
    await actor.rawRand(); // two messages in one call context
    expect(host.instructionsOfLastCall()).toBeGreaterThan(0n);
  });

  it('survives an upgrade thanks to the metadata shim', async () => {
    const host = await IcHost.create();
    const { id } = await host.install(instrumentedWasm, { arg: initArg('hi') });
    const actor = host.createActor<Fixture>(fixtureIdl, id);
    await actor.put('k', 'v');
    await host.upgrade(id, instrumentedWasm, { arg: initArg('hi again') });
    expect(host.instructionsOfLastCall()).toBeGreaterThan(500_000_000n);
    expect(await actor.get('k')).toEqual(['v']);
    expect(await actor.getMessage()).toBe('hi again');
  });
});

// ── a hand-assembled module: an import the host does not implement ──

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}
const name = (s: string) => [...leb(Buffer.byteLength(s)), ...Buffer.from(s)];
const section = (id: number, body: number[]) => [id, ...leb(body.length), ...body];
const vec = (items: number[][]) => [...leb(items.length), ...items.flat()];

/** Imports ic0.future_api (unknown), msg_reply_data_append, msg_reply; `canister_update use_future_api` calls the
 *  unknown import, `canister_query hello` replies with the empty Candid message. */
function unknownImportModule(): Uint8Array {
  const types = vec([
    [0x60, 0, 0],
    [0x60, 2, 0x7f, 0x7f, 0],
  ]);
  const imports = vec([
    [...name('ic0'), ...name('future_api'), 0, 0],
    [...name('ic0'), ...name('msg_reply_data_append'), 0, 1],
    [...name('ic0'), ...name('msg_reply'), 0, 0],
  ]);
  const funcs = vec([[0], [0]]);
  const memory = vec([[0, 1]]);
  const exports = vec([
    [...name('memory'), 2, 0],
    [...name('canister_update use_future_api'), 0, 3],
    [...name('canister_query hello'), 0, 4],
  ]);
  const body = (code: number[]) => [...leb(code.length + 1), 0, ...code];
  const code = vec([body([0x10, 0, 0x0b]), body([0x41, 0, 0x41, 6, 0x10, 1, 0x10, 2, 0x0b])]);
  const data = vec([[0, 0x41, 0, 0x0b, ...leb(6), ...Buffer.from('DIDL\0\0')]]);
  return Uint8Array.from([
    ...[0, 0x61, 0x73, 0x6d, 1, 0, 0, 0],
    ...section(1, types),
    ...section(2, imports),
    ...section(3, funcs),
    ...section(5, memory),
    ...section(7, exports),
    ...section(10, code),
    ...section(11, data),
  ]);
}

describe('modules beyond Azle', () => {
  it('links unknown imports and traps naming them when called', async () => {
    const host = await IcHost.create();
    const { id } = await host.install(unknownImportModule());
    const hello = await host.query(id, 'hello', IDL.encode([], []));
    expect(hello).toEqual({ kind: 'reply', bytes: IDL.encode([], []) });
    expect(await host.update(id, 'use_future_api', IDL.encode([], []))).toEqual({
      kind: 'reject',
      code: 5,
      message: expect.stringContaining('ic0.future_api, which the Node IC host does not implement'),
    });
  });

  it('adds exports without disturbing the module (wasm patcher)', () => {
    const bytes = unknownImportModule();
    const patched = addExports(bytes, [{ name: '__extra_memory', kind: 'memory', index: 0 }]);
    expect(WebAssembly.validate(patched as Uint8Array<ArrayBuffer>)).toBe(true);
    expect(inspectWasm(patched).exports.map((e) => e.name)).toEqual([
      'memory',
      'canister_update use_future_api',
      'canister_query hello',
      '__extra_memory',
    ]);
    const azle = inspectWasm(wasm);
    expect(azle.hasTable).toBe(true);
    expect(azle.globals.filter((g) => g.mutable)).toHaveLength(1); // the __stack_pointer
  });

  it('fails installation with InstallError when canister_init traps', async () => {
    const host = await IcHost.create();
    await expect(host.install(wasm, { arg: IDL.encode([IDL.Nat], [5n]) })).rejects.toBeInstanceOf(
      InstallError,
    );
  });
});

describe('backend selection', () => {
  it('uses the Node host unless POCKET_IC_BIN is set, with the same actor surface', async () => {
    const backend = await chooseBackend();
    expect(backend.kind).toBe(process.env.POCKET_IC_BIN ? 'pocket-ic' : 'node-host');
    try {
      const id = await backend.install(wasm, { arg: initArg('via backend') });
      const actor = backend.createActor<Fixture>(fixtureIdl, id);
      expect(await actor.getMessage()).toBe('via backend');
      await actor.put('k', 'v');
      await backend.upgrade(id, wasm, { arg: initArg('upgraded') });
      expect(await actor.get('k')).toEqual(['v']);
      expect(await actor.getMessage()).toBe('upgraded');
      const rootKey = await backend.rootKey();
      expect(rootKey.subarray(0, BLS_KEY_DER_PREFIX.length)).toEqual(BLS_KEY_DER_PREFIX);
      await actor.scheduleTimer(10);
      await backend.advanceTime(11n * SECOND);
      await backend.tick();
      expect(await actor.timerCount()).toBe(1);
    } finally {
      await backend.tearDown();
    }
  });
});

describe('Waxseal canister smoke test (build/waxseal.wasm)', () => {
  it('installs and answers whoami', async () => {
    buildCanister();
    const { idlFactory, init } = await import('../canister/declarations/waxseal.did.ts');
    const host = await IcHost.create();
    const { id } = await host.install(new Uint8Array(readFileSync(WASM)), {
      arg: IDL.encode(init({ IDL }), [[]]),
    });
    await host.tick();
    const identity = Ed25519KeyIdentity.generate();
    const actor = host.createActor<{ whoami(): Promise<Principal> }>(idlFactory, id, { identity });
    expect((await actor.whoami()).toText()).toBe(identity.getPrincipal().toText());
  });
});

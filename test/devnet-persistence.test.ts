/**
 * `waxseal devnet` as a process, restarted over its data folder (issue 9, "Persistence"): after SIGTERM the
 * canister id, root key, identities and salt (so every principal) survive and a delegation issued before the
 * restart still signs requests after it; after `kill -9` right after N answered updates, none of them is lost.
 * Everything goes through an unmodified HttpAgent.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Actor, type ActorSubclass, HttpAgent, type Identity } from '@icp-sdk/core/agent';
import { DelegationChain, DelegationIdentity, Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { Principal } from '@icp-sdk/core/principal';
import { afterAll, describe, expect, it } from 'vitest';
import { type _SERVICE, idlFactory } from '../canister/declarations/waxseal.did.ts';
import { buildCanister } from './helpers/canister.ts';
import { ok } from './helpers/result.ts';

const BIN = join(import.meta.dirname, '..', 'bin', 'waxseal');
const ORIGIN = 'https://app.waxseal.test';
const START_TIMEOUT_MS = 60_000;

interface Running {
  proc: ChildProcess;
  url: string;
  canisterId: string;
  rootKey: string;
  stderr: () => string;
}

const dirs: string[] = [];
const procs: ChildProcess[] = [];
afterAll(() => {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'waxseal-devnet-proc-'));
  dirs.push(dir);
  return dir;
}

/** Starts `waxseal devnet --port 0` and resolves with its JSON line. */
function startDevnet(dataDir: string, config: string, extra: string[] = []): Promise<Running> {
  const proc = spawn(
    process.execPath,
    [BIN, 'devnet', '--port', '0', '--data', dataDir, '--config', config, ...extra],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  procs.push(proc);
  let err = '';
  proc.stderr?.on('data', (b: Buffer) => {
    err = (err + b.toString()).slice(-8000);
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`devnet not ready in time:\n${err}`)), START_TIMEOUT_MS);
    proc.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) {
        clearTimeout(timer);
        const j = JSON.parse(line) as { url: string; canister_id: string; root_key: string };
        resolve({ proc, url: j.url, canisterId: j.canister_id, rootKey: j.root_key, stderr: () => err });
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`devnet exited with ${code} before it was ready:\n${err}`));
    });
  });
}

function exitOf(proc: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (proc.exitCode !== null || proc.signalCode !== null)
    return Promise.resolve({ code: proc.exitCode, signal: proc.signalCode });
  return new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
}

async function actorOf(run: Running, identity?: Identity): Promise<ActorSubclass<_SERVICE>> {
  const agent = await HttpAgent.create({
    host: run.url,
    shouldFetchRootKey: true,
    ...(identity ? { identity } : {}),
  });
  return Actor.createActor<_SERVICE>(idlFactory, { agent, canisterId: run.canisterId });
}

function configFile(dir: string): string {
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ app_origin: ORIGIN, mail_hosts: ['mail.waxseal.test'] }));
  return file;
}

describe('waxseal devnet restarts', () => {
  it('SIGTERM exits 0; a restart keeps the canister, root key, identities, principals and earlier delegations', async () => {
    buildCanister();
    const dir = tempDir();
    const config = configFile(dir);
    const data = join(dir, 'data');
    const first = await startDevnet(data, config);
    const owner = Ed25519KeyIdentity.generate();
    const actor = await actorOf(first, owner);
    const anchor = ok(await actor.create_identity());

    // A delegation for the app origin, made before the restart, valid for 10 minutes.
    const session = Ed25519KeyIdentity.generate();
    const sessionKey = new Uint8Array(session.getPublicKey().toDer());
    const prepared = ok(await actor.prepare_delegation(anchor, ORIGIN, sessionKey, [600_000_000_000n]));
    const signed = ok(await actor.get_delegation(anchor, ORIGIN, sessionKey, prepared.expiration));
    const chain = DelegationChain.fromDelegations(
      [{ delegation: { ...signed.delegation, targets: undefined }, signature: signed.signature } as never],
      prepared.user_key as never,
    );
    const delegated = DelegationIdentity.fromDelegation(session, chain);
    const appPrincipal = Principal.selfAuthenticating(prepared.user_key).toText();
    expect((await (await actorOf(first, delegated)).whoami()).toText()).toBe(appPrincipal);

    first.proc.kill('SIGTERM');
    expect(await exitOf(first.proc)).toEqual({ code: 0, signal: null });

    const second = await startDevnet(data, config);
    expect(second.canisterId).toBe(first.canisterId);
    expect(second.rootKey).toBe(first.rootKey);
    expect(second.stderr()).toMatch(/resumed/);
    const again = await actorOf(second, owner);
    const info = ok(await again.identity_info(anchor));
    expect(info.authenticators.map((p) => p.toText())).toEqual([owner.getPrincipal().toText()]);
    // Same salt: the same anchor, origin and session key give the same user key, so the same principal.
    const prepared2 = ok(await again.prepare_delegation(anchor, ORIGIN, sessionKey, [600_000_000_000n]));
    expect(Principal.selfAuthenticating(prepared2.user_key).toText()).toBe(appPrincipal);
    // The delegation from before the restart still authenticates (same root key verifies its certificate).
    expect((await (await actorOf(second, delegated)).whoami()).toText()).toBe(appPrincipal);
    second.proc.kill('SIGTERM');
    expect((await exitOf(second.proc)).code).toBe(0);
  }, 180_000);

  // By default a round's record is written before its callers are answered (the kernel keeps it when the process
  // dies); with --fsync it is also fdatasynced first. Both must survive kill -9.
  it.each([
    ['written before answering (default)', []],
    ['fdatasynced before answering (--fsync)', ['--fsync']],
  ])(
    'kill -9 right after N answered updates loses none of them: %s',
    async (_mode, extra) => {
      const dir = tempDir();
      const config = configFile(dir);
      const data = join(dir, 'data');
      const first = await startDevnet(data, config, extra);
      const owners = Array.from({ length: 12 }, () => Ed25519KeyIdentity.generate());
      const anchors = await Promise.all(
        owners.map(async (o) => ok(await (await actorOf(first, o)).create_identity())),
      );
      expect(new Set(anchors).size).toBe(owners.length);
      first.proc.kill('SIGKILL');
      expect((await exitOf(first.proc)).signal).toBe('SIGKILL');

      const second = await startDevnet(data, config);
      for (const [i, owner] of owners.entries()) {
        const info = ok(await (await actorOf(second, owner)).identity_info(anchors[i]!));
        expect(info.authenticators.map((p) => p.toText())).toEqual([owner.getPrincipal().toText()]);
      }
      // Numbering continues after the last answered one: nothing was rolled back.
      const next = ok(await (await actorOf(second, Ed25519KeyIdentity.generate())).create_identity());
      expect(next).toBe(anchors.reduce((a, b) => (a > b ? a : b)) + 1n);
      second.proc.kill('SIGTERM');
      expect((await exitOf(second.proc)).code).toBe(0);
    },
    180_000,
  );
});

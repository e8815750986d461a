/**
 * `waxseal devnet` as a command (issue 9, deliverable 3): the JSON line and defaults without --config, and every
 * operator mistake as one line on stderr with exit 2 (usage, config) or 1 (port in use), never a stack trace.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Actor, HttpAgent } from '@icp-sdk/core/agent';
import { afterAll, describe, expect, it } from 'vitest';
import { type _SERVICE, idlFactory } from '../canister/declarations/waxseal.did.ts';
import { buildCanister } from './helpers/canister.ts';

const BIN = join(import.meta.dirname, '..', 'bin', 'waxseal');
const dir = mkdtempSync(join(tmpdir(), 'waxseal-cli-devnet-'));
const running: ChildProcess[] = [];
afterAll(() => {
  for (const p of running) if (p.exitCode === null) p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function run(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, 'devnet', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function expectOneLineError(r: ReturnType<typeof run>, code: number, message: RegExp): void {
  expect(r.code).toBe(code);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
}

describe('waxseal devnet', () => {
  it('without --config installs with the defaults, prints one JSON line, and SIGINT exits 0', async () => {
    buildCanister();
    const proc = spawn(process.execPath, [BIN, 'devnet', '--port', '0', '--data', join(dir, 'defaults')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.push(proc);
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      proc.stdout?.on('data', (b: Buffer) => {
        out += b.toString();
        if (out.includes('\n')) resolve(out);
      });
      proc.once('exit', (code) => reject(new Error(`exited ${code}`)));
    });
    expect(line.endsWith('\n')).toBe(true);
    expect(line.trim().split('\n')).toHaveLength(1);
    const ready = JSON.parse(line) as { url: string; canister_id: string; root_key: string };
    expect(Object.keys(ready)).toEqual(['url', 'canister_id', 'root_key']);
    expect(ready.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(ready.root_key).toMatch(/^308182[0-9a-f]{260}$/);
    const agent = await HttpAgent.create({ host: ready.url, shouldFetchRootKey: true });
    const actor = Actor.createActor<_SERVICE>(idlFactory, { agent, canisterId: ready.canister_id });
    const config = await actor.config();
    expect(config.mail_hosts).toEqual([]);
    expect(config.identity_number_start).toBe(10_000n);
    const exit = new Promise<number | null>((resolve) => proc.once('exit', resolve));
    proc.kill('SIGINT');
    expect(await exit).toBe(0);
  }, 120_000);

  it('a config with an unknown field is exit 2 with one line naming it', () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ mail_host: ['x'] }));
    expectOneLineError(run(['--config', file, '--data', join(dir, 'bad')]), 2, /unknown field "mail_host"/);
  });

  it('a config that is not JSON is exit 2', () => {
    const file = join(dir, 'notjson.json');
    writeFileSync(file, '{');
    expectOneLineError(run(['--config', file, '--data', join(dir, 'bad')]), 2, /cannot read config/);
  });

  it('a missing wasm says how to build it', () => {
    expectOneLineError(
      run(['--wasm', join(dir, 'none.wasm'), '--data', join(dir, 'bad')]),
      2,
      /npm run build:canister/,
    );
  });

  it('a bad port and an unknown flag are usage errors', () => {
    expectOneLineError(run(['--port', 'eighty']), 2, /--port eighty is not a port/);
    expectOneLineError(run(['--colour']), 2, /Unknown option '--colour'/);
  });

  it('a port in use is exit 1 with one line', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = run(['--port', String(port), '--data', join(dir, 'busy')]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`port ${port} is already in use`));
      expect(r.stdout).toBe('');
    } finally {
      blocker.close();
    }
  }, 60_000);
});

/**
 * Child processes of the local stack (scripts/start.ts) and of the test suites: finding system binaries, launching
 * with a bounded log tail (optionally also written to a file), waiting for readiness with a deadline, and stopping
 * (SIGTERM, then SIGKILL). Node only. Every wait is bounded.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';

/** Searched after PATH: BIND's named lives in /usr/sbin, which a normal user's PATH often lacks. */
export const SBIN_DIRS = ['/usr/sbin', '/sbin', '/usr/local/sbin'] as const;

const START_TIMEOUT_MS = 10_000;
const POLL_INTERVAL_MS = 100;
const STOP_TIMEOUT_MS = 5_000;
const LOG_TAIL_CHARS = 4_000;

/** A system binary is not installed (or not on PATH / SBIN_DIRS). */
export class MissingBinaryError extends Error {
  constructor(readonly binary: string) {
    super(`${binary} not found; install with scripts/install-system-deps.sh`);
  }
}

/** Absolute path of a binary from PATH or SBIN_DIRS. Throws MissingBinaryError. */
export function findBinary(name: string): string {
  for (const dir of [...(process.env.PATH ?? '').split(delimiter), ...SBIN_DIRS]) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  throw new MissingBinaryError(name);
}

/** A port that was free a moment ago (bind port 0 on loopback, read it, close). */
export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? res(port) : rej(new Error('could not get a free port'))));
    });
  });
}

/** Whether a TCP listener can bind `port` on 127.0.0.1 right now. */
export async function portIsFree(port: number): Promise<boolean> {
  return new Promise((res) => {
    const srv = createServer();
    srv.once('error', () => res(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => res(true)));
  });
}

export interface Running {
  /** Short name for messages ("named", "dnsdist", "devnet"). */
  name: string;
  proc: ChildProcess;
  /** Last few KB of stdout+stderr, for error messages. */
  log(): string;
}

export interface LaunchOptions {
  /** Its own process group, so a terminal's Ctrl-C reaches only the parent, which then stops it in order. */
  detached?: boolean;
  /** Also write everything it prints to this file (replacing it). */
  logFile?: string;
}

export function launch(name: string, bin: string, args: string[], opts: LaunchOptions = {}): Running {
  const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: opts.detached ?? false });
  const file = opts.logFile ? createWriteStream(opts.logFile) : undefined;
  let buf = '';
  const keep = (d: Buffer) => {
    buf = (buf + d.toString('utf8')).slice(-LOG_TAIL_CHARS);
    file?.write(d);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  proc.on('error', (e) => keep(Buffer.from(`spawn error: ${e.message}\n`)));
  proc.on('close', () => file?.end());
  return { name, proc, log: () => buf };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function exited(p: ChildProcess): boolean {
  return p.exitCode !== null || p.signalCode !== null;
}

/** SIGTERM, then SIGKILL after STOP_TIMEOUT_MS; resolves once the process is gone. */
export async function terminate(p: ChildProcess): Promise<void> {
  if (exited(p) || p.pid === undefined) return;
  const gone = new Promise<void>((r) => p.once('exit', () => r()));
  p.kill('SIGTERM');
  const timer = setTimeout(() => p.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await gone;
  clearTimeout(timer);
}

/** Polls `ready` until it returns true; fails on timeout or when the process dies. */
export async function waitUntil(
  r: Running,
  ready: () => Promise<boolean>,
  timeoutMs = START_TIMEOUT_MS,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited(r.proc))
      throw new Error(`${r.name} exited during startup (code ${r.proc.exitCode}):\n${r.log()}`);
    if (await ready().catch(() => false)) return;
    await sleep(POLL_INTERVAL_MS);
  }
  throw new Error(`${r.name} not ready after ${timeoutMs} ms:\n${r.log()}`);
}

/**
 * `npm start` smoke test (issue 9): scripts/start.ts, run as a real process with a temporary data folder and free
 * ports (so it can run beside other suites and a developer's own stack), brings up named, dnsdist and the real
 * `waxseal devnet`; its table lists where they run; an unmodified HttpAgent with the generated actor reaches the
 * canister, configured for the local stack; dnsdist answers an RFC 8484 query from the signed zones; SIGINT stops
 * every child and exits 0. When a child dies, the rest are stopped and the exit status is 1. A missing system binary
 * is one line naming it and its install command.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpAgent } from '@icp-sdk/core/agent';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActor } from '../canister/declarations/waxseal.ts';
import { SBIN_DIRS } from '../scripts/local-stack/process.ts';
import { waxseal } from './helpers/cli.ts';
import { decodeMessage, encodeQuery, freePort, GENERATED_DIR, RR_TYPES } from './helpers/dns-servers.ts';

const ROOT = join(import.meta.dirname, '..');
const START = join(ROOT, 'scripts', 'start.ts');
/** The devnet loads the wasm and installs the canister; named and dnsdist take about a second each. */
const READY_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 30_000;
const POLL_MS = 100;

interface Run {
  proc: ChildProcess;
  out(): string;
  err(): string;
  exit: Promise<{ code: number | null; signal: string | null }>;
}

function runStart(args: string[], env: NodeJS.ProcessEnv = {}): Run {
  // WAXSEAL_SKIP_BUILD=1: use the wasm vitest's global setup built; never race another run's build.
  const proc = spawn(process.execPath, ['--import', 'tsx', START, ...args], {
    cwd: ROOT,
    env: { ...process.env, WAXSEAL_SKIP_BUILD: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout?.on('data', (d: Buffer) => {
    out += d.toString('utf8');
  });
  proc.stderr?.on('data', (d: Buffer) => {
    err += d.toString('utf8');
  });
  const exit = new Promise<{ code: number | null; signal: string | null }>((res) =>
    proc.once('exit', (code, signal) => res({ code, signal })),
  );
  return { proc, out: () => out, err: () => err, exit };
}

async function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, rej) => {
    timer = setTimeout(() => rej(new Error(`${what}: no result after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Whether a process with this pid exists (signal 0 checks without sending anything). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const SERVICES = ['SMTP gateway', 'IC endpoint', 'DoH (RFC 8484)', 'DNS'] as const;

/**
 * Starts the stack before the tests of the enclosing describe block, with free ports and a temporary data folder,
 * and waits for its table; afterwards stops whatever still runs (only left when a test failed) and removes the
 * folder.
 */
function useStack() {
  const data = mkdtempSync(join(tmpdir(), 'waxseal-start-'));
  const s = {
    data,
    ports: { ic: 0, dns: 0, doh: 0, smtp: 0, ops: 0, web: 0, demo: 0 },
    run: undefined as unknown as Run,
    table: '',
  };
  /** The cells after the label of one table row. */
  const row = (label: string) => {
    const line = s.table.split('\n').find((l) => l.trimStart().startsWith(`${label}  `));
    if (!line) throw new Error(`no "${label}" row in:\n${s.table}`);
    return line
      .trim()
      .slice(label.length)
      .trim()
      .split(/\s{3,}/);
  };
  const pidOf = (label: (typeof SERVICES)[number]) => Number(/pid (\d+)/.exec(row(label)[1] ?? '')?.[1]);

  beforeAll(async () => {
    s.ports = {
      ic: await freePort(),
      dns: await freePort(),
      doh: await freePort(),
      smtp: await freePort(),
      ops: await freePort(),
      web: await freePort(),
      demo: await freePort(),
    };
    const { ic, dns, doh, smtp, ops, web, demo } = s.ports;
    s.run = runStart([
      ...['--data', data, '--port', `${ic}`, '--dns-port', `${dns}`, '--doh-port', `${doh}`],
      ...['--smtp-port', `${smtp}`, '--ops-port', `${ops}`, '--web-port', `${web}`, '--demo-port', `${demo}`],
    ]);
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!s.run.out().includes('Ctrl-C stops everything')) {
      if (s.run.proc.exitCode !== null || s.run.proc.signalCode !== null)
        throw new Error(`npm start exited early:\n${s.run.err()}`);
      if (Date.now() > deadline) throw new Error(`no table after ${READY_TIMEOUT_MS} ms:\n${s.run.err()}`);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    s.table = s.run.out();
  }, READY_TIMEOUT_MS + 5_000);

  afterAll(async () => {
    const { run } = s;
    if (run && run.proc.exitCode === null && run.proc.signalCode === null) {
      run.proc.kill('SIGTERM');
      await within(STOP_TIMEOUT_MS, 'npm start after SIGTERM', run.exit).catch(() =>
        run.proc.kill('SIGKILL'),
      );
    }
    if (s.table) for (const pid of SERVICES.map(pidOf).filter(alive)) process.kill(pid, 'SIGKILL');
    rmSync(data, { recursive: true, force: true });
  }, STOP_TIMEOUT_MS + 5_000);

  return { s, row, pidOf };
}

describe('npm start: the local stack', () => {
  const { s, row, pidOf } = useStack();
  const { data } = s;

  it('prints one table of what runs where: URLs, ports, canister id, processes, data folder', () => {
    expect(row('IC endpoint')[0]).toBe(`http://127.0.0.1:${s.ports.ic}`);
    expect(row('DoH (RFC 8484)')[0]).toBe(`http://127.0.0.1:${s.ports.doh}/dns-query`);
    expect(row('DNS')[0]).toBe(`127.0.0.1:${s.ports.dns} udp+tcp`);
    expect(row('SMTP gateway')[0]).toBe(`127.0.0.1:${s.ports.smtp}`);
    expect(s.table.split('\n').find((l) => /^\s+\S/.test(l) && !l.includes('service'))).toContain('web app');
    expect(row('web app')[0]).toBe(`http://localhost:${s.ports.web}/`);
    expect(row('gateway ops')[0]).toBe(`http://127.0.0.1:${s.ports.ops}/metrics`);
    expect(row('demo dApp')[0]).toBe(`http://localhost:${s.ports.demo}/`);
    expect(s.table).toContain(`waxseal send-test-mail --from alice@ed25519.wxtest`);
    expect(row('canister id')[0]).toMatch(/^[a-z0-9]{5}(-[a-z0-9]{5})*-[a-z0-9]{3}$/);
    expect(row('data folder')[0]).toBe(data);
    for (const label of SERVICES) expect(pidOf(label)).toBeGreaterThan(0);
    expect(s.table).toMatch(/Next steps/);
    const stack = JSON.parse(readFileSync(join(data, 'stack.json'), 'utf8'));
    expect(stack.url).toBe(`http://127.0.0.1:${s.ports.ic}`);
    expect(stack.canister_id).toBe(row('canister id')[0]);
  });

  it('an unmodified HttpAgent with the generated actor reaches the canister, configured for the local stack', async () => {
    const { root_key: rootKey } = JSON.parse(readFileSync(join(data, 'stack.json'), 'utf8'));
    const agent = await HttpAgent.create({ host: row('IC endpoint')[0]!, shouldFetchRootKey: true });
    const actor = createActor(row('canister id')[0]!, { agent });
    const config = await actor.config();
    expect(Buffer.from(agent.rootKey ?? []).toString('hex')).toBe(rootKey);
    expect(config.mail_hosts).toEqual(['mail.waxseal.localhost']);
    expect(config.app_origin).toBe('http://localhost:5173');
    expect(config.root_anchors).toEqual(
      readFileSync(join(GENERATED_DIR, 'anchors.ds'), 'utf8').trim().split('\n'),
    );
    expect(config.doh.providers.map((p) => p.url)).toEqual([`http://127.0.0.1:${s.ports.doh}/dns-query`]);
    expect(config.doh.allowed_domains).toEqual(['unsigned.wxtest', 'wxplain']);
    expect(config.doh.quorum).toBe(1);
  });

  it('serves the built web app and an env.json that names this stack', async () => {
    const base = row('web app')[0]!;
    const page = await fetch(base);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await page.text();
    expect(html).toContain('<div id="root"></div>');
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect((await fetch(new URL(script!, base))).headers.get('content-type')).toMatch(/^text\/javascript/);
    const env = await (await fetch(new URL('/env.json', base))).json();
    const stack = JSON.parse(readFileSync(join(data, 'stack.json'), 'utf8'));
    expect(env).toEqual({ host: stack.url, canisterId: stack.canister_id, rootKey: stack.root_key });
    expect((await fetch(new URL('/manage', base))).status).toBe(200);
    expect((await fetch(new URL('/../package.json', base))).status).not.toBe(200);
    expect((await fetch(new URL('/nope.js', base))).status).toBe(404);
  });

  it('the DoH URL answers an RFC 8484 GET from the signed test zones, with CORS', async () => {
    const query = Buffer.from(encodeQuery('sel._domainkey.ecdsa.wxtest.', 'TXT')).toString('base64url');
    const res = await fetch(`${row('DoH (RFC 8484)')[0]}?dns=${query}`, {
      headers: { accept: 'application/dns-message' },
      signal: AbortSignal.timeout(5_000),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/dns-message');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const msg = decodeMessage(new Uint8Array(await res.arrayBuffer()));
    expect(msg.rcode).toBe(0);
    const txt = msg.answers.find((a) => a.type === RR_TYPES.TXT)?.txt?.join('');
    expect(txt).toMatch(/^v=DKIM1; k=ed25519; p=/);
  });

  it('the gateway takes a DKIM-signed setup mail from send-test-mail and the challenge completes', async () => {
    const { HttpAgent: Agent } = await import('@icp-sdk/core/agent');
    const { Ed25519KeyIdentity } = await import('@icp-sdk/core/identity');
    const agent = await Agent.create({
      host: row('IC endpoint')[0]!,
      shouldFetchRootKey: true,
      identity: Ed25519KeyIdentity.generate(),
    });
    const actor = createActor(row('canister id')[0]!, { agent });
    const anchor = await actor.create_identity();
    if (anchor.__kind__ !== 'Ok') throw new Error(JSON.stringify(anchor));
    const address = 'alice@ed25519.wxtest';
    const ch = await actor.email_setup_prepare(anchor.Ok, address);
    if (ch.__kind__ !== 'Ok') throw new Error(JSON.stringify(ch));
    const sent = await waxseal(
      ...['send-test-mail', '--from', address, '--to', ch.Ok.mailbox, '--subject', `Waxseal ${ch.Ok.nonce}`],
      ...['--server', row('SMTP gateway')[0]!],
    );
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toMatch(/^250 queued as/);
    const deadline = Date.now() + 20_000;
    let status = await actor.email_challenge_status(ch.Ok.nonce);
    while (status.__kind__ !== 'SetupComplete' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      status = await actor.email_challenge_status(ch.Ok.nonce);
    }
    expect(status.__kind__).toBe('SetupComplete');
    const metrics = await (await fetch(row('gateway ops')[0]!)).text();
    expect(metrics).toMatch(/waxseal_gateway_proofs_total\{outcome="attached"\} 1/);
  }, 40_000);

  it(
    'SIGINT stops the gateway, the devnet, dnsdist and named, and exits 0',
    async () => {
      const pids = SERVICES.map(pidOf);
      expect(pids.every(alive)).toBe(true);
      s.run.proc.kill('SIGINT');
      const { code } = await within(STOP_TIMEOUT_MS, 'npm start after SIGINT', s.run.exit);
      expect(code, s.run.err()).toBe(0);
      expect(pids.filter(alive)).toEqual([]);
      expect(existsSync(join(data, 'stack.json'))).toBe(false);
    },
    STOP_TIMEOUT_MS + 5_000,
  );
});

describe('npm start when a child dies', () => {
  const { s, pidOf } = useStack();

  it(
    'stops the others, prints the end of its log, and exits 1',
    async () => {
      const pids = SERVICES.map(pidOf);
      process.kill(pidOf('DNS'), 'SIGKILL');
      const { code } = await within(STOP_TIMEOUT_MS, 'npm start after named died', s.run.exit);
      expect(code).toBe(1);
      expect(s.run.err()).toMatch(/^npm start: named exited unexpectedly \(SIGKILL\); stopping the rest/m);
      expect(s.run.err()).toMatch(/running/); // named's log: "running" once it serves
      expect(pids.filter(alive)).toEqual([]);
    },
    STOP_TIMEOUT_MS + 5_000,
  );
});

// The binaries are looked up on PATH, then in SBIN_DIRS; with an empty PATH, dnsdist (in /usr/bin on Debian) is
// missing unless it was installed into one of those.
const dnsdistInSbin = SBIN_DIRS.some((d) => existsSync(join(d, 'dnsdist')));

describe.skipIf(dnsdistInSbin)('npm start without a system package', () => {
  it('says in one line which binary is missing and how to install it, and exits 1', async () => {
    const run = runStart(['--data', join(tmpdir(), 'waxseal-start-unused')], { PATH: '/nonexistent' });
    const { code } = await within(STOP_TIMEOUT_MS, 'npm start without dnsdist', run.exit);
    expect(code).toBe(1);
    expect(run.out()).toBe('');
    const lines = run.err().trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^npm start: dnsdist \(Debian package dnsdist\) not found/);
    expect(lines[0]).toContain('sudo apt-get install -y dnsdist');
    expect(lines[0]).toContain('./scripts/install-system-deps.sh');
    expect(existsSync(join(tmpdir(), 'waxseal-start-unused'))).toBe(false);
  });
});

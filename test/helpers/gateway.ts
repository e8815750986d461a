/**
 * A real `waxseal gateway` process for the gateway suites, in front of the compiled canister behind the devnet
 * endpoint (test/helpers/devnet.ts), configured through its TOML file as an operator would
 * (scripts/local-stack/gateway.ts writes it).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  type GatewayProcess,
  type GatewayReady,
  type GatewaySettings,
  startGateway,
  writeGatewayConfig,
} from '../../scripts/local-stack/gateway.ts';
import { exited, terminate } from '../../scripts/local-stack/process.ts';
import { GENERATED_DIR } from './dns-servers.ts';

export interface TestGateway extends GatewayReady {
  process: GatewayProcess;
  host: string;
  port: number;
  dir: string;
  spoolDir: string;
  /** Message files in the spool right now. */
  spooled(): string[];
  /** Log lines with `event` (and optionally `outcome`). */
  events(event: string, outcome?: string): Record<string, unknown>[];
  /** Waits until `pred` holds over the log lines (bounded). */
  waitFor(
    pred: (logs: Record<string, unknown>[]) => boolean,
    timeoutMs?: number,
    what?: string,
  ): Promise<void>;
  /** SIGTERM and wait; resolves with the exit code. */
  stop(): Promise<number | null>;
  kill9(): Promise<void>;
  metrics(): Promise<string>;
}

export type TestGatewayOptions = Partial<Omit<GatewaySettings, 'canisterUrl' | 'canisterId'>> & {
  /** Reuse this folder (spool and key) instead of a fresh one: a restart. */
  dir?: string;
};

export async function startTestGateway(
  canisterUrl: string,
  canisterId: string,
  o: TestGatewayOptions = {},
): Promise<TestGateway> {
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'waxseal-gateway-'));
  const spoolDir = join(dir, 'spool');
  const settings: GatewaySettings = {
    smtpListen: '127.0.0.1:0',
    opsListen: '127.0.0.1:0',
    spoolDir,
    keyFile: join(dir, 'gateway.key'),
    dohUrls: [],
    limits: { connectionsPerIp: 1000, messagesPerMinute: 100_000 },
    ...o,
    canisterUrl,
    canisterId,
  };
  const proc = startGateway(writeGatewayConfig(dir, settings), { detached: false });
  const ready = await proc.ready;
  const [host, port] = [
    ready.smtp.slice(0, ready.smtp.lastIndexOf(':')),
    Number(ready.smtp.split(':').pop()),
  ];
  const logs = proc.logs;
  return {
    ...ready,
    process: proc,
    host,
    port,
    dir,
    spoolDir,
    spooled: () => readdirSync(spoolDir).filter((f) => f.endsWith('.msg')),
    events: (event, outcome) =>
      logs().filter((l) => l.event === event && (outcome === undefined || l.outcome === outcome)),
    async waitFor(pred, timeoutMs = 15_000, what = 'log condition') {
      const deadline = Date.now() + timeoutMs;
      while (!pred(logs())) {
        if (Date.now() > deadline) throw new Error(`gateway: no ${what} within ${timeoutMs} ms`);
        if (exited(proc.running.proc)) throw new Error(`gateway exited:\n${proc.running.log()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      await terminate(proc.running.proc);
      return proc.running.proc.exitCode;
    },
    async kill9() {
      const p = proc.running.proc;
      if (exited(p)) return;
      const gone = new Promise((r) => p.once('exit', r));
      p.kill('SIGKILL');
      await gone;
    },
    metrics: async () => (await fetch(`${ready.ops}/metrics`)).text(),
  };
}

export function removeGatewayDir(g: TestGateway): void {
  rmSync(g.dir, { recursive: true, force: true });
}

const run = promisify(execFile);

/** swaks against the gateway's SMTP port (each wait bounded to 10 s); a non-zero exit is returned, not thrown. */
export async function swaks(gw: { host: string; port: number }, ...args: string[]) {
  try {
    const r = await run('swaks', [
      '--server',
      gw.host,
      '--port',
      String(gw.port),
      '--timeout',
      '10',
      ...args,
    ]);
    return { code: 0, out: r.stdout };
  } catch (e) {
    const err = e as { code: number; stdout: string };
    return { code: err.code, out: err.stdout };
  }
}

/**
 * What the gateway suites install the canister with: the local stack's mail host and app origin, the test root's
 * trust anchors, and DoH only for `wxplain` (so `unsigned.wxtest` shows NeedProof and `wxplain` Resolving).
 */
export function mailCanisterConfig(dohUrl: string) {
  return {
    mail_hosts: [MAIL_HOST],
    app_origin: 'http://localhost:5173',
    root_anchors: readFileSync(join(GENERATED_DIR, 'anchors.ds'), 'utf8').trim().split('\n'),
    doh: {
      allowed_domains: ['wxplain'],
      providers: [{ name: 'dnsdist', url: dohUrl }],
      quorum: 1,
      cache_seconds: 60,
    },
  };
}

export const MAIL_HOST = 'mail.waxseal.localhost';

/** An unsigned message for the SMTP suites (CRLF; the canister stores it as a mail with no known nonce). */
export const PLAIN_MESSAGE = `From: a@sender.test\r\nTo: register@${MAIL_HOST}\r\nSubject: hello\r\n\r\nbody\r\n`;

/** The state name of a ChallengeStatus variant. */
export const stateOf = (status: object): string => Object.keys(status)[0]!;

/**
 * Polls `email_challenge_status` until it leaves Pending/Resolving (or `until` matches); returns every state seen,
 * in order, without repeats.
 */
export async function watchChallenge(
  status: () => Promise<object>,
  until: (state: string) => boolean = (s) => s !== 'Pending' && s !== 'Resolving',
  timeoutMs = 20_000,
): Promise<{ seen: string[]; last: object }> {
  const seen: string[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const last = await status();
    const state = stateOf(last);
    if (seen.at(-1) !== state) seen.push(state);
    if (until(state)) return { seen, last };
    if (Date.now() > deadline)
      throw new Error(`challenge still ${state} after ${timeoutMs} ms (seen ${seen})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

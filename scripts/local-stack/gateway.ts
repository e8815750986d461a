/**
 * The gateway of the local stack, the tests and the benchmark: its config file (TOML, the format an operator
 * writes; scripts/deploy/gateway.example.toml) and the `waxseal gateway` child process with its ready log line.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch, type Running } from './process.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const READY_TIMEOUT_MS = 30_000;

export interface GatewaySettings {
  /** `host:port`; port 0 picks a free one (read it from the ready line). */
  smtpListen: string;
  opsListen: string;
  canisterUrl: string;
  canisterId: string;
  spoolDir: string;
  keyFile: string;
  dohUrls: string[];
  /** Extra TOML appended as is (more sections or overrides for tests). */
  extra?: string;
  /** Per-IP limits (defaults: the config file's). */
  limits?: { connectionsPerIp: number; messagesPerMinute: number };
  relay?: Partial<{
    enabled: boolean;
    concurrency: number;
    maxAgeS: number;
    retryBaseMs: number;
    retryMaxMs: number;
    attemptTimeoutS: number;
  }>;
  smtp?: Partial<{ sessionTimeoutS: number; idleTimeoutS: number; shutdownGraceS: number }>;
  tls?: { cert: string; key: string };
  logLevel?: string;
}

const q = (s: string) => JSON.stringify(s);

export function gatewayToml(s: GatewaySettings): string {
  const lines = [
    '[smtp]',
    `listen = ${q(s.smtpListen)}`,
    'hostname = "mx.waxseal.localhost"',
    ...(s.smtp?.sessionTimeoutS !== undefined ? [`session_timeout_s = ${s.smtp.sessionTimeoutS}`] : []),
    ...(s.smtp?.idleTimeoutS !== undefined ? [`idle_timeout_s = ${s.smtp.idleTimeoutS}`] : []),
    ...(s.smtp?.shutdownGraceS !== undefined ? [`shutdown_grace_s = ${s.smtp.shutdownGraceS}`] : []),
    '',
    '[canister]',
    `url = ${q(s.canisterUrl)}`,
    `canister_id = ${q(s.canisterId)}`,
    'fetch_root_key = true',
    'config_refresh_s = 5',
    '',
    '[spool]',
    `dir = ${q(s.spoolDir)}`,
    '',
    '[identity]',
    `key_file = ${q(s.keyFile)}`,
    '',
    '[ops]',
    `listen = ${q(s.opsListen)}`,
    '',
    '[proof]',
    `doh = [${s.dohUrls.map(q).join(', ')}]`,
    'timeout_ms = 5000',
    '',
    '[log]',
    `level = ${q(s.logLevel ?? 'info')}`,
  ];
  if (s.limits) {
    lines.push('', '[limits]', `connections_per_ip = ${s.limits.connectionsPerIp}`);
    lines.push(`messages_per_ip_per_minute = ${s.limits.messagesPerMinute}`);
  }
  if (s.relay) {
    const r = s.relay;
    lines.push('', '[relay]');
    if (r.enabled !== undefined) lines.push(`enabled = ${r.enabled}`);
    if (r.concurrency !== undefined) lines.push(`concurrency = ${r.concurrency}`);
    if (r.maxAgeS !== undefined) lines.push(`max_age_s = ${r.maxAgeS}`);
    if (r.retryBaseMs !== undefined) lines.push(`retry_base_ms = ${r.retryBaseMs}`);
    if (r.retryMaxMs !== undefined) lines.push(`retry_max_ms = ${r.retryMaxMs}`);
    if (r.attemptTimeoutS !== undefined) lines.push(`attempt_timeout_s = ${r.attemptTimeoutS}`);
  }
  if (s.tls) lines.push('', '[tls]', `cert = ${q(s.tls.cert)}`, `key = ${q(s.tls.key)}`);
  if (s.extra) lines.push('', s.extra);
  return `${lines.join('\n')}\n`;
}

/** The `gateway ready` log line. */
export interface GatewayReady {
  smtp: string;
  ops: string;
  principal: string;
}

export interface GatewayProcess {
  running: Running;
  ready: Promise<GatewayReady>;
  /** Every JSON log line so far, parsed. */
  logs(): Record<string, unknown>[];
}

/** Writes `<dir>/gateway.toml` and returns its path. */
export function writeGatewayConfig(dir: string, s: GatewaySettings): string {
  const file = join(dir, 'gateway.toml');
  writeFileSync(file, gatewayToml(s));
  return file;
}

export function startGateway(
  configFile: string,
  opts: { logFile?: string; detached?: boolean } = {},
): GatewayProcess {
  const args = [join(ROOT, 'bin', 'waxseal'), 'gateway', '--config', configFile];
  const running = launch('gateway', process.execPath, args, {
    detached: opts.detached ?? true,
    ...(opts.logFile ? { logFile: opts.logFile } : {}),
  });
  const { proc } = running;
  const parsed: Record<string, unknown>[] = [];
  let partial = '';
  let onLine: ((line: Record<string, unknown>) => void) | null = null;
  proc.stdout?.on('data', (d: Buffer) => {
    partial += d.toString('utf8');
    for (let nl = partial.indexOf('\n'); nl >= 0; nl = partial.indexOf('\n')) {
      const text = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      try {
        const line = JSON.parse(text) as Record<string, unknown>;
        parsed.push(line);
        onLine?.(line);
      } catch {
        // not a log line
      }
    }
  });
  const ready = new Promise<GatewayReady>((res, rej) => {
    const settle = (f: () => void) => {
      clearTimeout(timer);
      onLine = null;
      proc.off('exit', onExit);
      f();
    };
    onLine = (line) => {
      if (line.msg === 'gateway ready') {
        settle(() =>
          res({ smtp: String(line.smtp), ops: String(line.ops), principal: String(line.principal) }),
        );
      }
    };
    const onExit = (code: number | null, signal: string | null) =>
      settle(() =>
        rej(
          new Error(`waxseal gateway exited during startup (${signal ?? `code ${code}`}):\n${running.log()}`),
        ),
      );
    const timer = setTimeout(
      () =>
        settle(() =>
          rej(new Error(`waxseal gateway not ready after ${READY_TIMEOUT_MS} ms:\n${running.log()}`)),
        ),
      READY_TIMEOUT_MS,
    );
    proc.once('exit', onExit);
  });
  return { running, ready, logs: () => parsed };
}

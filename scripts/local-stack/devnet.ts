/**
 * The devnet of the local stack: the canister configuration it is installed (or upgraded) with, and the
 * `waxseal devnet` child process with its one ready line.
 *
 * Configuration (the Candid `Config` of candid/waxseal.did as JSON; rules in canister/config.ts):
 * - `mail_hosts`: `mail.waxseal.localhost`. `.localhost` is reserved (RFC 6761 §6.3), so it can never be a real
 *   mail domain; the gateway (issue 10) will accept `register@` / `recover@` it on loopback.
 * - `app_origin`: `http://localhost:5173`, where the web app (issue 11) will be served; `http://` is allowed for
 *   localhost only. It is part of every user principal's seed and cannot change once an identity exists.
 * - `root_anchors`: the test root's DS (test-vectors/dnssec/generated/anchors.ds), so proofs for the signed
 *   `wxtest.` zones that named serves validate, and proofs for real domains do not.
 * - `doh`: the canister fetches TXT records over DoH only for names under `allowed_domains`, and only when no
 *   DNSSEC proof can exist. The served zones without DNSSEC are `unsigned.wxtest` (an unsigned child of the
 *   signed TLD) and `wxplain` (an unsigned TLD); each publishes a DKIM key at `sel._domainkey` and `_dmarc`.
 *   One provider, the local dnsdist, with quorum 1: more listeners would all front the same named and add no
 *   independence, so a larger quorum would only pretend. A 60 s cache keeps local edits visible.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GENERATED_DIR } from './dns.ts';
import { launch, type Running } from './process.ts';

export const LOCAL_MAIL_HOST = 'mail.waxseal.localhost';
export const LOCAL_APP_ORIGIN = 'http://localhost:5173';
export const LOCAL_DOH_DOMAINS = ['unsigned.wxtest', 'wxplain'] as const;

const ROOT = join(import.meta.dirname, '..', '..');
/** Loading the wasm and running the canister's init or upgrade takes a few seconds; this bounds it. */
const READY_TIMEOUT_MS = 60_000;

/** The JSON form of the Candid `Config` (every field optional; the ones the local stack sets). */
export interface DevnetConfig {
  mail_hosts: string[];
  app_origin: string;
  root_anchors: string[];
  doh: {
    allowed_domains: string[];
    providers: { name: string; url: string }[];
    quorum: number;
    cache_seconds: number;
  };
}

export function localConfig(dohUrl: string): DevnetConfig {
  return {
    mail_hosts: [LOCAL_MAIL_HOST],
    app_origin: LOCAL_APP_ORIGIN,
    root_anchors: readFileSync(join(GENERATED_DIR, 'anchors.ds'), 'utf8').trim().split('\n'),
    doh: {
      allowed_domains: [...LOCAL_DOH_DOMAINS],
      providers: [{ name: 'local dnsdist', url: dohUrl }],
      quorum: 1,
      cache_seconds: 60,
    },
  };
}

/** The line `waxseal devnet` prints on stdout once it serves. */
export interface DevnetReady {
  url: string;
  canister_id: string;
  root_key: string;
}

function parseReady(line: string): DevnetReady {
  const v = JSON.parse(line) as Partial<DevnetReady>;
  if (typeof v.url !== 'string' || typeof v.canister_id !== 'string' || typeof v.root_key !== 'string') {
    throw new Error(`unexpected ready line from waxseal devnet: ${line}`);
  }
  return { url: v.url, canister_id: v.canister_id, root_key: v.root_key };
}

export interface DevnetOptions {
  port: number;
  dataDir: string;
  configFile: string;
  clean: boolean;
  logFile: string;
}

/**
 * Spawns `waxseal devnet` in its own process group. `running` is there at once (so a Ctrl-C during startup can
 * stop it); `ready` resolves with its ready line, or rejects with its log tail if it exits or stays silent.
 */
export function startDevnet(o: DevnetOptions): { running: Running; ready: Promise<DevnetReady> } {
  const args = [join(ROOT, 'bin', 'waxseal'), 'devnet', '--port', String(o.port), '--data', o.dataDir];
  args.push('--config', o.configFile, ...(o.clean ? ['--clean'] : []));
  const running = launch('devnet', process.execPath, args, { detached: true, logFile: o.logFile });
  const { proc } = running;
  const ready = new Promise<DevnetReady>((res, rej) => {
    let out = '';
    const settle = (f: () => void) => {
      clearTimeout(timer);
      proc.stdout?.off('data', onData);
      proc.off('exit', onExit);
      f();
    };
    const fail = (why: string) => settle(() => rej(new Error(`waxseal devnet ${why}:\n${running.log()}`)));
    const onData = (d: Buffer) => {
      out += d.toString('utf8');
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      try {
        const line = parseReady(out.slice(0, nl));
        settle(() => res(line));
      } catch (e) {
        fail(`printed no ready line (${e instanceof Error ? e.message : String(e)})`);
      }
    };
    const onExit = (code: number | null, signal: string | null) =>
      fail(`exited during startup (${signal ?? `code ${code}`})`);
    const timer = setTimeout(
      () => fail(`was not ready after ${READY_TIMEOUT_MS / 1000} s`),
      READY_TIMEOUT_MS,
    );
    proc.stdout?.on('data', onData);
    proc.once('exit', onExit);
  });
  return { running, ready };
}

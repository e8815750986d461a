/**
 * `npm start`: the whole local stack on loopback, offline, one command (issue 9).
 *
 *   web app  frontend/dist (built first) and /env.json                    localhost:5173          (--web-port)
 *   demo     examples/demo-dapp (built first): a dApp that signs in       localhost:5174          (--demo-port,
 *            through the web app's /authorize                                                     default web + 1)
 *   named    the signed test zones (test-vectors/dnssec/generated/)   127.0.0.1:4953 udp+tcp  (--dns-port)
 *   dnsdist  RFC 8484 DoH in front of it, plain HTTP, CORS *         127.0.0.1:4954          (--doh-port)
 *   devnet   `waxseal devnet`: the IC HTTP interface with the canister 127.0.0.1:4943          (--port)
 *   gateway  `waxseal gateway`: SMTP for register@/recover@ the mail host 127.0.0.1:2525          (--smtp-port)
 *            and its operator port (/metrics, /healthz)                 127.0.0.1:4955          (--ops-port)
 *
 * It checks the system binaries first (one line naming what is missing and how to install it), builds the canister
 * when the wasm is missing or stale, starts the four in that order, prints one table of what runs where, and
 * stays in the foreground. Ctrl-C or SIGTERM stops the gateway first (no new mail; its spool stays), then the
 * devnet (it flushes its state), then dnsdist and named, and exits 0; when a child dies on its own, the rest are stopped and the exit status is 1, with the tail of
 * that child's log. The children run in their own process groups so that a terminal's Ctrl-C reaches only this
 * process, which stops them in order.
 *
 * The data folder (--data, default .waxseal/) holds devnet/ (the devnet's state; --clean starts it empty),
 * devnet-config.json (the canister configuration, scripts/local-stack/devnet.ts), gateway/ (gateway.toml, its key
 * and spool), logs/ and, while the stack
 * runs, stack.json (the table as JSON, with the full root key, for tools that need it).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildFrontend, DIST } from './frontend-build.ts';
import { buildCanister, staleReason } from './local-stack/canister-build.ts';
import { buildDemo, DEMO_DIST, serveDemo } from './local-stack/demo.ts';
import {
  type DevnetReady,
  LOCAL_APP_ORIGIN,
  LOCAL_MAIL_HOST,
  localConfig,
  startDevnet,
} from './local-stack/devnet.ts';
import { DNS_PACKAGES, type DnsStack, startDnsStack } from './local-stack/dns.ts';
import { type GatewayReady, startGateway, writeGatewayConfig } from './local-stack/gateway.ts';
import {
  exited,
  findBinary,
  MissingBinaryError,
  portIsFree,
  type Running,
  terminate,
} from './local-stack/process.ts';
import { serveWeb, type WebServer } from './local-stack/web.ts';

const ROOT = join(import.meta.dirname, '..');
const NAME = 'npm start';
const INSTALL_ALL = 'sudo ./scripts/install-system-deps.sh';
const USAGE = `usage: ${NAME} -- [--port 4943] [--dns-port 4953] [--doh-port 4954] [--smtp-port 2525] [--ops-port 4955] [--web-port 5173] [--demo-port <web port + 1>] [--data .waxseal] [--clean]`;

interface Options {
  port: number;
  dnsPort: number;
  dohPort: number;
  smtpPort: number;
  opsPort: number;
  webPort: number;
  demoPort: number;
  data: string;
  clean: boolean;
}

/** One line on stderr, prefixed like every message of this script. */
function say(line: string): void {
  process.stderr.write(`${NAME}: ${line}\n`);
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '4943' },
      'dns-port': { type: 'string', default: '4953' },
      'doh-port': { type: 'string', default: '4954' },
      'smtp-port': { type: 'string', default: '2525' },
      'ops-port': { type: 'string', default: '4955' },
      'web-port': { type: 'string', default: '5173' },
      'demo-port': { type: 'string' },
      data: { type: 'string', default: join(ROOT, '.waxseal') },
      clean: { type: 'boolean', default: false },
    },
  });
  const port = (flag: string, text: string) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`--${flag} ${text} is not a port`);
    return n;
  };
  return {
    port: port('port', values.port),
    dnsPort: port('dns-port', values['dns-port']),
    dohPort: port('doh-port', values['doh-port']),
    smtpPort: port('smtp-port', values['smtp-port']),
    opsPort: port('ops-port', values['ops-port']),
    webPort: port('web-port', values['web-port']),
    demoPort: port('demo-port', values['demo-port'] ?? String(Number(values['web-port']) + 1)),
    data: resolve(values.data),
    clean: values.clean,
  };
}

/** The binaries of DNS_PACKAGES that are not installed, as one install hint; null when all are there. */
function missingPackagesLine(): string | null {
  const missing = Object.entries(DNS_PACKAGES).filter(([binary]) => {
    try {
      findBinary(binary);
      return false;
    } catch (e) {
      if (e instanceof MissingBinaryError) return true;
      throw e;
    }
  });
  if (missing.length === 0) return null;
  const names = missing.map(([binary, pkg]) => `${binary} (Debian package ${pkg})`).join(', ');
  const pkgs = missing.map(([, pkg]) => pkg).join(' ');
  return `${names} not found; install with: sudo apt-get install -y ${pkgs}   (or ${INSTALL_ALL} for everything)`;
}

/** The first of our fixed ports that something else already listens on, as a message; null when all are free. */
async function busyPortLine(o: Options): Promise<string | null> {
  const ports: [number, string][] = [
    [o.port, '--port'],
    [o.dnsPort, '--dns-port'],
    [o.dohPort, '--doh-port'],
    [o.smtpPort, '--smtp-port'],
    [o.opsPort, '--ops-port'],
    [o.webPort, '--web-port'],
    [o.demoPort, '--demo-port'],
  ];
  for (const [port, flag] of ports) {
    if (!(await portIsFree(port))) return `127.0.0.1:${port} is in use; choose another with ${flag}`;
  }
  return null;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => `  ${r.map((c, i) => c.padEnd(widths[i]!)).join('   ')}`.trimEnd()).join('\n');
}

function summary(
  o: Options,
  dns: DnsStack,
  devnet: DevnetReady,
  gateway: GatewayReady,
  web: WebServer,
  demo: WebServer,
  pids: Record<string, number>,
): string {
  const rel = relative(process.cwd(), o.data);
  const data = rel.startsWith('..') ? o.data : rel || '.';
  const rows = [
    ['service', 'address', 'process'],
    ['web app', `${web.url}/`, 'served by npm start; /env.json names this stack'],
    ['demo dApp', `${demo.url}/`, `signs in through ${web.url}/authorize; /legacy.html with auth-client 3.4`],
    ['IC endpoint', devnet.url, `waxseal devnet, pid ${pids.devnet}`],
    ['canister id', devnet.canister_id, ''],
    [
      'root key',
      `${devnet.root_key.slice(0, 12)}…${devnet.root_key.slice(-8)}`,
      'DER; in full in stack.json',
    ],
    ['DoH (RFC 8484)', dns.dohUrl, `dnsdist, pid ${pids.dnsdist}`],
    ['DNS', `127.0.0.1:${dns.dnsPort} udp+tcp`, `named, pid ${pids.named}`],
    ['SMTP gateway', gateway.smtp, `waxseal gateway, pid ${pids.gateway}`],
    ['gateway ops', `${gateway.ops}/metrics`, '/metrics, /healthz, /readyz'],
    ['mail host', LOCAL_MAIL_HOST, `register@ and recover@ it, through the gateway`],
    ['app origin', LOCAL_APP_ORIGIN, 'part of every user principal: open the web app at this origin'],
    ['data folder', data, 'devnet/ state, devnet-config.json, gateway/, logs/, stack.json'],
  ];
  const next = [
    'Next steps:',
    `  - Node or browser: HttpAgent.create({ host: '${devnet.url}', shouldFetchRootKey: true }) from`,
    `    @icp-sdk/core/agent, then createActor('${devnet.canister_id}', { agent }) from canister/declarations/waxseal.ts;`,
    '    e.g. await actor.config() shows the settings above.',
    `  - ./bin/waxseal dnssec prove sel._domainkey.ecdsa.wxtest TXT --doh ${dns.dohUrl} \\`,
    '      --anchors test-vectors/dnssec/generated/anchors.ds   (a DNSSEC proof from the local zones)',
    `  - dig @127.0.0.1 -p ${dns.dnsPort} sel._domainkey.ecdsa.wxtest TXT +dnssec`,
    '  - Send a DKIM-signed mail from a signed test domain through the gateway (the Subject carries the nonce',
    '    that email_setup_prepare or email_recovery_prepare returned):',
    `      ./bin/waxseal send-test-mail --from alice@ed25519.wxtest --to register@${LOCAL_MAIL_HOST} \\`,
    `        --subject 'Waxseal <nonce>' --server ${gateway.smtp}`,
    '  - Ctrl-C stops everything (the devnet keeps its state in the data folder; --clean starts afresh).',
  ];
  return `\nWaxseal local stack is running\n\n${table(rows)}\n\n${next.join('\n')}\n`;
}

/** Everything started so far. */
class Stack {
  web: WebServer | undefined;
  demo: WebServer | undefined;
  gateway: Running | undefined;
  devnet: Running | undefined;
  dns: DnsStack | undefined;

  children(): Running[] {
    return [
      ...(this.gateway ? [this.gateway] : []),
      ...(this.devnet ? [this.devnet] : []),
      ...(this.dns?.processes ?? []),
    ];
  }

  /**
   * The gateway first (it stops taking mail and keeps its spool), then the devnet, so it can flush, then dnsdist
   * and named. False if the devnet did not exit with 0.
   */
  async stop(): Promise<boolean> {
    await this.web?.close();
    await this.demo?.close();
    if (this.gateway) await terminate(this.gateway.proc);
    if (this.devnet) await terminate(this.devnet.proc);
    await this.dns?.stop();
    return this.devnet === undefined || this.devnet.proc.exitCode === 0;
  }

  /** Ctrl-C or SIGTERM: stop everything; 0, or 1 when the devnet did not stop cleanly. */
  async shutdown(): Promise<number> {
    if (await this.stop()) return 0;
    say('waxseal devnet did not exit cleanly; see logs/devnet.log');
    return 1;
  }

  /** A child exited on its own: say which, with the end of its log, and stop the rest; 1. */
  async crashed(r: Running): Promise<number> {
    const how = r.proc.signalCode ?? `code ${r.proc.exitCode}`;
    say(`${r.name} exited unexpectedly (${how}); stopping the rest. Last lines of logs/${r.name}.log:`);
    process.stderr.write(`${r.log().trimEnd()}\n`);
    await this.stop();
    return 1;
  }
}

/** The first of `runs` to exit (at once if one already has). */
function firstExit(runs: Running[]): Promise<Running> {
  return new Promise((res) => {
    for (const r of runs) {
      if (exited(r.proc)) res(r);
      else r.proc.once('exit', () => res(r));
    }
  });
}

async function main(argv: string[]): Promise<number> {
  let o: Options;
  try {
    o = parseOptions(argv);
  } catch (e) {
    say(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const problem = missingPackagesLine() ?? (await busyPortLine(o));
  if (problem) {
    say(problem);
    return 1;
  }

  const logs = join(o.data, 'logs');
  mkdirSync(logs, { recursive: true });
  const stack = new Stack();
  // Ctrl-C or SIGTERM: acted on between startup steps, at once while waiting for the devnet or once running.
  let interrupted = false;
  const stopRequested = new Promise<'signal'>((res) => {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      process.on(sig, () => {
        interrupted = true;
        res('signal');
      });
    }
  });
  // Last resort if this process dies of a bug: no child outlives it.
  process.on('exit', () => {
    for (const r of stack.children()) if (!exited(r.proc)) r.proc.kill('SIGKILL');
  });

  try {
    const stale = staleReason();
    if (stale) {
      say(`building the canister (${stale}), about 10 s…`);
      await buildCanister(join(logs, 'build.log'));
    }
    if (interrupted) return 0;
    say('building the web app…');
    const bundle = await buildFrontend();
    say(`web app built: ${(bundle.gzipTotal / 1024).toFixed(1)} KiB of gzipped JS on the first page`);
    say('building the demo dApp…');
    await buildDemo();
    if (interrupted) return 0;
    say('starting named and dnsdist…');
    stack.dns = await startDnsStack({
      ports: { dns: o.dnsPort, doh: [o.dohPort] },
      detached: true,
      logDir: logs,
    });
    if (interrupted) return await stack.shutdown();
    const configFile = join(o.data, 'devnet-config.json');
    writeFileSync(configFile, `${JSON.stringify(localConfig(stack.dns.dohUrl), null, 2)}\n`);
    say('starting waxseal devnet…');
    const devnet = startDevnet({
      port: o.port,
      dataDir: join(o.data, 'devnet'),
      configFile,
      clean: o.clean,
      logFile: join(logs, 'devnet.log'),
    });
    stack.devnet = devnet.running;
    const ready = await Promise.race([devnet.ready, firstExit(stack.dns.processes), stopRequested]);
    if (ready === 'signal') return await stack.shutdown();
    if ('proc' in ready) return await stack.crashed(ready);

    say('starting waxseal gateway…');
    const gatewayDir = join(o.data, 'gateway');
    mkdirSync(gatewayDir, { recursive: true, mode: 0o700 });
    const gatewayConfig = writeGatewayConfig(gatewayDir, {
      smtpListen: `127.0.0.1:${o.smtpPort}`,
      opsListen: `127.0.0.1:${o.opsPort}`,
      canisterUrl: ready.url,
      canisterId: ready.canister_id,
      spoolDir: 'spool',
      keyFile: 'gateway.key',
      dohUrls: [stack.dns.dohUrl],
    });
    const gateway = startGateway(gatewayConfig, { logFile: join(logs, 'gateway.log') });
    stack.gateway = gateway.running;
    const gatewayReady = await Promise.race([
      gateway.ready,
      firstExit([...(stack.devnet ? [stack.devnet] : []), ...stack.dns.processes]),
      stopRequested,
    ]);
    if (gatewayReady === 'signal') return await stack.shutdown();
    if ('proc' in gatewayReady) return await stack.crashed(gatewayReady);
    stack.web = await serveWeb(
      DIST,
      { host: ready.url, canisterId: ready.canister_id, rootKey: ready.root_key },
      o.webPort,
    );
    stack.demo = await serveDemo(
      DEMO_DIST,
      {
        identityProvider: `${stack.web.url}/authorize`,
        host: ready.url,
        canisterId: ready.canister_id,
        rootKey: ready.root_key,
      },
      o.demoPort,
    );

    const pids = Object.fromEntries(stack.children().map((r) => [r.name, r.proc.pid ?? 0]));
    const stackFile = join(o.data, 'stack.json');
    const info = {
      ...ready,
      doh_url: stack.dns.dohUrl,
      dns_port: stack.dns.dnsPort,
      smtp: gatewayReady.smtp,
      gateway_ops: gatewayReady.ops,
      gateway_principal: gatewayReady.principal,
      web: stack.web.url,
      demo: stack.demo.url,
      pids,
      data: o.data,
    };
    writeFileSync(stackFile, `${JSON.stringify(info, null, 2)}\n`);
    process.stdout.write(summary(o, stack.dns, ready, gatewayReady, stack.web, stack.demo, pids));

    const end = await Promise.race([firstExit(stack.children()), stopRequested]);
    rmSync(stackFile, { force: true });
    if (end !== 'signal') return await stack.crashed(end);
    say('stopping…');
    return await stack.shutdown();
  } catch (e) {
    // A failed step (its message carries the child's log tail), or a child killed by the same Ctrl-C (the build).
    await stack.stop();
    if (interrupted) return 0;
    say((e as Error).message.trimEnd());
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));

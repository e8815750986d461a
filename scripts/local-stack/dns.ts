/**
 * Real DNS servers on loopback, for the local stack (scripts/start.ts) and the DNS test suites alike.
 *
 * - BIND `named` serves every zone of test-vectors/dnssec/generated/ authoritatively (the test root ".", the TLD
 *   wxtest. and its children, signed per RFC 4033–4035 / RFC 5155 by scripts/gen-dnssec-zones.sh), so a validator
 *   can walk the chain from the test root's KSK down.
 * - dnsdist forwards RFC 8484 DNS-over-HTTPS requests to it. It is given no certificate, so it speaks plain
 *   HTTP/1.1 ("DNS over HTTP mode"), with `access-control-allow-origin: *` on every response (a browser page may
 *   GET it; RFC 8484 GET with `accept: application/dns-message` needs no preflight).
 *
 * Binaries come from the Debian packages bind9 and dnsdist (scripts/install-system-deps.sh). Readiness is
 * checked with our own queries (src/proof/doh.ts), so nothing else is needed. Every wait is bounded.
 *
 * Running as root: named only switches user when given `-u`. We never pass it, so under root named keeps running as
 * root; that is what we want here, because `-u bind` would drop to a user that cannot read our mkdtemp() directory
 * (mode 0700) or the repository. Under a normal user named simply runs as that user (ports are > 1024).
 */
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { nameFromText } from '../../src/dns/name.ts';
import { parseMessage } from '../../src/dns/record.ts';
import { TYPE } from '../../src/dns/types.ts';
import { encodeQuery } from '../../src/proof/doh.ts';
import { findBinary, freePort, launch, type Running, terminate, waitUntil } from './process.ts';

export const GENERATED_DIR = resolve(import.meta.dirname, '../../test-vectors/dnssec/generated');

/** The Debian package of each binary the stack runs, for install hints. */
export const DNS_PACKAGES = { named: 'bind9', dnsdist: 'dnsdist' } as const;

const PROBE_TIMEOUT_MS = 1_000;

export interface DnsStack {
  /** UDP+TCP port of named on 127.0.0.1. */
  dnsPort: number;
  /** RFC 8484 endpoint, e.g. http://127.0.0.1:40123/dns-query (plain HTTP). */
  dohUrl: string;
  /** Every DoH listener (the first is `dohUrl`), when more were asked for. */
  dohUrls: string[];
  /** Temporary directory holding the generated configs (removed by stop()). */
  workDir: string;
  /** named, then dnsdist. */
  processes: Running[];
  /** Stops dnsdist, then named (SIGTERM, SIGKILL after a bound). */
  stop(): Promise<void>;
}

/**
 * A DoH listener that lies: queries for `name` reaching `port` get `txt` instead of the zone's answer
 * (dnsdist's own SpoofRawAction on a DSTPortRule), to test quorums against disagreeing providers.
 */
interface SpoofedListener {
  port: number;
  name: string;
  txt: string;
}

export interface DnsStackOptions {
  zonesDir?: string;
  /** Fixed ports (the local stack); default: free ones, `dohListeners` of them for DoH (default 1). */
  ports?: { dns: number; doh: number[] };
  dohListeners?: number;
  /** Listeners (by index into dohUrls) that answer one TXT name falsely. */
  spoof?: { listener: number; name: string; txt: string }[];
  /** Own process groups for named and dnsdist (see LaunchOptions.detached). */
  detached?: boolean;
  /** Also write named.log and dnsdist.log into this directory. */
  logDir?: string;
}

interface ZoneEntry {
  zone: string;
  file: string;
  signed: boolean;
}

function namedConf(dir: string, port: number, zonesDir: string): string {
  const { zones } = JSON.parse(readFileSync(join(zonesDir, 'zones.json'), 'utf8')) as { zones: ZoneEntry[] };
  const lines = [
    'options {',
    `  directory "${dir}";`,
    `  listen-on port ${port} { 127.0.0.1; };`,
    '  listen-on-v6 { none; };',
    '  recursion no;', // authoritative only: it answers DS from the parent side and DNSKEY from the child
    '  dnssec-validation no;', // nothing to validate, and no need for /etc/bind/bind.keys
    '  notify no;',
    '  pid-file none;',
    `  managed-keys-directory "${dir}";`,
    '};',
    'controls { };', // no rndc channel (it would want /etc/bind/rndc.key)
  ];
  for (const z of zones) {
    const file = isAbsolute(z.file) ? z.file : join(zonesDir, z.file);
    lines.push(`zone "${z.zone}" { type primary; file "${file}"; };`);
  }
  return `${lines.join('\n')}\n`;
}

function txtRdataLua(txt: string): string {
  const bytes = [txt.length, ...Buffer.from(txt, 'latin1')];
  return `"${bytes.map((b) => `\\${String(b).padStart(3, '0')}`).join('')}"`;
}

function dnsdistConf(namedPort: number, dohPorts: number[], spoofed: SpoofedListener[]): string {
  return [
    "setSecurityPollSuffix('')", // no security-status lookups on the network
    // Lenient health checks: under a loaded CI machine a slow check must not mark named down (SERVFAIL).
    `newServer({address='127.0.0.1:${namedPort}', checkName='wxtest.', checkType='SOA', checkTimeout=5000, maxCheckFailures=20})`,
    // No certificate/key: dnsdist serves DoH over plain HTTP/1.1 (dnsdist >= 1.4; checked with 1.7.3).
    ...dohPorts.map(
      (port) =>
        `addDOHLocal('127.0.0.1:${port}', nil, nil, '/dns-query', { customResponseHeaders = { ['access-control-allow-origin'] = '*' } })`,
    ),
    ...spoofed.map(
      (s) =>
        `addAction(AndRule({DSTPortRule(${s.port}), QNameRule('${s.name}'), QTypeRule(DNSQType.TXT)}), SpoofRawAction(${txtRdataLua(s.txt)}))`,
    ),
  ].join('\n');
}

/** True when `reply` is a NOERROR response with an answer. */
function answered(reply: Uint8Array): boolean {
  const msg = parseMessage(reply);
  return msg.rcode === 0 && msg.answers.length > 0;
}

/** One UDP query for `name` SOA to named on loopback; whether it answered. */
async function namedAnswers(port: number, name: string): Promise<boolean> {
  const socket = createSocket('udp4');
  try {
    const reply = await new Promise<Buffer>((res, rej) => {
      const timer = setTimeout(() => rej(new Error('no answer')), PROBE_TIMEOUT_MS);
      socket.once('message', (m) => {
        clearTimeout(timer);
        res(m);
      });
      socket.once('error', (e) => {
        clearTimeout(timer);
        rej(e);
      });
      socket.send(encodeQuery(nameFromText(name), TYPE.SOA), port, '127.0.0.1');
    });
    return answered(reply);
  } finally {
    socket.close();
  }
}

/** One RFC 8484 GET for `wxtest.` SOA; whether dnsdist answered it from named. */
async function dohAnswers(url: string): Promise<boolean> {
  const dns = Buffer.from(encodeQuery(nameFromText('wxtest.'), TYPE.SOA)).toString('base64url');
  const res = await fetch(`${url}?dns=${dns}`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
  const body = new Uint8Array(await res.arrayBuffer());
  return (
    res.status === 200 && res.headers.get('content-type') === 'application/dns-message' && answered(body)
  );
}

/** Starts named and dnsdist on loopback; resolves once both answer. */
export async function startDnsStack(opts: DnsStackOptions = {}): Promise<DnsStack> {
  const zonesDir = resolve(opts.zonesDir ?? GENERATED_DIR);
  const named = findBinary('named');
  const dnsdist = findBinary('dnsdist');
  const launchOpts = (name: string) => ({
    detached: opts.detached ?? false,
    ...(opts.logDir ? { logFile: join(opts.logDir, `${name}.log`) } : {}),
  });

  const workDir = mkdtempSync(join(tmpdir(), 'waxseal-dns-'));
  const started: Running[] = [];
  const stop = async () => {
    for (const r of [...started].reverse()) await terminate(r.proc);
    rmSync(workDir, { recursive: true, force: true });
  };

  try {
    const dnsPort = opts.ports?.dns ?? (await freePort());
    writeFileSync(join(workDir, 'named.conf'), namedConf(workDir, dnsPort, zonesDir));
    const namedArgs = ['-g', '-4', '-n', '2', '-c', join(workDir, 'named.conf'), '-p', String(dnsPort)];
    const n = launch('named', named, namedArgs, launchOpts('named'));
    started.push(n);
    await waitUntil(n, () => namedAnswers(dnsPort, '.'));

    const dohPorts = opts.ports ? [...opts.ports.doh] : [];
    if (!opts.ports) for (let i = 0; i < (opts.dohListeners ?? 1); i++) dohPorts.push(await freePort());
    const spoofed = (opts.spoof ?? []).map((s) => ({
      port: dohPorts[s.listener]!,
      name: s.name,
      txt: s.txt,
    }));
    writeFileSync(join(workDir, 'dnsdist.conf'), dnsdistConf(dnsPort, dohPorts, spoofed));
    const dnsdistArgs = ['--supervised', '--disable-syslog', '-C', join(workDir, 'dnsdist.conf')];
    const d = launch('dnsdist', dnsdist, dnsdistArgs, launchOpts('dnsdist'));
    started.push(d);
    const dohUrls = dohPorts.map((p) => `http://127.0.0.1:${p}/dns-query`);
    // Every listener must answer before callers rely on it (a quorum test counts each one).
    for (const url of dohUrls) await waitUntil(d, () => dohAnswers(url));
    return { dnsPort, dohUrl: dohUrls[0]!, dohUrls, workDir, processes: [...started], stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

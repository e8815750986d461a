/**
 * Real DNS servers on loopback for tests.
 *
 * - BIND `named` serves every zone of test-vectors/dnssec/generated/ authoritatively (the test root ".", the TLD
 *   wxtest. and its children, signed per RFC 4033–4035 / RFC 5155 by scripts/gen-dnssec-zones.sh), so a validator
 *   can walk the chain from the test root's KSK down.
 * - dnsdist forwards RFC 8484 DNS-over-HTTPS requests to it. It is given no certificate, so it speaks plain
 *   HTTP/1.1 ("DNS over HTTP mode"), with `access-control-allow-origin: *` on every response.
 * - `delv` (BIND's validating lookup tool) is an independent validator to compare our verdicts with.
 *
 * Binaries come from the Debian packages bind9, bind9-utils, bind9-dnsutils and dnsdist
 * (scripts/install-system-deps.sh). Every wait is bounded.
 *
 * Running as root: named only switches user when given `-u`. We never pass it, so under root named keeps running as
 * root; that is what we want here, because `-u bind` would drop to a user that cannot read our mkdtemp() directory
 * (mode 0700) or the repository. Under a normal user named simply runs as that user (ports are > 1024).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

export const GENERATED_DIR = resolve(import.meta.dirname, '../../test-vectors/dnssec/generated');

const START_TIMEOUT_MS = 10_000;
const POLL_INTERVAL_MS = 100;
const STOP_TIMEOUT_MS = 5_000;
const DELV_TIMEOUT_MS = 15_000;
const LOG_TAIL_CHARS = 4_000;

export interface DnsStack {
  /** UDP+TCP port of named on 127.0.0.1. */
  dnsPort: number;
  /** RFC 8484 endpoint, e.g. http://127.0.0.1:40123/dns-query (plain HTTP). */
  dohUrl: string;
  /** Every DoH listener (the first is `dohUrl`), when more were asked for. */
  dohUrls: string[];
  /** Temporary directory holding the generated configs (removed by stop()). */
  workDir: string;
  stop(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------------
// Processes

/** Absolute path of a binary from PATH or the sbin directories (named lives in /usr/sbin). */
export function findBinary(name: string): string {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/local/sbin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  throw new Error(`${name} not found; install with scripts/install-system-deps.sh`);
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

interface Running {
  proc: ChildProcess;
  /** Last few KB of stdout+stderr, for error messages. */
  log(): string;
}

function launch(bin: string, args: string[]): Running {
  const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let buf = '';
  const keep = (d: Buffer) => {
    buf = (buf + d.toString('utf8')).slice(-LOG_TAIL_CHARS);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  proc.on('error', (e) => keep(Buffer.from(`spawn error: ${e.message}\n`)));
  return { proc, log: () => buf };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function exited(p: ChildProcess): boolean {
  return p.exitCode !== null || p.signalCode !== null;
}

/** SIGTERM, then SIGKILL after STOP_TIMEOUT_MS; resolves once the process is gone. */
async function terminate(p: ChildProcess): Promise<void> {
  if (exited(p) || p.pid === undefined) return;
  const gone = new Promise<void>((r) => p.once('exit', () => r()));
  p.kill('SIGTERM');
  const timer = setTimeout(() => p.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await gone;
  clearTimeout(timer);
}

/** Polls `ready` until it returns true; fails on timeout or when the process dies. */
async function waitUntil(what: string, r: Running, ready: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited(r.proc))
      throw new Error(`${what} exited during startup (code ${r.proc.exitCode}):\n${r.log()}`);
    if (await ready().catch(() => false)) return;
    await sleep(POLL_INTERVAL_MS);
  }
  throw new Error(`${what} not ready after ${START_TIMEOUT_MS} ms:\n${r.log()}`);
}

function run(bin: string, args: string[], timeoutMs: number): Promise<{ code: number; out: string }> {
  return new Promise((res) => {
    execFile(bin, args, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      res({ code, out: `${stdout}${stderr}` });
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// The stack

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

/**
 * A DoH listener that lies: queries for `name` reaching `port` get `txt` instead of the zone's answer
 * (dnsdist's own SpoofRawAction on a DSTPortRule), to test quorums against disagreeing providers.
 */
export interface SpoofedListener {
  port: number;
  name: string;
  txt: string;
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

/** Starts named and dnsdist on loopback; resolves once both answer. */
export async function startDnsStack(
  opts: {
    zonesDir?: string;
    /** How many DoH listeners (default 1). */
    dohListeners?: number;
    /** Listeners (by index into dohUrls) that answer one TXT name falsely. */
    spoof?: { listener: number; name: string; txt: string }[];
  } = {},
): Promise<DnsStack> {
  const zonesDir = resolve(opts.zonesDir ?? GENERATED_DIR);
  const named = findBinary('named');
  const dnsdist = findBinary('dnsdist');
  const dig = findBinary('dig');

  const workDir = mkdtempSync(join(tmpdir(), 'waxseal-dns-'));
  const started: Running[] = [];
  const stop = async () => {
    for (const r of started.reverse()) await terminate(r.proc);
    rmSync(workDir, { recursive: true, force: true });
  };

  try {
    const dnsPort = await freePort();
    writeFileSync(join(workDir, 'named.conf'), namedConf(workDir, dnsPort, zonesDir));
    const n = launch(named, [
      '-g',
      '-4',
      '-n',
      '2',
      '-c',
      join(workDir, 'named.conf'),
      '-p',
      String(dnsPort),
    ]);
    started.push(n);
    await waitUntil('named', n, async () => {
      const r = await run(
        dig,
        ['@127.0.0.1', '-p', String(dnsPort), '.', 'SOA', '+short', '+time=1', '+tries=1'],
        2_000,
      );
      return r.code === 0 && r.out.includes('hostmaster');
    });

    const dohPorts: number[] = [];
    for (let i = 0; i < (opts.dohListeners ?? 1); i++) dohPorts.push(await freePort());
    const dohPort = dohPorts[0]!;
    const spoofed = (opts.spoof ?? []).map((s) => ({
      port: dohPorts[s.listener]!,
      name: s.name,
      txt: s.txt,
    }));
    writeFileSync(join(workDir, 'dnsdist.conf'), dnsdistConf(dnsPort, dohPorts, spoofed));
    const d = launch(dnsdist, ['--supervised', '--disable-syslog', '-C', join(workDir, 'dnsdist.conf')]);
    started.push(d);
    const dohUrl = `http://127.0.0.1:${dohPort}/dns-query`;
    const probe = `${dohUrl}?dns=${Buffer.from(encodeQuery('wxtest.', 'SOA')).toString('base64url')}`;
    await waitUntil('dnsdist', d, async () => {
      const res = await fetch(probe, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      return res.status === 200 && res.headers.get('content-type') === 'application/dns-message';
    });

    const dohUrls = dohPorts.map((p) => `http://127.0.0.1:${p}/dns-query`);
    // Every listener must answer before tests rely on it (a quorum test counts each one).
    for (const url of dohUrls.slice(1)) {
      const q = `${url}?dns=${Buffer.from(encodeQuery('wxtest.', 'SOA')).toString('base64url')}`;
      await waitUntil('dnsdist', d, async () => {
        const res = await fetch(q, { signal: AbortSignal.timeout(1_000) });
        await res.arrayBuffer();
        return res.status === 200;
      });
    }
    return { dnsPort, dohUrl, dohUrls, workDir, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// delv

export interface DelvResult {
  /** delv printed "fully validated" (for a positive or a negative answer). */
  secure: boolean;
  /** secure; insecure = "unsigned answer" (provably unsigned delegation); failed = bogus or other failure. */
  verdict: 'secure' | 'insecure' | 'failed';
  output: string;
}

/**
 * Converts presentation-format DS or DNSKEY lines (anchors.ds / anchors.dnskey) into the named.conf
 * `trust-anchors { … };` syntax that `delv -a` reads.
 */
export function delvTrustAnchors(anchorsText: string): string {
  const out: string[] = [];
  for (const raw of anchorsText.split('\n')) {
    const line = raw.replace(/;.*/, '').trim();
    if (!line) continue;
    const t = line.split(/\s+/);
    const owner = t[0]!;
    const ds = t.findIndex((x) => x.toUpperCase() === 'DS');
    const key = t.findIndex((x) => x.toUpperCase() === 'DNSKEY');
    if (ds > 0 && t.length >= ds + 5) {
      const [tag, alg, dtype, ...hex] = t.slice(ds + 1);
      out.push(`  "${owner}" static-ds ${tag} ${alg} ${dtype} "${hex.join('')}";`);
    } else if (key > 0 && t.length >= key + 5) {
      const [flags, proto, alg, ...b64] = t.slice(key + 1);
      out.push(`  "${owner}" static-key ${flags} ${proto} ${alg} "${b64.join('')}";`);
    } else {
      throw new Error(`not a DS or DNSKEY line: ${raw}`);
    }
  }
  if (out.length === 0) throw new Error('no trust anchors found');
  return `trust-anchors {\n${out.join('\n')}\n};\n`;
}

let anchorFileCounter = 0;

/**
 * Validates `name`/`type` with delv against the stack's named, from the anchors in `anchorsFile` (DS or DNSKEY lines;
 * relative paths are taken from the generated directory).
 *
 * `now` is accepted for symmetry with our validator but cannot be passed on: delv has no option to set the validation
 * time and always uses the wall clock. The generated zones are valid 2025–2045 and the expired (2020–2021) and
 * not-yet-valid (2040–2045) zones are outside their windows today as well, so the verdicts agree with verify_time.
 */
export async function delv(
  stack: DnsStack,
  name: string,
  type: string,
  anchorsFile: string,
  now?: number,
): Promise<DelvResult> {
  void now;
  const path = isAbsolute(anchorsFile) ? anchorsFile : join(GENERATED_DIR, anchorsFile);
  const taFile = join(stack.workDir, `delv-anchors-${anchorFileCounter++}.conf`);
  writeFileSync(taFile, delvTrustAnchors(readFileSync(path, 'utf8')));
  const { out } = await run(
    findBinary('delv'),
    ['@127.0.0.1', '-p', String(stack.dnsPort), '-a', taFile, '+root=.', name, type],
    DELV_TIMEOUT_MS,
  );
  rmSync(taFile, { force: true });
  // delv prints one status line per answer RRset (a CNAME chain gives several): "; fully validated",
  // "; negative response, fully validated", "; unsigned answer" (and its negative form), or
  // ";; resolution failed: <why>" (bogus, broken trust chain, CNAME loop, …). A negative answer also prints
  // ";; resolution failed: ncache nxdomain|nxrrset" before its status line, which is not a failure.
  // The chain's verdict is its weakest link.
  const failed = /^;; resolution failed: (?!ncache )/m.test(out);
  const unsigned = /^; (negative response, )?unsigned answer$/m.test(out);
  const validated = /^; (negative response, )?fully validated$/m.test(out);
  const verdict = failed || !(unsigned || validated) ? 'failed' : unsigned ? 'insecure' : 'secure';
  return { secure: verdict === 'secure', verdict, output: out };
}

// ---------------------------------------------------------------------------------------------------------------
// Minimal DNS wire format (RFC 1035 §4), enough to build queries and read answers in tests.

export const RR_TYPES: Record<string, number> = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  DS: 43,
  RRSIG: 46,
  NSEC: 47,
  DNSKEY: 48,
  NSEC3: 50,
};

function typeNumber(type: string | number): number {
  if (typeof type === 'number') return type;
  const n = RR_TYPES[type.toUpperCase()] ?? Number(/^TYPE(\d+)$/i.exec(type)?.[1]);
  if (!Number.isInteger(n)) throw new Error(`unknown RR type ${type}`);
  return n;
}

/** A query with one question; `dnssecOk` adds an OPT RR with the DO bit (RFC 3225, RFC 6891). */
export function encodeQuery(
  name: string,
  type: string | number,
  opts: { id?: number; dnssecOk?: boolean } = {},
): Uint8Array<ArrayBuffer> {
  const labels = name.replace(/\.$/, '').split('.').filter(Boolean);
  const qname: number[] = [];
  for (const l of labels) {
    const b = Buffer.from(l, 'ascii');
    if (b.length > 63) throw new Error(`label too long: ${l}`);
    qname.push(b.length, ...b);
  }
  qname.push(0);
  const t = typeNumber(type);
  const arcount = opts.dnssecOk ? 1 : 0;
  const id = opts.id ?? 0; // RFC 8484 §4.1: use ID 0 for HTTP cache friendliness
  const header = [id >> 8, id & 0xff, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, arcount]; // RD=1
  const question = [...qname, t >> 8, t & 0xff, 0, 1];
  // OPT: root owner, type 41, UDP size 1232, ext-rcode 0, version 0, flags DO, rdlen 0
  const opt = opts.dnssecOk ? [0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 0] : [];
  return Uint8Array.from([...header, ...question, ...opt]);
}

export interface DecodedRecord {
  name: string;
  type: number;
  ttl: number;
  data: Uint8Array;
  /** TXT character-strings, decoded as latin1 (TXT only). */
  txt?: string[];
}

export interface DecodedMessage {
  id: number;
  flags: number;
  rcode: number;
  question: { name: string; type: number }[];
  answers: DecodedRecord[];
}

function readName(msg: Uint8Array, start: number): { name: string; next: number } {
  const labels: string[] = [];
  let pos = start;
  let next = -1;
  for (let jumps = 0; jumps < 64; jumps++) {
    const len = msg[pos];
    if (len === undefined) throw new Error('truncated name');
    if (len === 0) {
      return { name: labels.length ? `${labels.join('.')}.` : '.', next: next >= 0 ? next : pos + 1 };
    }
    if ((len & 0xc0) === 0xc0) {
      if (next < 0) next = pos + 2;
      pos = ((len & 0x3f) << 8) | (msg[pos + 1] ?? 0);
      continue;
    }
    labels.push(Buffer.from(msg.subarray(pos + 1, pos + 1 + len)).toString('latin1'));
    pos += 1 + len;
  }
  throw new Error('name compression loop');
}

/** Header, question and answer section of a DNS message (authority/additional are ignored). */
export function decodeMessage(msg: Uint8Array): DecodedMessage {
  if (msg.length < 12) throw new Error('DNS message shorter than its header');
  const u16 = (o: number) => ((msg[o] ?? 0) << 8) | (msg[o + 1] ?? 0);
  const id = u16(0);
  const flags = u16(2);
  const qd = u16(4);
  const an = u16(6);
  let pos = 12;
  const question: DecodedMessage['question'] = [];
  for (let i = 0; i < qd; i++) {
    const { name, next } = readName(msg, pos);
    question.push({ name, type: u16(next) });
    pos = next + 4;
  }
  const answers: DecodedRecord[] = [];
  for (let i = 0; i < an; i++) {
    const { name, next } = readName(msg, pos);
    const type = u16(next);
    const ttl = (u16(next + 4) * 0x10000 + u16(next + 6)) >>> 0;
    const rdlen = u16(next + 8);
    const data = msg.slice(next + 10, next + 10 + rdlen);
    if (data.length !== rdlen) throw new Error('truncated RDATA');
    const rec: DecodedRecord = { name, type, ttl, data };
    if (type === RR_TYPES.TXT) {
      rec.txt = [];
      for (let p = 0; p < data.length; ) {
        const l = data[p]!;
        rec.txt.push(Buffer.from(data.subarray(p + 1, p + 1 + l)).toString('latin1'));
        p += 1 + l;
      }
    }
    answers.push(rec);
    pos = next + 10 + rdlen;
  }
  return { id, flags, rcode: flags & 0x0f, question, answers };
}

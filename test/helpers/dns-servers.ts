/**
 * The test-only half of the loopback DNS stack. The servers themselves (BIND `named` with the generated zones,
 * dnsdist as a plain-HTTP DoH endpoint) are started by scripts/local-stack/dns.ts, which the local stack
 * (`npm start`) uses too; it is re-exported here for the suites. This file adds:
 * - `delv` (BIND's validating lookup tool, Debian bind9-dnsutils) as an independent validator to compare our
 *   verdicts with;
 * - a minimal DNS wire encoder/decoder, so tests can query the servers without our own parser in the loop.
 */
import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { type DnsStack, GENERATED_DIR } from '../../scripts/local-stack/dns.ts';
import { findBinary } from '../../scripts/local-stack/process.ts';

export { type DnsStack, GENERATED_DIR, startDnsStack } from '../../scripts/local-stack/dns.ts';
export { freePort } from '../../scripts/local-stack/process.ts';

const DELV_TIMEOUT_MS = 15_000;

function run(bin: string, args: string[], timeoutMs: number): Promise<{ code: number; out: string }> {
  return new Promise((res) => {
    execFile(bin, args, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      res({ code, out: `${stdout}${stderr}` });
    });
  });
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

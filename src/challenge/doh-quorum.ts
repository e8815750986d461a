/**
 * The pure half of the DoH fallback for unsigned domains (protocol.md §8): the RFC 8484 POST request, the HTTPS
 * outcall transform that reduces a DNS response to deterministic bytes (so every replica sees the same answer,
 * whatever TTLs, record order or name compression the provider used), the quorum over providers, and the
 * allowlist. The canister makes the outcalls, caches results per name and shares concurrent fetches.
 *
 * Transform output (what replicas agree on and the quorum compares byte for byte):
 * - `T` then, for each distinct TXT RDATA of the answer, sorted by unsigned bytes: u16 length ‖ RDATA (the
 *   length-prefixed character-strings exactly as on the wire). The TXT records are those owned by the question
 *   name, or by the end of the CNAME chain the resolver put in the answer section (≤ 8 hops, no loops);
 * - `N` for "no such record": NXDOMAIN, or NOERROR without a TXT answer (NODATA). Both mean "no record" to the
 *   DKIM and DMARC lookups, so providers that differ only there still agree;
 * - `E` for everything else: over 4 KiB, not a response, truncated, another question or ID than the query's,
 *   SERVFAIL / REFUSED / other rcodes, malformed wire data.
 */
import { DnsFormatError } from '../dns/errors.ts';
import type { TxtAnswer, TxtLookup } from '../dns/lookup.ts';
import {
  type Name,
  nameEquals,
  nameFromText,
  nameKey,
  nameTextKey,
  nameToWire,
  readName,
} from '../dns/name.ts';
import { decodeRdata } from '../dns/rdata.ts';
import { parseMessage } from '../dns/record.ts';
import { CLASS_IN, TYPE } from '../dns/types.ts';
import { bytesToBinary, compareBytes, concatBytes, toHex } from '../encoding/bytes.ts';
import { LIMITS } from '../limits.ts';

export const DOH_MEDIA_TYPE = 'application/dns-message';
/** protocol.md §8: response cap of every outcall. */
export const DOH_MAX_RESPONSE_BYTES = 4096;
export const DOH_DEFAULT_QUORUM = 3;
/** protocol.md §8: cache age, default 1 h, at most 24 h (seconds). */
export const DOH_CACHE_SECONDS = { default: 3600, max: 86_400 } as const;

export interface DohProvider {
  readonly name: string;
  readonly url: string;
}

/** protocol.md §8 default: five operators in four jurisdictions (US, US, CH, CA, JP). */
export const DEFAULT_DOH_PROVIDERS: readonly DohProvider[] = [
  { name: 'Cloudflare', url: 'https://cloudflare-dns.com/dns-query' },
  { name: 'Google', url: 'https://dns.google/dns-query' },
  { name: 'Quad9', url: 'https://dns.quad9.net/dns-query' },
  { name: 'CIRA Shield', url: 'https://private.canadianshield.cira.ca/dns-query' },
  { name: 'IIJ', url: 'https://public.dns.iij.jp/dns-query' },
];

const MARK_TXT = 0x54; // 'T'
const MARK_NONE = 0x4e; // 'N'
const MARK_ERROR = 0x45; // 'E'
export const DOH_NO_RECORD: Uint8Array = Uint8Array.of(MARK_NONE);
export const DOH_ERROR: Uint8Array = Uint8Array.of(MARK_ERROR);

const FLAG_QR = 0x8000;
const FLAG_TC = 0x0200;
const FLAG_RD = 0x0100;
const OPCODE_MASK = 0x7800;

// ---------------------------------------------------------------------------------------------------------------
// Allowlist

const NAME_SYNTAX = /^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*$/;

/**
 * protocol.md §8: only names at or under an allowed domain (an exact registered domain, e.g. `gmail.com`) are
 * ever fetched. Label-anchored: `evilgmail.com` is not under `gmail.com`.
 */
export function isAllowedName(name: string, allowedDomains: readonly string[]): boolean {
  const n = nameTextKey(name);
  if (n.length === 0 || n.length > 253 || !NAME_SYNTAX.test(n)) return false;
  return allowedDomains.some((d) => {
    const a = nameTextKey(d);
    return a !== '' && (n === a || n.endsWith(`.${a}`));
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Request

function u16(v: number): [number, number] {
  return [(v >> 8) & 0xff, v & 0xff];
}

function toName(name: string): Name {
  const n = nameTextKey(name);
  if (!NAME_SYNTAX.test(n)) throw new TypeError(`not a DNS name for DoH: ${JSON.stringify(name)}`);
  return nameFromText(`${n}.`);
}

/**
 * RFC 8484 §4.1 wire query for `<name> TXT IN`: ID 0 (§4.1 recommends it), RD, one question, and an EDNS(0)
 * OPT record (RFC 6891) advertising 4096 bytes, without DO: no RRSIGs, so answers stay under the 4 KiB cap.
 */
export function dohQuery(name: string): Uint8Array {
  const header = [...u16(0), ...u16(FLAG_RD), ...u16(1), ...u16(0), ...u16(0), ...u16(1)];
  const question = [...nameToWire(toName(name)), ...u16(TYPE.TXT), ...u16(CLASS_IN)];
  const opt = [0, ...u16(TYPE.OPT), ...u16(4096), 0, 0, 0, 0, ...u16(0)];
  return Uint8Array.from([...header, ...question, ...opt]);
}

export interface DohHttpRequest {
  readonly url: string;
  readonly method: 'POST';
  readonly headers: readonly { readonly name: string; readonly value: string }[];
  readonly body: Uint8Array;
  readonly maxResponseBytes: number;
}

/** The HTTPS outcall for one provider and name (RFC 8484 §4.1 POST). Check isAllowedName first. */
export function dohRequest(provider: DohProvider, name: string): DohHttpRequest {
  return {
    url: provider.url,
    method: 'POST',
    headers: [
      { name: 'content-type', value: DOH_MEDIA_TYPE },
      { name: 'accept', value: DOH_MEDIA_TYPE },
    ],
    body: dohQuery(name),
    maxResponseBytes: DOH_MAX_RESPONSE_BYTES,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Transform

interface Question {
  readonly id: number;
  readonly name: Name;
  readonly type: number;
  readonly class: number;
}

function readQuestion(msg: Uint8Array): Question {
  if (msg.length < 12) throw new DnsFormatError('shorter than a DNS header');
  if (((msg[4]! << 8) | msg[5]!) !== 1) throw new DnsFormatError('not exactly one question');
  const { name, end } = readName(msg, 12, true);
  if (end + 4 > msg.length) throw new DnsFormatError('truncated question');
  return {
    id: (msg[0]! << 8) | msg[1]!,
    name,
    type: (msg[end]! << 8) | msg[end + 1]!,
    class: (msg[end + 2]! << 8) | msg[end + 3]!,
  };
}

function encodeTxtSet(rdatas: readonly Uint8Array[]): Uint8Array {
  const sorted = [...rdatas].sort(compareBytes);
  const unique = sorted.filter((r, i) => i === 0 || compareBytes(r, sorted[i - 1]!) !== 0);
  return concatBytes(Uint8Array.of(MARK_TXT), ...unique.flatMap((r) => [Uint8Array.from(u16(r.length)), r]));
}

function reduce(body: Uint8Array, query: Uint8Array | undefined): Uint8Array {
  if (body.length > DOH_MAX_RESPONSE_BYTES) return DOH_ERROR;
  const q = readQuestion(body);
  const flags = (body[2]! << 8) | body[3]!;
  if (!(flags & FLAG_QR) || flags & FLAG_TC || flags & OPCODE_MASK) return DOH_ERROR;
  if (q.type !== TYPE.TXT || q.class !== CLASS_IN) return DOH_ERROR;
  if (query) {
    const asked = readQuestion(query);
    if (asked.id !== q.id || asked.type !== q.type || !nameEquals(asked.name, q.name)) return DOH_ERROR;
  }
  const msg = parseMessage(body);
  if (msg.rcode === 3) return DOH_NO_RECORD;
  if (msg.rcode !== 0) return DOH_ERROR;
  const answers = msg.answers.filter((rr) => rr.class === CLASS_IN);
  let current = q.name;
  const seen = new Set<string>([nameKey(current)]);
  for (let hops = 0; ; hops++) {
    const txt = answers.filter((rr) => rr.type === TYPE.TXT && nameEquals(rr.name, current));
    if (txt.length > 0) {
      for (const rr of txt) decodeRdata(TYPE.TXT, rr.rdata, 0, rr.rdata.length);
      return encodeTxtSet(txt.map((rr) => rr.rdata));
    }
    const cnames = answers.filter((rr) => rr.type === TYPE.CNAME && nameEquals(rr.name, current));
    if (cnames.length === 0) return DOH_NO_RECORD;
    if (cnames.length > 1 || hops >= LIMITS.cnameHops) return DOH_ERROR;
    current = readName(cnames[0]!.rdata, 0, false).name;
    if (seen.has(nameKey(current))) return DOH_ERROR;
    seen.add(nameKey(current));
  }
}

/**
 * The outcall transform (module comment): a DNS wire response → `T…`, `N` or `E`. `query`, when given (pass the
 * request body through the transform context), must have the response's ID and question. Never throws.
 */
export function transformDohResponse(body: Uint8Array, query?: Uint8Array): Uint8Array {
  try {
    return reduce(body, query);
  } catch {
    return DOH_ERROR;
  }
}

/** Reads transform output back; null for `E` or anything that transformDohResponse cannot have produced. */
export function decodeTransformed(bytes: Uint8Array): TxtAnswer | null {
  if (bytes.length === 1 && bytes[0] === MARK_NONE) return { kind: 'nxdomain' };
  if (bytes.length < 3 || bytes[0] !== MARK_TXT) return null;
  const records: string[] = [];
  let pos = 1;
  let previous: Uint8Array | null = null;
  while (pos < bytes.length) {
    if (pos + 2 > bytes.length) return null;
    const len = (bytes[pos]! << 8) | bytes[pos + 1]!;
    const rdata = bytes.subarray(pos + 2, pos + 2 + len);
    if (rdata.length !== len) return null;
    if (previous && compareBytes(previous, rdata) >= 0) return null;
    try {
      const [strings] = decodeRdata(TYPE.TXT, rdata, 0, len) as [Uint8Array[]];
      records.push(strings.map((s) => bytesToBinary(s)).join(''));
    } catch {
      return null;
    }
    previous = rdata;
    pos += 2 + len;
  }
  return { kind: 'txt', records };
}

// ---------------------------------------------------------------------------------------------------------------
// Quorum

/** One provider's result: the transformed body, or why there is none (HTTP error, outcall rejected, …). */
export type DohAnswer = Uint8Array | { readonly error: string };

/**
 * Accepts an answer only when at least `threshold` providers returned identical transform bytes (protocol.md §8);
 * "no record" needs the same quorum. Errors and `E` never count. Two different answers that both reach the
 * threshold (possible only when it is at most half the providers) are a conflict → temperror.
 */
export function quorum(answers: readonly DohAnswer[], threshold: number): TxtAnswer {
  if (!Number.isInteger(threshold) || threshold < 1) throw new RangeError(`bad quorum ${threshold}`);
  const groups = new Map<string, { bytes: Uint8Array; count: number }>();
  let failures = 0;
  for (const a of answers) {
    if (!(a instanceof Uint8Array) || decodeTransformed(a) === null) {
      failures++;
      continue;
    }
    const key = toHex(a);
    const g = groups.get(key);
    if (g) g.count++;
    else groups.set(key, { bytes: a, count: 1 });
  }
  const winners = [...groups.values()].filter((g) => g.count >= threshold);
  if (winners.length === 1) return decodeTransformed(winners[0]!.bytes)!;
  const best = Math.max(0, ...[...groups.values()].map((g) => g.count));
  const detail =
    winners.length > 1
      ? `${winners.length} different answers each reach the quorum of ${threshold}`
      : `best agreement ${best} of ${answers.length} providers (${failures} failed), quorum ${threshold}`;
  return { kind: 'temperror', detail };
}

/** A TxtLookup over quorum results per name (lowercase, no trailing dot); names not fetched are temperrors. */
export function quorumLookup(results: ReadonlyMap<string, TxtAnswer>): TxtLookup {
  return (name) => {
    const key = nameTextKey(name);
    return Promise.resolve(
      results.get(key) ?? { kind: 'temperror', detail: `${key} was not fetched over DoH (not allowed?)` },
    );
  };
}

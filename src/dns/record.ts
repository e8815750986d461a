/**
 * Resource records in wire format (RFC 1035 §4.1.3), RFC 9102 §3 authentication chains (uncompressed RRs
 * back to back), DNS messages for the DoH clients (RFC 1035 §4.1: queries written, responses read with
 * compression), and presentation lines.
 */
import { concatBytes } from '../encoding/bytes.ts';
import { malformed } from './errors.ts';
import { type Name, nameKey, nameToText, nameToWire, ROOT, readName } from './name.ts';
import { decodeRdata, encodeRdata } from './rdata.ts';
import { rdataToText } from './rdata-text.ts';
import { CLASS_IN, TYPE, typeToText } from './types.ts';

export interface ResourceRecord {
  readonly name: Name;
  readonly type: number;
  readonly class: number;
  readonly ttl: number;
  /** Uncompressed RDATA. */
  readonly rdata: Uint8Array;
}

function u16(buf: Uint8Array, pos: number): number {
  return (buf[pos]! << 8) | buf[pos + 1]!;
}

function u32(buf: Uint8Array, pos: number): number {
  return ((buf[pos]! << 24) | (buf[pos + 1]! << 16) | (buf[pos + 2]! << 8) | buf[pos + 3]!) >>> 0;
}

/**
 * Reads one RR at `offset`. In a message (`compressed`), names in RDATA are expanded and the RDATA re-encoded
 * uncompressed; otherwise the RDATA is checked against its type's layout and kept as is.
 */
const COMPRESSIBLE: ReadonlySet<number> = new Set([TYPE.NS, TYPE.CNAME, TYPE.SOA, TYPE.PTR, TYPE.MX]);

export function readRecord(
  buf: Uint8Array,
  offset: number,
  compressed: boolean,
): { record: ResourceRecord; end: number } {
  const { name, end: nameEnd } = readName(buf, offset, compressed);
  if (nameEnd + 10 > buf.length) malformed('truncated resource record');
  const type = u16(buf, nameEnd);
  const cls = u16(buf, nameEnd + 2);
  const ttl = u32(buf, nameEnd + 4);
  const rdlength = u16(buf, nameEnd + 8);
  const start = nameEnd + 10;
  if (start + rdlength > buf.length) malformed('RDATA runs past the end of the data');
  // Only the RFC 1035 types may carry compressed names (RFC 3597 §4); their RDATA is re-encoded uncompressed.
  // Every other type keeps its exact bytes, so signatures over them still verify.
  const expand = compressed && COMPRESSIBLE.has(type);
  const fields = decodeRdata(type, buf, start, rdlength, expand);
  const rdata = expand ? encodeRdata(type, fields) : buf.slice(start, start + rdlength);
  return { record: { name, type, class: cls, ttl, rdata }, end: start + rdlength };
}

export function encodeRecord(rr: ResourceRecord): Uint8Array {
  const name = nameToWire(rr.name);
  const out = new Uint8Array(name.length + 10 + rr.rdata.length);
  const view = new DataView(out.buffer);
  out.set(name, 0);
  const o = name.length;
  view.setUint16(o, rr.type);
  view.setUint16(o + 2, rr.class);
  view.setUint32(o + 4, rr.ttl);
  view.setUint16(o + 8, rr.rdata.length);
  out.set(rr.rdata, o + 10);
  return out;
}

/** Parses an RFC 9102 authentication chain: uncompressed RRs back to back, nothing else. */
export function parseChain(bytes: Uint8Array, maxRecords: number): ResourceRecord[] {
  const records: ResourceRecord[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    if (records.length >= maxRecords) malformed(`more than ${maxRecords} records in the chain`);
    const { record, end } = readRecord(bytes, pos, false);
    records.push(record);
    pos = end;
  }
  return records;
}

export function encodeChain(records: readonly ResourceRecord[]): Uint8Array {
  return concatBytes(...records.map(encodeRecord));
}

/** Header flags (RFC 1035 §4.1.1; CD from RFC 4035 §3.2.2). */
export const FLAG = { QR: 0x8000, TC: 0x0200, RD: 0x0100, CD: 0x0010 } as const;

/** The UDP payload size a query advertises in its OPT record (RFC 6891 §6.2.5). */
export const EDNS_PAYLOAD_BYTES = 4096;
/** DO (RFC 3225 §3): the top bit of the OPT record's flags, the low 16 bits of its TTL (RFC 6891 §6.1.3). */
const EDNS_DO = 0x8000;

/** One entry of the question section: QNAME, QTYPE, QCLASS IN (RFC 1035 §4.1.2). */
export function encodeQuestion(name: Name, type: number): Uint8Array {
  const wire = nameToWire(name);
  const out = new Uint8Array(wire.length + 4);
  out.set(wire);
  const view = new DataView(out.buffer);
  view.setUint16(wire.length, type);
  view.setUint16(wire.length + 2, CLASS_IN);
  return out;
}

/**
 * A query (RFC 1035 §4.1): the 12-byte header with ID 0 (RFC 8484 §4.1: cache friendly) and `flags`, one
 * question, and an EDNS(0) OPT record (RFC 6891 §6.1.2: root owner, CLASS = payload size, TTL = extended RCODE,
 * version 0 and flags) with DO when `dnssecOk`.
 */
export function encodeQueryMessage(name: Name, type: number, flags: number, dnssecOk: boolean): Uint8Array {
  const header = new Uint8Array(12);
  const view = new DataView(header.buffer);
  view.setUint16(2, flags);
  view.setUint16(4, 1); // QDCOUNT
  view.setUint16(10, 1); // ARCOUNT: the OPT record
  const opt = encodeRecord({
    name: ROOT,
    type: TYPE.OPT,
    class: EDNS_PAYLOAD_BYTES,
    ttl: dnssecOk ? EDNS_DO : 0,
    rdata: new Uint8Array(0),
  });
  return concatBytes(header, encodeQuestion(name, type), opt);
}

export interface DnsMessage {
  readonly id: number;
  readonly flags: number;
  readonly rcode: number;
  readonly answers: ResourceRecord[];
  readonly authority: ResourceRecord[];
  readonly additional: ResourceRecord[];
}

/** Parses a whole DNS message (RFC 1035 §4.1), skipping the question section and dropping OPT records. */
export function parseMessage(buf: Uint8Array): DnsMessage {
  if (buf.length < 12) malformed('DNS message shorter than its header');
  const counts = [u16(buf, 4), u16(buf, 6), u16(buf, 8), u16(buf, 10)] as const;
  let pos = 12;
  for (let i = 0; i < counts[0]; i++) {
    pos = readName(buf, pos, true).end + 4;
    if (pos > buf.length) malformed('truncated question');
  }
  const sections: ResourceRecord[][] = [[], [], []];
  let extendedRcode = 0;
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < counts[s + 1]!; i++) {
      const { record, end } = readRecord(buf, pos, true);
      // RFC 6891 §6.1.3: the OPT TTL's top byte holds the upper 8 bits of the 12-bit RCODE.
      if (record.type === TYPE.OPT) extendedRcode = record.ttl >>> 24;
      else sections[s]!.push(record);
      pos = end;
    }
  }
  const flags = u16(buf, 2);
  return {
    id: u16(buf, 0),
    flags,
    rcode: (extendedRcode << 4) | (flags & 0xf),
    answers: sections[0]!,
    authority: sections[1]!,
    additional: sections[2]!,
  };
}

/** One presentation line: `owner TTL CLASS TYPE RDATA`. */
export function recordToText(rr: ResourceRecord): string {
  const cls = rr.class === CLASS_IN ? 'IN' : `CLASS${rr.class}`;
  return `${nameToText(rr.name)} ${rr.ttl} ${cls} ${typeToText(rr.type)} ${rdataToText(rr.type, rr.rdata)}`;
}

/** Key for grouping records into RRsets: owner (case-insensitive), type and class. */
export function rrsetKey(name: Name, type: number, cls = CLASS_IN): string {
  return `${nameKey(name)}|${type}|${cls}`;
}

/**
 * Chain assembly for the RFC 9102 §3 builder: the records the planner (plan.ts) picked become the
 * AuthenticationChain, uncompressed RRs back to back with each record once (by its exact wire bytes, RFC 1035
 * §4.1.3), and several chains merge into one. The proof limits are the validator's own rule
 * (src/dnssec/proof-limits.ts), so a chain built here passes or fails them exactly as the canister reads it.
 */
import { encodeChain, encodeRecord, type ResourceRecord } from '../dns/record.ts';
import { TYPE } from '../dns/types.ts';
import { checkProofLimits } from '../dnssec/proof-limits.ts';
import { toHex } from '../encoding/bytes.ts';
import type { ProofFailure } from './build.ts';

/**
 * One RRset (or denial record) with its RRSIGs, and where it goes in the chain: zones root first (a zone's DS
 * or DS denial at 2·depth − 1, its DNSKEY at 2·depth), then the answer path in walk order (from 1000, above any
 * zone depth), so a validator reading front to back meets every key before what it signs.
 */
export interface ChainEntry {
  readonly rank: number;
  readonly records: readonly ResourceRecord[];
}

interface Wired {
  readonly rr: ResourceRecord;
  /** The record's exact wire bytes (hex): its identity in the chain. */
  readonly wire: string;
}

const wired = (rr: ResourceRecord): Wired => ({ rr, wire: toHex(encodeRecord(rr)) });

/** Servers rotate RRset order; sorting by wire bytes, RRSIGs last, makes the chain bytes reproducible. */
function byWire(a: Wired, b: Wired): number {
  const sigs = Number(a.rr.type === TYPE.RRSIG) - Number(b.rr.type === TYPE.RRSIG);
  return sigs || (a.wire < b.wire ? -1 : a.wire > b.wire ? 1 : 0);
}

/** The records of `lists` in order, each record once. */
function unique(lists: Iterable<readonly Wired[]>): ResourceRecord[] {
  const seen = new Set<string>();
  const out: ResourceRecord[] = [];
  for (const list of lists) {
    for (const { rr, wire } of list) {
      if (seen.has(wire)) continue;
      seen.add(wire);
      out.push(rr);
    }
  }
  return out;
}

/** The records of `entries` in chain order (ChainEntry), each record once. */
export function chainRecords(entries: Iterable<ChainEntry>): ResourceRecord[] {
  const ordered = [...entries].sort((a, b) => a.rank - b.rank);
  return unique(ordered.map((e) => e.records.map(wired).sort(byWire)));
}

/** The records of several chains as one: each record once (by its exact wire bytes), in first-seen order. */
export function mergeRecords(chains: readonly (readonly ResourceRecord[])[]): ResourceRecord[] {
  return unique(chains.map((records) => records.map(wired)));
}

/** The RFC 9102 bytes of `records`, or a ProofTooLarge failure past the proof limits (checkProofLimits). */
export function encodeWithinLimits(
  records: readonly ResourceRecord[],
  waves: number,
  queries: number,
): { chain: Uint8Array } | ProofFailure {
  const tooLarge = checkProofLimits(records);
  if (tooLarge) {
    return {
      kind: 'error',
      verdict: 'error',
      code: 'ProofTooLarge',
      detail: tooLarge.detail,
      waves,
      queries,
    };
  }
  return { chain: encodeChain(records) };
}

/**
 * The proof limits of protocol.md §9 (LIMITS.proofBytes, LIMITS.proofRecords), one rule for every way records
 * reach the validator: RFC 9102 chain bytes (§3: uncompressed RRs back to back), the CLI's zone file, records a
 * proof builder collected. A set of records is measured as the RFC 9102 chain it would encode to, so the same
 * records pass or fail alike whichever path brought them.
 */
import { DnsFormatError } from '../dns/errors.ts';
import { parseChain, type ResourceRecord } from '../dns/record.ts';
import { LIMITS } from '../limits.ts';
import { bogus, type Failure } from './result.ts';

/** RFC 1035 §4.1.3: owner name, TYPE, CLASS, TTL, RDLENGTH, RDATA; names uncompressed (RFC 9102 §3). */
function wireSize(rr: ResourceRecord): number {
  let size = 1 + 10 + rr.rdata.length;
  for (const label of rr.name) size += 1 + label.length;
  return size;
}

function exceeds(records: number, bytes: number): Failure | null {
  if (records > LIMITS.proofRecords) {
    return bogus('ProofTooLarge', `${records} records exceed the proof limit of ${LIMITS.proofRecords}`);
  }
  if (bytes > LIMITS.proofBytes) {
    return bogus('ProofTooLarge', `${bytes} bytes exceed the proof limit of ${LIMITS.proofBytes}`);
  }
  return null;
}

/** `ProofTooLarge` when `records`, as an RFC 9102 chain, would exceed the proof limits. */
export function checkProofLimits(records: readonly ResourceRecord[]): Failure | null {
  let bytes = 0;
  for (const rr of records) bytes += wireSize(rr);
  return exceeds(records.length, bytes);
}

/**
 * Parses RFC 9102 chain bytes within the proof limits. The byte count is checked before parsing, so an oversized
 * blob costs nothing to refuse and a parse reads at most LIMITS.proofBytes; the record count after it.
 */
export function parseProof(bytes: Uint8Array): ResourceRecord[] | Failure {
  const tooLarge = exceeds(0, bytes.length);
  if (tooLarge) return tooLarge;
  try {
    const records = parseChain(bytes, Number.POSITIVE_INFINITY);
    return exceeds(records.length, bytes.length) ?? records;
  } catch (e) {
    if (e instanceof DnsFormatError) return bogus('Malformed', e.message);
    throw e;
  }
}

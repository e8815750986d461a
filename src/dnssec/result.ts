/** Verdicts and reason codes of the DNSSEC validator (protocol.md §7). */
import type { ResourceRecord } from '../dns/record.ts';

export type BogusReason =
  | 'NoTrustAnchor'
  | 'AnchorMismatch'
  | 'DsMismatch'
  | 'BadSignature'
  | 'SignatureExpired'
  | 'SignatureNotYetValid'
  | 'UnsupportedAlgorithm'
  | 'KeyTooSmall'
  | 'WrongSigner'
  | 'LabelCount'
  | 'WildcardNotProven'
  | 'MissingRecords'
  | 'CnameLoop'
  | 'TooManyHops'
  | 'Malformed';

export type ChainVerdict =
  /**
   * `answer`: the validated RRset for the requested type (after CNAMEs); `chain`: every validated RRset used;
   * `proof`: those RRsets and the one RRSIG that validated each: a minimal RFC 9102 chain for the answer.
   */
  | {
      verdict: 'secure';
      answer: ResourceRecord[];
      cnames: ResourceRecord[];
      chain: ResourceRecord[][];
      proof: ResourceRecord[];
    }
  /** A delegation on the way is provably unsigned (authenticated denial of its DS), or uses only unsupported algorithms. */
  | { verdict: 'insecure'; reason: BogusReason | null; detail: string }
  | { verdict: 'bogus'; reason: BogusReason; detail: string };

export type Failure =
  | { verdict: 'insecure'; reason: BogusReason | null; detail: string }
  | { verdict: 'bogus'; reason: BogusReason; detail: string };

export function bogus(reason: BogusReason, detail: string): Failure {
  return { verdict: 'bogus', reason, detail };
}

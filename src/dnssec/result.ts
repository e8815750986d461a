/** Verdicts and reason codes of the DNSSEC validator (protocol.md §7), and which reason explains a failure best. */
import type { ResourceRecord } from '../dns/record.ts';

export type BogusReason =
  | 'NoTrustAnchor'
  | 'AnchorMismatch'
  | 'DsMismatch'
  /** The only keys that match the anchors, the DS or the RRSIG have the REVOKE bit (RFC 5011 §2.1). */
  | 'DnskeyRevoked'
  | 'BadSignature'
  /** RRSIG inception later than its expiration (RFC 4034 §3.1.5, RFC 4035 §5.3.1): never valid. */
  | 'InceptionAfterExpiration'
  | 'SignatureExpired'
  | 'SignatureNotYetValid'
  | 'UnsupportedAlgorithm'
  | 'KeyTooSmall'
  | 'WrongSigner'
  /** The proof shows a zone cut between the RRSIG's signer and the owner (RFC 4035 §5.3.1). */
  | 'SignerAboveZoneCut'
  | 'LabelCount'
  | 'WildcardNotProven'
  | 'MissingRecords'
  | 'CnameLoop'
  | 'TooManyHops'
  /** More records or bytes than the proof limits of protocol.md §9, whatever the input path. */
  | 'ProofTooLarge'
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

/** Preference when every RRSIG of a set fails: the most specific explanation first. */
const RANK: readonly BogusReason[] = [
  'BadSignature',
  'InceptionAfterExpiration',
  'SignatureExpired',
  'SignatureNotYetValid',
  'DnskeyRevoked',
  'DsMismatch',
  'AnchorMismatch',
  'KeyTooSmall',
  'UnsupportedAlgorithm',
  'SignerAboveZoneCut',
  'WrongSigner',
  'LabelCount',
  'WildcardNotProven',
  'Malformed',
  'NoTrustAnchor',
  'MissingRecords',
];

/** The failure that explains best why none of several RRSIGs (or keys) validated; `insecure` first. */
export function mostSpecific(failures: readonly Failure[]): Failure {
  const rank = (f: Failure) =>
    f.reason === null ? -1 : RANK.indexOf(f.reason) < 0 ? RANK.length : RANK.indexOf(f.reason);
  return failures.reduce((best, f) => (rank(f) < rank(best) ? f : best));
}

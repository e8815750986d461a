/**
 * Per-signature outcomes: RFC 8601 §2.7.1 result words with a stable reason code, plus the ordered list of
 * checks (protocol.md §5 steps) that explains how the result was reached.
 */

export type DkimResultWord = 'pass' | 'fail' | 'permerror' | 'temperror' | 'policy' | 'neutral';

/** Stable machine codes; the CLI, the canister and the web app show these. */
export type DkimReason =
  | 'TagSyntax'
  | 'DuplicateTag'
  | 'MissingTag'
  | 'BadVersion'
  | 'BadDomain'
  | 'BadSelector'
  | 'IdentityMismatch'
  | 'UnsupportedAlgorithm'
  | 'Sha1Rejected'
  | 'BadCanonicalization'
  | 'UnsupportedQueryMethod'
  | 'BadTimestamp'
  | 'SignatureExpired'
  | 'FutureTimestamp'
  | 'ExpiryBeforeTimestamp'
  | 'FromNotSigned'
  | 'BadBodyLength'
  | 'KeyNotFound'
  | 'KeyLookupFailed'
  | 'KeyAmbiguous'
  | 'KeyRecordTooLarge'
  | 'KeyMalformed'
  | 'KeyRevoked'
  | 'KeyAlgorithmMismatch'
  | 'KeyHashMismatch'
  | 'KeyServiceMismatch'
  | 'KeyIdentityMismatch'
  | 'KeyTestingMode'
  | 'KeyTooSmall'
  | 'BodyLengthExceeded'
  | 'BodyHashMismatch'
  | 'SignatureInvalid'
  | 'TooManySignatures';

export type CheckStatus = 'Pass' | 'Fail' | 'Skipped';

export interface Check {
  readonly name: CheckName;
  readonly status: CheckStatus;
  readonly detail: string;
}

/** The steps of protocol.md §5, in the order they are evaluated and reported. */
export const CHECK_NAMES = [
  'tags',
  'required-tags',
  'algorithm',
  'canonicalization',
  'timestamps',
  'signed-headers',
  'key',
  'body-hash',
  'signature',
] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

export interface SignatureResult {
  /** 0-based position among the DKIM-Signature fields, top first. */
  readonly index: number;
  readonly domain: string | null;
  readonly selector: string | null;
  readonly algorithm: string | null;
  readonly result: DkimResultWord;
  /** null when the result is pass. */
  readonly reason: DkimReason | null;
  readonly detail: string;
  readonly checks: readonly Check[];
  /** Lowercased h= names, when the tag list parsed. */
  readonly signedHeaders: readonly string[];
  /** Canonical body bytes not covered because of l= (0 without l=), when the body hash was computed. */
  readonly unsignedBodyBytes: number | null;
}

/** Result word each reason maps to (RFC 8601 §2.7.1; protocol.md §5). */
export const REASON_RESULT: Record<DkimReason, DkimResultWord> = {
  TagSyntax: 'permerror',
  DuplicateTag: 'permerror',
  MissingTag: 'permerror',
  BadVersion: 'permerror',
  BadDomain: 'permerror',
  BadSelector: 'permerror',
  IdentityMismatch: 'permerror',
  UnsupportedAlgorithm: 'permerror',
  Sha1Rejected: 'policy',
  BadCanonicalization: 'permerror',
  UnsupportedQueryMethod: 'permerror',
  BadTimestamp: 'permerror',
  SignatureExpired: 'permerror',
  FutureTimestamp: 'permerror',
  ExpiryBeforeTimestamp: 'permerror',
  FromNotSigned: 'permerror',
  BadBodyLength: 'permerror',
  KeyNotFound: 'permerror',
  KeyLookupFailed: 'temperror',
  KeyAmbiguous: 'permerror',
  KeyRecordTooLarge: 'permerror',
  KeyMalformed: 'permerror',
  KeyRevoked: 'permerror',
  KeyAlgorithmMismatch: 'permerror',
  KeyHashMismatch: 'permerror',
  KeyServiceMismatch: 'permerror',
  KeyIdentityMismatch: 'permerror',
  KeyTestingMode: 'policy',
  KeyTooSmall: 'policy',
  BodyLengthExceeded: 'permerror',
  BodyHashMismatch: 'fail',
  SignatureInvalid: 'fail',
  TooManySignatures: 'neutral',
};

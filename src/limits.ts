/**
 * The bounds of protocol.md §9 that the verification core enforces. Each has a boundary test; the
 * canister enforces the same constants at its interface.
 */
export const LIMITS = {
  /** Raw message bytes (header + body). */
  messageBytes: 64 * 1024,
  /** Header fields in one message. */
  headerFields: 100,
  /** Bytes of one physical header line, CRLF excluded. */
  headerLineBytes: 8 * 1024,
  /** DKIM-Signature fields evaluated; later ones are reported as not evaluated. */
  dkimSignatures: 8,
  /** One DKIM key TXT record (strings concatenated). */
  dkimKeyTxtBytes: 4 * 1024,
  /** One DMARC TXT record (strings concatenated). */
  dmarcTxtBytes: 1024,
  /** RFC 6376 §3.6.1 minimum for verifiers under RFC 8301 §3.2; below it the result is `policy`. */
  rsaMinBits: 1024,
  /** Bounds the cost of an RSA verify inside the canister. */
  rsaMaxBits: 8192,
  /** Clock skew allowed for a DKIM `t=` in the future. */
  clockSkewSeconds: 60,
  /** An RFC 9102 proof blob, and the records in it. */
  proofBytes: 32 * 1024,
  proofRecords: 200,
  /** CNAME hops followed while validating an answer. */
  cnameHops: 8,
  /** RFC 5321 §4.5.3.1 bounds, as protocol.md §2 applies them. */
  localPartBytes: 64,
  domainBytes: 255,
  addressBytes: 254,
  /**
   * A Public Suffix List text given to the canister (src/dmarc/public-suffix-list.ts), in characters, and the
   * rules in it: about four times the official list of 2026 (≈ 10,000 rules, ≈ 260 KB).
   */
  pslChars: 1024 * 1024,
  pslRules: 40_000,
} as const;

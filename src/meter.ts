/**
 * Where an email's verification spends its work, phase by phase. The canister backs a Meter with the IC's
 * instruction counter (canister/metering.ts) to publish instructions per phase on /metrics, which is how
 * BENCHMARKS.md's per-phase figures are taken; everyone else passes none, and `UNMETERED` only runs the steps.
 * Metering never changes what a step computes or returns.
 */

/** The steps of protocol.md §4–§7 worth telling apart, and the crypto operations inside them. */
export type Phase =
  /** RFC 5322 header/body split. */
  | 'parse'
  /** Header occurrence, From, the Subject nonce and the candidate signatures' tags (no DNS, no crypto). */
  | 'precheck'
  /** RFC 9102 proof: parsing, then validating every name the email needs from the trust anchors down. */
  | 'dnssec'
  /** Every DKIM step not listed below: tags, key record, result bookkeeping. */
  | 'dkim'
  /** Body canonicalization and its SHA-256 (RFC 6376 §3.7 step 1). */
  | 'body_hash'
  /** Header selection and canonicalization (§3.7 steps 2–3); for Ed25519 also its SHA-256 (RFC 8463 §3). */
  | 'header_hash'
  /** The signature check (for RSA including the SHA-256 of the header input). */
  | 'signature'
  /** Record selection and alignment (RFC 7489 §3.1.1, §6.6.3). */
  | 'dmarc'
  /** Crypto primitives, wherever they run (inside `dnssec`, `signature`, …). */
  | 'sha256'
  | 'sha384'
  | 'rsa'
  | 'ecdsa_p256'
  | 'ecdsa_p384'
  | 'ed25519'
  | 'ed448';

export interface Meter {
  /** Runs `step` and charges the work it does before returning (a promise it returns is not awaited). */
  sync<T>(phase: Phase, step: () => T): T;
  /** Runs `step` and charges everything until its promise settles: nothing else metered may run meanwhile. */
  task<T>(phase: Phase, step: () => Promise<T>): Promise<T>;
}

export const UNMETERED: Meter = {
  sync: (_, step) => step(),
  task: (_, step) => step(),
};

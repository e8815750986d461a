/**
 * When the page's own part of `NeedProof` goes wrong (protocol.md §3, §7; architecture.md "Data flow" step 5):
 * the page looks up the signing keys the canister names over DNS-over-HTTPS (RFC 8484), builds the RFC 9102
 * proof with src/proof and submits it. Each way that can fail gets its own plain words and a way forward; the
 * challenge itself keeps waiting in NeedProof, so "Try again" is always possible.
 *
 * Pure: why src/proof/message.ts built no proof, or what the canister answered, in; words out.
 */
import type { ProofErrorCode } from '../../../src/proof/build.ts';
import type { MessageProofOutcome } from '../../../src/proof/message.ts';

export type ProofProblemKind =
  /** No DoH provider answered (or none is configured). */
  | 'unreachable'
  /** Answers came, but not ones a proof can be built from (server failure, garbled, too large). */
  | 'lookup'
  /**
   * The answers are there, but no signing key validates from the anchors (missing, unsigned, broken DNSSEC), or
   * the DMARC record a relaxed-aligned key depends on does not.
   */
  | 'unprotected'
  /** The canister refused the submitted proof. */
  | 'rejected'
  /** The proof was built but could not be sent to the canister. */
  | 'unsent';

export interface ProofProblem {
  readonly kind: ProofProblemKind;
  /** Technical detail, for the "technical details" disclosure. */
  readonly detail: string;
}

/** Keyed on every ProofErrorCode, so a new code needs a decision here. */
const BUILD_FAILURE: { readonly [C in ProofErrorCode]: ProofProblemKind } = {
  Timeout: 'unreachable',
  NetworkError: 'unreachable',
  HttpError: 'unreachable',
  BadContentType: 'unreachable',
  Malformed: 'lookup',
  ServerFailure: 'lookup',
  ProofTooLarge: 'lookup',
};

/**
 * Why no proof is worth submitting: a lookup that failed (its code decides between unreachable and lookup), or
 * DNSSEC that does not prove what the canister needs.
 */
export function problemOfOutcome(out: Extract<MessageProofOutcome, { kind: 'none' }>): ProofProblem {
  if (out.code) return { kind: BUILD_FAILURE[out.code], detail: out.detail };
  return { kind: 'unprotected', detail: out.detail || 'no signing key was named' };
}

/** The canister's refusal of a submitted proof (`SubmitProofResult.Err`). */
export function rejected(err: { code: string; message: string }): ProofProblem {
  return { kind: 'rejected', detail: `${err.code}: ${err.message}` };
}

export interface ProofProblemWords {
  readonly message: string;
  readonly nextStep: string;
}

/** What the person reads for `problem` with mail from `domain`. */
export function proofProblemWords(problem: ProofProblem, domain: string): ProofProblemWords {
  switch (problem.kind) {
    case 'unreachable':
      return {
        message: `This page could not reach the DNS lookup services it uses to find ${domain}'s signing key.`,
        nextStep: 'Check your internet connection, then try again.',
      };
    case 'lookup':
      return {
        message: `Looking up ${domain}'s signing key did not give a usable answer.`,
        nextStep: 'Try again in a few minutes; this is usually a passing problem.',
      };
    case 'unprotected':
      return {
        message:
          `${domain}'s signing key could not be proven from its DNS: the key is missing, or the DNS is not ` +
          'protected by DNSSEC, or that protection is broken.',
        nextStep:
          'Try again in a few minutes; if it keeps failing, start again with an address at another provider.',
      };
    case 'rejected':
      return {
        message: `Waxseal did not accept the proof of ${domain}'s signing key.`,
        nextStep: 'Try again in a few minutes: DNS changes take a while to settle.',
      };
    case 'unsent':
      return {
        message: `The proof of ${domain}'s signing key could not be sent to Waxseal.`,
        nextStep: 'Check your internet connection, then try again.',
      };
  }
}

/**
 * When the page's own part of `NeedProof` goes wrong (protocol.md §3, §7; architecture.md "Data flow" step 5):
 * the page looks up the signing keys the canister names over DNS-over-HTTPS (RFC 8484), builds the RFC 9102
 * proof with src/proof and submits it. Each way that can fail gets its own plain words and a way forward; the
 * challenge itself keeps waiting in NeedProof, so "Try again" is always possible.
 *
 * Pure: what the builds returned (src/proof/email.ts results) or what the canister answered, in; words out.
 */
import type { ProofErrorCode, ProofFailure } from '../../../src/proof/build.ts';
import type { EmailProofResult } from '../../../src/proof/email.ts';

export type ProofProblemKind =
  /** No DoH provider answered (or none is configured). */
  | 'unreachable'
  /** Answers came, but not ones a proof can be built from (server failure, garbled, too large). */
  | 'lookup'
  /** The answers are there, but no signing key validates from the anchors (missing, unsigned, broken DNSSEC). */
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

/** A build that produced no chain at all. */
export function buildFailure(f: ProofFailure): ProofProblem {
  return { kind: BUILD_FAILURE[f.code], detail: `${f.code}: ${f.detail}` };
}

/**
 * Why the built proofs cannot help, or null when at least one signing key validates `secure`: then the proof is
 * worth submitting (one passing aligned signature is enough, protocol.md §5), and the canister has the last word.
 */
export function problemOfBuilds(results: readonly EmailProofResult[]): ProofProblem | null {
  for (const r of results) {
    if (r.kind === 'error') return buildFailure(r);
  }
  const keys = results.flatMap((r) => (r.kind === 'proof' ? r.names.filter((n) => n.role === 'dkim') : []));
  if (keys.some((k) => k.verdict.verdict === 'secure')) return null;
  const why = keys.map((k) => {
    const v = k.verdict;
    return v.verdict === 'secure' ? k.name : `${k.name} ${v.verdict}${v.reason ? ` (${v.reason})` : ''}`;
  });
  return { kind: 'unprotected', detail: why.length > 0 ? why.join('; ') : 'no signing key was named' };
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

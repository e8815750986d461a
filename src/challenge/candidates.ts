/**
 * Which DKIM signatures of a message could carry a Waxseal acceptance, decided before any DNS (protocol.md §5,
 * §6, §9): the first LIMITS.dkimSignatures `DKIM-Signature` fields (RFC 6376 §3.5) whose tags parse
 * (src/dkim/signature.ts, at `now`), whose `d=` could align with the From domain under the loosest rule any
 * DMARC record allows (relaxed: the same organizational domain, RFC 7489 §3.1.1, §3.2, src/dmarc/alignment.ts,
 * under the Public Suffix List the caller gives), whose key record name
 * `<s>._domainkey.<d>` (RFC 6376 §3.6.2.1) fits a DNS name (RFC 1035 §2.3.4), and whose `h=` covers Subject.
 *
 * One implementation for two callers: the challenge precheck (flow.ts), which records the checks for the UI, and
 * the gateway's proof builder (src/proof/message.ts), which proves exactly the key names of these candidates.
 * Pure: the parsed message, the From domain and `now` in; candidates or a typed refusal, with the checks, out.
 */
import { keyRecordName } from '../dkim/key.ts';
import { type DkimSignature, type SignatureParses, signatureParses } from '../dkim/signature.ts';
import { alignment } from '../dmarc/alignment.ts';
import { MAX_DNS_NAME } from '../dmarc/discovery.ts';
import { SHIPPED_SUFFIXES } from '../dmarc/organizational-domain.ts';
import type { PublicSuffixes } from '../dmarc/public-suffix-list.ts';
import { LIMITS } from '../limits.ts';
import { fieldsNamed, type Message } from '../mail/message.ts';
import type { Check, CheckStatus } from './types.ts';

export interface Candidate {
  /** Position among the DKIM-Signature fields, top first (0-based). */
  readonly index: number;
  readonly sig: DkimSignature;
  /** `<selector>._domainkey.<d>`, lowercase. */
  readonly keyName: string;
}

/** Why no signature can carry an acceptance (each is a ChallengeCode). */
export type CandidateRefusal =
  | 'NoSignature'
  | 'DkimFailed'
  | 'DmarcNotAligned'
  | 'PublicSuffixAlignment'
  | 'SubjectNotSigned';

export type CandidateSelection =
  | {
      readonly ok: true;
      readonly candidates: readonly Candidate[];
      /** One `dkim[n] candidate` check per evaluated signature. */
      readonly checks: readonly Check[];
    }
  | {
      readonly ok: false;
      readonly code: CandidateRefusal;
      readonly detail: string;
      /** The per-signature checks, then a failed `dkim` check carrying `detail`. */
      readonly checks: readonly Check[];
    };

/** The loosest alignment any DMARC record allows (protocol.md §6): the one rule lives in src/dmarc/alignment.ts. */
export const couldAlign = (
  d: string,
  fromDomain: string,
  suffixes: PublicSuffixes = SHIPPED_SUFFIXES,
): boolean => alignment(d, fromDomain, 'r', suffixes).aligned;

/** The UI label of the signature at `index` (0-based): `dkim[1]` is the top field. */
export function sigLabel(index: number): string {
  return `dkim[${index + 1}]`;
}

const check = (status: CheckStatus, name: string, detail: string): Check => ({ name, status, detail });

/**
 * The candidates among `message`'s DKIM-Signature fields for a From domain of `fromDomain`, at `now` (unix s);
 * `parses` lets the caller keep the signature parses for the verification that follows; `suffixes` is the
 * Public Suffix List (default: the shipped snapshot).
 */
export function selectCandidates(
  message: Message,
  fromDomain: string,
  now: number,
  parses: SignatureParses = signatureParses(now),
  suffixes: PublicSuffixes = SHIPPED_SUFFIXES,
): CandidateSelection {
  const checks: Check[] = [];
  const stop = (code: CandidateRefusal, detail: string): CandidateSelection => {
    checks.push(check('Fail', 'dkim', detail));
    return { ok: false, code, detail, checks };
  };
  const fields = fieldsNamed(message, 'dkim-signature').slice(0, LIMITS.dkimSignatures);
  if (fields.length === 0) return stop('NoSignature', 'the message has no DKIM-Signature');
  let usable = 0;
  const aligned: Candidate[] = [];
  /** Why each signature whose d= could align failed to parse (expired, bad tags, …), first one first. */
  const alignedInvalid: string[] = [];
  /** A usable signature whose d= is refused only because a public suffix separates it from the From domain. */
  const bySuffix: string[] = [];
  fields.forEach((field, index) => {
    const p = parses(field);
    const label = `${sigLabel(index)} candidate`;
    if (!p.ok) {
      const d = p.labels.domain;
      const why = `d=${d ?? '?'}: ${p.reason}: ${p.detail}`;
      if (d !== null && couldAlign(d, fromDomain, suffixes)) alignedInvalid.push(why);
      checks.push(check('Fail', label, why));
      return;
    }
    usable++;
    const { sig } = p;
    const a = alignment(sig.domain, fromDomain, 'r', suffixes);
    if (!a.aligned) {
      const why = a.publicSuffix ? ': a public suffix separates them' : '';
      checks.push(check('Fail', label, `d=${sig.domain} can never align with ${fromDomain}${why}`));
      if (a.publicSuffix) bySuffix.push(`d=${sig.domain} can never align with ${fromDomain}${why}`);
      return;
    }
    const keyName = keyRecordName(sig.selector, sig.domain);
    if (keyName.length > MAX_DNS_NAME) {
      checks.push(check('Fail', label, `${keyName.slice(0, 40)}… is longer than a DNS name can be`));
      return;
    }
    aligned.push({ index, sig, keyName });
  });
  if (aligned.length === 0) {
    if (alignedInvalid.length > 0) return stop('DkimFailed', alignedInvalid[0]!);
    if (usable === 0) return stop('DkimFailed', 'no DKIM-Signature field is valid');
    if (bySuffix.length > 0) return stop('PublicSuffixAlignment', bySuffix[0]!);
    return stop('DmarcNotAligned', `no signature's d= is in the organizational domain of ${fromDomain}`);
  }
  const candidates = aligned.filter((c) => c.sig.signedHeaders.includes('subject'));
  for (const c of aligned) {
    const covers = candidates.includes(c);
    checks.push(
      check(
        covers ? 'Pass' : 'Fail',
        `${sigLabel(c.index)} candidate`,
        `d=${c.sig.domain} s=${c.sig.selector}: ${covers ? 'covers Subject' : 'h= does not cover Subject'}`,
      ),
    );
  }
  if (candidates.length === 0) return stop('SubjectNotSigned', 'no aligned signature covers Subject');
  return { ok: true, candidates, checks };
}

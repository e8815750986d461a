/**
 * Which DKIM signatures of a message could carry a Waxseal acceptance, decided before any DNS (protocol.md §5,
 * §6, §9): the first LIMITS.dkimSignatures `DKIM-Signature` fields (RFC 6376 §3.5) whose tags parse
 * (src/dkim/signature.ts, at `now`), whose `d=` could align with the From domain under the loosest rule any
 * DMARC record allows (relaxed, RFC 7489 §3.1.1, src/dmarc/alignment.ts), whose key record name
 * `<s>._domainkey.<d>` (RFC 6376 §3.6.2.1) fits a DNS name (RFC 1035 §2.3.4), and whose `h=` covers Subject.
 *
 * One implementation for two callers: the challenge precheck (flow.ts), which records the checks for the UI, and
 * the gateway's proof builder (src/proof/message.ts), which proves exactly the key names of these candidates.
 * Pure: the parsed message, the From domain and `now` in; candidates or a typed refusal, with the checks, out.
 */
import { keyRecordName } from '../dkim/key.ts';
import { type DkimSignature, type SignatureParses, signatureParses } from '../dkim/signature.ts';
import { isAligned } from '../dmarc/alignment.ts';
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
export type CandidateRefusal = 'NoSignature' | 'DkimFailed' | 'DmarcNotAligned' | 'SubjectNotSigned';

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

/** RFC 1035 §2.3.4 in presentation form without the trailing dot. */
export const MAX_DNS_NAME = 253;

/** The loosest alignment any DMARC record allows (protocol.md §6): the one rule lives in src/dmarc/alignment.ts. */
export const couldAlign = (d: string, fromDomain: string): boolean => isAligned(d, fromDomain, 'r');

/** The UI label of the signature at `index` (0-based): `dkim[1]` is the top field. */
export function sigLabel(index: number): string {
  return `dkim[${index + 1}]`;
}

const check = (status: CheckStatus, name: string, detail: string): Check => ({ name, status, detail });

/**
 * The candidates among `message`'s DKIM-Signature fields for a From domain of `fromDomain`, at `now` (unix s);
 * `parses` lets the caller keep the signature parses for the verification that follows.
 */
export function selectCandidates(
  message: Message,
  fromDomain: string,
  now: number,
  parses: SignatureParses = signatureParses(now),
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
  fields.forEach((field, index) => {
    const p = parses(field);
    const label = `${sigLabel(index)} candidate`;
    if (!p.ok) {
      const d = p.labels.domain;
      const why = `d=${d ?? '?'}: ${p.reason}: ${p.detail}`;
      if (d !== null && couldAlign(d, fromDomain)) alignedInvalid.push(why);
      checks.push(check('Fail', label, why));
      return;
    }
    usable++;
    const { sig } = p;
    if (!couldAlign(sig.domain, fromDomain)) {
      checks.push(check('Fail', label, `d=${sig.domain} can never align with ${fromDomain}`));
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
    return stop('DmarcNotAligned', `no signature's d= is ${fromDomain} or below it`);
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

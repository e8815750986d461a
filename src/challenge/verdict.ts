/**
 * The verdict over one DNS source (protocol.md §5, §6; the flow's step 5): the full `verifyEmail` of
 * src/verify-email.ts over the TXT answers of a DNSSEC proof or of the DoH quorum, every lookup recorded as a
 * Check, then From and the nonce read again from the message the verdict covered. Accepted → `verified`;
 * rejected → `Failed` with the verdict's reason mapped to a ChallengeCode (`mapVerdict`).
 */
import { defaultCrypto } from '#crypto-default';
import { keyRecordName } from '../dkim/key.ts';
import { dmarcNameList, dmarcNames } from '../dmarc/discovery.ts';
import type { PublicSuffixes } from '../dmarc/public-suffix-list.ts';
import type { TxtAnswer, TxtLookup } from '../dns/lookup.ts';
import { fieldsNamed } from '../mail/message.ts';
import { UNMETERED } from '../meter.ts';
import { type EmailVerdict, verifyEmail } from '../verify-email.ts';
import { couldAlign } from './candidates.ts';
import { fail, pass, signatureChecks, skipped } from './checks.ts';
import type { FlowContext } from './flow.ts';
import { findNonceInSubject } from './nonce.ts';
import type { ReadEmail } from './precheck.ts';
import type { NameVerdict } from './proof-lookup.ts';
import { type Decision, fails } from './transitions.ts';
import { type Challenge, type ChallengeCode, type Check, toSeconds } from './types.ts';

/** Where the TXT answers came from: a DNSSEC proof, or the canister's DoH quorum. */
export type Source = 'proof' | 'doh';

interface DnsRecord {
  readonly name: string;
  readonly answer: TxtAnswer;
  readonly detail: string;
}

/** `lookup`, logging the first answer for each name as the verdict asks for it. */
function recording(lookup: TxtLookup, describe: (name: string, a: TxtAnswer) => string) {
  const log: DnsRecord[] = [];
  const seen = new Set<string>();
  const wrapped: TxtLookup = async (name) => {
    const answer = await lookup(name);
    const key = name.toLowerCase();
    if (!seen.has(key)) {
      seen.add(key);
      log.push({ name: key, answer, detail: describe(key, answer) });
    }
    return answer;
  };
  return { lookup: wrapped, log };
}

function describeAnswer(a: TxtAnswer): string {
  if (a.kind === 'txt') return `${a.records.length} TXT record(s)`;
  if (a.kind === 'nxdomain') return 'no record';
  return a.detail;
}

function dnsChecks(log: readonly DnsRecord[]): Check[] {
  return log.map((r) => {
    const name = `dns ${r.name}`;
    if (r.answer.kind === 'txt') return pass(name, r.detail);
    if (r.answer.kind === 'nxdomain') return skipped(name, r.detail);
    return fail(name, r.detail);
  });
}

/** Maps a rejected verdict to the challenge code (every EmailVerdict reason has one). */
export function mapVerdict(
  verdict: EmailVerdict,
  source: Source,
  dnsTrouble: (name: string) => string | null,
  suffixes?: PublicSuffixes,
): { code: ChallengeCode; message: string } {
  const dnsCode: ChallengeCode = source === 'proof' ? 'ProofInvalid' : 'DnsLookupFailed';
  const fromDomain = verdict.from?.split('@')[1] ?? null;
  switch (verdict.reason) {
    case 'Accepted':
      throw new TypeError('mapVerdict needs a rejected verdict');
    case 'MessageTooLarge':
    case 'TooManyHeaderFields':
    case 'HeaderLineTooLong':
    case 'MalformedMessage':
    case 'MalformedFromHeader':
    case 'HeaderOccurrence':
    case 'NoSignature':
    case 'SubjectNotSigned':
    case 'PublicSuffixAlignment':
      return { code: verdict.reason, message: verdict.detail };
    case 'NoPassingSignature': {
      const relevant = verdict.signatures.filter(
        (s) => s.domain !== null && fromDomain !== null && couldAlign(s.domain, fromDomain, suffixes),
      );
      for (const s of relevant) {
        if (s.reason !== 'KeyLookupFailed' || s.selector === null || s.domain === null) continue;
        const trouble = dnsTrouble(keyRecordName(s.selector, s.domain));
        if (trouble) return { code: dnsCode, message: trouble };
      }
      const first = relevant[0] ?? verdict.signatures[0];
      const why = first ? `: ${first.reason ?? first.result}: ${first.detail}` : '';
      return { code: 'DkimFailed', message: `no DKIM signature verifies${why}` };
    }
    case 'DmarcNotAligned': {
      const names = fromDomain ? dmarcNameList(dmarcNames(fromDomain, suffixes)) : [];
      const trouble = names.map(dnsTrouble).find((t) => t !== null) ?? null;
      if (trouble) return { code: dnsCode, message: `${trouble} (so d= had to equal the From domain)` };
      return { code: 'DmarcNotAligned', message: verdict.detail };
    }
  }
}

/**
 * verifyEmail over `lookup`, then the decision. `prior`: the checks so far (the precheck's and the DNS source's);
 * `proofVerdicts` explain each name a proof answered.
 */
export async function judge(
  email: ReadEmail,
  challenge: Challenge,
  lookup: TxtLookup,
  source: Source,
  ctx: FlowContext,
  prior: readonly Check[],
  proofVerdicts: () => readonly NameVerdict[] = () => [],
): Promise<Decision> {
  const crypto = ctx.crypto ?? defaultCrypto;
  const meter = ctx.meter ?? UNMETERED;
  const rec = recording(lookup, (name, answer) => {
    const v = proofVerdicts().find((x) => x.name === name);
    if (!v) return describeAnswer(answer);
    if (v.verdict === 'secure') return `DNSSEC secure: ${v.detail}`;
    if (v.verdict === 'absent') return answer.kind === 'nxdomain' ? 'not in the proof: no record' : v.detail;
    return `DNSSEC ${v.verdict}${v.reason ? ` (${v.reason})` : ''}: ${v.detail}`;
  });
  const verdict = await meter.task('dkim', () =>
    verifyEmail(email.message, rec.lookup, toSeconds(ctx.now), {
      crypto,
      meter,
      bodyHashes: email.hashes,
      signatures: email.signatures,
      ...(ctx.suffixes ? { suffixes: ctx.suffixes } : {}),
    }),
  );
  const checks: Check[] = [...prior, ...dnsChecks(rec.log), ...signatureChecks(verdict.signatures)];
  if (verdict.from !== null) {
    const d = verdict.dmarc;
    const status = d.result === 'pass' ? 'Pass' : d.result === 'fail' ? 'Fail' : 'Skipped';
    checks.push({ name: 'dmarc', status, detail: d.detail });
  }
  if (!verdict.accepted) {
    const trouble = (name: string): string | null => {
      const r = rec.log.find((x) => x.name === name);
      return r && r.answer.kind === 'temperror' ? `${name}: ${r.detail}` : null;
    };
    const mapped = mapVerdict(verdict, source, trouble, ctx.suffixes);
    // A proof that validates to "insecure" is a verified statement that the domain does not sign its DNS: without
    // the DoH fallback for it, no email from it can ever verify (protocol.md §8: DomainNotSupported).
    const fromDomain = verdict.from?.split('@')[1];
    const unsigned = proofVerdicts().some((v) => v.verdict === 'insecure');
    const { code, message } =
      mapped.code === 'ProofInvalid' && unsigned && fromDomain && !ctx.dohAllowed?.(fromDomain)
        ? {
            code: 'DomainNotSupported' as const,
            message: `${fromDomain} does not sign its DNS (DNSSEC insecure) and is not on the DoH allowlist`,
          }
        : mapped;
    checks.push(fail('accept', verdict.detail));
    return fails(code, message, checks);
  }
  // Accepted: re-read From and the nonce from the message the verdict covered.
  if (verdict.from !== challenge.address) {
    checks.push(fail('address', `the email is from ${verdict.from}`));
    return fails('AddressMismatch', `the email is from ${verdict.from}, not ${challenge.address}`, checks);
  }
  const subject = verdict.message ? fieldsNamed(verdict.message, 'subject')[0] : undefined;
  const found = subject ? findNonceInSubject(subject.value) : null;
  if (found?.kind !== 'one' || found.nonce !== challenge.nonce) {
    checks.push(fail('subject', 'the signed Subject does not hold the nonce'));
    return fails('NonceMismatch', 'the signed Subject does not hold the challenge nonce', checks);
  }
  const chosen = verdict.signatures[verdict.acceptedSignature!]!;
  checks.push(pass('accept', verdict.detail));
  return {
    kind: 'verified',
    flow: challenge.flow,
    address: challenge.address,
    domain: chosen.domain!,
    selector: chosen.selector!,
    checks,
  };
}

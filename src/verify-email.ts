/**
 * The whole "is this email genuine?" decision (protocol.md §4–§6): message bounds and header occurrence
 * (RFC 5322 §3.6), every DKIM signature (RFC 6376), the From address, DMARC alignment (RFC 7489 §3.1.1, §6.6)
 * and Waxseal's acceptance rule. Pure: bytes, an injected TXT lookup and `now` in; a typed verdict out.
 */
import { defaultCrypto } from '#crypto-default';
import type { CryptoBackend } from './crypto/backend.ts';
import type { BodyHashes } from './dkim/body-hash.ts';
import type { SignatureResult } from './dkim/result.ts';
import type { SignatureParses } from './dkim/signature.ts';
import { verifyDkim } from './dkim/verify.ts';
import { alignment } from './dmarc/alignment.ts';
import { discoverDmarc } from './dmarc/discovery.ts';
import { SHIPPED_SUFFIXES } from './dmarc/organizational-domain.ts';
import type { PublicSuffixes } from './dmarc/public-suffix-list.ts';
import type { DmarcRecord, Policy } from './dmarc/record.ts';
import type { TxtLookup } from './dns/lookup.ts';
import { parseFrom } from './mail/from.ts';
import { type Message, type MessageErrorCode, parsedMessage } from './mail/message.ts';
import { checkOccurrences } from './mail/occurrence.ts';
import { type Meter, UNMETERED } from './meter.ts';

export type EmailReason =
  | 'Accepted'
  | MessageErrorCode
  | 'MalformedFromHeader'
  | 'HeaderOccurrence'
  | 'NoSignature'
  | 'NoPassingSignature'
  | 'DmarcNotAligned'
  | 'PublicSuffixAlignment'
  | 'SubjectNotSigned';

export interface DmarcOutcome {
  /** pass: a passing signature aligns under the record; fail: a record exists and none does; none: no record. */
  readonly result: 'pass' | 'fail' | 'none';
  readonly policy: Policy | null;
  readonly alignment: 'relaxed' | 'strict' | null;
  readonly record: DmarcRecord | null;
  /** Where the record was found (`_dmarc.<From domain>` or `_dmarc.<organizational domain>`), or null. */
  readonly recordName: string | null;
  /** RFC 7489 §3.2 organizational domain of the From domain; null when it is a public suffix (or not evaluated). */
  readonly organizationalDomain: string | null;
  readonly detail: string;
}

export interface EmailVerdict {
  readonly signatures: readonly SignatureResult[];
  readonly dkim: 'pass' | 'fail' | 'none';
  /** The lowercased From address, or null when From is missing or malformed. */
  readonly from: string | null;
  readonly dmarc: DmarcOutcome;
  readonly accepted: boolean;
  readonly reason: EmailReason;
  readonly detail: string;
  /** The signature Waxseal accepted the email on (passing, aligned, Subject signed), if any. */
  readonly acceptedSignature: number | null;
  /** The parsed message, for callers that go on to read the signed Subject. */
  readonly message: Message | null;
}

export interface VerifyOptions {
  /** Default: the node backend in Node, the pure backend elsewhere (src/crypto/backend.ts). */
  readonly crypto?: CryptoBackend;
  /** The body hashes of this message, when the caller has already started them (src/dkim/body-hash.ts). */
  readonly bodyHashes?: BodyHashes;
  /** The parses of its DKIM-Signature fields at `now`, when the caller has made some (src/dkim/signature.ts). */
  readonly signatures?: SignatureParses;
  readonly meter?: Meter;
  /** The Public Suffix List for organizational domains (default: the shipped snapshot). */
  readonly suffixes?: PublicSuffixes;
}

const NO_DMARC: DmarcOutcome = {
  result: 'none',
  policy: null,
  alignment: null,
  record: null,
  recordName: null,
  organizationalDomain: null,
  detail: 'not evaluated',
};

function rejected(reason: EmailReason, detail: string, partial: Partial<EmailVerdict> = {}): EmailVerdict {
  return {
    signatures: [],
    dkim: 'none',
    from: null,
    dmarc: NO_DMARC,
    message: null,
    acceptedSignature: null,
    ...partial,
    accepted: false,
    reason,
    detail,
  };
}

/**
 * Verifies a message at `now` (unix seconds): the raw bytes (CRLF line endings, as received), or the message
 * parseMessage made of them, so that a caller that has parsed it already does not pay twice.
 * Acceptance needs one signature that passes, covers Subject, and aligns with the From domain: under the
 * record's adkim= when a DMARC record exists (at the From domain, else at its organizational domain: RFC 7489
 * §6.6.3, src/dmarc/discovery.ts), else only when d= equals the From domain exactly. A DNS failure for the
 * DMARC record leaves the strict rule, which every policy also accepts.
 *
 * @example
 * const verdict = await verifyEmail(raw, lookup, Date.now() / 1000);
 * if (verdict.accepted) console.log(verdict.from, verdict.signatures[verdict.acceptedSignature!]);
 */
export async function verifyEmail(
  input: Uint8Array | Message,
  lookup: TxtLookup,
  now: number,
  options: VerifyOptions = {},
): Promise<EmailVerdict> {
  const crypto = options.crypto ?? defaultCrypto;
  const meter = options.meter ?? UNMETERED;
  const parsed = parsedMessage(input, meter);
  if (!parsed.ok) return rejected(parsed.error.code, parsed.error.detail);
  const { message } = parsed;

  const signatures = await verifyDkim({
    message,
    lookup,
    crypto,
    now,
    meter,
    ...(options.bodyHashes ? { bodyHashes: options.bodyHashes } : {}),
    ...(options.signatures ? { signatures: options.signatures } : {}),
  });
  const passing = signatures.filter((s) => s.result === 'pass');
  const dkim = signatures.length === 0 ? 'none' : passing.length > 0 ? 'pass' : 'fail';
  const base = { signatures, dkim, message } as const;

  const occurrence = checkOccurrences(message);
  const fromField = message.headers.find((h) => h.key === 'from');
  const from = fromField && occurrence?.code !== 'MalformedFromHeader' ? parseFrom(fromField.value) : null;
  const fromAddress = from?.ok ? from.value.address : null;
  if (occurrence?.code === 'MalformedFromHeader') return rejected(occurrence.code, occurrence.detail, base);
  if (!from?.ok) return rejected('MalformedFromHeader', from?.detail ?? 'no From', base);
  const fromDomain = from.value.domain;

  const suffixes = options.suffixes ?? SHIPPED_SUFFIXES;
  const found = await discoverDmarc(fromDomain, lookup, suffixes, meter);
  const record = found.discovery.kind === 'record' ? found.discovery.record : null;
  const mode = record?.adkim ?? 's';
  const aligned = meter.sync('dmarc', () =>
    passing.filter((s) => s.domain !== null && alignment(s.domain, fromDomain, mode, suffixes).aligned),
  );
  const org = found.organizationalDomain;
  const dmarc: DmarcOutcome = {
    result: record ? (aligned.length > 0 ? 'pass' : 'fail') : 'none',
    policy: record?.p ?? null,
    alignment: record ? (record.adkim === 's' ? 'strict' : 'relaxed') : null,
    record,
    recordName: found.recordName,
    organizationalDomain: org,
    detail:
      found.discovery.kind === 'record'
        ? `p=${found.discovery.record.p} adkim=${found.discovery.record.adkim} at ${found.recordName}`
        : found.discovery.detail,
  };
  const withFrom = { ...base, from: fromAddress, dmarc };
  if (occurrence) return rejected(occurrence.code, occurrence.detail, withFrom);
  if (signatures.length === 0) return rejected('NoSignature', 'the message has no DKIM-Signature', withFrom);
  if (passing.length === 0) return rejected('NoPassingSignature', 'no DKIM signature verifies', withFrom);
  if (aligned.length === 0) {
    // Judged under relaxed, the loosest mode: a refusal there because of a public suffix is reported as such,
    // whatever the record says, as the precheck reports it.
    const bySuffix = meter.sync('dmarc', () =>
      passing.find((s) => s.domain !== null && alignment(s.domain, fromDomain, 'r', suffixes).publicSuffix),
    );
    if (bySuffix) {
      const orgText =
        org === null ? `${fromDomain} is a public suffix` : `its organizational domain is ${org}`;
      const detail = `d=${bySuffix.domain} does not align with ${fromDomain}: a public suffix separates them (${orgText})`;
      return rejected('PublicSuffixAlignment', detail, withFrom);
    }
    const rule = record ? `adkim=${record.adkim}` : 'no DMARC record, so d= must equal the From domain';
    return rejected('DmarcNotAligned', `no passing signature aligns with ${fromDomain} (${rule})`, withFrom);
  }
  const chosen = aligned.find((s) => s.signedHeaders.includes('subject'));
  if (!chosen) return rejected('SubjectNotSigned', 'the aligned signature does not cover Subject', withFrom);
  return {
    ...withFrom,
    accepted: true,
    reason: 'Accepted',
    detail: `signature ${chosen.index + 1} (d=${chosen.domain}) passes and aligns with ${fromAddress}`,
    acceptedSignature: chosen.index,
  };
}

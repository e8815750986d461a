/**
 * The one RFC 9102 proof a received message needs (protocol.md §4 `dns_proof`, §7): built by the gateway before it
 * relays the message, so the canister verifies it in one step, and by the web app for a challenge that waits in
 * NeedProof (§3), from the key names the canister lists there. Both go through `proofForNames`, so the page
 * submits exactly what the gateway would have attached.
 *
 * Which names: exactly those the canister reads from a proof (src/challenge/flow.ts, src/verify-email.ts):
 * - the key record `<s>._domainkey.<d>` (RFC 6376 §3.6.2.1) of every candidate signature, the same candidates the
 *   canister's precheck selects (src/challenge/candidates.ts: tags parse at `now`, d= could align with the From
 *   domain, h= covers Subject, at most LIMITS.dkimSignatures fields), deduplicated and lowercase;
 * - `_dmarc.<from-domain>` and, when the organizational domain differs, `_dmarc.<org(from-domain)>` (RFC 7489
 *   §6.6.3: the record is discovered at the From domain, else at its organizational domain; src/dmarc/discovery.ts,
 *   under the shipped Public Suffix List: a canister with another list may ask for another name, and reads a
 *   name missing from the proof as "no record", which only makes it stricter).
 * Each is built as TXT by the generic builder (build.ts, RFC 9102 §3) over one query session, so zones they share
 * are fetched once, and the records are merged into one chain, each record once, within LIMITS.proofBytes and
 * LIMITS.proofRecords (protocol.md §9).
 *
 * What is attached (the canister reads the proof with src/challenge/proof-lookup.ts):
 * - key names that validate `secure` from the anchors; an insecure or bogus one is dropped, so a signer on an
 *   unsigned third-party domain cannot spoil the aligned one. No secure key name → `none` with the most telling
 *   reason (NONE_REASON_ORDER);
 * - `_dmarc.<from>` when it validates `secure`, and `_dmarc.<org>` likewise when `_dmarc.<from>` is absent (the
 *   one the canister's discovery reads decides below). When the server says it does not exist (NXDOMAIN or NODATA) it is
 *   left out: a name absent from the chain is "no DMARC record" to the canister, which then applies the strict
 *   rule (d= equals the From domain) that every DMARC policy also accepts, so omission can never loosen a
 *   verdict. (The canister evaluates no NSEC/NSEC3 denial, so a denial proof would be dead weight.) When it is
 *   insecure, bogus or its lookup failed, it is left out too, but then the proof is attached only if a secure
 *   key has d= equal to the From domain (the strict rule passes whatever the record says); otherwise the
 *   canister would fail the email for a DNS problem, and `none` lets it wait for a proof or use DoH instead.
 * Finally the merged bytes are read back exactly as the canister reads them (proofLookup at `opts.now`, cold
 * key cache, default RSA floor): `attached` only if every included name is `secure` there.
 *
 * Never throws for DNS trouble or a malformed message: both give `none`. Bounded by the builder's query budget and
 * the resolver's timeouts. Browser- and canister-safe (no Node builtins, no Buffer).
 */
import { selectCandidates } from '../challenge/candidates.ts';
import { proofLookup } from '../challenge/proof-lookup.ts';
import { dmarcNames } from '../dmarc/discovery.ts';
import type { PublicSuffixes } from '../dmarc/public-suffix-list.ts';
import { DnsFormatError } from '../dns/errors.ts';
import { type Name, nameFromText } from '../dns/name.ts';
import type { ResourceRecord } from '../dns/record.ts';
import { TYPE } from '../dns/types.ts';
import { parseFrom } from '../mail/from.ts';
import { fieldsNamed, parseMessage } from '../mail/message.ts';
import { checkOccurrences } from '../mail/occurrence.ts';
import {
  type BuildOptions,
  buildProofIn,
  encodeWithinLimits,
  mergeRecords,
  type ProofErrorCode,
  type ProofResult,
} from './build.ts';
import type { Resolver } from './resolver.ts';
import { QuerySession } from './session.ts';

export type NoProofReason = 'NoCandidates' | 'Insecure' | 'Bogus' | 'LookupFailed' | 'TooLarge';

export type MessageProofOutcome =
  /** `names`: the names proven, lowercase without the trailing dot; every one validates `secure`. */
  | { kind: 'attached'; proof: Uint8Array; names: readonly string[]; detail: string }
  /** `code`: for LookupFailed and TooLarge, the builder's code (the resolver's, or ProofTooLarge); else null. */
  | { kind: 'none'; reason: NoProofReason; detail: string; code: ProofErrorCode | null };

/** The names the canister will look up for a message, before any DNS. */
export type MessageNames =
  | {
      readonly ok: true;
      readonly fromDomain: string;
      /** Lowercase, deduplicated, in signature order. */
      readonly keyNames: readonly string[];
      /** The DKIM domain of each key name, same order. */
      readonly keyDomains: readonly string[];
      /** `_dmarc.<from-domain>`, or null when that is longer than a DNS name can be. */
      readonly dmarcName: string | null;
      /** `_dmarc.<organizational domain>` when that differs from the From domain (RFC 7489 §6.6.3), else null. */
      readonly orgDmarcName: string | null;
    }
  | { readonly ok: false; readonly detail: string };

export type ProvableNames = Extract<MessageNames, { ok: true }>;

/**
 * When no key name can be attached, the reason reported is the first of these that some key name has: the
 * transient one first (a retry may attach), then the definitive ones from the most to the least unusual.
 */
export const NONE_REASON_ORDER = [
  'LookupFailed',
  'Bogus',
  'TooLarge',
  'Insecure',
] as const satisfies readonly NoProofReason[];

type NameStatus = 'secure' | 'absent' | (typeof NONE_REASON_ORDER)[number];

interface NameOutcome {
  readonly name: string;
  readonly status: NameStatus;
  readonly detail: string;
  readonly records: readonly ResourceRecord[];
  /** Why its build failed, when it did. */
  readonly code: ProofErrorCode | null;
}

const DOMAINKEY = '._domainkey.';

/**
 * The names to prove for mail from `fromDomain` signed with the keys `keyNames` (`<s>._domainkey.<d>`, lowercase,
 * as the candidates name them and the canister lists them in NeedProof `key_names`): deduplicated, each key's d=
 * read from its name (the last `._domainkey.`: a selector may hold `_domainkey`, a d= cannot).
 * @throws TypeError for a name that is no DKIM key name (a caller bug, not DNS trouble).
 */
export function namesForKeys(
  fromDomain: string,
  keyNames: readonly string[],
  suffixes?: PublicSuffixes,
): ProvableNames {
  const unique = [...new Set(keyNames)];
  const keyDomains = unique.map((name) => {
    const at = name.lastIndexOf(DOMAINKEY);
    if (at <= 0) throw new TypeError(`not a DKIM key name: ${JSON.stringify(name)}`);
    return name.slice(at + DOMAINKEY.length);
  });
  const dmarc = dmarcNames(fromDomain, suffixes);
  return {
    ok: true,
    fromDomain,
    keyNames: unique,
    keyDomains,
    dmarcName: dmarc.fromName,
    orgDmarcName: dmarc.orgName,
  };
}

/**
 * The DNS names a proof for `message` must cover, at `now` (unix seconds): what the canister's precheck would
 * accept to look up (message bounds, header occurrence, From, candidate signatures), or why it would stop first.
 * `suffixes`: the canister's Public Suffix List when it is not the shipped one.
 */
export function namesForMessage(message: Uint8Array, now: number, suffixes?: PublicSuffixes): MessageNames {
  const parsed = parseMessage(message);
  if (!parsed.ok) return { ok: false, detail: `${parsed.error.code}: ${parsed.error.detail}` };
  const occurrence = checkOccurrences(parsed.message);
  if (occurrence) return { ok: false, detail: `${occurrence.code}: ${occurrence.detail}` };
  const from = parseFrom(fieldsNamed(parsed.message, 'from')[0]!.value);
  if (!from.ok) return { ok: false, detail: `MalformedFromHeader: ${from.detail}` };
  const fromDomain = from.value.domain;
  const selected = selectCandidates(parsed.message, fromDomain, now, undefined, suffixes);
  if (!selected.ok) return { ok: false, detail: `${selected.code}: ${selected.detail}` };
  return namesForKeys(
    fromDomain,
    selected.candidates.map((c) => c.keyName),
    suffixes,
  );
}

/** What one build says about one name. */
function outcomeOf(name: string, built: ProofResult, role: 'key' | 'dmarc'): NameOutcome {
  if (built.kind === 'error') {
    const status = built.code === 'ProofTooLarge' ? 'TooLarge' : 'LookupFailed';
    return { name, status, detail: `${name}: ${built.code}: ${built.detail}`, records: [], code: built.code };
  }
  if (built.answer !== 'positive' && role === 'dmarc') {
    return { name, status: 'absent', detail: `${name}: ${built.answer}`, records: [], code: null };
  }
  const v = built.verdict;
  if (v.verdict === 'secure')
    return { name, status: 'secure', detail: `${name}: secure`, records: built.records, code: null };
  const why =
    built.answer === 'positive'
      ? `${v.reason ?? 'unsigned'}: ${v.detail}`
      : `no such record (${built.answer})`;
  const status = v.verdict === 'insecure' ? 'Insecure' : 'Bogus';
  return { name, status, detail: `${name}: DNSSEC ${v.verdict}: ${why}`, records: [], code: null };
}

async function build(
  session: QuerySession,
  name: string,
  role: 'key' | 'dmarc',
  opts: BuildOptions,
): Promise<NameOutcome> {
  let owner: Name;
  try {
    owner = nameFromText(`${name}.`);
  } catch (e) {
    if (!(e instanceof DnsFormatError)) throw e;
    const detail = `${name}: not a DNS name: ${e.message}`;
    return { name, status: 'Bogus', detail, records: [], code: null };
  }
  return outcomeOf(name, await buildProofIn(session, owner, TYPE.TXT, opts), role);
}

/** The outcome to report when none of `keys` is secure: the first reason of NONE_REASON_ORDER some key has. */
function mostTelling(keys: readonly NameOutcome[]): MessageProofOutcome {
  const reason = NONE_REASON_ORDER.find((r) => keys.some((k) => k.status === r)) ?? 'Bogus';
  const code = keys.find((k) => k.status === reason)?.code ?? null;
  return none(reason, keys.map((k) => k.detail).join('; '), code);
}

const none = (
  reason: NoProofReason,
  detail: string,
  code: ProofErrorCode | null = null,
): MessageProofOutcome => ({
  kind: 'none',
  reason,
  detail,
  code,
});

/**
 * Builds the one merged proof that `message` needs, at `opts.now`.
 *
 * @example
 * const out = await proofForMessage(raw, dohResolver({ urls }), { anchors, now, crypto: webCrypto });
 * const dnsProof = out.kind === 'attached' ? out.proof : null;
 */
export async function proofForMessage(
  message: Uint8Array,
  resolver: Resolver,
  opts: BuildOptions,
  suffixes?: PublicSuffixes,
): Promise<MessageProofOutcome> {
  const wanted = namesForMessage(message, opts.now, suffixes);
  if (!wanted.ok) return none('NoCandidates', wanted.detail);
  return proofForNames(wanted, resolver, opts);
}

/**
 * Builds the one merged proof of `wanted` (namesForMessage, or namesForKeys for what a NeedProof challenge
 * lists), at `opts.now`.
 *
 * @example
 * const out = await proofForNames(namesForKeys(need.domain, need.key_names), resolver, opts);
 */
export async function proofForNames(
  wanted: ProvableNames,
  resolver: Resolver,
  opts: BuildOptions,
): Promise<MessageProofOutcome> {
  try {
    return await proveNames(wanted, resolver, opts);
  } catch (e) {
    // The builder and the validator report malformed DNS data as verdicts; this is the backstop for any path
    // that does not, so that hostile DNS data never escapes as an exception.
    if (e instanceof DnsFormatError) return none('Bogus', `malformed DNS data: ${e.message}`);
    throw e;
  }
}

async function proveNames(
  wanted: ProvableNames,
  resolver: Resolver,
  opts: BuildOptions,
): Promise<MessageProofOutcome> {
  const session = new QuerySession(resolver);
  const noDmarcName: NameOutcome = {
    name: '_dmarc',
    status: 'absent',
    detail: 'no DMARC name',
    records: [],
    code: null,
  };
  const [fromDmarc, orgDmarc, keys] = await Promise.all([
    wanted.dmarcName === null ? noDmarcName : build(session, wanted.dmarcName, 'dmarc', opts),
    wanted.orgDmarcName === null ? noDmarcName : build(session, wanted.orgDmarcName, 'dmarc', opts),
    Promise.all(wanted.keyNames.map((k) => build(session, k, 'key', opts))),
  ]);
  // RFC 7489 §6.6.3: the organizational domain's record counts only when the From domain has none.
  const dmarc = fromDmarc.status === 'absent' ? orgDmarc : fromDmarc;
  const secure = keys.filter((k) => k.status === 'secure');
  if (secure.length === 0) return mostTelling(keys);
  const strictKey = secure.some(
    (k) => wanted.keyDomains[wanted.keyNames.indexOf(k.name)] === wanted.fromDomain,
  );
  if (dmarc.status !== 'secure' && dmarc.status !== 'absent' && !strictKey) {
    const why = `the secure keys align with ${wanted.fromDomain} only under its DMARC record`;
    return none(dmarc.status, `${dmarc.detail} (${why})`, dmarc.code);
  }
  // Both DMARC names when both are secure: the canister falls back to the organizational domain's also when the
  // From domain's name holds TXT records none of which is a DMARC record.
  const included = [...secure, ...[fromDmarc, orgDmarc].filter((d) => d.status === 'secure')];
  const records = mergeRecords(included.map((o) => o.records));
  const encoded = encodeWithinLimits(records, 0, session.queries);
  if (!('chain' in encoded)) return none('TooLarge', encoded.detail, encoded.code);

  // Read back exactly as the canister will (src/challenge/proof-submission.ts judgeWithProof): cold cache, default RSA floor.
  const reader = proofLookup(encoded.chain, { anchors: opts.anchors, now: opts.now, crypto: opts.crypto });
  if (!reader.ok) return none('Bogus', `the merged proof does not parse: ${reader.detail}`);
  for (const o of included) {
    const answer = await reader.lookup(o.name);
    if (answer.kind === 'txt') continue;
    const why = answer.kind === 'temperror' ? answer.detail : 'not in the proof';
    return none('Bogus', `${o.name} is not secure in the merged proof: ${why}`);
  }
  const names = included.map((o) => o.name);
  const notes = [
    ...keys.filter((k) => k.status !== 'secure').map((k) => `dropped ${k.detail}`),
    ...(dmarc.status === 'secure' ? [] : [`DMARC left out (${dmarc.detail}): strict alignment applies`]),
  ];
  const summary = `${names.length} name(s), ${encoded.chain.length} bytes, ${records.length} records, ${session.queries} queries`;
  return {
    kind: 'attached',
    proof: encoded.chain,
    names,
    detail: [summary, ...notes].join('; '),
  };
}

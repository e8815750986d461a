/**
 * What an RFC 9102 chain built for one TXT name says about it, in the words an operator reads: `secure` (the
 * answer validates from the anchors, RFC 4035 §5), `insecure` (a delegation on the way is provably unsigned),
 * `bogus` (with the validator's reason), `absent` (NXDOMAIN or NODATA, RFC 2308), or `error` (the lookups
 * failed: the builder's ProofErrorCode). Also the TXT values as the server sent them (RFC 1035 §3.3.14, strings
 * concatenated as RFC 6376 §3.6.2.2 and RFC 7489 §6.1 read them), which are trustworthy only when `secure`.
 *
 * Shared by the domain report (domain-report.ts) and the message report (message-report.ts). Browser-safe.
 */
import { txtRdataToString } from '../challenge/proof-lookup.ts';
import { DnsFormatError } from '../dns/errors.ts';
import { nameEquals, nameFromText } from '../dns/name.ts';
import { TYPE } from '../dns/types.ts';
import type { BogusReason } from '../dnssec/result.ts';
import { type BuildOptions, buildProofIn, type ProofErrorCode } from './build.ts';
import type { QuerySession } from './session.ts';

export interface NameStatus {
  /** Lowercase, without the trailing dot. */
  readonly name: string;
  readonly status: 'secure' | 'insecure' | 'bogus' | 'absent' | 'error';
  readonly reason: BogusReason | ProofErrorCode | null;
  readonly detail: string;
  /** Zones whose DNSKEY RRset is in the chain, root first. */
  readonly zones: readonly string[];
  /** The TXT values at the end of the CNAME path, as served; empty unless the name has TXT records. */
  readonly txt: readonly string[];
}

/** Builds and judges the chain for `<name> TXT` over `session` (answers shared with the caller's other builds). */
export async function nameStatus(
  session: QuerySession,
  name: string,
  opts: BuildOptions,
): Promise<NameStatus> {
  const status = (
    s: NameStatus['status'],
    reason: NameStatus['reason'],
    detail: string,
    rest: Partial<NameStatus> = {},
  ): NameStatus => ({ name, status: s, reason, detail, zones: [], txt: [], ...rest });
  let owner: ReturnType<typeof nameFromText>;
  try {
    owner = nameFromText(`${name}.`);
  } catch (e) {
    if (!(e instanceof DnsFormatError)) throw e;
    return status('bogus', 'Malformed', `not a DNS name: ${e.message}`);
  }
  const built = await buildProofIn(session, owner, TYPE.TXT, opts);
  if (built.kind === 'error') return status('error', built.code, built.detail);
  if (built.answer !== 'positive') return status('absent', null, `no such record (${built.answer})`);
  const end = nameFromText(built.path.at(-1)!);
  const txt: string[] = [];
  for (const rr of built.records) {
    if (rr.type !== TYPE.TXT || !nameEquals(rr.name, end)) continue;
    try {
      const value = txtRdataToString(rr.rdata);
      if (!txt.includes(value)) txt.push(value);
    } catch (e) {
      if (!(e instanceof DnsFormatError)) throw e; // the verdict below says Malformed
    }
  }
  const v = built.verdict;
  const rest = { zones: built.zones, txt };
  if (v.verdict === 'secure') {
    const via = built.path.length > 1 ? ` via ${built.path.length - 1} CNAME` : '';
    return status('secure', null, `validates from the anchors${via} (${built.zones.join(' ')})`, rest);
  }
  return status(v.verdict, v.reason, v.detail, rest);
}

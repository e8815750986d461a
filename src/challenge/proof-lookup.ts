/**
 * A TxtLookup answered only from an RFC 9102 authentication chain (protocol.md §7): a name gets its TXT records
 * only when src/dnssec/chain.ts says the (name, TXT) answer is `secure` from the trust anchors, CNAMEs followed
 * by the validator (each hop its own signed RRset, ≤ 8 hops).
 *
 * - A name with no record at all in the chain (no TXT and no CNAME owned by it) is "not proven":
 *   for `_dmarc.<domain>` that means "no DMARC record" (nxdomain: the strict alignment rule then applies, which
 *   every DMARC policy also accepts, protocol §6); for any other name (a DKIM key) it is a temperror, so the
 *   signature is reported `temperror` and never passes.
 * - A name that is in the chain but does not validate (`bogus`, or `insecure`: the canister treats an unsigned
 *   answer as not verified) is a temperror carrying the DNSSEC reason, logged for the caller's report.
 * - TXT character-strings are concatenated without separator and read one char per byte (binary string).
 *
 * The chain is parsed once, within the proof limits of src/dnssec/proof-limits.ts (≤ 32 KiB, ≤ 200 records);
 * each name is validated once.
 */
import type { CryptoBackend } from '../crypto/backend.ts';
import { DnsFormatError } from '../dns/errors.ts';
import type { TxtAnswer, TxtLookup } from '../dns/lookup.ts';
import { type Name, nameEquals, nameFromText, nameTextKey } from '../dns/name.ts';
import { decodeRdata } from '../dns/rdata.ts';
import { TYPE } from '../dns/types.ts';
import { recordsValidator, type ZoneKeyCache } from '../dnssec/chain.ts';
import type { TrustAnchor } from '../dnssec/dnskey.ts';
import { parseProof } from '../dnssec/proof-limits.ts';
import type { BogusReason } from '../dnssec/result.ts';
import { bytesToBinary } from '../encoding/bytes.ts';

export interface NameVerdict {
  readonly name: string;
  /** secure: answered from the chain; absent: not in the chain; bogus / insecure: in the chain, not trusted. */
  readonly verdict: 'secure' | 'absent' | 'bogus' | 'insecure';
  readonly reason: BogusReason | null;
  readonly detail: string;
}

export type ProofLookup =
  | {
      readonly ok: true;
      readonly lookup: TxtLookup;
      /** Every name looked up so far, in first-lookup order. */
      readonly verdicts: () => readonly NameVerdict[];
    }
  | { readonly ok: false; readonly reason: 'Malformed'; readonly detail: string };

export interface ProofLookupOptions {
  readonly anchors: readonly TrustAnchor[];
  /** Unix seconds. */
  readonly now: number;
  readonly crypto: CryptoBackend;
  /** Zone keys verified by earlier proofs (src/dnssec/chain.ts ZoneKeyCache). */
  readonly keyCache?: ZoneKeyCache;
}

/** TXT RDATA → one string: the character-strings concatenated (RFC 6376 §3.6.2.2, RFC 7489 §6.1). */
export function txtRdataToString(rdata: Uint8Array): string {
  const [strings] = decodeRdata(TYPE.TXT, rdata, 0, rdata.length) as [Uint8Array[]];
  return strings.map((s) => bytesToBinary(s)).join('');
}

function isDmarcName(name: string): boolean {
  return name.startsWith('_dmarc.');
}

export function proofLookup(proof: Uint8Array, options: ProofLookupOptions): ProofLookup {
  // The one rule for the proof limits (src/dnssec/proof-limits.ts); every refusal here reads as Malformed.
  const records = parseProof(proof);
  if (!Array.isArray(records)) return { ok: false, reason: 'Malformed', detail: records.detail };
  const log: NameVerdict[] = [];
  const cache = new Map<string, Promise<TxtAnswer>>();
  // One validator for every name: the upper chain (root, TLD, …) is verified once per proof, not once per name.
  const validator = recordsValidator(records, options);
  const owns = (name: Name) =>
    records.some((rr) => (rr.type === TYPE.TXT || rr.type === TYPE.CNAME) && nameEquals(rr.name, name));

  const resolve = async (key: string): Promise<TxtAnswer> => {
    const note = (verdict: NameVerdict['verdict'], reason: BogusReason | null, detail: string) =>
      log.push({ name: key, verdict, reason, detail });
    let name: Name;
    try {
      name = nameFromText(`${key}.`);
    } catch (e) {
      if (!(e instanceof DnsFormatError)) throw e;
      note('bogus', 'Malformed', e.message);
      return { kind: 'temperror', detail: `${key}: ${e.message}` };
    }
    if (!owns(name)) {
      note('absent', null, 'not in the DNSSEC proof');
      return isDmarcName(key)
        ? { kind: 'nxdomain' }
        : { kind: 'temperror', detail: `${key} is not in the DNSSEC proof` };
    }
    const v = await validator.validate(name, TYPE.TXT);
    if (v.verdict !== 'secure') {
      note(v.verdict, v.reason, v.detail);
      return { kind: 'temperror', detail: `DNSSEC ${v.verdict} (${v.reason ?? 'unsigned'}): ${v.detail}` };
    }
    try {
      const txt = v.answer.map((rr) => txtRdataToString(rr.rdata));
      const via = v.cnames.length > 0 ? ` via ${v.cnames.length} CNAME` : '';
      note('secure', null, `${txt.length} TXT record(s)${via}`);
      return { kind: 'txt', records: txt };
    } catch (e) {
      if (!(e instanceof DnsFormatError)) throw e;
      note('bogus', 'Malformed', e.message);
      return { kind: 'temperror', detail: `${key}: ${e.message}` };
    }
  };

  const lookup: TxtLookup = (raw) => {
    const key = nameTextKey(raw);
    let answer = cache.get(key);
    if (!answer) {
      answer = resolve(key);
      cache.set(key, answer);
    }
    return answer;
  };
  return { ok: true, lookup, verdicts: () => log };
}

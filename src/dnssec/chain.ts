/**
 * Validates an answer from a bag of records (an RFC 9102 authentication chain or parsed records) down from the
 * trust anchors (RFC 4035 §5): each zone's DNSKEY RRset is trusted through an anchor or through an
 * authenticated DS RRset of its parent, every RRset through an RRSIG made with a trusted key of its signer
 * zone (signer.ts, RFC 4035 §5.3.1), and CNAMEs are followed across zones (RFC 1034 §3.6.2) up to the hop limit
 * of protocol.md §9. Keys with the REVOKE bit are never trusted (RFC 5011 §2.1). Every bag is held to the proof
 * limits first (proof-limits.ts), whichever path brought it.
 * Wildcard-expanded answers are refused (`WildcardNotProven`): Waxseal does not evaluate NSEC/NSEC3 proofs of
 * non-existence for them, and real DKIM keys are never wildcards.
 *
 * Longer than 400 lines on purpose: one Validator holds the proof's RRsets and memoizes each RRset's verdict and
 * each zone's keys, and its steps (signature, zone keys, DS, denial) call one another up the tree.
 */
import type { CryptoBackend } from '../crypto/backend.ts';
import { DnsFormatError } from '../dns/errors.ts';
import {
  isAtOrBelow,
  type Name,
  nameEquals,
  nameKey,
  nameToText,
  readName,
  rrsigLabelCount,
} from '../dns/name.ts';
import { type ResourceRecord, rrsetKey } from '../dns/record.ts';
import { CLASS_IN, TYPE, typeToText } from '../dns/types.ts';
import { bytesEqual } from '../encoding/bytes.ts';
import { ExpiringCache } from '../expiring-cache.ts';
import { LIMITS } from '../limits.ts';
import { checkKey, SUPPORTED_ALGORITHMS, verifySignature } from './algorithms.ts';
import { bitmapTypes, deniesDs, matchingNsec3 } from './denial.ts';
import {
  anchorOwner,
  type Dnskey,
  type Ds,
  dsMatches,
  FLAG_ZONE,
  isRevoked,
  isSupportedDigest,
  parseDnskey,
  parseDs,
  type TrustAnchor,
  unrevoked,
} from './dnskey.ts';
import { checkProofLimits, parseProof } from './proof-limits.ts';
import { bogus, type ChainVerdict, type Failure, mostSpecific } from './result.ts';
import { checkValidity, parseRrsig, type Rrsig, signedData } from './rrsig.ts';
import { CUT_TYPES, signerProblem } from './signer.ts';

export interface ValidateOptions {
  readonly anchors: readonly TrustAnchor[];
  /** Unix seconds. */
  readonly now: number;
  readonly crypto: CryptoBackend;
  /** RSA modulus floor (default LIMITS.rsaMinBits); lowered only to check the math of historic test vectors. */
  readonly rsaMinBits?: number;
  /**
   * Zone keys verified by earlier validations (same anchors), reused until the RRSIGs that vouched for them
   * expire, so a warm validation skips the upper chain and a proof may omit it.
   */
  readonly keyCache?: ZoneKeyCache;
}

/** Verified DNSKEYs per zone (key: lowercase presentation name), each valid until a unix time. */
export interface ZoneKeyCache {
  get(
    zone: string,
    now: number,
  ): { readonly keys: readonly Dnskey[]; readonly validUntil: number } | undefined;
  set(zone: string, keys: readonly Dnskey[], validUntil: number, now: number): void;
}

/** A bounded in-memory ZoneKeyCache (src/expiring-cache.ts: expired zones dropped first, then the oldest). */
export function zoneKeyCache(maxZones = 64): ZoneKeyCache & { size(): number } {
  const entries = new ExpiringCache<{ keys: readonly Dnskey[]; validUntil: number }, number>(maxZones);
  // Keys are good through `validUntil` (whole seconds, RFC 4034 §3.1.5), a cache entry up to but not at its
  // expiry: so the entry expires at validUntil + 1, and a fractional `now` is rounded up.
  return {
    get: (zone, now) => entries.get(zone, Math.ceil(now)),
    set: (zone, keys, validUntil, now) =>
      entries.set(zone, { keys, validUntil }, validUntil + 1, Math.ceil(now)),
    size: () => entries.size,
  };
}

const describe = (owner: Name, type: number) => `${nameToText(owner)} ${typeToText(type)}`;

class Validator {
  private readonly rrsets = new Map<string, ResourceRecord[]>();
  private readonly sigs = new Map<string, Rrsig[]>();
  private readonly nsec3s: ResourceRecord[] = [];
  private readonly results = new Map<string, Promise<Failure | null>>();
  private readonly zoneKeys = new Map<string, Promise<Dnskey[] | Failure>>();
  readonly used = new Map<string, ResourceRecord[]>();
  readonly usedSigs = new Map<string, ResourceRecord>();
  /** Until when (unix seconds) each validated RRset and each zone's keys stay vouched for. */
  private readonly rrsetValidity = new Map<string, number>();
  private readonly zoneValidity = new Map<string, number>();

  constructor(
    records: readonly ResourceRecord[],
    private readonly opts: ValidateOptions,
  ) {
    for (const rr of records) {
      if (rr.class !== CLASS_IN) continue;
      if (rr.type === TYPE.RRSIG) {
        const sig = parseRrsig(rr);
        const key = rrsetKey(rr.name, sig.typeCovered);
        const list = this.sigs.get(key) ?? [];
        if (!list.some((s) => bytesEqual(s.signature, sig.signature))) list.push(sig);
        this.sigs.set(key, list);
        continue;
      }
      const key = rrsetKey(rr.name, rr.type);
      const list = this.rrsets.get(key);
      if (list) list.push(rr);
      else this.rrsets.set(key, [rr]);
      if (rr.type === TYPE.NSEC3) this.nsec3s.push(rr);
    }
  }

  has(owner: Name, type: number): boolean {
    return this.rrsets.has(rrsetKey(owner, type));
  }

  /** The proof shows a zone cut at `name`: an RRset there that only a zone apex or a delegation has. */
  isZoneCut(name: Name): boolean {
    return CUT_TYPES.some((type) => this.has(name, type));
  }

  rrset(owner: Name, type: number): ResourceRecord[] {
    return this.rrsets.get(rrsetKey(owner, type)) ?? [];
  }

  /** Validates the RRset (owner, type), once; null means secure. */
  validate(owner: Name, type: number): Promise<Failure | null> {
    const key = rrsetKey(owner, type);
    let result = this.results.get(key);
    if (!result) {
      result = this.validateUncached(owner, type).then((f) => {
        if (f === null) this.used.set(key, this.rrset(owner, type));
        return f;
      });
      this.results.set(key, result);
    }
    return result;
  }

  private async validateUncached(owner: Name, type: number): Promise<Failure | null> {
    const sigs = this.sigs.get(rrsetKey(owner, type)) ?? [];
    if (sigs.length === 0) return this.unsigned(owner, type);
    const failures: Failure[] = [];
    for (const sig of sigs) {
      const f = await this.checkSignature(sig, owner, type, this.rrset(owner, type), (signer) =>
        this.keysOf(signer),
      );
      if (f === null) {
        this.usedSigs.set(rrsetKey(owner, type), sig.record);
        const signerValidity = this.zoneValidity.get(nameKey(sig.signer)) ?? Number.POSITIVE_INFINITY;
        this.rrsetValidity.set(
          rrsetKey(owner, type),
          Math.min(this.absolute(sig.expiration), signerValidity),
        );
        return null;
      }
      failures.push(f);
    }
    return mostSpecific(failures);
  }

  /** Structural checks of one RRSIG, then the signature with each candidate key from `keys`. */
  private async checkSignature(
    sig: Rrsig,
    owner: Name,
    type: number,
    rrset: readonly ResourceRecord[],
    keys: (signer: Name) => Promise<Dnskey[] | Failure>,
  ): Promise<Failure | null> {
    const what = describe(owner, type);
    const wrongSigner = signerProblem(sig.signer, owner, type, (z) => this.isZoneCut(z));
    if (wrongSigner) return wrongSigner;
    const labels = rrsigLabelCount(owner);
    if (sig.labels > labels) return bogus('LabelCount', `${what}: RRSIG labels ${sig.labels} > ${labels}`);
    if (sig.labels < labels) return bogus('WildcardNotProven', `${what} is a wildcard expansion`);
    const time = checkValidity(sig, this.opts.now, LIMITS.clockSkewSeconds);
    if (time !== 'ok') {
      return bogus(time, `${what}: valid ${sig.inception}–${sig.expiration}, now ${this.opts.now}`);
    }
    // Keys first: a zone whose DS records use only unsupported algorithms is insecure, not bogus.
    const trusted = await keys(sig.signer);
    if (!Array.isArray(trusted)) return trusted;
    if (!SUPPORTED_ALGORITHMS.has(sig.algorithm)) {
      return bogus('UnsupportedAlgorithm', `${what}: algorithm ${sig.algorithm}`);
    }
    const signs = (k: Dnskey) => k.keyTag === sig.keyTag && k.algorithm === sig.algorithm;
    const candidates = trusted.filter(signs);
    if (candidates.length === 0) {
      const revoked = this.rrset(sig.signer, TYPE.DNSKEY)
        .map(parseDnskey)
        .some((k) => signs(k) && isRevoked(k));
      return revoked
        ? bogus('DnskeyRevoked', `${what}: DNSKEY ${sig.keyTag} of the signer is revoked`)
        : bogus('MissingRecords', `${what}: no trusted DNSKEY with tag ${sig.keyTag}`);
    }
    const data = signedData(sig, rrset);
    const failures: Failure[] = [];
    for (const key of candidates) {
      const check = checkKey(key.algorithm, key.publicKey, this.opts.rsaMinBits);
      if (!check.ok) {
        failures.push(bogus(check.reason, `${what}: ${check.detail}`));
        continue;
      }
      if (await verifySignature(this.opts.crypto, key.algorithm, key.publicKey, data, sig.signature))
        return null;
      failures.push(bogus('BadSignature', `${what}: RRSIG by key ${key.keyTag} does not verify`));
    }
    return mostSpecific(failures);
  }

  /** Trusted DNSKEYs of `zone`, through an anchor or the parent's DS (memoized; recursion only goes up). */
  keysOf(zone: Name): Promise<Dnskey[] | Failure> {
    const key = nameKey(zone);
    let result = this.zoneKeys.get(key);
    if (!result) {
      const cached = this.opts.keyCache?.get(key, this.opts.now);
      if (cached) this.zoneValidity.set(key, cached.validUntil);
      result = cached
        ? Promise.resolve([...cached.keys])
        : this.keysOfUncached(zone).then((keys) => {
            if (Array.isArray(keys)) {
              const validUntil = this.zoneValidity.get(key) ?? Number.POSITIVE_INFINITY;
              this.opts.keyCache?.set(key, keys, validUntil, this.opts.now);
            }
            return keys;
          });
      this.zoneKeys.set(key, result);
    }
    return result;
  }

  /**
   * The keys among `keys` whose digest is in `dsSet` (RFC 4034 §5.1.4). A revoked key is matched as it is and as
   * it was before the revocation, so that a DS or anchor that names it is reported as revoked, not as a mismatch.
   */
  private async digested(keys: readonly Dnskey[], dsSet: readonly Ds[]): Promise<Dnskey[]> {
    const out: Dnskey[] = [];
    for (const k of keys) {
      const forms = isRevoked(k) ? [k, unrevoked(k)] : [k];
      for (const ds of dsSet) {
        for (const form of forms) if (await dsMatches(ds, form, this.opts.crypto)) out.push(k);
      }
    }
    return out;
  }

  private async keysOfUncached(zone: Name): Promise<Dnskey[] | Failure> {
    const name = nameToText(zone);
    const dnskeys = this.rrset(zone, TYPE.DNSKEY).map(parseDnskey);
    const zoneKeys = dnskeys.filter((k) => k.flags & FLAG_ZONE && k.protocol === 3);
    const trusted = zoneKeys.filter((k) => !isRevoked(k));
    const revoked = bogus(
      'DnskeyRevoked',
      `the keys of ${name} that the chain vouches for are revoked (RFC 5011)`,
    );
    const anchors = this.opts.anchors.filter((a) => nameEquals(anchorOwner(a), zone));
    if (anchors.length > 0) {
      const direct = anchors.flatMap((a) => (a.kind === 'dnskey' ? [a.key] : []));
      const dsAnchors = anchors.flatMap((a) => (a.kind === 'ds' ? [a.ds] : []));
      const matched = [...direct, ...(await this.digested(zoneKeys, dsAnchors))];
      const entry = matched.filter((k) => !isRevoked(k));
      if (entry.length === 0) {
        if (matched.length > 0) return revoked;
        return dnskeys.length > 0
          ? bogus('AnchorMismatch', `no DNSKEY of ${name} matches a trust anchor`)
          : bogus('MissingRecords', `no DNSKEY RRset for the anchored zone ${name}`);
      }
      // An anchor authenticates its key by itself. The rest of the DNSKEY RRset is trusted only when an anchored
      // key signs it; a failing signature by an anchored key is reported rather than ignored.
      const tags = new Set(entry.map((k) => k.keyTag));
      const bySigned = (this.sigs.get(rrsetKey(zone, TYPE.DNSKEY)) ?? []).some((s) => tags.has(s.keyTag));
      if (!bySigned) return entry;
      const signed = await this.validateDnskeys(zone, entry);
      if ('failure' in signed) return signed.failure;
      this.zoneValidity.set(nameKey(zone), this.absolute(signed.sig.expiration));
      return trusted;
    }
    if (zone.length === 0) return bogus('NoTrustAnchor', 'no trust anchor for the root');
    if (!this.has(zone, TYPE.DS)) {
      if (await this.provenUnsigned(zone))
        return { verdict: 'insecure', reason: null, detail: `${name} is provably unsigned` };
      return bogus('MissingRecords', `no DS RRset for ${name} and no trust anchor`);
    }
    const dsFailure = await this.validate(zone, TYPE.DS);
    if (dsFailure) return dsFailure;
    const usable = this.rrset(zone, TYPE.DS)
      .map(parseDs)
      .filter((ds) => isSupportedDigest(ds.digestType) && SUPPORTED_ALGORITHMS.has(ds.algorithm));
    if (usable.length === 0) {
      return {
        verdict: 'insecure',
        reason: 'UnsupportedAlgorithm',
        detail: `${name}: no DS with a supported algorithm and digest`,
      };
    }
    if (dnskeys.length === 0) return bogus('MissingRecords', `no DNSKEY RRset for ${name}`);
    // The SEP flag is not consulted: RFC 4034 §2.1.2 forbids using it in validation, and real zones publish DS
    // records for keys without it (test-vectors/dnssec/third-party/ens-ethlab-xyz-chain).
    const matched = await this.digested(zoneKeys, usable);
    const entry = matched.filter((k) => !isRevoked(k));
    if (entry.length === 0)
      return matched.length > 0 ? revoked : bogus('DsMismatch', `no DNSKEY of ${name} matches its DS`);
    const signed = await this.validateDnskeys(zone, entry);
    if ('failure' in signed) return signed.failure;
    const dsValidity = this.rrsetValidity.get(rrsetKey(zone, TYPE.DS)) ?? Number.POSITIVE_INFINITY;
    this.zoneValidity.set(nameKey(zone), Math.min(this.absolute(signed.sig.expiration), dsValidity));
    return trusted;
  }

  /** An RRSIG expiration (serial arithmetic, RFC 4034 §3.1.5) as unix seconds relative to now. */
  private absolute(expiration: number): number {
    const delta = (expiration - (this.opts.now % 2 ** 32)) | 0;
    return this.opts.now + delta;
  }

  /** The DNSKEY RRset must be signed by one of the entry keys. */
  private async validateDnskeys(zone: Name, entry: Dnskey[]): Promise<{ failure: Failure } | { sig: Rrsig }> {
    const sigs = this.sigs.get(rrsetKey(zone, TYPE.DNSKEY)) ?? [];
    if (sigs.length === 0) {
      return { failure: bogus('MissingRecords', `no RRSIG over the DNSKEY RRset of ${nameToText(zone)}`) };
    }
    const failures: Failure[] = [];
    for (const sig of sigs) {
      const dnskeys = this.rrset(zone, TYPE.DNSKEY);
      const f = await this.checkSignature(sig, zone, TYPE.DNSKEY, dnskeys, () => Promise.resolve(entry));
      if (f === null) {
        this.used.set(rrsetKey(zone, TYPE.DNSKEY), this.rrset(zone, TYPE.DNSKEY));
        this.usedSigs.set(rrsetKey(zone, TYPE.DNSKEY), sig.record);
        return { sig };
      }
      failures.push(f);
    }
    return { failure: mostSpecific(failures) };
  }

  /** An RRset without RRSIGs is insecure only below a provably unsigned delegation. */
  private async unsigned(owner: Name, type: number): Promise<Failure> {
    for (let z = owner; z.length > 0; z = z.slice(1)) {
      if (this.has(z, TYPE.DS)) break;
      if (await this.provenUnsigned(z)) {
        return {
          verdict: 'insecure',
          reason: null,
          detail: `${describe(owner, type)} is in the unsigned zone ${nameToText(z)}`,
        };
      }
    }
    return bogus('MissingRecords', `no RRSIG for ${describe(owner, type)}`);
  }

  /**
   * Authenticated denial of a DS at `zone` (denial.ts), from the parent's side: each NSEC/NSEC3 record is checked
   * on its own with RRSIGs by a proper ancestor, because a zone apex also owns an NSEC of the child's. An
   * insecure denial also means unsigned.
   */
  private async provenUnsigned(zone: Name): Promise<boolean> {
    const candidates = [...this.rrset(zone, TYPE.NSEC), ...matchingNsec3(zone, this.nsec3s)].filter((rr) =>
      deniesDs(bitmapTypes(rr)),
    );
    for (const rr of candidates) {
      const sigs = (this.sigs.get(rrsetKey(rr.name, rr.type)) ?? []).filter(
        (sig) => sig.signer.length < zone.length && isAtOrBelow(zone, sig.signer),
      );
      for (const sig of sigs) {
        const f = await this.checkSignature(sig, rr.name, rr.type, [rr], (signer) => this.keysOf(signer));
        if (f === null || f.verdict === 'insecure') return true;
      }
    }
    return false;
  }
}

/** Answers several (name, type) questions from one bag of records, verifying each RRset and zone key once. */
export interface RecordsValidator {
  /**
   * The verdict for (name, type), following CNAMEs. In a secure verdict, `chain` and `proof` hold every RRset this
   * validator has verified so far (for all questions asked), which is exactly the answer's when it is the first.
   */
  validate(name: Name, type: number): Promise<ChainVerdict>;
}

export function recordsValidator(
  records: readonly ResourceRecord[],
  opts: ValidateOptions,
): RecordsValidator {
  const refused =
    checkProofLimits(records) ??
    (opts.anchors.length === 0 ? bogus('NoTrustAnchor', 'no trust anchors configured') : null);
  if (refused) return { validate: () => Promise.resolve(refused) };
  let v: Validator;
  try {
    v = new Validator(records, opts);
  } catch (e) {
    if (e instanceof DnsFormatError) {
      const f = bogus('Malformed', e.message);
      return { validate: () => Promise.resolve(f) };
    }
    throw e;
  }
  return {
    validate: async (name, type) => {
      try {
        return await answer(v, name, type);
      } catch (e) {
        if (e instanceof DnsFormatError) return bogus('Malformed', e.message);
        throw e;
      }
    },
  };
}

async function answer(v: Validator, name: Name, type: number): Promise<ChainVerdict> {
  const cnames: ResourceRecord[] = [];
  const seen = new Set<string>();
  let current = name;
  for (let hops = 0; ; hops++) {
    seen.add(nameKey(current));
    if (v.has(current, type) || type === TYPE.CNAME) {
      if (!v.has(current, type)) return bogus('MissingRecords', `no ${describe(current, type)} in the proof`);
      const f = await v.validate(current, type);
      if (f) return f;
      const chain = [...v.used.values()];
      const proof = [...chain.flat(), ...v.usedSigs.values()];
      return { verdict: 'secure', answer: v.rrset(current, type), cnames, chain, proof };
    }
    if (!v.has(current, TYPE.CNAME))
      return bogus('MissingRecords', `no ${describe(current, type)} in the proof`);
    const f = await v.validate(current, TYPE.CNAME);
    if (f) return f;
    const cname = v.rrset(current, TYPE.CNAME);
    if (cname.length !== 1)
      return bogus('Malformed', `${nameToText(current)} has ${cname.length} CNAME records`);
    cnames.push(cname[0]!);
    const target = readName(cname[0]!.rdata, 0, false).name;
    if (seen.has(nameKey(target))) return bogus('CnameLoop', `CNAME loop at ${nameToText(target)}`);
    if (hops + 1 > LIMITS.cnameHops) return bogus('TooManyHops', `more than ${LIMITS.cnameHops} CNAME hops`);
    current = target;
  }
}

/** Validates (name, type) from `records`, following CNAMEs. */
export function validateRecords(
  records: readonly ResourceRecord[],
  name: Name,
  type: number,
  opts: ValidateOptions,
): Promise<ChainVerdict> {
  return recordsValidator(records, opts).validate(name, type);
}

/** Parses and validates RFC 9102 chain bytes (within the proof limits, proof-limits.ts). */
export async function verifyChain(
  bytes: Uint8Array,
  name: Name,
  type: number,
  opts: ValidateOptions,
): Promise<ChainVerdict> {
  const records = parseProof(bytes);
  return Array.isArray(records) ? validateRecords(records, name, type, opts) : records;
}

/**
 * Builds RFC 9102 §3 authentication chains: the answer RRset (after CNAMEs), and for every zone that signed a
 * part of it, the DNSKEY RRset of that zone and the DS RRset at that zone from its parent, up to a zone with a
 * trust anchor (the validation path of RFC 4035 §5), every RRset with its RRSIGs (RFC 4035 §3.1.1). Unsigned
 * delegations carry the parent's authenticated denial of the DS (RFC 4035 §5.2; NSEC, or NSEC3 per RFC 5155
 * §8.6) so the validator can say `insecure` instead of `bogus`.
 *
 * Queries go out in waves: every query whose need is known is sent at once (Promise.all), then the plan is
 * recomputed from all the answers so far until nothing is missing. The zones on the path are read from the
 * RRSIG signer names (a DS RRSIG's signer is the parent zone), never guessed from label boundaries. By default
 * each query on the answer path (the name and each CNAME target) goes out together with DNSKEY and DS queries
 * for every ancestor of its name: the signer's zone is one of them, so the chain arrives in the same wave as the
 * answer (waves = answer-path queries) at the cost of a few NODATA answers for names that are not zone cuts.
 * `prefetch: 'signers'` waits for the signer names instead (one more wave, fewer queries).
 *
 * Whatever was built is validated with src/dnssec/chain.ts before it is returned: the verdict is the one a
 * verifier of these bytes reaches. Browser-safe (no Node builtins).
 *
 * This file is the generic builder; what an email needs proven lives beside it (email.ts: one domain's keys and
 * DMARC record; message.ts: the names one received message needs), built on QuerySession, collect and
 * encodeWithinLimits from here.
 */
import { DnsFormatError } from '../dns/errors.ts';
import {
  compareNames,
  isAtOrBelow,
  type Name,
  nameEquals,
  nameKey,
  nameToText,
  parentName,
  readName,
} from '../dns/name.ts';
import { encodeChain, encodeRecord, type ResourceRecord, rrsetKey } from '../dns/record.ts';
import { CLASS_IN, TYPE, typeToText } from '../dns/types.ts';
import { type ValidateOptions, validateRecords } from '../dnssec/chain.ts';
import { bitmapTypes, deniesDs, matchingNsec3 } from '../dnssec/denial.ts';
import { anchorOwner } from '../dnssec/dnskey.ts';
import type { ChainVerdict } from '../dnssec/result.ts';
import { parseRrsig } from '../dnssec/rrsig.ts';
import { toHex } from '../encoding/bytes.ts';
import { LIMITS } from '../limits.ts';
import { RCODE, type Resolver, type ResolverAnswer, type ResolverErrorCode } from './resolver.ts';

export interface BuildOptions extends ValidateOptions {
  /** 'ancestors' (default): fewest waves. 'signers': fewest queries. See the module comment. */
  readonly prefetch?: 'ancestors' | 'signers';
}

/**
 * Why no proof was built: a lookup failed (the resolver's codes), the server answered SERVFAIL/REFUSED/… where
 * the data was needed (`ServerFailure`), or the chain would exceed LIMITS.proofBytes / proofRecords or the query
 * budget (`ProofTooLarge`).
 */
export type ProofErrorCode = ResolverErrorCode | 'ServerFailure' | 'ProofTooLarge';

/** What every built chain carries. */
export interface ChainParts {
  readonly kind: 'proof';
  /** RFC 9102 AuthenticationChain bytes: uncompressed RRs back to back, each exactly once. */
  readonly chain: Uint8Array;
  readonly records: readonly ResourceRecord[];
  /** Zones whose DNSKEY RRset is in the chain, presentation form, in canonical order (root first). */
  readonly zones: readonly string[];
}

export interface Proof extends ChainParts {
  /** The queried name, then each CNAME target followed. */
  readonly path: readonly string[];
  /** What the server said about the last name on the path. Negative answers are not provable here. */
  readonly answer: 'positive' | 'nxdomain' | 'nodata';
  readonly waves: number;
  readonly queries: number;
  /** validateRecords over `records`: secure, insecure or bogus with its reason. */
  readonly verdict: ChainVerdict;
}

export interface ProofFailure {
  readonly kind: 'error';
  readonly verdict: 'error';
  readonly code: ProofErrorCode;
  readonly detail: string;
  readonly waves: number;
  readonly queries: number;
}

export type ProofResult = Proof | ProofFailure;

/** Distinct queries one build (or one email proof) may send: far above any real chain, bounds a hostile server. */
const MAX_QUERIES = 300;

interface Question {
  readonly name: Name;
  readonly type: number;
}

const qkey = (name: Name, type: number) => `${nameKey(name)}|${type}`;

/**
 * Answers shared by the builds of one call; each question is asked once even when builds run in parallel. A
 * resolver that throws or rejects is recorded as a NetworkError answer, never passed on.
 */
export class QuerySession {
  private readonly inflight = new Map<string, Promise<ResolverAnswer>>();
  readonly settled = new Map<string, ResolverAnswer>();

  constructor(private readonly resolver: Resolver) {}

  get queries(): number {
    return this.inflight.size;
  }

  ask(q: Question): Promise<ResolverAnswer> {
    const key = qkey(q.name, q.type);
    let p = this.inflight.get(key);
    if (!p) {
      // The executor turns a resolver that throws synchronously into a rejection, caught like any other.
      p = new Promise<ResolverAnswer>((resolve) => resolve(this.resolver.query(q.name, q.type)))
        .catch(
          (e: unknown): ResolverAnswer => ({
            kind: 'error',
            code: 'NetworkError',
            detail: `resolver failed: ${e instanceof Error ? e.message : String(e)}`,
          }),
        )
        .then((r) => {
          this.settled.set(key, r);
          return r;
        });
      this.inflight.set(key, p);
    }
    return p;
  }
}

type Answer = Extract<ResolverAnswer, { kind: 'answer' }>;

interface RRset {
  readonly records: ResourceRecord[];
  readonly sigs: ResourceRecord[];
  readonly signers: Name[];
}

/** The RRset (owner, type) of a response with the RRSIGs that cover it and their signer names. */
function pick(resp: Answer, owner: Name, type: number): RRset {
  const records = resp.records.filter(
    (rr) => rr.type === type && rr.class === CLASS_IN && nameEquals(rr.name, owner),
  );
  const sigs: ResourceRecord[] = [];
  const signers: Name[] = [];
  for (const rr of resp.records) {
    if (rr.type !== TYPE.RRSIG || rr.class !== CLASS_IN || !nameEquals(rr.name, owner)) continue;
    try {
      const sig = parseRrsig(rr);
      if (sig.typeCovered !== type) continue;
      sigs.push(rr);
      if (!signers.some((s) => nameEquals(s, sig.signer))) signers.push(sig.signer);
    } catch (e) {
      if (!(e instanceof DnsFormatError)) throw e; // an unparsable RRSIG proves nothing: leave it out
    }
  }
  return { records, sigs, signers };
}

/** `name` and its ancestors, nearest first, ending at the root. */
function selfAndAncestors(name: Name): Name[] {
  const out: Name[] = [];
  for (let n: Name | null = name; n !== null; n = parentName(n)) out.push(n);
  return out;
}

interface Entry {
  readonly rank: number;
  readonly records: readonly ResourceRecord[];
}

/**
 * One pass over the answers so far: walks the answer path and the zone chain, records what to include, and
 * collects the questions still missing. Pure over `session.settled`; rerun after every wave.
 */
class Planner {
  readonly missing = new Map<string, Question>();
  readonly entries = new Map<string, Entry>();
  readonly zones = new Map<string, Name>();
  readonly path: Name[] = [];
  answer: Proof['answer'] = 'positive';
  error: { code: ProofErrorCode; detail: string } | null = null;
  private readonly visited = new Set<string>();
  private readonly anchored: Set<string>;

  constructor(
    private readonly session: QuerySession,
    anchors: ValidateOptions['anchors'],
    private readonly prefetch: 'ancestors' | 'signers',
  ) {
    this.anchored = new Set(anchors.map((a) => nameKey(anchorOwner(a))));
  }

  private isAnchored(zone: Name): boolean {
    return this.anchored.has(nameKey(zone));
  }

  private want(name: Name, type: number): void {
    const key = qkey(name, type);
    if (!this.session.settled.has(key)) this.missing.set(key, { name, type });
  }

  /** The answer to (name, type) if it has arrived; a transport error stops the build. */
  private read(name: Name, type: number): Answer | undefined {
    this.want(name, type);
    const r = this.session.settled.get(qkey(name, type));
    if (!r) return undefined;
    if (r.kind === 'error') {
      this.error ??= { code: r.code, detail: r.detail };
      return undefined;
    }
    return r;
  }

  private serverFailure(resp: Answer, name: Name, type: number): boolean {
    if (resp.rcode === RCODE.NOERROR || resp.rcode === RCODE.NXDOMAIN) return false;
    this.error ??= {
      code: 'ServerFailure',
      detail: `rcode ${resp.rcode} for ${nameToText(name)} ${typeToText(type)}`,
    };
    return true;
  }

  private add(owner: Name, type: number, rank: number, records: readonly ResourceRecord[]): void {
    const key = rrsetKey(owner, type);
    if (!this.entries.has(key)) this.entries.set(key, { rank, records });
  }

  /** DNSKEY (and, below an anchor, DS) questions for `name` and every ancestor up to an anchored zone. */
  private prefetchAncestors(name: Name): void {
    for (const n of selfAndAncestors(name)) {
      this.want(n, TYPE.DNSKEY);
      if (this.isAnchored(n)) return;
      if (n.length > 0) this.want(n, TYPE.DS);
    }
  }

  /** The answer path: the RRset, or the CNAMEs leading to it (RFC 1034 §3.6.2), each with its RRSIGs. */
  walk(qname: Name, qtype: number): void {
    const seen = new Set<string>([nameKey(qname)]);
    let current = qname;
    let cnames = 0;
    if (this.prefetch === 'ancestors') this.prefetchAncestors(qname);
    let source = this.read(qname, qtype);
    this.path.push(qname);
    while (source) {
      const set = pick(source, current, qtype);
      if (set.records.length > 0) {
        this.addPath(current, qtype, set);
        return;
      }
      const cname = qtype === TYPE.CNAME ? null : pick(source, current, TYPE.CNAME);
      if (cname && cname.records.length > 0) {
        this.addPath(current, TYPE.CNAME, cname);
        cnames++;
        let target: Name;
        try {
          target = readName(cname.records[0]!.rdata, 0, false).name;
        } catch {
          return; // the validator reports the malformed CNAME
        }
        // Stop at a loop or one hop past the limit: the validator needs that CNAME to say CnameLoop/TooManyHops.
        if (seen.has(nameKey(target)) || cnames > LIMITS.cnameHops) return;
        seen.add(nameKey(target));
        current = target;
        this.path.push(current);
        continue;
      }
      if (this.prefetch === 'ancestors') this.prefetchAncestors(current);
      const own = this.read(current, qtype);
      if (!own) return; // asked in the next wave
      if (own !== source) {
        source = own;
        continue;
      }
      if (this.serverFailure(own, current, qtype)) return;
      this.answer = own.rcode === RCODE.NXDOMAIN ? 'nxdomain' : 'nodata';
      return;
    }
  }

  private addPath(owner: Name, type: number, set: RRset): void {
    this.add(owner, type, 1000 + this.entries.size, [...set.records, ...set.sigs]);
    // A signer above the owner is the only kind that can validate (others are WrongSigner): follow only those.
    if (set.sigs.length > 0) {
      for (const signer of set.signers) if (isAtOrBelow(owner, signer)) this.zoneKeys(signer);
    } else this.unsignedProof(owner);
  }

  /** DNSKEY RRset of `zone`, then its DS RRset (or the proof that there is none) and the parent's chain. */
  private zoneKeys(zone: Name): void {
    const key = nameKey(zone);
    if (this.visited.has(key)) return;
    this.visited.add(key);
    this.prefetchAncestors(zone);
    const dk = this.read(zone, TYPE.DNSKEY);
    if (!dk) return;
    const keys = pick(dk, zone, TYPE.DNSKEY);
    if (keys.records.length === 0) {
      this.serverFailure(dk, zone, TYPE.DNSKEY);
      return; // nothing to include: the validator reports MissingRecords
    }
    this.add(zone, TYPE.DNSKEY, 2 * zone.length, [...keys.records, ...keys.sigs]);
    this.zones.set(key, zone);
    if (this.isAnchored(zone) || zone.length === 0) return;
    const dsResp = this.read(zone, TYPE.DS);
    if (!dsResp) return;
    const ds = pick(dsResp, zone, TYPE.DS);
    if (ds.records.length > 0) {
      this.add(zone, TYPE.DS, 2 * zone.length - 1, [...ds.records, ...ds.sigs]);
      for (const signer of ds.signers) {
        if (signer.length < zone.length && isAtOrBelow(zone, signer)) this.zoneKeys(signer);
      }
    } else if (!this.denial(zone, dsResp)) this.serverFailure(dsResp, zone, TYPE.DS);
  }

  /**
   * The parent's NSEC/NSEC3 that matches `zone` exactly and lists NS without DS or SOA (denial.ts), each record
   * with the RRSIGs made by a proper ancestor; then that ancestor's chain. False when the answer has none.
   */
  private denial(zone: Name, resp: Answer): boolean {
    const nsec3s = resp.records.filter((rr) => rr.type === TYPE.NSEC3);
    let candidates: ResourceRecord[];
    try {
      candidates = [
        ...resp.records.filter((rr) => rr.type === TYPE.NSEC && nameEquals(rr.name, zone)),
        ...matchingNsec3(zone, nsec3s),
      ].filter((rr) => deniesDs(bitmapTypes(rr)));
    } catch (e) {
      if (e instanceof DnsFormatError) return false;
      throw e;
    }
    let found = false;
    for (const rr of candidates) {
      const set = pick(resp, rr.name, rr.type);
      const sigs = set.sigs.filter((s) => {
        const signer = parseRrsig(s).signer;
        return signer.length < zone.length && isAtOrBelow(zone, signer);
      });
      if (sigs.length === 0) continue;
      found = true;
      this.add(rr.name, rr.type, 2 * zone.length - 1, [rr, ...sigs]);
      for (const s of sigs) this.zoneKeys(parseRrsig(s).signer);
    }
    return found;
  }

  /** An unsigned RRset is insecure only below a provably unsigned delegation: find the nearest one upward. */
  private unsignedProof(owner: Name): void {
    this.prefetchAncestors(owner); // the denial's signer is an ancestor: its chain comes in the same wave
    for (const z of selfAndAncestors(owner)) {
      if (this.isAnchored(z) || z.length === 0) return;
      const resp = this.read(z, TYPE.DS);
      if (!resp) return;
      if (pick(resp, z, TYPE.DS).records.length > 0) return; // a signed delegation: the RRset is simply bogus
      if (this.denial(z, resp)) return;
      if (this.serverFailure(resp, z, TYPE.DS)) return;
    }
  }

  /** The included records, root zone first and the answer path last, each record once (exact wire bytes). */
  records(): ResourceRecord[] {
    const seen = new Set<string>();
    const out: ResourceRecord[] = [];
    const entries = [...this.entries.values()].sort((a, b) => a.rank - b.rank);
    for (const e of entries) {
      // Servers rotate RRset order; sorting by wire bytes (RRSIGs last) makes the chain bytes reproducible.
      const wired = e.records.map((rr) => ({
        rr,
        wire: toHex(encodeRecord(rr)),
        sig: rr.type === TYPE.RRSIG,
      }));
      wired.sort((a, b) => Number(a.sig) - Number(b.sig) || (a.wire < b.wire ? -1 : a.wire > b.wire ? 1 : 0));
      for (const { rr, wire } of wired) {
        if (seen.has(wire)) continue;
        seen.add(wire);
        out.push(rr);
      }
    }
    return out;
  }

  zoneNames(): string[] {
    return [...this.zones.values()].sort(compareNames).map(nameToText);
  }
}

/** What one (name, type) needs in its chain, read from the answers of a session. */
export interface Collected {
  readonly records: ResourceRecord[];
  readonly zones: string[];
  readonly path: string[];
  readonly answer: Proof['answer'];
  readonly waves: number;
}

/**
 * Runs waves over `session` until the plan for (name, type) needs nothing more; a failed lookup, a server failure
 * or the query budget ends it with the failure. Builds of several names may run on one session in parallel.
 */
export async function collect(
  session: QuerySession,
  name: Name,
  type: number,
  opts: BuildOptions,
): Promise<Collected | Omit<ProofFailure, 'queries'>> {
  let waves = 0;
  for (;;) {
    const plan = new Planner(session, opts.anchors, opts.prefetch ?? 'ancestors');
    plan.walk(name, type);
    if (plan.error) return { kind: 'error', verdict: 'error', ...plan.error, waves };
    if (plan.missing.size === 0) {
      return {
        records: plan.records(),
        zones: plan.zoneNames(),
        path: plan.path.map(nameToText),
        answer: plan.answer,
        waves,
      };
    }
    if (session.queries + plan.missing.size > MAX_QUERIES) {
      return {
        kind: 'error',
        verdict: 'error',
        code: 'ProofTooLarge',
        detail: `more than ${MAX_QUERIES} queries needed for ${nameToText(name)} ${typeToText(type)}`,
        waves,
      };
    }
    waves++;
    await Promise.all([...plan.missing.values()].map((q) => session.ask(q)));
  }
}

/** The records of several chains as one: each record once (by its exact wire bytes), in first-seen order. */
export function mergeRecords(chains: readonly (readonly ResourceRecord[])[]): ResourceRecord[] {
  const seen = new Set<string>();
  const out: ResourceRecord[] = [];
  for (const records of chains) {
    for (const rr of records) {
      const wire = toHex(encodeRecord(rr));
      if (seen.has(wire)) continue;
      seen.add(wire);
      out.push(rr);
    }
  }
  return out;
}

/** The RFC 9102 bytes of `records`, or a ProofTooLarge failure past the proof limits of protocol.md §9. */
export function encodeWithinLimits(
  records: readonly ResourceRecord[],
  waves: number,
  queries: number,
): { chain: Uint8Array } | ProofFailure {
  const chain = encodeChain(records);
  const detail =
    records.length > LIMITS.proofRecords
      ? `${records.length} records exceed the proof limit of ${LIMITS.proofRecords}`
      : chain.length > LIMITS.proofBytes
        ? `${chain.length} bytes exceed the proof limit of ${LIMITS.proofBytes}`
        : null;
  return detail === null
    ? { chain }
    : { kind: 'error', verdict: 'error', code: 'ProofTooLarge', detail, waves, queries };
}

/**
 * Builds and validates the chain for (name, type). Never throws for DNS trouble: lookups that fail give a
 * ProofFailure, data that does not validate gives a Proof whose verdict says why.
 */
export async function buildProof(
  resolver: Resolver,
  name: Name,
  type: number,
  opts: BuildOptions,
): Promise<ProofResult> {
  return buildProofIn(new QuerySession(resolver), name, type, opts);
}

/** buildProof over a session shared with other builds, so that zones they have in common are fetched once. */
export async function buildProofIn(
  session: QuerySession,
  name: Name,
  type: number,
  opts: BuildOptions,
): Promise<ProofResult> {
  const c = await collect(session, name, type, opts);
  if ('kind' in c) return { ...c, queries: session.queries };
  const encoded = encodeWithinLimits(c.records, c.waves, session.queries);
  if (!('chain' in encoded)) return encoded;
  const { chain } = encoded;
  const verdict = await validateRecords(c.records, name, type, opts);
  return { kind: 'proof', chain, ...c, queries: session.queries, verdict };
}

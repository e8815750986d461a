/**
 * Query planning for the RFC 9102 §3 builder (build.ts): one pure pass over the answers a session has so far
 * (session.ts) walks the answer path and the zones that signed it, picks what the chain must hold, and lists
 * the questions still missing. build.ts reruns it after every wave until nothing is missing.
 *
 * What a chain needs (RFC 4035 §5): the answer RRset, or the CNAMEs leading to it (RFC 1034 §3.6.2); for every
 * zone that signed a part of it, that zone's DNSKEY RRset and the DS RRset at that zone from its parent, up to a
 * zone with a trust anchor; every RRset with its RRSIGs (RFC 4035 §3.1.1). Unsigned delegations carry the
 * parent's authenticated denial of the DS (RFC 4035 §5.2; NSEC, or NSEC3 per RFC 5155 §8.6) so the validator
 * can say `insecure` instead of `bogus`. The zones on the path are read from the RRSIG signer names (a DS
 * RRSIG's signer is the parent zone), never guessed from label boundaries.
 *
 * Prefetch. `ancestors` asks, with each query on the answer path, the DNSKEY and DS of every ancestor of its
 * name: the signer's zone is one of them, so the chain arrives in the same wave as the answer, at the cost of a
 * few NODATA answers for names that are not zone cuts. `signers` waits for the signer names instead (one more
 * wave, fewer queries).
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
import { type ResourceRecord, rrsetKey } from '../dns/record.ts';
import { CLASS_IN, TYPE, typeToText } from '../dns/types.ts';
import { bitmapTypes, deniesDs, matchingNsec3 } from '../dnssec/denial.ts';
import { anchorOwner, type TrustAnchor } from '../dnssec/dnskey.ts';
import { parseRrsig } from '../dnssec/rrsig.ts';
import { LIMITS } from '../limits.ts';
import type { ChainEntry } from './assemble.ts';
import { RCODE, type ResolverAnswer, type ResolverErrorCode } from './resolver.ts';
import { type QuerySession, type Question, questionKey } from './session.ts';

/** How far ahead the planner asks for zone keys (the module comment). */
export type Prefetch = 'ancestors' | 'signers';

/** What the server said about the last name on the answer path. */
export type AnswerKind = 'positive' | 'nxdomain' | 'nodata';

/** Why the plan cannot go on: a lookup failed, or the server failed where the data was needed. */
export interface PlanError {
  readonly code: ResolverErrorCode | 'ServerFailure';
  readonly detail: string;
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

/**
 * One pass over the answers so far: walks the answer path and the zone chain, records what to include, and
 * collects the questions still missing. Pure over `session.settled`; rerun after every wave.
 */
export class Planner {
  readonly missing = new Map<string, Question>();
  readonly entries = new Map<string, ChainEntry>();
  readonly zones = new Map<string, Name>();
  readonly path: Name[] = [];
  answer: AnswerKind = 'positive';
  error: PlanError | null = null;
  private readonly visited = new Set<string>();
  private readonly anchored: Set<string>;

  constructor(
    private readonly session: QuerySession,
    anchors: readonly TrustAnchor[],
    private readonly prefetch: Prefetch,
  ) {
    this.anchored = new Set(anchors.map((a) => nameKey(anchorOwner(a))));
  }

  private isAnchored(zone: Name): boolean {
    return this.anchored.has(nameKey(zone));
  }

  private want(name: Name, type: number): void {
    const key = questionKey(name, type);
    if (!this.session.settled.has(key)) this.missing.set(key, { name, type });
  }

  /** The answer to (name, type) if it has arrived; a transport error stops the build. */
  private read(name: Name, type: number): Answer | undefined {
    this.want(name, type);
    const r = this.session.settled.get(questionKey(name, type));
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

  /** Zones whose DNSKEY RRset is in the chain, presentation form, in canonical order (root first). */
  zoneNames(): string[] {
    return [...this.zones.values()].sort(compareNames).map(nameToText);
  }
}

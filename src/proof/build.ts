/**
 * Builds RFC 9102 §3 authentication chains: the answer RRset (after CNAMEs) and the validation path of RFC 4035
 * §5 up to a zone with a trust anchor. Three steps, one file each:
 * - query planning (plan.ts): what the chain needs, from the answers so far, and which questions are missing;
 * - fetching (session.ts): each question asked once per call, shared by parallel builds;
 * - chain assembly (assemble.ts): the picked records in chain order, each once, within the proof limits.
 *
 * Queries go out in waves: every question whose need is known is sent at once (Promise.all), then the plan is
 * recomputed from all the answers so far until nothing is missing. With the default prefetch the chain arrives
 * with the answer (waves = answer-path queries); see plan.ts.
 *
 * Whatever was built is validated with src/dnssec/chain.ts before it is returned: the verdict is the one a
 * verifier of these bytes reaches. Browser-safe (no Node builtins). What an email needs proven lives beside it
 * (email.ts: one domain's keys and DMARC record; message.ts: the names one received message needs).
 */
import { type Name, nameToText } from '../dns/name.ts';
import type { ResourceRecord } from '../dns/record.ts';
import { typeToText } from '../dns/types.ts';
import { type ValidateOptions, validateRecords } from '../dnssec/chain.ts';
import type { ChainVerdict } from '../dnssec/result.ts';
import { chainRecords, encodeWithinLimits } from './assemble.ts';
import { type AnswerKind, Planner, type Prefetch } from './plan.ts';
import type { Resolver, ResolverErrorCode } from './resolver.ts';
import { QuerySession } from './session.ts';

/** The builder's surface for callers that merge several builds (email.ts, message.ts, the web app). */
export { encodeWithinLimits, mergeRecords } from './assemble.ts';
export { QuerySession } from './session.ts';

export interface BuildOptions extends ValidateOptions {
  /** 'ancestors' (default): fewest waves. 'signers': fewest queries. See plan.ts. */
  readonly prefetch?: Prefetch;
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
  readonly answer: AnswerKind;
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

/** What one (name, type) needs in its chain, read from the answers of a session. */
export interface Collected {
  readonly records: ResourceRecord[];
  readonly zones: string[];
  readonly path: string[];
  readonly answer: AnswerKind;
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
        records: chainRecords(plan.entries.values()),
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

/**
 * Builds and validates the chain for (name, type). Never throws for DNS trouble: lookups that fail give a
 * ProofFailure, data that does not validate gives a Proof whose verdict says why.
 *
 * @example
 * const p = await buildProof(dohResolver({ urls }), nameFromText('sel._domainkey.example.com.'), TYPE.TXT,
 *   { anchors, now, crypto: webCrypto });
 * if (p.kind === 'proof' && p.verdict.verdict === 'secure') submit(p.chain);
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
  const verdict = await validateRecords(c.records, name, type, opts);
  return { kind: 'proof', chain: encoded.chain, ...c, queries: session.queries, verdict };
}

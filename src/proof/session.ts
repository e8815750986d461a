/**
 * Fetching for the RFC 9102 §3 builder (build.ts): one session per call, so each question (name, type, class IN)
 * goes to the resolver once however many builds share it, even when they run in parallel. The planner
 * (plan.ts) reads what has arrived from `settled`; build.ts sends each wave of questions through `ask`.
 */
import { type Name, nameKey } from '../dns/name.ts';
import type { Resolver, ResolverAnswer } from './resolver.ts';

export interface Question {
  readonly name: Name;
  readonly type: number;
}

/** The key of a question in `settled`: the owner case-insensitively (RFC 4343 §3), and the type. */
export const questionKey = (name: Name, type: number): string => `${nameKey(name)}|${type}`;

/**
 * Answers shared by the builds of one call. A resolver that throws or rejects is recorded as a NetworkError
 * answer, never passed on.
 */
export class QuerySession {
  private readonly inflight = new Map<string, Promise<ResolverAnswer>>();
  readonly settled = new Map<string, ResolverAnswer>();

  constructor(private readonly resolver: Resolver) {}

  /** Distinct questions asked so far. */
  get queries(): number {
    return this.inflight.size;
  }

  ask(q: Question): Promise<ResolverAnswer> {
    const key = questionKey(q.name, q.type);
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

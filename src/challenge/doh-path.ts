/**
 * The DoH path for unsigned domains on the allowlist (protocol.md §8): the verdict over the canister's DoH quorum
 * answers (doh-quorum.ts `quorumLookup`), either at once when the canister already holds them or when the fetch
 * a `Resolving` challenge waits for has finished (`completeResolving`).
 */
import type { TxtLookup } from '../dns/lookup.ts';
import { pass } from './checks.ts';
import type { FlowContext } from './flow.ts';
import { keptEmail, type ReadEmail } from './precheck.ts';
import type { Decision } from './transitions.ts';
import type { Challenge } from './types.ts';
import { judge } from './verdict.ts';

/** The verdict with the DoH quorum's answers as the DNS source. */
export function judgeWithDoh(
  email: ReadEmail,
  challenge: Challenge,
  lookup: TxtLookup,
  ctx: FlowContext,
): Promise<Decision> {
  return judge(email, challenge, lookup, 'doh', ctx, [...email.checks, pass('dns', 'DoH quorum')]);
}

/** The canister's DoH fetch for a Resolving challenge finished; `lookup` answers from the quorum results. */
export async function completeResolving(
  challenge: Challenge | null,
  message: Uint8Array,
  lookup: TxtLookup,
  ctx: FlowContext,
): Promise<Decision> {
  const kept = await keptEmail(challenge, message, 'Resolving', ctx);
  return 'decision' in kept ? kept.decision : judgeWithDoh(kept.email, kept.challenge, lookup, ctx);
}

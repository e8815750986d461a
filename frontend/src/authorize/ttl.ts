/**
 * How long a dApp's delegation lives (protocol.md §1; Internet Identity spec, "Client authentication protocol":
 * the IdP "may shorten" `maxTimeToLive` "but must not exceed it"; ICRC-34 `maxTimeToLive`). A dApp that asks for
 * nothing gets 8 hours, what AuthClient itself asks for by default; nobody gets more than 30 days, the canister's
 * own cap (src/identity/delegation-lifetime.ts), applied here too so that the page asks for exactly what it will
 * get.
 */
import { MAX_DELEGATION_TTL_NS } from '../../../src/identity/delegation-lifetime.ts';

const NS_PER_HOUR = 3_600_000_000_000n;

export const DEFAULT_TTL_NS = 8n * NS_PER_HOUR;
export const MAX_TTL_NS = MAX_DELEGATION_TTL_NS;

/** More digits than any nat64 has: longer text is refused before BigInt ever sees it. */
const MAX_TTL_DIGITS = 20;

/** The lifetime to ask the canister for: the request, or the default, capped at 30 days. */
export function delegationTtl(requested: bigint | undefined): bigint {
  const ttl = requested ?? DEFAULT_TTL_NS;
  return ttl < MAX_TTL_NS ? ttl : MAX_TTL_NS;
}

/** Whether `ttl` can be asked for at all: a delegation that expires as it is made is no delegation. */
export function isValidTtl(ttl: bigint): boolean {
  return ttl > 0n;
}

/**
 * ICRC-34 `maxTimeToLive`: "Expiration of the delegation in nanoseconds" as a base-10 string (a number is refused,
 * as Internet Identity refuses it, since JSON numbers lose precision above 2^53). Null when it is not one.
 */
export function parseTtlText(text: unknown): bigint | null {
  if (typeof text !== 'string' || text.length === 0 || text.length > MAX_TTL_DIGITS) return null;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return null;
  }
  const ttl = BigInt(text);
  return isValidTtl(ttl) ? ttl : null;
}

/**
 * The longest a delegation may live (protocol.md §1: expiration = now + min(max_ttl ?? 30 min, 30 days)). One
 * constant for the canister, which enforces it, and the /authorize page, which asks for no more than it will get.
 */
export const MAX_DELEGATION_TTL_NS = 30n * 24n * 3600n * 1_000_000_000n;

/**
 * Waxseal challenges (protocol.md §3, §4, §8): nonces, the SMTP envelope rules, the challenge store and its
 * codec, the per-email decision pipeline and the DoH quorum. Pure: the canister supplies time, randomness,
 * storage and outcalls.
 */
export * from './checks.ts';
export * from './codec.ts';
export * from './doh-path.ts';
export * from './doh-quorum.ts';
export * from './envelope.ts';
export * from './flow.ts';
export * from './kv.ts';
export * from './nonce.ts';
export * from './precheck.ts';
export * from './proof-lookup.ts';
export * from './proof-submission.ts';
export * from './store.ts';
export * from './transitions.ts';
export * from './types.ts';
export * from './verdict.ts';

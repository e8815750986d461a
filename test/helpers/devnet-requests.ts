// The agent's request bodies for the devnet's tests: one implementation, shared with `npm run bench:devnet`.
export * from '../../scripts/lib/agent-request.ts';

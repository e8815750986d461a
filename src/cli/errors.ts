/**
 * Errors the CLI reports as one line on stderr with exit status 2 (protocol.md §10): usage, unreadable or
 * malformed input, and DNS over HTTPS endpoints of which none answered (nothing could be judged).
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Errors the CLI reports as one line on stderr with exit status 2 (usage or unreadable input). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

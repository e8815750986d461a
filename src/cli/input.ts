/** Input files and the `--now` clock, read the same way by every command; problems are one-line UsageErrors. */
import { readFileSync } from 'node:fs';
import { UsageError } from './errors.ts';

export function readInput(path: string, what: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (code ?? 'unreadable');
    throw new UsageError(`cannot read ${what} ${path}: ${why}`);
  }
}

/** `--now <unix-seconds>`; default: the clock. */
export function parseNow(text: string | undefined): number {
  if (text === undefined) return Math.floor(Date.now() / 1000);
  if (!/^[0-9]{1,12}$/.test(text))
    throw new UsageError(`--now must be unix seconds, got ${JSON.stringify(text)}`);
  return Number(text);
}

/**
 * One process per data folder (`waxseal devnet`'s data, `waxseal gateway`'s spool): a second one would
 * interleave journal records or deliver the same spooled mail twice. The lock file holds the owner's pid; a
 * lock left by a process that no longer runs is taken over.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from './errors.ts';

/** Takes `<dir>/<name>` (creating `dir`); returns the release function. */
export function takeLock(dir: string, name: string, what: string): () => void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const lock = join(dir, name);
  if (existsSync(lock)) {
    const pid = Number(readFileSync(lock, 'utf8').trim());
    let alive = false;
    try {
      alive = Number.isInteger(pid) && pid > 0 && pid !== process.pid && process.kill(pid, 0);
    } catch {
      alive = false;
    }
    if (alive) throw new UsageError(`another ${what} (pid ${pid}) is using ${dir}`);
  }
  writeFileSync(lock, `${process.pid}\n`);
  return () => rmSync(lock, { force: true });
}

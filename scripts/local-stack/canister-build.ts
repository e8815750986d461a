/**
 * Builds the canister for the local stack when build/waxseal.wasm is missing or older than what goes into it
 * (canister/, src/, candid/, scripts/build-canister.sh), so `npm start` always serves the code in the tree.
 * WAXSEAL_SKIP_BUILD=1 reuses an existing wasm as it is, as test/global-setup.ts does (concurrent test runs in
 * one checkout must not race a build).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { launch } from './process.ts';

const ROOT = join(import.meta.dirname, '..', '..');
export const WASM = join(ROOT, 'build', 'waxseal.wasm');
const SOURCES = ['canister', 'src', 'candid', 'scripts/build-canister.sh'].map((p) => join(ROOT, p));
/** The build takes about 10 s; this bounds a hung one. */
const BUILD_TIMEOUT_MS = 300_000;

/** Newest modification time (ms) of a file or of every file under a directory. */
function newest(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs;
  for (const entry of readdirSync(path)) max = Math.max(max, newest(join(path, entry)));
  return max;
}

/** Why the wasm must be (re)built, or null when it is current (or WAXSEAL_SKIP_BUILD=1 keeps it). */
export function staleReason(): string | null {
  if (!existsSync(WASM)) return 'build/waxseal.wasm is missing';
  if (process.env.WAXSEAL_SKIP_BUILD === '1') return null;
  const built = statSync(WASM).mtimeMs;
  return SOURCES.some((s) => newest(s) > built) ? 'build/waxseal.wasm is older than the sources' : null;
}

/** Runs scripts/build-canister.sh, its output into `logFile`; rejects with the log tail if it fails. */
export async function buildCanister(logFile: string): Promise<void> {
  const build = launch('build', 'bash', [join(ROOT, 'scripts', 'build-canister.sh')], { logFile });
  const timer = setTimeout(() => build.proc.kill('SIGKILL'), BUILD_TIMEOUT_MS);
  const code = await new Promise<number | null>((res) => build.proc.once('exit', (c) => res(c)));
  clearTimeout(timer);
  if (code !== 0) throw new Error(`scripts/build-canister.sh failed (code ${code}):\n${build.log()}`);
}

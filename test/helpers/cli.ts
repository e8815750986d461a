/** Runs bin/waxseal as a real process, and scratch files for its inputs. */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'waxseal');
const TIMEOUT_MS = 30_000;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `waxseal ...args` from the repository root; a non-zero exit is returned, not thrown. */
export async function waxseal(...args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      timeout: TIMEOUT_MS,
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as CliResult;
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** `waxseal ...args` for a command that prints JSON: the result and its stdout parsed ({} when empty). */
export async function waxsealJson(
  ...args: string[]
): Promise<{ r: CliResult; out: ReturnType<typeof JSON.parse> }> {
  const r = await waxseal(...args);
  return { r, out: r.stdout ? JSON.parse(r.stdout) : {} };
}

/** A fresh temporary directory, and `writeTmp(name, data)` that writes a file in it and returns its path. */
export function tmpFiles(prefix: string): {
  dir: string;
  writeTmp(name: string, data: string | Uint8Array): string;
} {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    writeTmp(name, data) {
      const path = join(dir, name);
      writeFileSync(path, data);
      return path;
    },
  };
}

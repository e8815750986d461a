/** Bundles core code the way a browser page or the canister would, for the sandbox tests. */
import { join } from 'node:path';
import { build } from 'esbuild';
import { expect } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

/**
 * Bundles `entry` (TypeScript; its imports are relative to the repository root) into one IIFE script for
 * `platform`, and checks that the result needs no Node builtin.
 */
export async function bundleIife(entry: string, platform: 'browser' | 'neutral'): Promise<string> {
  const out = await build({
    stdin: { contents: entry, resolveDir: ROOT, loader: 'ts' },
    bundle: true,
    platform,
    format: 'iife',
    write: false,
    logLevel: 'silent',
  });
  const code = out.outputFiles[0]!.text;
  expect(code).not.toMatch(/require\(["']node:/);
  return code;
}

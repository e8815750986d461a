/**
 * Builds the canister once per test run, before any suite starts (suites run in parallel processes, and two
 * concurrent `azle build`s would write the same files). Provides the documented Candid file as it was before the
 * build, so test/candid.test.ts can check that the build leaves it untouched.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

const ROOT = join(import.meta.dirname, '..');

export default function setup(project: TestProject): void {
  const didBefore = readFileSync(join(ROOT, 'candid', 'waxseal.did'), 'utf8');
  const start = performance.now();
  // WAXSEAL_SKIP_BUILD=1 reuses build/ as it is (several vitest runs at once in one checkout must not race).
  const reuse = process.env.WAXSEAL_SKIP_BUILD === '1' && existsSync(join(ROOT, 'build', 'waxseal.wasm'));
  if (!reuse)
    execFileSync('bash', [join(ROOT, 'scripts', 'build-canister.sh')], { cwd: ROOT, stdio: 'pipe' });
  project.provide('didBefore', didBefore);
  project.provide('buildSeconds', (performance.now() - start) / 1000);
}

declare module 'vitest' {
  export interface ProvidedContext {
    didBefore: string;
    buildSeconds: number;
  }
}

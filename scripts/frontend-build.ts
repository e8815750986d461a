/**
 * Builds the web app (frontend/, Vite) into frontend/dist and enforces the first-page budget of issue 11:
 * at most 250 KiB of gzipped JavaScript loaded by index.html (its module scripts and their static imports).
 * Over budget, it prints the sizes and exits 1, so the build fails when the page grows past it.
 *
 *   npm run build:frontend
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';

export const FRONTEND = join(import.meta.dirname, '..', 'frontend');
export const DIST = join(FRONTEND, 'dist');
/** Issue 11, "Quality": the first page ≤ 250 KiB of gzipped JS. */
export const FIRST_PAGE_BUDGET = 250 * 1024;

export interface BundleReport {
  files: { name: string; bytes: number; gzip: number }[];
  gzipTotal: number;
}

/** The JS files index.html loads, with their gzipped sizes (level 9, as a server would send them). */
export function firstPageJs(dist: string = DIST): BundleReport {
  const html = readFileSync(join(dist, 'index.html'), 'utf8');
  const names = new Set<string>();
  for (const m of html.matchAll(/<(?:script|link)[^>]+(?:src|href)="\/?(assets\/[^"]+\.js)"/g))
    names.add(m[1]!);
  const files = [...names].map((name) => {
    const bytes = readFileSync(join(dist, name));
    return { name, bytes: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  });
  return { files, gzipTotal: files.reduce((s, f) => s + f.gzip, 0) };
}

/** `outDir` other than frontend/dist: for tests that run beside a stack serving frontend/dist. */
export async function buildFrontend(outDir: string = DIST): Promise<BundleReport> {
  await build({ configFile: join(FRONTEND, 'vite.config.ts'), logLevel: 'warn', build: { outDir } });
  return firstPageJs(outDir);
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const report = await buildFrontend();
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  for (const f of report.files) console.log(`${f.name}: ${kib(f.bytes)}, gzip ${kib(f.gzip)}`);
  const all = readdirSync(join(DIST, 'assets')).length;
  console.log(
    `first page: ${kib(report.gzipTotal)} gzipped JS of ${kib(FIRST_PAGE_BUDGET)} (${all} files in assets/)`,
  );
  if (report.gzipTotal > FIRST_PAGE_BUDGET) {
    console.error('frontend-build: over the first-page budget; split the page or drop a dependency');
    process.exit(1);
  }
}

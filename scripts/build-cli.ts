/**
 * Bundles the `waxseal` CLI with esbuild into build/cli/, so that bin/waxseal starts without tsx compiling
 * TypeScript on every run (issue 13 §4: about 0.5 s before any work).
 *
 *   npm run build                      (npm start and npm test run it first)
 *   node --import tsx scripts/build-cli.ts --out <dir>
 *
 * - One ES module per command: `main.mjs` dispatches, and each command stays behind its dynamic import() as
 *   src/cli/main.ts writes it (code splitting), so `--help` loads none of them. Dependencies are bundled in.
 * - `import.meta.url` and `import.meta.dirname` in a source file keep meaning that file's own location (the
 *   demo's example files, the devnet's and the gateway's worker entry points, the canister wasm path), rewritten
 *   relative to the bundle at load time.
 * - `inputs.json` lists every repository file the bundle was built from (node_modules stands in as
 *   package-lock.json) with the build's start time. bin/waxseal runs the bundle only while none of them is newer,
 *   so an edited source is never shadowed by a stale bundle: it runs from the sources through tsx until the next
 *   build.
 * - The new bundle replaces the old one by renaming directories, so a process starting meanwhile sees either
 *   the old bundle, the new one or none (and then runs the sources), never half of one.
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { build, type Plugin } from 'esbuild';

const ROOT = resolve(import.meta.dirname, '..');
export const CLI_BUNDLE_DIR = join(ROOT, 'build', 'cli');
/** Besides the sources: dependency versions (bundled in) and the `imports` map that picks the crypto backend. */
const EXTRA_INPUTS = ['package.json', 'package-lock.json'];

/**
 * Rewrites `import.meta.url` and `import.meta.dirname` in the repository's own sources to the source file's
 * location, computed from the output file's location at run time (every output file is in one directory).
 */
function sourceLocations(outDir: string): Plugin {
  return {
    name: 'waxseal-source-locations',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, async (args) => {
        if (/[\\/]node_modules[\\/]/.test(args.path)) return undefined;
        const text = await readFile(args.path, 'utf8');
        if (!text.includes('import.meta.')) return undefined;
        const file = relative(outDir, args.path).split('\\').join('/');
        const dir = relative(outDir, dirname(args.path)).split('\\').join('/');
        const contents = text
          .replaceAll('import.meta.url', `new URL(${JSON.stringify(file)}, import.meta.url).href`)
          .replaceAll('import.meta.dirname', `__waxsealJoin(import.meta.dirname, ${JSON.stringify(dir)})`);
        return {
          contents: `import { join as __waxsealJoin } from 'node:path';\n${contents}`,
          loader: 'ts',
        };
      });
    },
  };
}

export interface CliBuild {
  readonly outDir: string;
  readonly files: number;
  readonly bytes: number;
  readonly inputs: number;
  readonly ms: number;
}

/** Builds the bundle into `outDir` (replacing it); see the module comment. */
export async function buildCli(outDir: string = CLI_BUNDLE_DIR): Promise<CliBuild> {
  const started = Date.now();
  const parent = dirname(outDir);
  mkdirSync(parent, { recursive: true });
  const staging = mkdtempSync(join(parent, '.cli-staging-'));
  try {
    const result = await build({
      absWorkingDir: ROOT,
      entryPoints: { main: 'src/cli/main.ts' },
      bundle: true,
      splitting: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outdir: staging,
      outExtension: { '.js': '.mjs' },
      chunkNames: '[name]-[hash]',
      // Bundled CommonJS dependencies call require() for Node builtins; an ES module has none of its own.
      banner: {
        js: "import { createRequire as __waxsealRequire } from 'node:module'; const require = __waxsealRequire(import.meta.url);",
      },
      plugins: [sourceLocations(outDir)],
      metafile: true,
      logLevel: 'warning',
    });
    const outputs = Object.values(result.metafile.outputs);
    const inputs = [
      ...Object.keys(result.metafile.inputs).filter((f) => !f.startsWith('node_modules/')),
      ...EXTRA_INPUTS,
    ];
    writeFileSync(join(staging, 'inputs.json'), `${JSON.stringify({ started, inputs }, null, 1)}\n`);
    const old = `${staging}-old`;
    try {
      renameSync(outDir, old);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    try {
      renameSync(staging, outDir);
    } catch (e) {
      // Another build put its bundle there since: it is as new as this one, keep it.
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
    }
    rmSync(old, { recursive: true, force: true });
    return {
      outDir,
      files: outputs.length,
      bytes: outputs.reduce((s, o) => s + o.bytes, 0),
      inputs: inputs.length,
      ms: Date.now() - started,
    };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const { values } = parseArgs({ options: { out: { type: 'string' } } });
  const b = await buildCli(values.out === undefined ? undefined : resolve(values.out));
  console.log(
    `${relative(process.cwd(), b.outDir) || '.'}: ${b.files} files, ${(b.bytes / 1024).toFixed(0)} KiB ` +
      `from ${b.inputs} inputs in ${b.ms} ms`,
  );
}

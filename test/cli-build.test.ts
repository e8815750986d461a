/**
 * The bundled CLI (issue 13 §4): scripts/build-cli.ts builds a bundle that behaves like the sources (lazy command
 * loading, source-relative files, the offline verifier), and bin/waxseal runs it only while it is current, the
 * sources through tsx otherwise.
 */
import { execFile } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { buildCli } from '../scripts/build-cli.ts';
import { ROOT, tmpFiles } from './helpers/cli.ts';

const run = promisify(execFile);
const { dir } = tmpFiles('waxseal-cli-build-');

/** `node <file> args…`: exit code and output, never throwing. */
async function node(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      timeout: 30_000,
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('scripts/build-cli.ts', () => {
  const out = join(dir, 'cli');
  /** Runs the bundle in `out` the way bin/waxseal does. */
  const runner = join(dir, 'run.mjs');
  writeFileSync(
    runner,
    `const { main } = await import(${JSON.stringify(join(out, 'main.mjs'))});\nprocess.exitCode = await main(process.argv.slice(2));\n`,
  );
  const bundled = (...args: string[]) => node([runner, ...args]);

  it('builds main.mjs, one module per command, and the list of its inputs', async () => {
    const before = Date.now();
    const b = await buildCli(out);
    const files = readdirSync(out);
    expect(files).toContain('main.mjs');
    for (const command of [
      'verify-email',
      'verify-email-doh',
      'domain',
      'dnssec',
      'devnet',
      'gateway',
      'send-test-mail',
    ])
      expect(files.some((f) => f.startsWith(`${command}-`) && f.endsWith('.mjs'))).toBe(true);
    expect(b.files).toBe(files.length - 1);
    const { started, inputs } = JSON.parse(readFileSync(join(out, 'inputs.json'), 'utf8'));
    expect(started).toBeGreaterThanOrEqual(before - 1000);
    expect(inputs).toEqual(
      expect.arrayContaining(['src/cli/main.ts', 'src/cli/domain.ts', 'package-lock.json']),
    );
    for (const f of inputs) {
      expect(f).not.toMatch(/node_modules/);
      expect(existsSync(join(ROOT, f))).toBe(true);
    }
    // main.mjs loads no command module by itself: --help stays cheap.
    expect(readFileSync(join(out, 'main.mjs'), 'utf8')).not.toMatch(
      /from "\.\/(verify-email|dnssec|devnet|gateway)-/,
    );
  }, 60_000);

  it('--help from the bundle prints the same usage as the sources', async () => {
    const [fromBundle, fromSources] = await Promise.all([
      bundled('--help'),
      node([join(ROOT, 'bin', 'waxseal'), '--help'], { WAXSEAL_CLI: 'source' }),
    ]);
    expect(fromBundle.code).toBe(0);
    expect(fromBundle.stdout).toBe(fromSources.stdout);
    expect(fromBundle.stdout).toMatch(/waxseal domain <domain> --doh <url>/);
  });

  it('the demo finds its example files next to the sources (source-relative import.meta)', async () => {
    const r = await bundled('demo');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/verdict: ACCEPTED \(Accepted\)/);
  });

  it('verify-email from the bundle: the same JSON, the same exit codes, one line on stderr', async () => {
    const example = join('test-vectors', 'examples', 'rfc8463');
    const args = [
      'verify-email',
      join(example, 'message.eml'),
      '--dns',
      join(example, 'dns.json'),
      '--now',
      '1528637909',
      '--json',
    ];
    const [fromBundle, fromSources] = await Promise.all([
      bundled(...args),
      node([join(ROOT, 'bin', 'waxseal'), ...args], { WAXSEAL_CLI: 'source' }),
    ]);
    expect(fromBundle.code).toBe(0);
    expect(JSON.parse(fromBundle.stdout)).toEqual(JSON.parse(fromSources.stdout));
    const bad = await bundled('verify-email', '/nonexistent.eml', '--dns', join(example, 'dns.json'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('waxseal: cannot read message /nonexistent.eml: no such file\n');
  });
});

describe('bin/waxseal chooses the bundle only while it is current', () => {
  // A tree of its own: bin/waxseal, a stub bundle and stub sources that say which one ran.
  const root = join(dir, 'tree');
  mkdirSync(join(root, 'bin'), { recursive: true });
  mkdirSync(join(root, 'build', 'cli'), { recursive: true });
  mkdirSync(join(root, 'src', 'cli'), { recursive: true });
  copyFileSync(join(ROOT, 'bin', 'waxseal'), join(root, 'bin', 'waxseal'));
  symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'));
  writeFileSync(join(root, 'package.json'), '{ "type": "module" }\n');
  const say = (what: string) =>
    `export async function main(argv) { console.log('${what}', argv.join(' ')); return 0; }\n`;
  writeFileSync(join(root, 'build', 'cli', 'main.mjs'), say('bundle'));
  writeFileSync(join(root, 'src', 'cli', 'main.ts'), say('source'));
  const input = join(root, 'src', 'cli', 'main.ts');
  const built = (started: number) =>
    writeFileSync(
      join(root, 'build', 'cli', 'inputs.json'),
      JSON.stringify({ started, inputs: ['src/cli/main.ts'] }),
    );
  const setMtime = (ms: number) => utimesSync(input, ms / 1000, ms / 1000);
  const waxseal = (env: Record<string, string> = {}) => node([join(root, 'bin', 'waxseal'), 'x'], env);

  it('current: the bundle; WAXSEAL_CLI=source: the sources', async () => {
    setMtime(Date.now() - 60_000);
    built(Date.now());
    expect((await waxseal()).stdout).toBe('bundle x\n');
    expect((await waxseal({ WAXSEAL_CLI: 'bundle' })).stdout).toBe('bundle x\n');
    expect((await waxseal({ WAXSEAL_CLI: 'source' })).stdout).toBe('source x\n');
  });

  it('a source edited after the build: the sources, and WAXSEAL_CLI=bundle refuses in one line', async () => {
    built(Date.now() - 60_000);
    setMtime(Date.now());
    expect((await waxseal()).stdout).toBe('source x\n');
    const r = await waxseal({ WAXSEAL_CLI: 'bundle' });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('waxseal: WAXSEAL_CLI=bundle, but build/cli is missing or stale (npm run build)\n');
  });

  it('an input that no longer exists, or no inputs.json: the sources', async () => {
    writeFileSync(
      join(root, 'build', 'cli', 'inputs.json'),
      JSON.stringify({ started: Date.now(), inputs: ['src/gone.ts'] }),
    );
    expect((await waxseal()).stdout).toBe('source x\n');
    writeFileSync(join(root, 'build', 'cli', 'inputs.json'), 'not json');
    expect((await waxseal()).stdout).toBe('source x\n');
  });
});

/**
 * Startup of the `waxseal` CLI as whole processes (issue 13 §4): `waxseal --help` and one `waxseal verify-email`
 * (the RFC 8463 example offline: one Ed25519 and one RSA signature, `--dns`), each through the bundle
 * (build/cli/, `npm run build`) and through the sources with tsx (WAXSEAL_CLI=source), next to a bare `node -e 0`
 * in the same rounds. Commands alternate within each round, so load on a shared machine hits them alike; the
 * figure per command is the fastest run, and every run is kept in bench/cli.json.
 *
 *   npm run bench:cli        (builds first; BENCH_ROUNDS=15 is the default)
 *
 * Target: verify-email through the bundle in at most 2× `node -e 0`. The bundle runs with WAXSEAL_CLI=bundle, so a
 * missing or stale one stops the benchmark instead of timing the tsx path by mistake.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'waxseal');
const EXAMPLE = join('test-vectors', 'examples', 'rfc8463');
const VERIFY = [
  'verify-email',
  join(EXAMPLE, 'message.eml'),
  '--dns',
  join(EXAMPLE, 'dns.json'),
  '--now',
  '1528637909',
];
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const TARGET = 2;

interface Case {
  readonly name: string;
  readonly args: readonly string[];
  readonly env?: Record<string, string>;
}

const CASES: readonly Case[] = [
  { name: 'node -e 0', args: ['-e', '0'] },
  { name: 'waxseal --help', args: [BIN, '--help'], env: { WAXSEAL_CLI: 'bundle' } },
  { name: 'waxseal verify-email', args: [BIN, ...VERIFY], env: { WAXSEAL_CLI: 'bundle' } },
  { name: 'waxseal --help (tsx)', args: [BIN, '--help'], env: { WAXSEAL_CLI: 'source' } },
  { name: 'waxseal verify-email (tsx)', args: [BIN, ...VERIFY], env: { WAXSEAL_CLI: 'source' } },
];

/** Wall time of one process from spawn to exit, in ms; a failing command ends the benchmark. */
function time(c: Case): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, c.args, {
    cwd: ROOT,
    env: { ...process.env, ...c.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${c.name} exited ${r.status}: ${r.stderr.toString().trim()}`);
  return ms;
}

const loadBefore = loadavg();
const raw: Record<string, number[]> = Object.fromEntries(CASES.map((c) => [c.name, []]));
for (const c of CASES) time(c); // warm the page cache once
for (let round = 0; round < ROUNDS; round++) for (const c of CASES) raw[c.name]!.push(time(c));
const loadAfter = loadavg();

const round1 = (n: number) => Math.round(n * 10) / 10;
const fastest = Object.fromEntries(CASES.map((c) => [c.name, round1(Math.min(...raw[c.name]!))]));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const node = fastest['node -e 0']!;
const rows = CASES.map((c) => ({
  command: c.name,
  fastestMs: fastest[c.name]!,
  medianMs: round1(median(raw[c.name]!)),
  ratioToNode: Math.round((fastest[c.name]! / node) * 100) / 100,
}));
const verifyRatio = rows.find((r) => r.command === 'waxseal verify-email')!.ratioToNode;

writeFileSync(
  join(ROOT, 'bench', 'cli.json'),
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', node: process.version },
      load: { before: loadBefore, after: loadAfter },
      rounds: ROUNDS,
      target: { command: 'waxseal verify-email', maxRatioToNode: TARGET, ratio: verifyRatio },
      summary: rows,
      raw: Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, v.map(round1)])),
    },
    null,
    2,
  )}\n`,
);

console.log(`${ROUNDS} rounds; load ${loadBefore.map((l) => l.toFixed(2)).join(' ')} before`);
console.log('| command | fastest ms | median ms | fastest / node -e 0 |');
console.log('| --- | ---: | ---: | ---: |');
for (const r of rows) console.log(`| ${r.command} | ${r.fastestMs} | ${r.medianMs} | ${r.ratioToNode} |`);
console.log(
  `verify-email: ${verifyRatio}× node -e 0 (target ≤ ${TARGET}×): ${verifyRatio <= TARGET ? 'met' : 'MISSED'}`,
);

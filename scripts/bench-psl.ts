/**
 * The Public Suffix List libraries compared in the canister runtime (issue 13 §1, BENCHMARKS.md "Public Suffix
 * List"): tldts and psl, each in its own Azle/QuickJS build of bench/psl-canister next to a baseline build without
 * a list, and Waxseal's own parser (src/dmarc/public-suffix-list.ts) for a list given in the install argument.
 * Reports the bytes each adds to the wasm and to the bundled JS, the instructions of one organizational-domain
 * lookup, and the instructions to take psl 1.15.0's full list as a Candid text argument and parse it (what an
 * install/upgrade argument costs), and to read its canonical ASCII form back and parse it (what every later
 * postUpgrade costs). Writes bench/psl.json.
 * Run: `npm run bench:psl`.
 *
 * Each lookup figure is (instructions of a query doing n + 1 lookups − one doing 1) / n, so the call overhead
 * drops out; counted by ic-wasm's instruction counter in the project's Node host, as scripts/bench-p256.ts does.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { IDL } from '@icp-sdk/core/candid';
import { IcHost } from '../src/host/index.ts';
import { exportInstructionCounter } from './instr-counter.ts';

const ROOT = join(import.meta.dirname, '..');
const DIR = join(ROOT, 'bench', 'psl-canister');
const IC_WASM = join(ROOT, 'node_modules', '@icp-sdk', 'ic-wasm-linux-x64', 'bin', 'ic-wasm');
const N = Number(process.env.BENCH_N ?? 20);
const VARIANTS = ['none', 'tldts', 'psl', 'text'] as const;
/** A name under a private-section suffix and one under a deep ICANN rule: the lookups the canister makes. */
const DOMAINS = ['mail.alice.dyndns.org', 'a.b.c.example.co.uk'];

function pslText(): string {
  const dir = dirname(createRequire(import.meta.url).resolve('psl'));
  const source = readFileSync(join(dir, '..', 'data', 'rules.js'), 'utf8');
  const rules = JSON.parse(source.slice(source.indexOf('['), source.lastIndexOf(']') + 1)) as string[];
  return `${rules.join('\n')}\n`;
}

const tmp = mkdtempSync(join(tmpdir(), 'waxseal-psl-'));
try {
  const host = await IcHost.create();
  const sizes: Record<string, { wasm: number; js: number }> = {};
  const lookups: Record<string, number> = {};
  /** An upgrade to the same wasm: mostly evaluating the bundled JS, where a list's tables are built. */
  const upgrades: Record<string, number> = {};
  let parse = 0;
  let reload = 0;
  let rules = 0;
  for (const v of VARIANTS) {
    const name = `psl_${v}`;
    execFileSync(join(ROOT, 'node_modules', '.bin', 'azle'), ['build', name], {
      cwd: DIR,
      env: { ...process.env, AZLE_DFX_ROOT: DIR, CANISTER_CANDID_PATH: join(tmp, `${name}.did`) },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const plain = join(DIR, '.azle', name, `${name}.wasm`);
    sizes[v] = { wasm: statSync(plain).size, js: statSync(join(DIR, '.azle', name, 'main.js')).size };
    execFileSync(IC_WASM, [plain, '-o', join(tmp, 'raw.wasm'), 'instrument']);
    const wasm = exportInstructionCounter(readFileSync(plain), readFileSync(join(tmp, 'raw.wasm')));
    const { id } = await host.install(wasm);
    await host.upgrade(id, wasm);
    upgrades[v] = Number(host.instructionsOfLastCall()!);
    if (v === 'text') {
      const text = pslText();
      const reply = await host.update(id, 'parse', new Uint8Array(IDL.encode([IDL.Text], [text])));
      if (reply.kind !== 'reply') throw new Error(`parse: ${JSON.stringify(reply)}`);
      [rules] = IDL.decode([IDL.Nat32], reply.bytes) as [number];
      parse = Number(host.instructionsOfLastCall()!);
      const canonical = await host.query(id, 'canonical', new Uint8Array(IDL.encode([], [])));
      if (canonical.kind !== 'reply') throw new Error(`canonical: ${JSON.stringify(canonical)}`);
      const [bytes] = IDL.decode([IDL.Vec(IDL.Nat8)], canonical.bytes) as unknown as [Uint8Array];
      const again = await host.update(id, 'reload', new Uint8Array(IDL.encode([IDL.Vec(IDL.Nat8)], [bytes])));
      if (again.kind !== 'reply') throw new Error(`reload: ${JSON.stringify(again)}`);
      reload = Number(host.instructionsOfLastCall()!);
    }
    const cost = async (domain: string, n: number) => {
      const reply = await host.query(
        id,
        'org',
        new Uint8Array(IDL.encode([IDL.Text, IDL.Nat32], [domain, n])),
      );
      if (reply.kind !== 'reply') throw new Error(`${v}: ${JSON.stringify(reply)}`);
      return Number(host.instructionsOfLastCall()!);
    };
    let total = 0;
    for (const d of DOMAINS) total += ((await cost(d, N + 1)) - (await cost(d, 1))) / N;
    lookups[v] = Math.round(total / DOMAINS.length);
  }
  const base = sizes.none!;
  const results = {
    n: N,
    domains: DOMAINS,
    baseline: base,
    tldts: {
      wasm_added: sizes.tldts!.wasm - base.wasm,
      js_added: sizes.tldts!.js - base.js,
      lookup: lookups.tldts,
      upgrade_added: upgrades.tldts! - upgrades.none!,
    },
    psl: {
      wasm_added: sizes.psl!.wasm - base.wasm,
      js_added: sizes.psl!.js - base.js,
      lookup: lookups.psl,
      upgrade_added: upgrades.psl! - upgrades.none!,
    },
    waxseal_parser: {
      wasm_added: sizes.text!.wasm - base.wasm,
      js_added: sizes.text!.js - base.js,
      lookup: lookups.text,
      upgrade_added: upgrades.text! - upgrades.none!,
      parse_full_list: parse,
      reload_full_list: reload,
      rules,
    },
    lookup_baseline: lookups.none,
  };
  writeFileSync(join(ROOT, 'bench', 'psl.json'), `${JSON.stringify(results, null, 2)}\n`);
  console.table({
    tldts: results.tldts,
    psl: results.psl,
    'waxseal parser (custom list)': {
      wasm_added: results.waxseal_parser.wasm_added,
      js_added: results.waxseal_parser.js_added,
      lookup: results.waxseal_parser.lookup,
      upgrade_added: results.waxseal_parser.upgrade_added,
    },
  });
  console.log(`the full list (${rules} rules): given as Candid text and parsed ${parse} instructions;`);
  console.log(`  read back from its canonical ASCII bytes and parsed ${reload} instructions`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

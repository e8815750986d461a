/**
 * ECDSA P-256 verification cost in the canister runtime: Waxseal's verifier (src/crypto/p256.ts) against
 * @noble/curves' `p256.verify`, both in one Azle/QuickJS build (bench/p256-canister), counted by ic-wasm's
 * instruction counter in the project's Node host. Writes bench/p256.json. Run: `npm run bench:p256`.
 *
 * Each figure is (instructions of a query doing n + 1 verifications − one doing 1) / n, so the per-call overhead
 * and the one-time work of the first verification on a heap (the generator table) drop out; `first` is
 * the query doing one verification on a fresh canister, overhead included.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IDL } from '@icp-sdk/core/candid';
import { IcHost } from '../src/host/index.ts';
import { exportInstructionCounter } from './instr-counter.ts';

const ROOT = join(import.meta.dirname, '..');
const DIR = join(ROOT, 'bench', 'p256-canister');
const NAME = 'p256_bench';
const IC_WASM = join(ROOT, 'node_modules', '@icp-sdk', 'ic-wasm-linux-x64', 'bin', 'ic-wasm');
const N = Number(process.env.BENCH_N ?? 5);

const tmp = mkdtempSync(join(tmpdir(), 'waxseal-p256-'));
try {
  execFileSync(join(ROOT, 'node_modules', '.bin', 'azle'), ['build', NAME], {
    cwd: DIR,
    env: { ...process.env, AZLE_DFX_ROOT: DIR, CANISTER_CANDID_PATH: join(tmp, `${NAME}.did`) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const plain = join(DIR, '.azle', NAME, `${NAME}.wasm`);
  execFileSync(IC_WASM, [plain, '-o', join(tmp, 'raw.wasm'), 'instrument']);
  const wasm = exportInstructionCounter(readFileSync(plain), readFileSync(join(tmp, 'raw.wasm')));

  const host = await IcHost.create();
  const results: Record<string, number> = {};
  for (const implementation of ['waxseal', 'noble']) {
    const { id } = await host.install(wasm);
    const cost = async (n: number) => {
      const arg = new Uint8Array(IDL.encode([IDL.Text, IDL.Nat32], [implementation, n]));
      const reply = await host.query(id, 'verify', arg);
      if (reply.kind !== 'reply') throw new Error(`${implementation}: ${JSON.stringify(reply)}`);
      const [ok] = IDL.decode([IDL.Bool], reply.bytes);
      if (ok !== true) throw new Error(`${implementation}: the signature did not verify`);
      return Number(host.instructionsOfLastCall()!);
    };
    results[`${implementation}_first`] = await cost(1);
    results[implementation] = Math.round(((await cost(N + 1)) - (await cost(1))) / N);
  }
  results.ratio = Number((results.noble! / results.waxseal!).toFixed(2));
  writeFileSync(join(ROOT, 'bench', 'p256.json'), `${JSON.stringify(results, null, 2)}\n`);
  console.table([
    {
      implementation: 'waxseal p256Verify',
      per_verification: results.waxseal,
      first_call: results.waxseal_first,
    },
    {
      implementation: '@noble/curves p256.verify',
      per_verification: results.noble,
      first_call: results.noble_first,
    },
  ]);
  console.log(`@noble/curves needs ${results.ratio}× the instructions of Waxseal's verifier`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

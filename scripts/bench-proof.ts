/**
 * Proof-building latency over the loopback DoH stack (named + dnsdist, scripts/local-stack/dns.ts): buildProof
 * for an ECDSA name and two CNAME'd names, with both prefetch strategies, N builds each after a warm-up, each
 * build with a fresh resolver (no cache between builds). Reports median and p95 wall time, waves and queries, and
 * the median time of validating the finished chain alone (verifyChain). Loopback has no network latency, so each
 * configuration also runs with a simulated round trip (every fetch delayed by BENCH_RTT_MS, default 25 ms), which
 * is where the prefetch strategies differ.
 * Run: `npm run bench:proof` (writes bench/proof.json). BENCH_N=30 by default.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeCrypto } from '../src/crypto/node.ts';
import { nameFromText } from '../src/dns/name.ts';
import { TYPE } from '../src/dns/types.ts';
import { verifyChain } from '../src/dnssec/chain.ts';
import { type BuildOptions, buildProof } from '../src/proof/build.ts';
import { dohResolver } from '../src/proof/doh.ts';
import { anchorsFor, matrix } from '../test/helpers/dnssec-generated.ts';
import { startDnsStack } from './local-stack/dns.ts';

const N = Number(process.env.BENCH_N ?? 30);
const RTT_MS = Number(process.env.BENCH_RTT_MS ?? 25);
const WARMUP = 3;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const NAMES = [
  { label: 'ECDSA, 3 zones (. wxtest. ecdsa.wxtest.)', name: 'sel._domainkey.ecdsa.wxtest.' },
  { label: 'CNAME, 1 hop into another zone (4 zones)', name: 'sel._domainkey.cname-src.wxtest.' },
  { label: 'CNAME, 2 hops across zones (5 zones)', name: 'chain._domainkey.cname-src.wxtest.' },
];

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

const stack = await startDnsStack();
const rows: Record<string, string | number>[] = [];
try {
  const base = { anchors: anchorsFor(matrix.cases[0]!), now: matrix.verify_time, crypto: nodeCrypto };
  for (const rtt of [0, RTT_MS]) {
    const delayed: typeof fetch = (input, init) => sleep(rtt).then(() => fetch(input, init));
    for (const { label, name } of NAMES) {
      for (const prefetch of ['ancestors', 'signers'] as const) {
        const opts: BuildOptions = { ...base, prefetch };
        const times: number[] = [];
        const validations: number[] = [];
        let shape = { waves: 0, queries: 0, records: 0, bytes: 0 };
        for (let i = 0; i < WARMUP + N; i++) {
          const resolver = dohResolver({ urls: [stack.dohUrl], fetch: rtt ? delayed : undefined });
          const start = performance.now();
          const p = await buildProof(resolver, nameFromText(name), TYPE.TXT, opts);
          const ms = performance.now() - start;
          if (p.kind !== 'proof' || p.verdict.verdict !== 'secure') throw new Error(`${name}: not secure`);
          const vStart = performance.now();
          await verifyChain(p.chain, nameFromText(name), TYPE.TXT, opts);
          if (i >= WARMUP) {
            times.push(ms);
            validations.push(performance.now() - vStart);
          }
          shape = { waves: p.waves, queries: p.queries, records: p.records.length, bytes: p.chain.length };
        }
        times.sort((a, b) => a - b);
        validations.sort((a, b) => a - b);
        rows.push({
          name: label,
          rttMs: rtt,
          prefetch,
          ...shape,
          medianMs: Number(percentile(times, 50).toFixed(1)),
          p95Ms: Number(percentile(times, 95).toFixed(1)),
          validateMs: Number(percentile(validations, 50).toFixed(1)),
        });
      }
    }
  }
} finally {
  await stack.stop();
}

console.log(
  `buildProof over loopback DoH (dnsdist → named), N=${N} after ${WARMUP} warm-up, simulated RTT 0 and ${RTT_MS} ms, node ${process.version}`,
);
console.table(rows);
mkdirSync(join(import.meta.dirname, '..', 'bench'), { recursive: true });
writeFileSync(
  join(import.meta.dirname, '..', 'bench', 'proof.json'),
  `${JSON.stringify({ n: N, warmup: WARMUP, rttMs: RTT_MS, node: process.version, rows }, null, 2)}\n`,
);

/**
 * Throughput of verifyEmail (WebCrypto and pure backends) against mailauth 4.9's dkimVerify on the same
 * messages in the same process: the unmutated messages of the generated corpus (dkimpy and OpenDKIM signed,
 * RSA 1024–4096 and Ed25519, every c= combination). Rounds alternate between implementations so drift in
 * machine load affects all of them alike. Run: `npm run bench` (writes bench/verify.json).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import type { CryptoBackend } from '../src/crypto/backend.ts';
import { pureCrypto } from '../src/crypto/pure.ts';
import { webCrypto } from '../src/crypto/webcrypto.ts';
import { staticTxtLookup } from '../src/dns/lookup.ts';
import { verifyEmail } from '../src/verify-email.ts';
import { generatedCases } from '../test/helpers/generated.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 1500);

const cases = generatedCases().filter((c) => c.mutation === null);
const prepared = cases.map((c) => {
  const table = new Map(Object.entries(c.dns).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    c,
    buffer: Buffer.from(c.message),
    lookup: staticTxtLookup(c.dns),
    resolver: async (name: string) => {
      const e = table.get(name.toLowerCase());
      if (!Array.isArray(e)) throw Object.assign(new Error(`ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
      return e.map((r: string) => [r]);
    },
  };
});

type Impl = { name: string; run: (p: (typeof prepared)[number]) => Promise<unknown> };
const ours = (crypto: CryptoBackend): Impl => ({
  name: `waxseal verifyEmail (${crypto.name})`,
  run: (p) => verifyEmail(p.c.message, p.lookup, p.c.verify_time, { crypto }),
});
const mailauth: Impl = {
  name: 'mailauth 4.9 dkimVerify',
  run: (p) => dkimVerify(p.buffer, { resolver: p.resolver, curTime: new Date(p.c.verify_time * 1000) }),
};
const impls = [ours(webCrypto), ours(pureCrypto), mailauth];

/** Verifies messages round-robin for `ms` milliseconds; returns messages per second. */
async function measure(impl: Impl, ms: number): Promise<number> {
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < ms) {
    await impl.run(prepared[n % prepared.length]!);
    n++;
  }
  return (n * 1000) / (performance.now() - start);
}

const silent = console.log;
console.log = () => undefined; // mailauth prints debugging lines for l= signatures
const samples = new Map<string, number[]>(impls.map((i) => [i.name, []]));
for (const impl of impls) await measure(impl, 300); // warm-up
for (let r = 0; r < ROUNDS; r++) {
  for (const impl of impls) samples.get(impl.name)!.push(await measure(impl, ROUND_MS));
}
console.log = silent;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const base = median(samples.get(mailauth.name)!);
const rows = impls.map((i) => {
  const m = median(samples.get(i.name)!);
  return {
    implementation: i.name,
    messagesPerSecond: Math.round(m),
    ratioToMailauth: Number((m / base).toFixed(2)),
  };
});
console.log(
  `${prepared.length} messages, ${ROUNDS} rounds × ${ROUND_MS} ms, median per implementation, node ${process.version}`,
);
console.table(rows);
mkdirSync(join(import.meta.dirname, '..', 'bench'), { recursive: true });
writeFileSync(
  join(import.meta.dirname, '..', 'bench', 'verify.json'),
  `${JSON.stringify({ messages: prepared.length, rounds: ROUNDS, roundMs: ROUND_MS, node: process.version, rows }, null, 2)}\n`,
);

/**
 * Throughput of verifyEmail (node, WebCrypto and pure backends) against mailauth 4.9's dkimVerify on the same
 * messages in the same process: the unmutated messages of the generated corpus (dkimpy and OpenDKIM signed,
 * RSA 1024–4096 and Ed25519, every c= combination). Rounds alternate between implementations so drift in
 * machine load affects all of them alike. Run: `npm run bench` (writes bench/verify.json).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import type { CryptoBackend } from '../src/crypto/backend.ts';
import { nodeCrypto } from '../src/crypto/node.ts';
import { pureCrypto } from '../src/crypto/pure.ts';
import { webCrypto } from '../src/crypto/webcrypto.ts';
import { staticTxtLookup } from '../src/dns/lookup.ts';
import { verifyEmail } from '../src/verify-email.ts';
import { generatedCases } from '../test/helpers/generated.ts';
import { compare, versus } from './lib/bench-rounds.ts';

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
const impls = [ours(nodeCrypto), ours(webCrypto), ours(pureCrypto), mailauth];

const silent = console.log;
console.log = () => undefined; // mailauth prints debugging lines for l= signatures
// Messages round-robin: the i-th call of a round verifies message i modulo the corpus size.
const results = await compare(
  impls.map((impl) => [impl.name, (i: number) => impl.run(prepared[i % prepared.length]!)] as const),
  ROUNDS,
  ROUND_MS,
  300,
);
console.log = silent;

const rows = impls.map((i) => {
  const v = versus(results.get(i.name)!, results.get(mailauth.name)!);
  return {
    implementation: i.name,
    messagesPerSecond: v.perSecond,
    ratioToMailauth: v.ratio,
    cpuUsPerMessage: v.cpuUsPerOp,
    cpuRatioToMailauth: v.cpuRatio,
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

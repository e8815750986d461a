/**
 * Full-chain DNSSEC validations per second: Waxseal's verifyChain (node, WebCrypto and pure backends) against
 * @relaycorp/dnssec 1.12 (dnssecLookUp, fed the same records through an in-memory resolver), in one process.
 * Run: `npm run bench:dnssec` (writes bench/dnssec.json).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dnssecLookUp, Question, SecurityStatus } from '@relaycorp/dnssec';
import type { CryptoBackend } from '../src/crypto/backend.ts';
import { nodeCrypto } from '../src/crypto/node.ts';
import { pureCrypto } from '../src/crypto/pure.ts';
import { webCrypto } from '../src/crypto/webcrypto.ts';
import { type Name, nameKey, nameToText, nameToWire } from '../src/dns/name.ts';
import { encodeChain, encodeRecord, parseChain, type ResourceRecord } from '../src/dns/record.ts';
import { TYPE, typeToText } from '../src/dns/types.ts';
import { validateRecords, verifyChain } from '../src/dnssec/chain.ts';
import type { TrustAnchor } from '../src/dnssec/dnskey.ts';
import { parseRrsig } from '../src/dnssec/rrsig.ts';
import { anchorsFor, matrix, recordsFor } from '../test/helpers/dnssec-generated.ts';
import { thirdPartyDnssecCases } from '../test/helpers/dnssec-vectors.ts';
import { compare, versus } from './lib/bench-rounds.ts';

const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 1500);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

interface Subject {
  label: string;
  records: ResourceRecord[];
  name: Name;
  type: number;
  anchors: TrustAnchor[];
  now: number;
  rsaMinBits?: number;
}

async function minimal(s: Subject): Promise<Subject> {
  const v = await validateRecords(s.records, s.name, s.type, { ...s, crypto: nodeCrypto });
  if (v.verdict !== 'secure') throw new Error(`${s.label}: ${v.verdict}`);
  return { ...s, records: v.proof };
}

const vectors = thirdPartyDnssecCases();
const rfc9102 = vectors.find((c) => c.id === 'rfc9102-appendix-tlsa')!;
const ens = vectors.find((c) => c.id === 'ens-ethlab-xyz-chain')!;
const deep = matrix.cases.find((c) => c.id === 'deep-ecdsa-rsa-dkim')!;
const [subjectA, subjectB, subjectC] = await Promise.all([
  minimal({
    label: '3-zone ECDSA P-256 chain (RFC 9102 App. B: . → com. → example.com., TLSA)',
    records: parseChain(rfc9102.chainBytes!, 200),
    name: rfc9102.name,
    type: rfc9102.type,
    anchors: rfc9102.anchors,
    now: rfc9102.verifyTime,
  }),
  minimal({
    label:
      '4-zone chain, ECDSA P-256 below the RSA test root (. → wxtest. → ecdsa.wxtest. → deep.ecdsa.wxtest., TXT)',
    records: recordsFor(deep.name),
    name: (await import('../src/dns/name.ts')).nameFromText(deep.name),
    type: TYPE.TXT,
    anchors: anchorsFor(deep),
    now: matrix.verify_time,
  }),
  minimal({
    label:
      '3-zone RSA/SHA-256 chain (real 2019 chain: . → xyz. → ethlab.xyz., TXT; 512-bit ZSK allowed here)',
    records: ens.records,
    name: ens.name,
    type: ens.type,
    anchors: ens.anchors,
    now: ens.verifyTime,
    rsaMinBits: 512,
  }),
]);
const subjects = [subjectA!, subjectB!, subjectC!];

/** A DNS response for one question from the record bag (answer = RRset + its RRSIGs), for @relaycorp/dnssec. */
function response(records: ResourceRecord[], qname: string, qtype: number): Buffer {
  const key = nameKey(records.find((r) => nameKey(r.name) === qname.toLowerCase())?.name ?? []);
  const answers = records.filter(
    (r) =>
      nameKey(r.name) === key &&
      (r.type === qtype || (r.type === TYPE.RRSIG && parseRrsig(r).typeCovered === qtype)),
  );
  const header = Buffer.alloc(12);
  header.writeUInt16BE(0x8400, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(answers.length, 6);
  const qnameWire = nameToWire(records.find((r) => nameKey(r.name) === key)?.name ?? []);
  const question = Buffer.concat([Buffer.from(qnameWire), Buffer.from([qtype >> 8, qtype & 0xff, 0, 1])]);
  return Buffer.concat([header, question, ...answers.map((a) => Buffer.from(encodeRecord(a)))]);
}

type Runner = (s: Subject) => Promise<boolean>;
const ours =
  (crypto: CryptoBackend): Runner =>
  async (s) => {
    const bytes = encodeChain(s.records);
    const v = await verifyChain(bytes, s.name, s.type, {
      anchors: s.anchors,
      now: s.now,
      crypto,
      rsaMinBits: s.rsaMinBits,
    });
    return v.verdict === 'secure';
  };
const relaycorp: Runner = async (s) => {
  const anchors = s.anchors.flatMap((a) =>
    a.kind === 'ds'
      ? [
          {
            algorithm: a.ds.algorithm,
            digestType: a.ds.digestType,
            digest: Buffer.from(a.ds.digest),
            keyTag: a.ds.keyTag,
          },
        ]
      : [],
  );
  const result = await dnssecLookUp(
    new Question(nameToText(s.name), typeToText(s.type) as ConstructorParameters<typeof Question>[1]),
    async (q) => response(s.records, q.name, q.typeId),
    { dateOrPeriod: new Date(s.now * 1000), trustAnchors: anchors },
  );
  return result.status === SecurityStatus.SECURE;
};

const PEER = '@relaycorp/dnssec 1.12 dnssecLookUp';
const impls: Array<[string, Runner]> = [
  ...[nodeCrypto, webCrypto, pureCrypto].map((c): [string, Runner] => [
    `waxseal verifyChain (${c.name})`,
    ours(c),
  ]),
  [PEER, relaycorp],
];

const rows: Array<Record<string, string | number>> = [];
for (const s of subjects) {
  const ops = impls.map(([name, run]) => {
    const op = async () => {
      if (!(await run(s))) throw new Error(`${name}: not secure`);
    };
    return [name, op] as const;
  });
  const results = await compare(ops, ROUNDS, ROUND_MS, 200);
  for (const [name] of impls) {
    const v = versus(results.get(name)!, results.get(PEER)!);
    rows.push({
      chain: s.label.split(' (')[0]!,
      records: s.records.length,
      implementation: name,
      perSecond: v.perSecond,
      ratioToRelaycorp: v.ratio,
      cpuUsPerOp: v.cpuUsPerOp,
      cpuRatioToRelaycorp: v.cpuRatio,
    });
  }
}
console.log(
  `${ROUNDS} rounds × ${ROUND_MS} ms per implementation and chain, median; node ${process.version}`,
);
for (const s of subjects) console.log(`- ${s.label}: ${s.records.length} records`);
console.table(rows);
mkdirSync(join(import.meta.dirname, '..', 'bench'), { recursive: true });
writeFileSync(
  join(import.meta.dirname, '..', 'bench', 'dnssec.json'),
  `${JSON.stringify({ rounds: ROUNDS, roundMs: ROUND_MS, node: process.version, rows }, null, 2)}\n`,
);

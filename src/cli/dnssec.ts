/**
 * `waxseal dnssec verify|prove` (protocol.md §10).
 *
 * verify: validates (name, type) from a zone file of presentation records or from an RFC 9102 chain (hex text or
 * binary), with the anchors given or the built-in IANA root anchors. Both are held to the proof limits by the
 * validator itself (src/dnssec/proof-limits.ts), a zone file measured as the chain it would encode to: a file over
 * them is a clean bogus `ProofTooLarge`, like a chain. prove: builds the chain over DNS over HTTPS
 * (RFC 8484) from the endpoints given with --doh (none by default: nothing leaves the machine unless asked),
 * validates it, and writes the binary chain with --out.
 *
 * Exit status: 0 secure, 1 insecure or bogus, 2 usage or input errors (one line on stderr via UsageError).
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { hex as hexCodec } from '@scure/base';
import { nodeCrypto } from '../crypto/node.ts';
import { compareNames, type Name, nameFromText, nameToText } from '../dns/name.ts';
import { type ResourceRecord, recordToText } from '../dns/record.ts';
import { TYPE, typeFromText } from '../dns/types.ts';
import { parseZoneFile } from '../dns/zone-file.ts';
import { validateRecords, verifyChain } from '../dnssec/chain.ts';
import type { ChainVerdict } from '../dnssec/result.ts';
import { buildProof } from '../proof/build.ts';
import { dohResolver } from '../proof/doh.ts';
import { loadAnchors, parseDohUrls, parsed } from './dns-options.ts';
import { UsageError } from './errors.ts';
import { parseNow, readInput } from './input.ts';
import { DNSSEC_USAGE } from './usage.ts';

type Result = { out: string; code: number };

function usage(message: string): never {
  throw new UsageError(`${message}\nusage:\n  ${DNSSEC_USAGE}`);
}

function parseName(text: string, option: string): Name {
  return parsed(`${option} ${JSON.stringify(text)}`, () => nameFromText(text));
}

function parseType(text: string): number {
  return parsed('type', () => typeFromText(text));
}

/** Hex text (hex digits and whitespace only) or binary: RRs always contain bytes outside printable ASCII. */
export function decodeChainFile(bytes: Uint8Array, path: string): Uint8Array {
  if (bytes.length === 0) throw new UsageError(`${path}: empty chain file`);
  const text = bytes.every((b) => (b >= 0x20 && b <= 0x7e) || b === 0x09 || b === 0x0a || b === 0x0d);
  if (!text) return bytes;
  const hex = new TextDecoder().decode(bytes).replace(/\s+/g, '');
  const bad = /[^0-9a-fA-F]/.exec(hex);
  if (bad) throw new UsageError(`${path}: not hex: unexpected character ${JSON.stringify(bad[0])}`);
  if (hex.length % 2 !== 0) throw new UsageError(`${path}: not hex: odd number of digits`);
  return hexCodec.decode(hex.toLowerCase());
}

/** Zones whose validated DNSKEY RRset is in the verdict's chain, root first. */
function chainZones(v: ChainVerdict): string[] {
  if (v.verdict !== 'secure') return [];
  return v.chain
    .filter((set) => set[0]?.type === TYPE.DNSKEY)
    .map((set) => set[0]!.name)
    .sort(compareNames)
    .map(nameToText);
}

function verdictJson(v: ChainVerdict) {
  return {
    verdict: v.verdict,
    reason: v.verdict === 'secure' ? null : v.reason,
    records: v.verdict === 'secure' ? v.answer.map(recordToText) : [],
    detail: v.verdict === 'secure' ? null : v.detail,
    cnames: v.verdict === 'secure' ? v.cnames.map(recordToText) : [],
    zones: chainZones(v),
  };
}

function verdictText(v: ChainVerdict): string[] {
  const lines = [`verdict: ${v.verdict}`];
  if (v.verdict !== 'secure') {
    lines.push(`reason: ${v.reason ?? 'none'}`, `detail: ${v.detail}`);
    return lines;
  }
  lines.push('reason: none', 'records:', ...v.answer.map((rr) => `  ${recordToText(rr)}`));
  if (v.cnames.length > 0) lines.push('cnames:', ...v.cnames.map((rr) => `  ${recordToText(rr)}`));
  lines.push(`zones: ${chainZones(v).join(' ')}`);
  return lines;
}

async function verify(argv: string[]): Promise<Result> {
  const { values } = parseArgs({
    args: argv,
    options: {
      zone: { type: 'string' },
      chain: { type: 'string' },
      name: { type: 'string' },
      type: { type: 'string' },
      anchors: { type: 'string' },
      now: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if ((values.zone === undefined) === (values.chain === undefined))
    usage('give exactly one of --zone <file> and --chain <file>');
  if (values.name === undefined) usage('--name <owner> is required');
  if (values.type === undefined) usage('--type <type> is required');
  const name = parseName(values.name, '--name');
  const type = parseType(values.type);
  const now = parseNow(values.now);
  const anchors = loadAnchors(values.anchors);
  const opts = { anchors, now, crypto: nodeCrypto };
  let verdict: ChainVerdict;
  if (values.zone !== undefined) {
    const path = values.zone;
    const text = new TextDecoder().decode(readInput(path, 'zone file'));
    const records: ResourceRecord[] = parsed(path, () => parseZoneFile(text));
    verdict = await validateRecords(records, name, type, opts);
  } else {
    const path = values.chain!;
    verdict = await verifyChain(decodeChainFile(readInput(path, 'chain file'), path), name, type, opts);
  }
  const out = values.json ? JSON.stringify(verdictJson(verdict), null, 2) : verdictText(verdict).join('\n');
  return { out, code: verdict.verdict === 'secure' ? 0 : 1 };
}

async function prove(argv: string[]): Promise<Result> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      doh: { type: 'string', multiple: true },
      post: { type: 'boolean', default: false },
      timeout: { type: 'string' },
      out: { type: 'string' },
      anchors: { type: 'string' },
      now: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if (positionals.length !== 2) usage('expected <name> <type>');
  const name = parseName(positionals[0]!, 'name');
  const type = parseType(positionals[1]!);
  const urls = parseDohUrls(values.doh);
  let timeoutMs: number | undefined;
  if (values.timeout !== undefined) {
    if (!/^[0-9]{1,7}$/.test(values.timeout) || Number(values.timeout) === 0)
      throw new UsageError(`--timeout must be milliseconds, got ${JSON.stringify(values.timeout)}`);
    timeoutMs = Number(values.timeout);
  }
  const now = parseNow(values.now);
  const anchors = loadAnchors(values.anchors);
  const resolver = dohResolver({ urls, method: values.post ? 'POST' : 'GET', timeoutMs });
  const proof = await buildProof(resolver, name, type, { anchors, now, crypto: nodeCrypto });
  if (proof.kind === 'error') throw new UsageError(`cannot build the proof: ${proof.code}: ${proof.detail}`);
  if (values.out !== undefined) {
    try {
      writeFileSync(values.out, proof.chain);
    } catch (e) {
      throw new UsageError(`cannot write ${values.out}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  }
  const v = proof.verdict;
  let out: string;
  if (values.json) {
    out = JSON.stringify(
      {
        ...verdictJson(v),
        zones: proof.zones,
        path: proof.path,
        answer: proof.answer,
        chain: proof.records.map(recordToText),
        bytes: proof.chain.length,
        waves: proof.waves,
        queries: proof.queries,
        out: values.out ?? null,
      },
      null,
      2,
    );
  } else {
    const lines = [
      `zones: ${proof.zones.join(' ') || '(none)'}`,
      `path: ${proof.path.join(' -> ')}${proof.answer === 'positive' ? '' : ` (${proof.answer})`}`,
      `chain: ${proof.records.length} records, ${proof.chain.length} bytes`,
      ...proof.records.map((rr) => `  ${recordToText(rr)}`),
      `lookups: ${proof.queries} queries in ${proof.waves} waves`,
      ...verdictText(v),
    ];
    if (values.out !== undefined) lines.push(`wrote ${proof.chain.length} bytes to ${values.out}`);
    out = lines.join('\n');
  }
  return { out, code: v.verdict === 'secure' ? 0 : 1 };
}

export async function dnssecCommand(argv: string[]): Promise<Result> {
  const [sub, ...rest] = argv;
  if (sub === 'verify') return verify(rest);
  if (sub === 'prove') return prove(rest);
  return usage(sub === undefined ? 'missing subcommand' : `unknown subcommand ${JSON.stringify(sub)}`);
}

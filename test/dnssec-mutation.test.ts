/**
 * Mutation tests on valid proofs: flipping any byte of a signature, key, DS digest, RRSIG field or RDATA must make
 * the chain bogus with a reason that fits the field, and dropping any one record must never leave it secure.
 * Chains: the RFC 9102 Appendix B vector (ECDSA) and minimal proofs from the BIND-signed hierarchy (RSA, ECDSA,
 * Ed25519 leaves under the RSA test root).
 */
import { describe, expect, it } from 'vitest';
import { webCrypto } from '../src/crypto/webcrypto.ts';
import { type Name, nameFromText, nameToText } from '../src/dns/name.ts';
import { encodeChain, parseChain, type ResourceRecord } from '../src/dns/record.ts';
import { TYPE, typeToText } from '../src/dns/types.ts';
import { validateRecords, verifyChain } from '../src/dnssec/chain.ts';
import type { TrustAnchor } from '../src/dnssec/dnskey.ts';
import type { BogusReason } from '../src/dnssec/result.ts';
import { anchorsFor, matrix, recordsFor } from './helpers/dnssec-generated.ts';
import { thirdPartyDnssecCases } from './helpers/dnssec-vectors.ts';

interface Subject {
  id: string;
  records: ResourceRecord[];
  name: Name;
  type: number;
  anchors: TrustAnchor[];
  now: number;
  /** Check every n-th RDATA byte (1 = all); header fields of RRSIG/DNSKEY/DS are always all checked. */
  stride: number;
}

const rfc9102 = thirdPartyDnssecCases().find((c) => c.id === 'rfc9102-appendix-tlsa')!;

async function generated(id: string, stride: number): Promise<Subject> {
  const c = matrix.cases.find((x) => x.id === id)!;
  const anchors = anchorsFor(c);
  const name = nameFromText(c.name);
  const type = TYPE[c.type as keyof typeof TYPE];
  const v = await validateRecords(recordsFor(c.name), name, type, {
    anchors,
    now: matrix.verify_time,
    crypto: webCrypto,
  });
  if (v.verdict !== 'secure') throw new Error(`${id} is not secure: ${v.verdict}`);
  return { id, records: v.proof, name, type, anchors, now: matrix.verify_time, stride };
}

/** The RFC 9102 chain carries a few records its answer does not need; mutate the minimal proof within it. */
async function rfc9102Minimal(): Promise<Subject> {
  const opts = { anchors: rfc9102.anchors, now: rfc9102.verifyTime, crypto: webCrypto };
  const v = await validateRecords(parseChain(rfc9102.chainBytes!, 200), rfc9102.name, rfc9102.type, opts);
  if (v.verdict !== 'secure') throw new Error('the RFC 9102 vector does not validate');
  return {
    id: 'rfc9102-appendix-tlsa',
    records: v.proof,
    name: rfc9102.name,
    type: rfc9102.type,
    ...opts,
    stride: 1,
  };
}

const subjects: Subject[] = [
  await rfc9102Minimal(),
  await generated('rsa2048-dkim-rsa', 5),
  await generated('ecdsa-dkim-txt', 2),
  await generated('ed25519-dkim-txt', 2),
];

const ANY_SIG_FAILURE: BogusReason[] = ['BadSignature', 'DsMismatch', 'AnchorMismatch', 'MissingRecords'];

/** Which reasons make sense for a flipped byte at `offset` of the RDATA of `rr`. */
function allowedReasons(rr: ResourceRecord, offset: number): BogusReason[] {
  if (rr.type === TYPE.RRSIG) {
    if (offset < 2) return ['MissingRecords']; // type covered: the RRset loses its signature
    if (offset === 2) return ['UnsupportedAlgorithm', 'MissingRecords'];
    if (offset === 3) return ['LabelCount', 'WildcardNotProven'];
    if (offset < 8) return ['BadSignature'];
    if (offset < 16) return ['SignatureExpired', 'SignatureNotYetValid', 'BadSignature'];
    if (offset < 18) return ['MissingRecords'];
    return ['BadSignature', 'WrongSigner', 'MissingRecords', 'Malformed'];
  }
  if (rr.type === TYPE.DNSKEY)
    return [...ANY_SIG_FAILURE, 'Malformed', 'KeyTooSmall', 'UnsupportedAlgorithm'];
  return ['BadSignature', 'Malformed'];
}

function headerLength(rr: ResourceRecord): number {
  return rr.type === TYPE.RRSIG
    ? rr.rdata.length - 8
    : rr.type === TYPE.DNSKEY || rr.type === TYPE.DS
      ? 4
      : 0;
}

describe.each(subjects)('mutations of $id', (s) => {
  const verify = (records: ResourceRecord[]) =>
    verifyChain(encodeChain(records), s.name, s.type, { anchors: s.anchors, now: s.now, crypto: webCrypto });

  it('is secure unmutated', async () => {
    expect((await verify(s.records)).verdict).toBe('secure');
  });

  it('is never secure with any one record dropped', async () => {
    for (let i = 0; i < s.records.length; i++) {
      const v = await verify(s.records.filter((_, j) => j !== i));
      const rr = s.records[i]!;
      expect(v.verdict, `dropped ${nameToText(rr.name)} ${typeToText(rr.type)}`).toBe('bogus');
      if (v.verdict === 'bogus')
        expect(['MissingRecords', 'DsMismatch', 'AnchorMismatch', 'BadSignature']).toContain(v.reason);
    }
  });

  it('is bogus with a fitting reason for every flipped RDATA byte', async () => {
    let checked = 0;
    for (let i = 0; i < s.records.length; i++) {
      const rr = s.records[i]!;
      for (let off = 0; off < rr.rdata.length; off++) {
        if (off >= headerLength(rr) && off % s.stride !== 0 && off !== rr.rdata.length - 1) continue;
        const rdata = rr.rdata.slice();
        rdata[off]! ^= 0x01;
        const mutated = s.records.map((r, j) => (j === i ? { ...r, rdata } : r));
        const v = await verify(mutated);
        const where = `${nameToText(rr.name)} ${typeToText(rr.type)} byte ${off}`;
        expect(v.verdict, where).toBe('bogus');
        if (v.verdict === 'bogus')
          expect(allowedReasons(rr, off), `${where}: ${v.reason} ${v.detail}`).toContain(v.reason);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(100);
  });
});

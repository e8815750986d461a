/**
 * A small RRSIG signer for tests (RFC 4034 §3.1.8.1 signed data, §6.2–6.3 canonical form; RFC 6605 §4 ECDSA
 * P-256 r‖s), written apart from src/dnssec so that it checks the validator rather than repeating it. It signs
 * what BIND's dnssec-signzone refuses to: an inception after the expiration, a key with the REVOKE bit. Keys are the
 * ECDSA P-256 keys BIND made (`K<zone>+013+<tag>.key` / `.private`, under test-vectors/dnssec/rules/keys/).
 * Only for RRsets whose RDATA holds no domain names (TXT, DNSKEY, DS): their canonical RDATA is the RDATA itself.
 */
import { createPrivateKey, type KeyObject, sign } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nameFromText } from '../../src/dns/name.ts';
import type { ResourceRecord } from '../../src/dns/record.ts';
import { TYPE } from '../../src/dns/types.ts';

export interface BindKey {
  readonly zone: string;
  readonly tag: number;
  readonly key: KeyObject;
}

/** The one BIND key in `dir` (a keys/<zone>/<role> directory). */
export function loadBindKey(dir: string): BindKey {
  const file = readdirSync(dir).find((f) => f.endsWith('.private'));
  if (!file) throw new Error(`no BIND key in ${dir}`);
  const [, zone, tag] = /^K(.*)\+013\+(\d{5})\.private$/.exec(file) ?? [];
  if (!zone || !tag) throw new Error(`not an ECDSA P-256 BIND key: ${file}`);
  const d = Buffer.from(
    /^PrivateKey: (\S+)$/m.exec(readFileSync(join(dir, file), 'latin1'))?.[1] ?? '',
    'base64',
  );
  // `<owner> IN DNSKEY <flags> 3 13 <base64 in chunks>`: the public key is x‖y (RFC 6605 §4).
  const line = readFileSync(join(dir, file.replace(/\.private$/, '.key')), 'latin1')
    .split('\n')
    .find((l) => !l.startsWith(';') && l.includes(' DNSKEY '));
  const tokens = line?.trim().split(/\s+/) ?? [];
  const xy = Buffer.from(tokens.slice(tokens.indexOf('DNSKEY') + 4).join(''), 'base64');
  if (d.length !== 32 || xy.length !== 64) throw new Error(`unexpected key sizes in ${file}`);
  const b64 = (b: Buffer) => b.toString('base64url');
  const jwk = { kty: 'EC', crv: 'P-256', d: b64(d), x: b64(xy.subarray(0, 32)), y: b64(xy.subarray(32)) };
  return { zone, tag: Number(tag), key: createPrivateKey({ key: jwk, format: 'jwk' }) };
}

/** Uncompressed wire form of a presentation name, lowercased (names here are plain ASCII, no escapes). */
function wireName(text: string): Buffer {
  const labels = text.toLowerCase().replace(/\.$/, '').split('.').filter(Boolean);
  return Buffer.concat([
    ...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])),
    Buffer.from([0]),
  ]);
}

export interface Validity {
  /** Unix seconds, written as 32-bit serial numbers (RFC 4034 §3.1.5). */
  readonly inception: number;
  readonly expiration: number;
}

/** An RRSIG over `rrset` (all one owner and type, given as presentation owner `owner`) by `signer`. */
export function signRrset(
  owner: string,
  rrset: readonly ResourceRecord[],
  signer: BindKey,
  when: Validity,
): ResourceRecord {
  const { type, ttl } = rrset[0]!;
  if (type !== TYPE.TXT && type !== TYPE.DNSKEY && type !== TYPE.DS)
    throw new Error(`cannot sign type ${type}`);
  const labels = owner.replace(/\.$/, '').split('.').filter(Boolean).length;
  const fixed = Buffer.alloc(18);
  fixed.writeUInt16BE(type, 0);
  fixed[2] = 13;
  fixed[3] = labels;
  fixed.writeUInt32BE(ttl, 4);
  fixed.writeUInt32BE(when.expiration >>> 0, 8);
  fixed.writeUInt32BE(when.inception >>> 0, 12);
  fixed.writeUInt16BE(signer.tag, 16);
  const rdataPrefix = Buffer.concat([fixed, wireName(signer.zone)]);
  const rdatas = [...new Set(rrset.map((rr) => Buffer.from(rr.rdata).toString('hex')))]
    .sort()
    .map((h) => Buffer.from(h, 'hex'));
  const data = Buffer.concat([
    rdataPrefix,
    ...rdatas.map((rdata) => {
      const head = Buffer.alloc(10);
      head.writeUInt16BE(type, 0);
      head.writeUInt16BE(1, 2);
      head.writeUInt32BE(ttl, 4);
      head.writeUInt16BE(rdata.length, 8);
      return Buffer.concat([wireName(owner), head, rdata]);
    }),
  ]);
  const signature = sign('sha256', data, { key: signer.key, dsaEncoding: 'ieee-p1363' });
  return {
    name: nameFromText(owner),
    type: TYPE.RRSIG,
    class: 1,
    ttl,
    rdata: new Uint8Array(Buffer.concat([rdataPrefix, signature])),
  };
}

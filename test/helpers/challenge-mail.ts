/**
 * Real signed mail for the challenge suites: messages signed by dkimpy (Debian python3-dkim, an independent DKIM
 * implementation) with the DKIM keys whose public halves are published in the BIND-signed test zones
 * (test-vectors/dnssec/generated/keys/dkim/: `sel._domainkey.<zone>` Ed25519 in every zone, `rsa._domainkey.<zone>`
 * RSA-2048 in the rsa* zones), and DNSSEC proofs for them built by src/proof/email.ts over the zone files.
 */
import { execFileSync } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { webCrypto } from '../../src/crypto/webcrypto.ts';
import { nameFromText } from '../../src/dns/name.ts';
import { binaryToBytes } from '../../src/encoding/bytes.ts';
import { buildEmailProof, type EmailProof } from '../../src/proof/email.ts';
import type { Resolver } from '../../src/proof/resolver.ts';
import { zoneResolver } from '../../src/proof/zone-resolver.ts';
import type { Deployed } from './canister.ts';
import { DEBIAN_PYTHON } from './dkimpy.ts';
import { GENERATED_DIR } from './dns-servers.ts';
import { allRecords, anchorsFor, matrix } from './dnssec-generated.ts';

const KEY_DIR = join(GENERATED_DIR, 'keys', 'dkim');

function pem(file: string) {
  return createPrivateKey(readFileSync(join(KEY_DIR, file), 'utf8'));
}

/** What dkimpy takes: the base64 Ed25519 seed, or an RFC 8017 RSAPrivateKey in PEM (it does not read PKCS#8). */
const KEYS = {
  ed25519: {
    algorithm: 'ed25519-sha256',
    key: Buffer.from(pem('ed25519.pem').export({ format: 'der', type: 'pkcs8' }).subarray(16)).toString(
      'base64',
    ),
  },
  rsa2048: {
    algorithm: 'rsa-sha256',
    key: pem('rsa2048.pem').export({ format: 'pem', type: 'pkcs1' }).toString(),
  },
} as const;

export type DkimKeyName = keyof typeof KEYS;

export interface MailJob {
  /** The message to sign, CRLF line endings. */
  message: string;
  domain: string;
  selector: string;
  key: DkimKeyName;
  headers: string[];
  timestamp: number;
  /** c= as header/body; dkimpy's relaxed/relaxed when omitted. */
  canonicalize?: `${'simple' | 'relaxed'}/${'simple' | 'relaxed'}`;
}

/** Signs every job in one python process; returns the signed messages as binary strings (CRLF). */
export function signMail(jobs: MailJob[]): string[] {
  const input = JSON.stringify({
    jobs: jobs.map((j) => ({ ...j, key: KEYS[j.key].key, algorithm: KEYS[j.key].algorithm })),
  });
  const signer = join(import.meta.dirname, 'dkimpy-sign.py');
  const out = execFileSync(DEBIAN_PYTHON, [signer], { input, encoding: 'latin1' });
  return JSON.parse(out).signed;
}

export interface Compose {
  from: string;
  subject?: string | null;
  to?: string;
  body?: string;
  extraHeaders?: string[];
}

/** An RFC 5322 message with From, To, Subject, Date, Message-ID (CRLF). */
export function compose(m: Compose): string {
  const lines = [
    `From: Test User <${m.from}>`,
    `To: ${m.to ?? 'recover@mail.waxseal.test'}`,
    ...(m.subject === null ? [] : [`Subject: ${m.subject ?? 'hello'}`]),
    'Date: Wed, 31 Dec 2025 23:59:00 +0000',
    `Message-ID: <${Math.random().toString(36).slice(2)}@test>`,
    ...(m.extraHeaders ?? []),
  ];
  return `${lines.join('\r\n')}\r\n\r\n${m.body ?? 'Please recover my identity.\r\n'}`;
}

export const bytes = (binary: string) => binaryToBytes(binary);

export const VERIFY_TIME = matrix.verify_time;
export const ANCHORS = anchorsFor(matrix.cases[0]!);
export const ZONE: Resolver = zoneResolver(allRecords);

/** The zone resolver with `_dmarc.*` answered NXDOMAIN, so proofs carry no DMARC record. */
export const ZONE_WITHOUT_DMARC: Resolver = {
  query: (name, type) =>
    new TextDecoder().decode(name[0]) === '_dmarc'
      ? Promise.resolve({ kind: 'answer', rcode: 3, records: [] })
      : ZONE.query(name, type),
};

/** buildEmailProof over the generated zones at the matrix time; throws when no chain could be built. */
export async function emailProof(
  domain: string,
  selectors: string[],
  resolver: Resolver = ZONE,
): Promise<EmailProof> {
  const p = await buildEmailProof(resolver, nameFromText(`${domain}.`), selectors, {
    anchors: ANCHORS,
    now: VERIFY_TIME,
    crypto: webCrypto,
  });
  if (p.kind !== 'proof') throw new Error(`no proof for ${domain}: ${p.detail}`);
  return p;
}

/**
 * A Waxseal challenge email from `from` with the nonce in the Subject, signed by dkimpy as `d=<domain>; s=sel`
 * (Ed25519; the domain defaults to the From domain, `key` and `selector` choose another published key).
 */
export function challengeMail(
  from: string,
  nonce: string,
  to: string,
  opts: { domain?: string; headers?: string[]; body?: string; key?: DkimKeyName; selector?: string } = {},
): Uint8Array {
  const [signed] = signMail([
    {
      message: compose({ from, subject: `Waxseal ${nonce}`, to, ...(opts.body ? { body: opts.body } : {}) }),
      domain: opts.domain ?? from.split('@')[1]!,
      selector: opts.selector ?? 'sel',
      key: opts.key ?? 'ed25519',
      headers: opts.headers ?? ['from', 'to', 'subject', 'date', 'message-id'],
      timestamp: VERIFY_TIME - 60,
    },
  ]);
  return bytes(signed!);
}

/** Delivers the challenge email from `from` for `challenge` through `smtp_request` (anonymous caller). */
export function deliverChallengeMail(
  c: Deployed,
  from: string,
  challenge: { nonce: string; mailbox: string },
  proof?: Uint8Array,
) {
  return c.actor().smtp_request({
    envelope: { mail_from: 'x@y.test', rcpt_to: [challenge.mailbox] },
    message: challengeMail(from, challenge.nonce, challenge.mailbox),
    dns_proof: proof ? [proof] : [],
  });
}

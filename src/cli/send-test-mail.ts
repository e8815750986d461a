/**
 * `waxseal send-test-mail`: composes a plain-text email, DKIM-signs it with the private half of a key that the
 * local test zones publish (test-vectors/dnssec/generated/, served by `npm start`'s named), and sends it over SMTP,
 * so the gateway and the canister can be exercised end to end with mail that a real signer produced.
 *
 * The key: the TXT record at `<selector>._domainkey.<From domain>` in all-records.zone (CNAMEs followed), matched
 * by its public key against the `*.pem` files of `--keys`. So `sel` gives the Ed25519 key every zone publishes,
 * `rsa` the RSA-2048 key of the rsa* zones and deep.ecdsa, `big` the RSA-4096 key of rsa4096. d= is the From
 * domain (aligned for DMARC); c=relaxed/relaxed; h= lists SIGNED_HEADERS, or the fields named by
 * `--sign-headers` (say `from,to,date` to leave the Subject unsigned, which Waxseal must refuse).
 *
 * The signers, both independent of Waxseal's verifier (src/dkim/):
 * - RSA: nodemailer's DKIM signer (nodemailer/lib/dkim).
 * - Ed25519: dkimpy (Debian python3-dkim, through /usr/bin/python3, as test/helpers/dkimpy.ts does). nodemailer
 *   10.6.1 cannot sign ed25519-sha256 (RFC 8463): it always writes `a=rsa-<hash>` and signs with
 *   `crypto.createSign('RSA-SHA256')`, which throws for an Ed25519 key, and it then drops the signature without
 *   an error (dist/esm/dkim/sign.js). dkimpy is only used where nodemailer cannot sign, so the RSA path keeps a
 *   signer that shares nothing with the dkimpy verifier the tests also use.
 *
 * Sending: nodemailer's SMTP transport, plain SMTP with STARTTLS when the server offers it (`--tls-insecure`
 * accepts a self-signed certificate); the envelope is --from / --to. Output: one line with the server's reply and
 * the Message-ID, exit 0. A refusal (4xx/5xx) or a connection problem is one line on stderr, exit 1; usage errors
 * (including a From domain or selector the local zones do not publish) exit 2.
 */
import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, type KeyObject, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createTransport } from 'nodemailer';
import DKIM from 'nodemailer/lib/dkim';
import { txtRdataToString } from '../challenge/proof-lookup.ts';
import { parseTagList, stripFws } from '../dkim/tags.ts';
import { type Name, nameTextKey, nameToText } from '../dns/name.ts';
import { decodeRdata } from '../dns/rdata.ts';
import { TYPE } from '../dns/types.ts';
import { parseZoneFile } from '../dns/zone-file.ts';
import { bytesEqual, decodeBase64 } from '../encoding/bytes.ts';
import { LIMITS } from '../limits.ts';
import { parseAddress } from '../mail/address.ts';
import { UsageError } from './errors.ts';

const GENERATED_DIR = join(import.meta.dirname, '..', '..', 'test-vectors', 'dnssec', 'generated');
const ZONE_RECORDS = join(GENERATED_DIR, 'all-records.zone');
const DEFAULT_KEYS = join(GENERATED_DIR, 'keys', 'dkim');
const DEFAULT_SERVER = '127.0.0.1:2525';
const DEBIAN_PYTHON = '/usr/bin/python3';

/** h= of every signature: From, To, Subject (Waxseal needs it signed), Date, Message-ID, and the MIME fields. */
export const SIGNED_HEADERS = [
  'from',
  'to',
  'subject',
  'date',
  'message-id',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
] as const;

/** RFC 5322 §3.6.8 field name: printable ASCII except the colon. */
const FIELD_NAME = /^[\x21-\x39\x3b-\x7e]+$/;

/**
 * `--sign-headers`: comma-separated field names, lowercased, each once. `from` is required: RFC 6376 §5.4 says the
 * From field MUST be signed, and both signers refuse otherwise.
 */
export function parseSignHeaders(text: string): string[] {
  const names = [...new Set(text.split(',').map((n) => n.trim().toLowerCase()))];
  const bad = names.find((n) => !FIELD_NAME.test(n));
  if (bad !== undefined)
    throw new UsageError(`--sign-headers: ${JSON.stringify(bad)} is not a header field name`);
  if (!names.includes('from')) throw new UsageError('--sign-headers must include from (RFC 6376 §5.4)');
  return names;
}

const DEFAULT_BODY = 'Test message sent by waxseal send-test-mail.\r\n';
/** RFC 5322 §2.1.1: a line is at most 998 octets, CRLF excluded. */
const MAX_LINE = 998;
const SMTP_TIMEOUT_MS = { connection: 10_000, greeting: 10_000, socket: 30_000 };
const PYTHON_TIMEOUT_MS = 30_000;

/** A failure after the arguments were accepted: one line on stderr, exit 1. */
class SendError extends Error {
  override readonly name = 'SendError';
}

const oneLine = (text: string) => text.replace(/\s*[\r\n]+\s*/g, ' ').trim();

// ---------------------------------------------------------------------------------------------------------------
// Arguments

function address(option: string, text: string | undefined): string {
  if (text === undefined) throw new UsageError(`--${option} <address> is required (see waxseal --help)`);
  const parsed = parseAddress(text);
  if (!parsed.ok) throw new UsageError(`--${option} ${JSON.stringify(text)}: ${parsed.detail}`);
  return text;
}

export function parseServer(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]]+)):([0-9]{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : 0;
  if (!m || port < 1 || port > 65535)
    throw new UsageError(`--server must be host:port (e.g. ${DEFAULT_SERVER}), got ${JSON.stringify(text)}`);
  return { host: m[1] ?? m[2]!, port };
}

const LDH = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const SELECTOR = new RegExp(`^${LDH}(?:\\.${LDH})*$`);

function checkSubject(subject: string): void {
  if (/[^\t\x20-\x7e]/.test(subject))
    throw new UsageError('--subject must be printable ASCII (no line breaks, no 8-bit characters)');
  if (`Subject: ${subject}`.length > MAX_LINE)
    throw new UsageError(`--subject is too long for one header line (${MAX_LINE} bytes)`);
}

/** The body with CRLF line ends and a final CRLF; every line within RFC 5322's limit. */
function normalizeBody(text: string): string {
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.at(-1) === '') lines.pop();
  for (const [i, line] of lines.entries()) {
    if (Buffer.byteLength(line) > MAX_LINE)
      throw new UsageError(`--body line ${i + 1} is longer than ${MAX_LINE} bytes`);
  }
  return lines.map((l) => `${l}\r\n`).join('');
}

// ---------------------------------------------------------------------------------------------------------------
// The message

/** RFC 5322 §3.3 date-time in UTC, e.g. `Thu, 01 Jan 2026 00:00:00 +0000`. */
export function rfc5322Date(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000');
}

export function composeMessage(m: {
  from: string;
  to: string;
  subject: string;
  body: string;
  date: Date;
  messageId: string;
}): Buffer {
  const eightBit = /[^\x00-\x7f]/.test(m.body);
  const header = [
    `From: ${m.from}`,
    `To: ${m.to}`,
    `Subject: ${m.subject}`,
    `Date: ${rfc5322Date(m.date)}`,
    `Message-ID: ${m.messageId}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    `Content-Transfer-Encoding: ${eightBit ? '8bit' : '7bit'}`,
  ];
  return Buffer.from(`${header.join('\r\n')}\r\n\r\n${m.body}`, 'utf8');
}

// ---------------------------------------------------------------------------------------------------------------
// The key: what the local zones publish, and the private key in --keys that matches it

interface Published {
  /** Owner name (lowercase, no trailing dot) → TXT records, character-strings concatenated. */
  readonly txt: Map<string, string[]>;
  readonly cname: Map<string, string>;
}

function loadPublished(): Published {
  const txt = new Map<string, string[]>();
  const cname = new Map<string, string>();
  for (const rr of parseZoneFile(readFileSync(ZONE_RECORDS, 'utf8'))) {
    const owner = nameTextKey(nameToText(rr.name));
    if (rr.type === TYPE.TXT) {
      const value = txtRdataToString(rr.rdata);
      const list = txt.get(owner) ?? [];
      if (!list.includes(value)) list.push(value);
      txt.set(owner, list);
    } else if (rr.type === TYPE.CNAME) {
      const [target] = decodeRdata(TYPE.CNAME, rr.rdata, 0, rr.rdata.length) as [Name];
      cname.set(owner, nameTextKey(nameToText(target)));
    }
  }
  return { txt, cname };
}

/** Where selector `selector` is published (`<selector>._domainkey.<domain>`), for error messages. */
function domainsWithSelector(zones: Published, selector: string): string[] {
  const prefix = `${selector.toLowerCase()}._domainkey.`;
  const names = [...zones.txt.keys(), ...zones.cname.keys()].filter((n) => n.startsWith(prefix));
  return [...new Set(names.map((n) => n.slice(prefix.length)))].sort();
}

function publishedRecord(zones: Published, name: string): { name: string; record: string } {
  let at = name;
  const seen = new Set<string>();
  for (let hops = 0; zones.cname.has(at); hops++) {
    if (hops >= LIMITS.cnameHops || seen.has(at))
      throw new UsageError(`${name}: the CNAME chain loops or is longer than ${LIMITS.cnameHops} hops`);
    seen.add(at);
    at = zones.cname.get(at)!;
  }
  const record = zones.txt.get(at)?.find((t) => /^\s*v\s*=\s*DKIM1\b|\bp\s*=/.test(t));
  if (record === undefined) {
    const domain = name.slice(name.indexOf('._domainkey.') + '._domainkey.'.length);
    const selector = name.slice(0, name.indexOf('._domainkey.'));
    const known =
      zones.txt.has(`_dmarc.${domain}`) || [...zones.txt.keys()].some((n) => n.endsWith(`.${domain}`));
    const elsewhere = domainsWithSelector(zones, selector);
    const shown =
      elsewhere.length > 6 ? [...elsewhere.slice(0, 5), `… (${elsewhere.length} in all)`] : elsewhere;
    const hint =
      elsewhere.length > 0
        ? `selector ${selector} is published for ${shown.join(', ')}`
        : `no local test zone publishes selector ${selector}`;
    throw new UsageError(
      known
        ? `no DKIM key at ${name} in the local test zones; ${hint}`
        : `${domain} is not one of the local test zones (test-vectors/dnssec/generated: *.wxtest, wxplain); ${hint}`,
    );
  }
  return { name: at, record };
}

export interface SigningKey {
  readonly type: 'ed25519' | 'rsa';
  readonly privateKey: KeyObject;
  readonly file: string;
  /** The name the key record was found at, after CNAMEs. */
  readonly recordName: string;
}

function readKeys(dir: string): { file: string; key: KeyObject }[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.pem'));
  } catch (e) {
    throw new UsageError(`cannot read --keys ${dir}: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
  const keys: { file: string; key: KeyObject }[] = [];
  for (const file of files.sort()) {
    try {
      keys.push({ file: join(dir, file), key: createPrivateKey(readFileSync(join(dir, file), 'utf8')) });
    } catch {
      // Not a private key (or unreadable): it cannot match a published key, so it is skipped.
    }
  }
  return keys;
}

/** The public key as the key record's p= may write it: raw Ed25519; SubjectPublicKeyInfo or PKCS#1 RSA. */
function publicForms(key: KeyObject): Uint8Array[] {
  const pub = createPublicKey(key);
  if (key.asymmetricKeyType === 'ed25519')
    return [Buffer.from(pub.export({ format: 'jwk' }).x!, 'base64url')];
  return [pub.export({ format: 'der', type: 'spki' }), pub.export({ format: 'der', type: 'pkcs1' })];
}

export function findSigningKey(domain: string, selector: string, keysDir: string): SigningKey {
  if (!SELECTOR.test(selector))
    throw new UsageError(`--selector ${JSON.stringify(selector)} is not a DNS label`);
  const name = `${selector.toLowerCase()}._domainkey.${domain.toLowerCase()}`;
  const found = publishedRecord(loadPublished(), name);
  const tags = parseTagList(found.record);
  const p = tags.ok ? tags.tags.get('p') : undefined;
  const published = p === undefined ? null : decodeBase64(stripFws(p));
  const keyType = tags.ok ? (tags.tags.get('k') ?? 'rsa').trim().toLowerCase() : '';
  if (!published || published.length === 0 || (keyType !== 'ed25519' && keyType !== 'rsa'))
    throw new UsageError(
      `the key record at ${found.name} is not an Ed25519 or RSA key this command can sign for`,
    );
  const match = readKeys(keysDir).find(
    ({ key }) => key.asymmetricKeyType === keyType && publicForms(key).some((f) => bytesEqual(f, published)),
  );
  if (!match)
    throw new UsageError(
      `no private key in ${keysDir} matches the ${keyType} key published at ${found.name}`,
    );
  return { type: keyType, privateKey: match.key, file: match.file, recordName: found.name };
}

// ---------------------------------------------------------------------------------------------------------------
// Signing

/** dkimpy's sign() (python3-dkim 1.1.4); reads JSON on stdin, writes the DKIM-Signature field (CRLF folded). */
const DKIMPY_SIGN = `
import base64, json, sys
try:
    import dkim
except ImportError as e:
    sys.stderr.write("python3-dkim is not installed (%s)\\n" % e)
    sys.exit(3)
req = json.load(sys.stdin)
try:
    sig = dkim.sign(base64.b64decode(req["message"]), req["selector"].encode(), req["domain"].encode(),
                    req["key"].encode(), signature_algorithm=b"ed25519-sha256",
                    canonicalize=(b"relaxed", b"relaxed"), include_headers=[h.encode() for h in req["headers"]])
except Exception as e:
    sys.stderr.write("dkimpy: %s: %s\\n" % (type(e).__name__, e))
    sys.exit(4)
sys.stdout.write(sig.decode("ascii"))
`;

function signWithDkimpy(
  message: Buffer,
  domain: string,
  selector: string,
  key: KeyObject,
  headers: readonly string[],
): Buffer {
  // dkimpy takes the 32-byte Ed25519 seed in base64.
  const seed = Buffer.from(key.export({ format: 'jwk' }).d!, 'base64url').toString('base64');
  const input = JSON.stringify({
    message: message.toString('base64'),
    domain,
    selector,
    key: seed,
    headers,
  });
  let signature: string;
  try {
    signature = execFileSync(DEBIAN_PYTHON, ['-c', DKIMPY_SIGN], {
      input,
      encoding: 'latin1',
      timeout: PYTHON_TIMEOUT_MS,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    const why =
      err.code === 'ENOENT'
        ? `${DEBIAN_PYTHON} not found`
        : oneLine(err.stderr ?? '').split(' Traceback')[0] || oneLine(err.message);
    throw new SendError(
      `Ed25519 signing needs ${DEBIAN_PYTHON} with python3-dkim and python3-nacl (scripts/install-system-deps.sh): ${why}`,
    );
  }
  if (!signature.startsWith('DKIM-Signature:')) throw new SendError('dkimpy returned no DKIM-Signature');
  return Buffer.concat([Buffer.from(signature, 'latin1'), message]);
}

async function signWithNodemailer(
  message: Buffer,
  domain: string,
  selector: string,
  key: KeyObject,
  headers: readonly string[],
): Promise<Buffer> {
  const signer = new DKIM({
    domainName: domain,
    keySelector: selector,
    privateKey: key,
    headerFieldNames: headers.join(':'),
  });
  const chunks: Buffer[] = [];
  for await (const chunk of signer.sign(message)) chunks.push(chunk as Buffer);
  const signed = Buffer.concat(chunks);
  // nodemailer leaves the message unsigned, without an error, when its signer fails.
  if (!signed.subarray(0, 15).equals(Buffer.from('DKIM-Signature:')))
    throw new SendError('nodemailer did not add a DKIM-Signature');
  return signed;
}

// ---------------------------------------------------------------------------------------------------------------
// Sending

interface SmtpFailure {
  code?: string;
  responseCode?: number;
  response?: string;
  command?: string;
  message?: string;
}

function describeSendError(e: unknown, server: string): string {
  const err = (e ?? {}) as SmtpFailure;
  const message = oneLine(String(err.message ?? e));
  if (typeof err.responseCode === 'number' && err.responseCode >= 400 && err.response) {
    const at = err.command ? ` (after ${oneLine(err.command)})` : '';
    return `the server refused the message: ${oneLine(err.response)}${at}`;
  }
  if (/ECONNREFUSED/.test(message))
    return `cannot connect to ${server}: connection refused (is the gateway running?)`;
  if (err.code === 'ETIMEDOUT') return `${server} did not answer in time: ${message}`;
  if (err.code === 'ETLS' || /certificate|TLS|SSL/i.test(message))
    return `STARTTLS with ${server} failed: ${message} (--tls-insecure skips the certificate check)`;
  return `cannot send to ${server}: ${message}`;
}

async function send(
  server: { host: string; port: number },
  envelope: { from: string; to: string },
  raw: Buffer,
  tlsInsecure: boolean,
): Promise<string> {
  const transport = createTransport({
    host: server.host,
    port: server.port,
    secure: false,
    tls: { rejectUnauthorized: !tlsInsecure },
    connectionTimeout: SMTP_TIMEOUT_MS.connection,
    greetingTimeout: SMTP_TIMEOUT_MS.greeting,
    socketTimeout: SMTP_TIMEOUT_MS.socket,
  });
  try {
    const info = await transport.sendMail({ envelope: { from: envelope.from, to: [envelope.to] }, raw });
    return oneLine(info.response);
  } finally {
    transport.close();
  }
}

// ---------------------------------------------------------------------------------------------------------------

export async function sendTestMailCommand(argv: string[]): Promise<{ out: string; code: number }> {
  const { values } = parseArgs({
    args: argv,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      subject: { type: 'string' },
      server: { type: 'string', default: DEFAULT_SERVER },
      selector: { type: 'string', default: 'sel' },
      body: { type: 'string' },
      keys: { type: 'string', default: DEFAULT_KEYS },
      'sign-headers': { type: 'string', default: SIGNED_HEADERS.join(',') },
      'tls-insecure': { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const from = address('from', values.from);
  const to = address('to', values.to);
  if (values.subject === undefined) throw new UsageError('--subject <text> is required (see waxseal --help)');
  checkSubject(values.subject);
  const body = normalizeBody(values.body ?? DEFAULT_BODY);
  const server = parseServer(values.server);
  const headers = parseSignHeaders(values['sign-headers']);
  const domain = from.slice(from.lastIndexOf('@') + 1).toLowerCase();
  const key = findSigningKey(domain, values.selector, values.keys);

  const messageId = `<${randomUUID()}@${domain}>`;
  const message = composeMessage({ from, to, subject: values.subject, body, date: new Date(), messageId });
  const algorithm = key.type === 'ed25519' ? 'ed25519-sha256' : 'rsa-sha256';
  const signer = key.type === 'ed25519' ? 'dkimpy' : 'nodemailer';
  const fail = (line: string) => {
    process.stderr.write(`waxseal: ${line}\n`);
    return { out: '', code: 1 };
  };
  let signed: Buffer;
  try {
    signed =
      key.type === 'ed25519'
        ? signWithDkimpy(message, domain, values.selector, key.privateKey, headers)
        : await signWithNodemailer(message, domain, values.selector, key.privateKey, headers);
  } catch (e) {
    if (e instanceof SendError) return fail(e.message);
    throw e;
  }
  const label = server.host.includes(':')
    ? `[${server.host}]:${server.port}`
    : `${server.host}:${server.port}`;
  let reply: string;
  try {
    reply = await send(server, { from, to }, signed, values['tls-insecure']);
  } catch (e) {
    return fail(describeSendError(e, label));
  }
  return {
    out: `${reply} (Message-ID ${messageId}, DKIM d=${domain} s=${values.selector} a=${algorithm} by ${signer})`,
    code: 0,
  };
}

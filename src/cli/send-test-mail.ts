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
 *
 * This file runs the steps; send-test-mail/ holds them: options.ts (arguments), signing-key.ts (the key),
 * message.ts (the message), sign.ts (DKIM signing), smtp.ts (sending), send-error.ts (exit-1 failures).
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { UsageError } from './errors.ts';
import { composeMessage } from './send-test-mail/message.ts';
import {
  address,
  checkSubject,
  DEFAULT_BODY,
  DEFAULT_SERVER,
  normalizeBody,
  parseServer,
  parseSignHeaders,
  SIGNED_HEADERS,
} from './send-test-mail/options.ts';
import { SendError } from './send-test-mail/send-error.ts';
import { signWithDkimpy, signWithNodemailer } from './send-test-mail/sign.ts';
import { DEFAULT_KEYS, findSigningKey } from './send-test-mail/signing-key.ts';
import { describeSendError, send } from './send-test-mail/smtp.ts';

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

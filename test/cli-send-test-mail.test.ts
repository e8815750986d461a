/**
 * `waxseal send-test-mail` as a real process against an in-test SMTP server (smtp-server on 127.0.0.1, port 0)
 * that records the envelope and the bytes received. Each delivered message is checked by two independent DKIM
 * verifiers, Waxseal's own (src/verify-email.ts) and dkimpy's, against the key records of the generated test zones
 * (test-vectors/dnssec/generated/all-records.zone); a tampered copy must fail both, so the checks can fail.
 */
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { txtRdataToString } from '../src/challenge/proof-lookup.ts';
import { SEND_TEST_MAIL_USAGE } from '../src/cli/usage.ts';
import { webCrypto } from '../src/crypto/webcrypto.ts';
import { staticTxtLookup, type TxtTable } from '../src/dns/lookup.ts';
import { type Name, nameTextKey, nameToText } from '../src/dns/name.ts';
import { decodeRdata } from '../src/dns/rdata.ts';
import { TYPE } from '../src/dns/types.ts';
import { verifyEmail } from '../src/verify-email.ts';
import { waxseal } from './helpers/cli.ts';
import { DEBIAN_PYTHON } from './helpers/dkimpy.ts';
import { allRecords } from './helpers/dnssec-generated.ts';

const MAILBOX = 'register@mail.waxseal.localhost';

interface Received {
  mailFrom: string | null;
  rcptTo: string[];
  raw: Buffer;
  secure: boolean;
}

interface Capture {
  port: number;
  mails: Received[];
  close(): Promise<void>;
}

/** An SMTP server on 127.0.0.1 that keeps every message; `rejectRcpt` answers RCPT TO with that error. */
async function captureServer(
  opts: { starttls?: boolean; rejectRcpt?: { code: number; text: string } } = {},
): Promise<Capture> {
  const mails: Received[] = [];
  const server = new SMTPServer({
    authOptional: true,
    logger: false,
    disabledCommands: opts.starttls ? [] : ['STARTTLS'],
    onRcptTo(_address, _session, callback) {
      if (!opts.rejectRcpt) return callback();
      const err = Object.assign(new Error(opts.rejectRcpt.text), { responseCode: opts.rejectRcpt.code });
      return callback(err);
    },
    onData(stream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const { mailFrom, rcptTo } = session.envelope;
        mails.push({
          mailFrom: mailFrom ? mailFrom.address : null,
          rcptTo: rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks),
          secure: session.secure,
        });
        callback(null, 'Queued as test-1');
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as { port: number }).port;
  return { port, mails, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as { port: number };
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/**
 * Every TXT record of the generated zones, as a resolver of the local stack's named answers them: a name that owns
 * a CNAME gets the TXT records at the end of its chain.
 */
const DNS: Record<string, string[]> = {};
const CNAMES = new Map<string, string>();
for (const rr of allRecords) {
  const name = nameTextKey(nameToText(rr.name));
  if (rr.type === TYPE.CNAME) {
    const [target] = decodeRdata(TYPE.CNAME, rr.rdata, 0, rr.rdata.length) as [Name];
    CNAMES.set(name, nameTextKey(nameToText(target)));
  }
  if (rr.type !== TYPE.TXT) continue;
  const list = DNS[name] ?? [];
  const value = txtRdataToString(rr.rdata);
  if (!list.includes(value)) list.push(value);
  DNS[name] = list;
}
for (const name of CNAMES.keys()) {
  let at = name;
  for (let hops = 0; CNAMES.has(at) && hops < 8; hops++) at = CNAMES.get(at)!;
  const target = DNS[at];
  if (target) DNS[name] = target;
}

async function waxsealVerdict(raw: Buffer) {
  const now = Math.floor(Date.now() / 1000);
  return verifyEmail(new Uint8Array(raw), staticTxtLookup(DNS as TxtTable), now, { crypto: webCrypto });
}

/** dkimpy's verdict on the first DKIM-Signature ("pass" or "fail[:<exception>]"). */
function dkimpyVerdict(raw: Buffer): string {
  const input = JSON.stringify({
    cases: [
      {
        id: 'm',
        message_b64: raw.toString('base64'),
        dns: DNS,
        verify_time: Math.floor(Date.now() / 1000) + 5,
        count: 1,
      },
    ],
  });
  const out = execFileSync(DEBIAN_PYTHON, [join(import.meta.dirname, 'helpers', 'dkimpy-verify.py')], {
    input,
    encoding: 'utf8',
  });
  return (JSON.parse(out) as Record<string, string[]>).m![0]!;
}

/** Header fields (unfolded) of a raw message, in order. */
function headerFields(raw: Buffer): string[] {
  const text = raw.toString('latin1');
  const head = text.slice(0, text.indexOf('\r\n\r\n'));
  return head.replace(/\r\n[ \t]/g, ' ').split('\r\n');
}

function field(raw: Buffer, name: string): string[] {
  return headerFields(raw)
    .filter((f) => f.toLowerCase().startsWith(`${name.toLowerCase()}:`))
    .map((f) => f.slice(name.length + 1).trim());
}

function dkimTags(raw: Buffer): Map<string, string> {
  const [sig] = field(raw, 'DKIM-Signature');
  const tags = new Map<string, string>();
  for (const part of sig!.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) tags.set(part.slice(0, eq).trim(), part.slice(eq + 1).replace(/\s+/g, ''));
  }
  return tags;
}

/** The message with one byte of the Subject value changed. */
function tamperSubject(raw: Buffer): Buffer {
  const text = raw.toString('latin1');
  const at = text.indexOf('\r\nSubject: ') + '\r\nSubject: '.length;
  const c = text[at] === 'X' ? 'Y' : 'X';
  return Buffer.from(text.slice(0, at) + c + text.slice(at + 1), 'latin1');
}

let smtp: Capture;
beforeAll(async () => {
  smtp = await captureServer();
});
afterAll(async () => {
  await smtp.close();
});

const send = (...args: string[]) => waxseal('send-test-mail', '--server', `127.0.0.1:${smtp.port}`, ...args);

describe('waxseal send-test-mail: delivery and signatures', () => {
  it('sends an Ed25519-signed mail (default selector sel) that both verifiers accept', async () => {
    const before = smtp.mails.length;
    const subject = 'Waxseal 7kq2mz9x4tq8';
    const r = await send('--from', 'Alice@ed25519.wxtest', '--to', MAILBOX, '--subject', subject);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const line =
      /^250 Queued as test-1 \(Message-ID (<[^>]+@ed25519\.wxtest>), DKIM d=ed25519\.wxtest s=sel a=ed25519-sha256 by dkimpy\)\n$/.exec(
        r.stdout,
      );
    expect(line, r.stdout).not.toBeNull();
    expect(smtp.mails.length).toBe(before + 1);
    const mail = smtp.mails.at(-1)!;
    expect(mail.mailFrom).toBe('Alice@ed25519.wxtest');
    expect(mail.rcptTo).toEqual([MAILBOX]);
    expect(field(mail.raw, 'Subject')).toEqual([subject]);
    expect(field(mail.raw, 'From')).toEqual(['Alice@ed25519.wxtest']);
    expect(field(mail.raw, 'To')).toEqual([MAILBOX]);
    expect(field(mail.raw, 'Message-ID')).toEqual([line![1]]);
    expect(field(mail.raw, 'Date')[0]).toMatch(
      /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000$/,
    );

    const tags = dkimTags(mail.raw);
    expect(tags.get('a')).toBe('ed25519-sha256');
    expect(tags.get('d')).toBe('ed25519.wxtest');
    expect(tags.get('s')).toBe('sel');
    expect(tags.get('c')).toBe('relaxed/relaxed');
    const h = tags.get('h')!.toLowerCase().split(':');
    for (const name of ['from', 'to', 'subject', 'date', 'message-id']) expect(h).toContain(name);

    const v = await waxsealVerdict(mail.raw);
    expect(v.signatures.map((s) => [s.domain, s.selector, s.algorithm, s.result])).toEqual([
      ['ed25519.wxtest', 'sel', 'ed25519-sha256', 'pass'],
    ]);
    expect(v.reason).toBe('Accepted');
    expect(v.accepted).toBe(true);
    expect(dkimpyVerdict(mail.raw)).toBe('pass');

    const tampered = tamperSubject(mail.raw);
    expect((await waxsealVerdict(tampered)).signatures[0]!.result).toBe('fail');
    expect(dkimpyVerdict(tampered)).toMatch(/^fail/);
  });

  it('signs with nodemailer and the RSA-2048 key for --selector rsa; both verifiers accept, a body', async () => {
    const before = smtp.mails.length;
    const r = await send(
      '--from',
      'bob@rsa2048.wxtest',
      '--to',
      'recover@mail.waxseal.localhost',
      '--subject',
      'Waxseal rsa-check',
      '--selector',
      'rsa',
      '--body',
      'line one\n.line two starts with a dot\nçà ünïcode\n',
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^250 Queued as test-1 \(Message-ID <[^>]+@rsa2048\.wxtest>, DKIM d=rsa2048\.wxtest s=rsa a=rsa-sha256 by nodemailer\)\n$/,
    );
    expect(smtp.mails.length).toBe(before + 1);
    const mail = smtp.mails.at(-1)!;
    expect(mail.mailFrom).toBe('bob@rsa2048.wxtest');
    expect(mail.rcptTo).toEqual(['recover@mail.waxseal.localhost']);
    expect(field(mail.raw, 'Subject')).toEqual(['Waxseal rsa-check']);
    const body = mail.raw.subarray(mail.raw.indexOf('\r\n\r\n') + 4).toString('utf8');
    expect(body).toBe('line one\r\n.line two starts with a dot\r\nçà ünïcode\r\n');

    const tags = dkimTags(mail.raw);
    expect([tags.get('a'), tags.get('d'), tags.get('s'), tags.get('c')]).toEqual([
      'rsa-sha256',
      'rsa2048.wxtest',
      'rsa',
      'relaxed/relaxed',
    ]);
    const h = tags.get('h')!.toLowerCase().split(':');
    for (const name of ['from', 'to', 'subject', 'date', 'message-id']) expect(h).toContain(name);

    const v = await waxsealVerdict(mail.raw);
    expect(v.signatures.map((s) => [s.domain, s.selector, s.algorithm, s.result])).toEqual([
      ['rsa2048.wxtest', 'rsa', 'rsa-sha256', 'pass'],
    ]);
    expect(v.accepted).toBe(true);
    expect(dkimpyVerdict(mail.raw)).toBe('pass');

    const tampered = tamperSubject(mail.raw);
    expect((await waxsealVerdict(tampered)).signatures[0]!.result).toBe('fail');
    expect(dkimpyVerdict(tampered)).toMatch(/^fail/);
  });

  it('follows a published CNAME (sel._domainkey.cname-src → ecdsa) to the Ed25519 key', async () => {
    const r = await send('--from', 'carol@cname-src.wxtest', '--to', MAILBOX, '--subject', 'Waxseal cname');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const mail = smtp.mails.at(-1)!;
    expect(mail.mailFrom).toBe('carol@cname-src.wxtest');
    const tags = dkimTags(mail.raw);
    expect([tags.get('a'), tags.get('d'), tags.get('s')]).toEqual([
      'ed25519-sha256',
      'cname-src.wxtest',
      'sel',
    ]);
    const v = await waxsealVerdict(mail.raw);
    expect(v.signatures.map((s) => s.result)).toEqual(['pass']);
    expect(v.accepted).toBe(true);
    expect(dkimpyVerdict(mail.raw)).toBe('pass');
  });
});

describe('waxseal send-test-mail --sign-headers: h= as asked', () => {
  it.each([
    ['Ed25519 by dkimpy', 'alice@ed25519.wxtest', 'sel'],
    ['RSA-2048 by nodemailer', 'bob@rsa2048.wxtest', 'rsa'],
  ])(
    '%s: Subject left unsigned; the signature passes, Waxseal refuses it (SubjectNotSigned)',
    async (_s, from, sel) => {
      const before = smtp.mails.length;
      const args = ['--from', from, '--to', MAILBOX, '--subject', 'Waxseal h', '--selector', sel];
      const r = await send(...args, '--sign-headers', 'From, to,DATE');
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(smtp.mails.length).toBe(before + 1);
      const mail = smtp.mails.at(-1)!;
      expect(dkimTags(mail.raw).get('h')!.toLowerCase()).toBe('from:to:date');
      const v = await waxsealVerdict(mail.raw);
      expect(v.signatures.map((x) => x.result)).toEqual(['pass']);
      expect(v.accepted).toBe(false);
      expect(v.reason).toBe('SubjectNotSigned');
      expect(dkimpyVerdict(mail.raw)).toBe('pass');
    },
  );
});

describe('waxseal send-test-mail: refusals and connection failures (exit 1)', () => {
  it('reports a 550 at RCPT TO in one line and exits 1', async () => {
    const refusing = await captureServer({ rejectRcpt: { code: 550, text: '5.1.1 No such mailbox here' } });
    try {
      const r = await waxseal(
        'send-test-mail',
        '--server',
        `127.0.0.1:${refusing.port}`,
        '--from',
        'alice@ed25519.wxtest',
        '--to',
        'nobody@mail.waxseal.localhost',
        '--subject',
        'Waxseal x',
      );
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(
        /^waxseal: the server refused the message: 550 5\.1\.1 No such mailbox here[^\n]*\n$/,
      );
      expect(refusing.mails).toEqual([]);
    } finally {
      await refusing.close();
    }
  });

  it('reports a closed port in one line and exits 1', async () => {
    const port = await closedPort();
    const r = await waxseal(
      'send-test-mail',
      '--server',
      `127.0.0.1:${port}`,
      '--from',
      'alice@ed25519.wxtest',
      '--to',
      MAILBOX,
      '--subject',
      'Waxseal x',
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `waxseal: cannot connect to 127.0.0.1:${port}: connection refused (is the gateway running?)\n`,
    );
  });

  it('upgrades with STARTTLS: a self-signed certificate fails (exit 1) unless --tls-insecure', async () => {
    const tlsServer = await captureServer({ starttls: true });
    try {
      const args = [
        'send-test-mail',
        '--server',
        `127.0.0.1:${tlsServer.port}`,
        '--from',
        'alice@ed25519.wxtest',
        '--to',
        MAILBOX,
        '--subject',
        'Waxseal tls',
      ];
      const strict = await waxseal(...args);
      expect(strict.code).toBe(1);
      expect(strict.stderr).toMatch(
        /^waxseal: STARTTLS with 127\.0\.0\.1:\d+ failed: [^\n]*--tls-insecure[^\n]*\n$/,
      );
      expect(tlsServer.mails).toEqual([]);

      const insecure = await waxseal(...args, '--tls-insecure');
      expect(insecure.stderr).toBe('');
      expect(insecure.code).toBe(0);
      expect(tlsServer.mails.length).toBe(1);
      expect(tlsServer.mails[0]!.secure).toBe(true);
    } finally {
      await tlsServer.close();
    }
  });
});

describe('waxseal send-test-mail: usage errors (exit 2, one line, nothing sent)', () => {
  const ok = ['--from', 'alice@ed25519.wxtest', '--to', MAILBOX, '--subject', 'Waxseal x'];
  const without = (name: string) => {
    const i = ok.indexOf(name);
    return [...ok.slice(0, i), ...ok.slice(i + 2)];
  };
  const withValue = (name: string, value: string) => ok.map((a, i) => (ok[i - 1] === name ? value : a));

  it.each([
    ['missing --to', without('--to'), /^waxseal: --to <address> is required/],
    ['missing --from', without('--from'), /^waxseal: --from <address> is required/],
    ['missing --subject', without('--subject'), /^waxseal: --subject <text> is required/],
    ['--to without @', withValue('--to', 'register'), /^waxseal: --to "register": the address has no @\n$/],
    [
      '--from with a quoted local part',
      withValue('--from', '"a b"@ed25519.wxtest'),
      /^waxseal: --from "\\"a b\\"@ed25519\.wxtest": quoted local parts are not accepted\n$/,
    ],
    [
      '--from with a bad domain',
      withValue('--from', 'alice@-bad.wxtest'),
      /^waxseal: --from "alice@-bad\.wxtest": invalid domain label "-bad"\n$/,
    ],
    [
      'a From domain outside the test zones',
      withValue('--from', 'alice@example.com'),
      /^waxseal: example\.com is not one of the local test zones .*selector sel is published for /,
    ],
    [
      'a selector the From zone does not publish',
      [...ok, '--selector', 'rsa'],
      /^waxseal: no DKIM key at rsa\._domainkey\.ed25519\.wxtest in the local test zones; selector rsa is published for deep\.ecdsa\.wxtest, rsa1024\.wxtest, rsa2048\.wxtest, rsa4096\.wxtest\n$/,
    ],
    [
      'a selector no zone publishes',
      [...ok, '--selector', 'nosuch'],
      /^waxseal: no DKIM key at nosuch\._domainkey\.ed25519\.wxtest in the local test zones; no local test zone publishes selector nosuch\n$/,
    ],
    [
      'a selector that is not a label',
      [...ok, '--selector', 'a b'],
      /^waxseal: --selector "a b" is not a DNS label\n$/,
    ],
    [
      'a subject with a line break',
      withValue('--subject', 'a\nBcc: x@y'),
      /^waxseal: --subject must be printable ASCII/,
    ],
    ['--server without a port', [...ok, '--server', 'localhost'], /^waxseal: --server must be host:port/],
    ['--server with port 0', [...ok, '--server', '127.0.0.1:0'], /^waxseal: --server must be host:port/],
    [
      'an empty --keys directory',
      [...ok, '--keys', '/nonexistent-waxseal-keys'],
      /^waxseal: cannot read --keys /,
    ],
    [
      '--sign-headers without from',
      [...ok, '--sign-headers', 'to,subject'],
      /^waxseal: --sign-headers must include from \(RFC 6376 §5\.4\)\n$/,
    ],
    [
      '--sign-headers with a name that is no field name',
      [...ok, '--sign-headers', 'from,x:y'],
      /^waxseal: --sign-headers: "x:y" is not a header field name\n$/,
    ],
    ['an unknown option', [...ok, '--bogus'], /^waxseal: Unknown option '--bogus'/],
  ])('%s', async (_what, args, expected) => {
    const before = smtp.mails.length;
    // The last --server wins in parseArgs, so the error cases that set one are tested as given.
    const r = await send(...args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(expected);
    expect(r.stderr.split('\n')).toHaveLength(2); // one line and its newline
    expect(smtp.mails.length).toBe(before);
  });

  it('is listed in waxseal --help', async () => {
    const r = await waxseal('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(SEND_TEST_MAIL_USAGE);
  });
});

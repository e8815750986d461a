/**
 * The SMTP front end of a real `waxseal gateway` process (src/gateway/smtp-front.ts) in front of the compiled
 * canister behind the devnet endpoint: swaks and a raw client as senders. Each refusal must carry its code and
 * leave nothing in the spool; each acceptance must reach the canister.
 */
import { describe, expect, it } from 'vitest';
import { MAIL_HOST, PLAIN_MESSAGE, swaks } from './helpers/gateway.ts';
import { greeted, type RawSession } from './helpers/smtp-raw.ts';
import { useGatewayStack } from './helpers/use-gateway.ts';

const stack = useGatewayStack({ mail_hosts: [MAIL_HOST] });

/** MAIL and RCPT on a greeted session; returns the RCPT reply. */
async function envelope(s: RawSession, rcpt: string): Promise<string> {
  expect(await s.command('MAIL FROM:<a@sender.test>')).toMatch(/^250/);
  return s.command(`RCPT TO:${rcpt}`);
}

/** Sends DATA with `body` as raw bytes (terminator included by the caller); returns the final reply. */
async function data(s: RawSession, raw: string | Uint8Array): Promise<string> {
  expect(await s.command('DATA')).toMatch(/^354/);
  await s.write(raw);
  return s.reply();
}

describe('waxseal gateway: acceptance', () => {
  it('serves, prints its principal, and accepts a message from swaks for the canister', async () => {
    expect(stack.gw.principal).toMatch(/^[a-z0-9-]{63}$/);
    const accepted = stack.gw.events('smtp', 'accepted').length;
    const r = await swaks(
      stack.gw,
      '--to',
      `register@${MAIL_HOST}`,
      '--from',
      'a@sender.test',
      '--header',
      'Subject: hi',
    );
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/<- {2}250 queued as \S+/);
    await stack.gw.waitFor(
      (l) => l.filter((x) => x.event === 'smtp' && x.outcome === 'accepted').length > accepted,
    );
    // An unknown nonce is a verification outcome: the canister answers Ok and the spool is emptied.
    await stack.gw.waitFor(
      (l) => l.some((x) => x.event === 'delivery' && x.outcome === 'delivered'),
      15_000,
      'delivery',
    );
    expect(stack.gw.spooled()).toEqual([]);
  });

  it('accepts the recipient in any case and with its host in upper case, as the canister does', async () => {
    const s = await greeted(stack.gw.host, stack.gw.port);
    expect(await envelope(s, `<RECOVER@${MAIL_HOST.toUpperCase()}>`)).toMatch(/^250/);
    s.end();
  });

  it('keeps the message bytes exactly: a long line, 8-bit bytes and dot-stuffing undone once', async () => {
    const s = await greeted(stack.gw.host, stack.gw.port);
    await envelope(s, `<register@${MAIL_HOST}>`);
    const body = `${'L'.repeat(3000)}\r\n..starts with a dot\r\nm\u00fcller\r\n`;
    const reply = await data(s, `${PLAIN_MESSAGE}${body}.\r\n`);
    expect(reply).toMatch(/^250 queued as/);
    s.end();
    const id = reply.split(' ').pop()!;
    await stack.gw.waitFor((l) => l.some((x) => x.event === 'smtp' && x.queue_id === id));
    const line = stack.gw.events('smtp', 'accepted').find((x) => x.queue_id === id)!;
    expect(line.size).toBe(
      Buffer.byteLength(`${PLAIN_MESSAGE}${body.replace('..starts', '.starts')}`, 'latin1'),
    );
  });
});

describe('waxseal gateway: RCPT refusals (never a relay)', () => {
  it.each([
    ['a foreign domain', '<user@other.example>', '550'],
    ['another mailbox on the host', `<postmaster@${MAIL_HOST}>`, '550'],
    ['the %-hack', `<register%other.example@${MAIL_HOST}>`, '550'],
    ['a source route to a foreign mailbox', '<@relay.example:register@other.example>', '550'],
    ['a quoted local part', `<"register"@${MAIL_HOST}>`, '550'],
    ['a subdomain of the host', `<register@x.${MAIL_HOST}>`, '550'],
    ['the host as a prefix', `<register@${MAIL_HOST}.evil.example>`, '550'],
    ['a Unicode look-alike host', '<register@ma\u00efl.waxseal.localhost>', '550'],
    ['its xn-- form', '<register@xn--mal-bma.waxseal.localhost>', '550'],
    ['an address literal', '<register@[127.0.0.1]>', '550'],
    ['a +tag', `<register+x@${MAIL_HOST}>`, '550'],
    ['a trailing dot (syntax)', `<register@${MAIL_HOST}.>`, '501'],
  ])('refuses %s', async (_name, rcpt, code) => {
    const before = stack.gw.events('smtp', 'accepted').length;
    const s = await greeted(stack.gw.host, stack.gw.port);
    const reply = await envelope(s, rcpt);
    expect(reply.slice(0, 3)).toBe(code);
    expect(await s.command('DATA')).toMatch(/^503/);
    s.end();
    expect(stack.gw.events('smtp', 'accepted').length).toBe(before);
  });

  it('a source route to the host is ignored (RFC 5321 App. C): the mail goes to the local mailbox only', async () => {
    const s = await greeted(stack.gw.host, stack.gw.port);
    expect(await envelope(s, `<@relay.example,@b.example:register@${MAIL_HOST}>`)).toMatch(/^250/);
    const reply = await data(s, `${PLAIN_MESSAGE}.\r\n`);
    s.end();
    const id = reply.split(' ').pop()!;
    await stack.gw.waitFor((l) => l.some((x) => x.event === 'smtp' && x.queue_id === id));
    expect(stack.gw.events('smtp', 'accepted').find((x) => x.queue_id === id)?.rcpt).toEqual([
      `register@${MAIL_HOST}`,
    ]);
  });

  it('refuses a second recipient with 551, also a duplicate of the first', async () => {
    const s = await greeted(stack.gw.host, stack.gw.port);
    expect(await envelope(s, `<register@${MAIL_HOST}>`)).toMatch(/^250/);
    expect(await s.command(`RCPT TO:<recover@${MAIL_HOST}>`)).toMatch(/^551/);
    s.end();
    // swaks goes on with the recipient that was accepted: the mail goes to that one mailbox only.
    const r = await swaks(
      stack.gw,
      '--to',
      `register@${MAIL_HOST},recover@${MAIL_HOST}`,
      '--from',
      'a@sender.test',
    );
    expect(r.out).toMatch(/<\*\* 551 exactly one recipient is accepted/);
    const id = /250 queued as (\S+)/.exec(r.out)![1];
    await stack.gw.waitFor((l) => l.some((x) => x.event === 'smtp' && x.queue_id === id));
    expect(stack.gw.events('smtp', 'accepted').find((x) => x.queue_id === id)?.rcpt).toEqual([
      `register@${MAIL_HOST}`,
    ]);
  });
});

const SMUGGLED = 'MAIL FROM:<evil@attacker.example>\r\nRCPT TO:<register@mail.waxseal.localhost>\r\nDATA\r\n';

describe('waxseal gateway: DATA refusals before the 250', () => {
  it.each([
    ['a bare LF', `${PLAIN_MESSAGE}line\nmore\r\n.\r\n`, '554'],
    ['a bare CR', `${PLAIN_MESSAGE}line\rmore\r\n.\r\n`, '554'],
    ['a NUL byte', `${PLAIN_MESSAGE}a\u0000b\r\n.\r\n`, '554'],
    ['<LF>.<LF> smuggling', `${PLAIN_MESSAGE}x\n.\n${SMUGGLED}evil\r\n.\r\n`, '554'],
    ['<LF>.<CR><LF> smuggling', `${PLAIN_MESSAGE}x\n.\r\n${SMUGGLED}evil\r\n.\r\n`, '554'],
    ['<CR><LF>.<LF> smuggling', `${PLAIN_MESSAGE}x\r\n.\n${SMUGGLED}evil\r\n.\r\n`, '554'],
    ['<CR>.<CR><LF> smuggling', `${PLAIN_MESSAGE}x\r.\r\n${SMUGGLED}evil\r\n.\r\n`, '554'],
    ['<CR><LF>.<CR> smuggling', `${PLAIN_MESSAGE}x\r\n.\r${SMUGGLED}evil\r\n.\r\n`, '554'],
    [
      '101 header fields',
      `${Array.from({ length: 101 }, (_, i) => `X-H${i}: v\r\n`).join('')}\r\nb\r\n.\r\n`,
      '554',
    ],
    ['a header line over 8 KiB', `X-Long: ${'z'.repeat(8200)}\r\n${PLAIN_MESSAGE}.\r\n`, '554'],
    ['a message over 64 KiB', `${PLAIN_MESSAGE}${`${'o'.repeat(998)}\r\n`.repeat(70)}.\r\n`, '552'],
  ])('refuses %s, spools nothing, and never splits it into two messages', async (_name, raw, code) => {
    const before = stack.gw.events('smtp', 'accepted').length;
    const s = await greeted(stack.gw.host, stack.gw.port);
    await envelope(s, `<register@${MAIL_HOST}>`);
    expect((await data(s, raw)).slice(0, 3)).toBe(code);
    // Nothing after the real terminator was taken as commands: the next reply is to our NOOP.
    expect(await s.command('NOOP')).toMatch(/^250/);
    s.end();
    expect(stack.gw.events('smtp', 'accepted').length).toBe(before);
  });

  it('refuses a smuggling terminator split across TCP segments', async () => {
    const before = stack.gw.events('smtp', 'accepted').length;
    const s = await greeted(stack.gw.host, stack.gw.port);
    s.socket.setNoDelay(true);
    await envelope(s, `<register@${MAIL_HOST}>`);
    expect(await s.command('DATA')).toMatch(/^354/);
    for (const part of [PLAIN_MESSAGE, 'x\r', '\n', '.', '\n', SMUGGLED, 'evil\r\n', '.', '\r', '\n']) {
      await s.write(part);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect((await s.reply()).slice(0, 3)).toBe('554');
    expect(await s.command('NOOP')).toMatch(/^250/);
    s.end();
    expect(stack.gw.events('smtp', 'accepted').length).toBe(before);
  });

  it('refuses SIZE= over the limit at MAIL', async () => {
    const s = await greeted(stack.gw.host, stack.gw.port);
    expect(await s.command('MAIL FROM:<a@sender.test> SIZE=70000')).toMatch(/^552/);
    s.end();
  });
});

describe('waxseal gateway: operations', () => {
  it('serves /healthz, /readyz and Prometheus /metrics with the counters the operator needs', async () => {
    expect((await fetch(`${stack.gw.ops}/healthz`)).status).toBe(200);
    const ready = await fetch(`${stack.gw.ops}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.text()).toContain(MAIL_HOST);
    const text = await stack.gw.metrics();
    for (const name of [
      'waxseal_gateway_messages_accepted_total',
      'waxseal_gateway_spool_messages',
      'waxseal_gateway_spool_oldest_age_seconds',
      'waxseal_gateway_deliveries_total{outcome="delivered"}',
      'waxseal_gateway_canister_call_seconds_bucket',
      'waxseal_gateway_proofs_total',
    ]) {
      expect(text).toContain(name);
    }
    expect(text).toMatch(/waxseal_gateway_refusals_total\{code="550",reason="ForeignRecipient"\} [1-9]/);
    expect(text).toMatch(/waxseal_gateway_refusals_total\{code="554",reason="Malformed"\} [1-9]/);
    expect((await fetch(`${stack.gw.ops}/nope`)).status).toBe(404);
    expect((await fetch(`${stack.gw.ops}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('logs one JSON line per transaction, with no message body and no sender address', () => {
    const lines = stack.gw.events('smtp');
    expect(lines.length).toBeGreaterThan(10);
    for (const l of lines) {
      expect(JSON.stringify(l)).not.toContain('body\\r\\n');
      expect(JSON.stringify(l)).not.toContain('a@sender.test');
    }
    expect(lines.find((l) => l.outcome === 'refused' && l.code === 554)?.reason).toBe('Malformed');
  });
});

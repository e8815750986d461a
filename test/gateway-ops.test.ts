/**
 * A real `waxseal gateway` process under an operator's settings: per-IP limits, the session deadline, STARTTLS
 * with the operator's certificate (TLS ≥ 1.2), SIGTERM draining, `--print-principal` and config errors.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { beforeAll, describe, expect, it } from 'vitest';
import { waxseal } from './helpers/cli.ts';
import { MAIL_HOST, PLAIN_MESSAGE, removeGatewayDir, startTestGateway, swaks } from './helpers/gateway.ts';
import { greeted, rawSession } from './helpers/smtp-raw.ts';
import { useGatewayStack } from './helpers/use-gateway.ts';

let certDir: string;

beforeAll(() => {
  certDir = mkdtempSync(join(tmpdir(), 'waxseal-tls-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=mx.waxseal.localhost',
      '-keyout',
      join(certDir, 'key.pem'),
      '-out',
      join(certDir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
});

const stack = useGatewayStack({ mail_hosts: [MAIL_HOST] }, () => ({
  limits: { connectionsPerIp: 3, messagesPerMinute: 4 },
  smtp: { sessionTimeoutS: 5 },
  tls: { cert: join(certDir, 'cert.pem'), key: join(certDir, 'key.pem') },
}));

describe('STARTTLS', () => {
  it('offers STARTTLS with the operator certificate, and swaks delivers over it', async () => {
    const s = await rawSession(stack.gw.host, stack.gw.port);
    await s.reply();
    expect(await s.command('EHLO c.test')).toContain('STARTTLS');
    s.end();
    const r = await swaks(stack.gw, '--tls', '--to', `register@${MAIL_HOST}`, '--from', 'a@sender.test');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/TLS started with cipher TLSv1\.[23]/);
    expect(r.out).toMatch(/<~ {2}250 queued as/);
    const cert = readFileSync(join(certDir, 'cert.pem'), 'utf8');
    expect(cert).toContain('BEGIN CERTIFICATE');
    await stack.gw.waitFor((l) =>
      l.some((x) => x.event === 'smtp' && x.outcome === 'accepted' && x.tls === true),
    );
  });

  it('refuses a TLS 1.1 handshake after STARTTLS', async () => {
    const s = await greeted(stack.gw.host, stack.gw.port);
    expect(await s.command('STARTTLS')).toMatch(/^220/);
    const err = await new Promise<Error | null>((resolve) => {
      const t = tlsConnect({
        socket: s.socket,
        maxVersion: 'TLSv1.1',
        minVersion: 'TLSv1',
        rejectUnauthorized: false,
      });
      t.once('secureConnect', () => resolve(null));
      t.once('error', (e) => resolve(e));
    });
    expect(err?.message).toMatch(/protocol|version|alert/i);
    s.end();
  });
});

describe('per-IP limits and deadlines', () => {
  it('answers 421 to a connection over the per-IP limit, and takes one again once a slot is free', async () => {
    const open = [
      await greeted(stack.gw.host, stack.gw.port),
      await greeted(stack.gw.host, stack.gw.port),
      await greeted(stack.gw.host, stack.gw.port),
    ];
    const extra = await rawSession(stack.gw.host, stack.gw.port);
    expect(await extra.reply()).toMatch(/^421 .*too many connections/);
    await extra.closed();
    open[0]!.end();
    await new Promise((r) => setTimeout(r, 200));
    const again = await greeted(stack.gw.host, stack.gw.port);
    for (const s of [...open, again]) s.end();
  });

  it('answers 450 at RCPT once the IP has sent its messages for the minute', async () => {
    const s = await greeted(stack.gw.host, stack.gw.port);
    const replies: string[] = [];
    for (let i = 0; i < 6; i++) {
      await s.command('RSET');
      await s.command('MAIL FROM:<a@sender.test>');
      replies.push((await s.command(`RCPT TO:<register@${MAIL_HOST}>`)).slice(0, 3));
    }
    s.end();
    // The allowance is 4 per minute; the STARTTLS tests above spent one.
    expect(replies).toEqual(['250', '250', '250', '450', '450', '450']);
    expect(await stack.gw.metrics()).toMatch(
      /waxseal_gateway_refusals_total\{code="450",reason="MessageRate"\} 3/,
    );
  });

  it('cuts a slow client at the session deadline with 421, although it is never idle', async () => {
    const s = await greeted(stack.gw.host, stack.gw.port);
    const started = Date.now();
    let closed = false;
    for (let i = 0; i < 15 && !closed; i++) {
      await s.write('NOOP\r\n').catch(() => {});
      closed = await s.closed(1000).then(
        () => true,
        () => false,
      );
    }
    const replies: string[] = [];
    for (;;) {
      const r = await s.reply(100).catch(() => null);
      if (r === null) break;
      replies.push(r);
    }
    expect(replies.slice(0, -1).every((r) => r.startsWith('250'))).toBe(true);
    expect(replies.at(-1)).toMatch(/^421 .*session time limit/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(4000);
    expect(Date.now() - started).toBeLessThan(9000);
  }, 30_000);
});

describe('starting and stopping', () => {
  it('--print-principal prints the principal of the key the gateway serves with', async () => {
    const r = await waxseal('gateway', '--config', join(stack.gw.dir, 'gateway.toml'), '--print-principal');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(stack.gw.principal);
  });

  it.each([
    ['no --config', [], /--config is required/],
    ['a missing file', ['--config', '/nonexistent/gw.toml'], /cannot read \/nonexistent\/gw\.toml: ENOENT/],
  ])('exits 2 with one line for %s', async (_name, args, why) => {
    const r = await waxseal('gateway', ...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(why);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('exits 2 naming the key of a bad value, and 1 when the port is taken', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'waxseal-gwbad-'));
    const good = readFileSync(join(stack.gw.dir, 'gateway.toml'), 'utf8');
    writeFileSync(join(dir, 'bad.toml'), good.replace('config_refresh_s = 5', 'config_refresh_s = "soon"'));
    const bad = await waxseal('gateway', '--config', join(dir, 'bad.toml'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^waxseal: config .*: canister\.config_refresh_s: /);
    const taken = good
      .replace('listen = "127.0.0.1:0"', `listen = "127.0.0.1:${stack.gw.port}"`)
      .replace(/dir = ".*"/, `dir = "${join(dir, 'spool')}"`);
    writeFileSync(join(dir, 'taken.toml'), taken);
    const busy = await waxseal('gateway', '--config', join(dir, 'taken.toml'));
    expect(busy.code).toBe(1);
    expect(busy.stderr).toMatch(/cannot listen for SMTP on 127\.0\.0\.1:\d+: .*EADDRINUSE/);
    expect(busy.stderr).not.toMatch(/\n\s+at /);
  });

  it('SIGTERM: refuses new connections, lets the open session finish its message, keeps it spooled, exits 0', async () => {
    const g = await startTestGateway(stack.dn.url, stack.dn.devnet.canisterId.toText(), {
      relay: { enabled: false },
      smtp: { shutdownGraceS: 10 },
    });
    try {
      const s = await greeted(g.host, g.port);
      await s.command('MAIL FROM:<a@sender.test>');
      await s.command(`RCPT TO:<register@${MAIL_HOST}>`);
      expect(await s.command('DATA')).toMatch(/^354/);
      const exit = new Promise<number | null>((r) => g.process.running.proc.once('exit', (code) => r(code)));
      g.process.running.proc.kill('SIGTERM');
      await g.waitFor((l) => l.some((x) => x.signal === 'SIGTERM'), 5000, 'stop line');
      const refused = await rawSession(g.host, g.port).then(
        (x) => {
          x.end();
          return 'connected';
        },
        (e: NodeJS.ErrnoException) => e.code,
      );
      expect(refused).toBe('ECONNREFUSED');
      await s.write(`${PLAIN_MESSAGE}.\r\n`);
      expect(await s.reply()).toMatch(/^250 queued as/);
      await s.command('QUIT');
      expect(await exit).toBe(0);
      expect(g.spooled()).toHaveLength(1);
      expect(g.events('stop').at(-1)?.spooled).toBe(1);
    } finally {
      await g.stop();
      removeGatewayDir(g);
    }
  }, 30_000);
});

/**
 * The SMTP front end (RFC 5321) on smtp-server: what is accepted, and when the 250 may be sent.
 *
 * - RCPT (§4.1.1.3): the canister's own rule (src/challenge/envelope.ts `validateEnvelope`) against the mail
 *   hosts read from the canister: one recipient, `register@h` or `recover@h`; else 550, a second recipient 551.
 *   smtp-server drops a source route (`<@a,@b:x@h>` → `x@h`, as §4.1.2 and Appendix C allow: the route is
 *   ignored, so nothing is relayed) and shows `xn--` hosts in Unicode, so the host goes back to its A-label
 *   (RFC 5891 §5) before the comparison. No recipient elsewhere is ever accepted: this is not a relay.
 * - DATA (§4.1.1.4): the unstuffed bytes exactly as received (never rewrapped or repaired: DKIM signs them),
 *   refused before the final reply when src/gateway/message-form.ts says so (§9 bounds, bare CR/LF, NUL).
 *   The 250 goes out only after the spool has the message durably (§6.1).
 * - Per-IP limits (421 at connect, 450 at RCPT), an idle timeout per line and a deadline per session.
 *
 * The greeting is smtp-server's: it waits 100 ms to catch clients that talk first (421), which costs a new
 * connection that long but nothing per message on a reused one.
 */
import { domainToASCII } from 'node:url';
import type { Logger } from 'pino';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { type SmtpEnvelope, validateEnvelope } from '../challenge/envelope.ts';
import { LIMITS } from '../limits.ts';
import type { ClientLimits } from './client-limits.ts';
import { contentRefusal } from './message-form.ts';
import type { GatewayMetrics } from './metrics.ts';
import type { SpoolMeta } from './spool.ts';

export interface SmtpFrontOptions {
  readonly hostname: string;
  readonly maxClients: number;
  readonly idleTimeoutMs: number;
  readonly sessionTimeoutMs: number;
  /** How long `close()` lets open sessions run on before it cuts them with 421. */
  readonly shutdownGraceMs: number;
  readonly tls?: { readonly key: Buffer; readonly cert: Buffer };
  readonly limits: ClientLimits;
  /** The canister's mail hosts; null until they are known (RCPT then gets 451, try again later). */
  readonly mailHosts: () => readonly string[] | null;
  /** Spools durably and hands the message to the relay; resolves with the queue id. */
  readonly accept: (meta: SpoolMeta, message: Uint8Array) => Promise<string>;
  readonly log: Logger;
  readonly metrics: GatewayMetrics;
  readonly now?: () => number;
}

/** The slice of smtp-server's connection object the session deadline needs. */
interface Connection {
  readonly id: string;
  send(code: number, message: string): void;
  close(): void;
}

class Refusal extends Error {
  constructor(
    readonly responseCode: number,
    message: string,
    readonly reason: string,
  ) {
    super(message);
  }
}

interface SessionState {
  readonly ip: string;
  readonly counted: boolean;
  deadline: NodeJS.Timeout | null;
  /** A spool write is under way: the deadline waits for its 250. */
  busy: boolean;
}

/** Re-check a busy session's deadline this often. */
const BUSY_RECHECK_MS = 250;

function hostToAscii(address: string): string {
  const at = address.lastIndexOf('@');
  if (at < 0) return address;
  const host = address.slice(at + 1);
  if (/^[\x21-\x7e]*$/.test(host)) return address;
  const ascii = domainToASCII(host);
  return ascii === '' ? address : `${address.slice(0, at)}@${ascii}`;
}

function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0 ? '' : address.slice(at + 1).toLowerCase();
}

export interface SmtpFront {
  readonly server: SMTPServer;
  listen(host: string, port: number): Promise<{ host: string; port: number }>;
  /** Stops accepting, lets sessions finish up to the grace period, waits for spool writes in progress. */
  close(): Promise<void>;
}

export function createSmtpFront(o: SmtpFrontOptions): SmtpFront {
  const now = o.now ?? Date.now;
  const sessions = new Map<string, SessionState>();
  const writes = new Set<Promise<unknown>>();

  const finish = (
    session: SMTPServerSession,
    fields: {
      outcome: 'accepted' | 'refused';
      code: number;
      reason?: string;
      queue_id?: string;
      size?: number;
    },
  ) => {
    const env = session.envelope;
    o.log.info(
      {
        event: 'smtp',
        session: session.id,
        client: session.remoteAddress,
        helo: session.hostNameAppearsAs,
        tls: session.secure,
        mail_from_domain: env.mailFrom ? domainOf(env.mailFrom.address) : null,
        rcpt: env.rcptTo.map((r) => r.address),
        ...fields,
      },
      fields.outcome === 'accepted' ? 'message accepted' : 'message refused',
    );
    if (fields.outcome === 'refused')
      o.metrics.refused.inc({ code: String(fields.code), reason: fields.reason });
  };

  const refuse = (session: SMTPServerSession, code: number, reason: string, message: string) => {
    finish(session, { outcome: 'refused', code, reason });
    return new Refusal(code, message, reason);
  };

  const server: SMTPServer = new SMTPServer({
    name: o.hostname,
    banner: 'Waxseal gateway',
    logger: false,
    disableReverseLookup: true,
    authOptional: true,
    disabledCommands: o.tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
    hideDSN: true,
    hideREQUIRETLS: true,
    size: LIMITS.messageBytes,
    rejectOversized: true,
    maxClients: o.maxClients,
    maxRecipients: 100,
    socketTimeout: o.idleTimeoutMs,
    closeTimeout: Math.max(1, o.shutdownGraceMs),
    ...(o.tls
      ? { key: o.tls.key, cert: o.tls.cert, minVersion: 'TLSv1.2' as const }
      : { hideSTARTTLS: true }),

    onConnect(session, cb) {
      const ip = session.remoteAddress;
      const counted = o.limits.connect(ip);
      const state: SessionState = { ip, counted, deadline: null, busy: false };
      sessions.set(session.id, state);
      o.metrics.sessions.inc();
      if (!counted) {
        o.log.warn({ event: 'smtp', session: session.id, client: ip }, 'too many connections from this IP');
        o.metrics.refused.inc({ code: '421', reason: 'ConnectionLimit' });
        return cb(
          new Refusal(421, 'too many connections from your address, try again later', 'ConnectionLimit'),
        );
      }
      const arm = (ms: number) => {
        state.deadline = setTimeout(() => {
          if (state.busy) return arm(BUSY_RECHECK_MS);
          const c = [...(server as unknown as { connections: Set<Connection> }).connections].find(
            (x) => x.id === session.id,
          );
          o.log.warn({ event: 'smtp', session: session.id, client: ip }, 'session deadline reached');
          o.metrics.refused.inc({ code: '421', reason: 'SessionDeadline' });
          c?.send(421, 'session time limit exceeded, closing');
          c?.close();
        }, ms);
        state.deadline.unref();
      };
      arm(o.sessionTimeoutMs);
      cb();
    },

    onClose(session) {
      const state = sessions.get(session.id);
      if (!state) return;
      sessions.delete(session.id);
      o.metrics.sessions.dec();
      if (state.deadline) clearTimeout(state.deadline);
      if (state.counted) o.limits.disconnect(state.ip);
    },

    onMailFrom(_address, _session, cb) {
      cb();
    },

    onRcptTo(address, session, cb) {
      const hosts = o.mailHosts();
      if (hosts === null) {
        return cb(refuse(session, 451, 'HostsUnknown', 'mail hosts not known yet, try again later'));
      }
      const rcpt = hostToAscii(address.address);
      const envelope = {
        mail_from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
        rcpt_to: [...session.envelope.rcptTo.map((r) => hostToAscii(r.address)), rcpt],
      };
      const judged = validateEnvelope(envelope, hosts);
      if (!judged.ok) {
        const reason = judged.code === 551 ? 'TooManyRecipients' : 'ForeignRecipient';
        return cb(refuse(session, judged.code, reason, judged.message));
      }
      if (!o.limits.takeMessage(session.remoteAddress, now())) {
        return cb(
          refuse(session, 450, 'MessageRate', 'too many messages from your address, try again later'),
        );
      }
      // The canister sees the A-label form it compares against.
      address.address = rcpt;
      cb();
    },

    onData(stream: SMTPServerDataStream, session, cb) {
      const chunks: Buffer[] = [];
      let kept = 0;
      stream.on('data', (chunk: Buffer) => {
        if (kept + chunk.length <= LIMITS.messageBytes) {
          chunks.push(chunk);
          kept += chunk.length;
        }
      });
      stream.on('end', () => {
        if (stream.sizeExceeded) {
          finish(session, { outcome: 'refused', code: 552, reason: 'TooLarge', size: stream.byteLength });
          return cb(new Refusal(552, 'message too large', 'TooLarge'));
        }
        const bytes = new Uint8Array(Buffer.concat(chunks, kept));
        const refusal = contentRefusal(bytes);
        if (refusal) {
          const reason = refusal.code === 552 ? 'TooLarge' : 'Malformed';
          return cb(refuse(session, refusal.code, reason, refusal.message));
        }
        const envelope: SmtpEnvelope = {
          mail_from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          rcpt_to: session.envelope.rcptTo.map((r) => r.address),
        };
        const state = sessions.get(session.id);
        if (state) state.busy = true;
        const started = now();
        const write = o
          .accept({ envelope, clientIp: session.remoteAddress, receivedAt: started }, bytes)
          .then(
            (id) => {
              o.metrics.accepted.inc();
              o.metrics.acceptSeconds.observe((now() - started) / 1000);
              finish(session, { outcome: 'accepted', code: 250, queue_id: id, size: bytes.length });
              cb(null, `queued as ${id}`);
            },
            (e: Error) => {
              o.log.error({ event: 'spool', session: session.id, err: e.message }, 'spool write failed');
              cb(refuse(session, 451, 'SpoolFailed', 'local error in processing, try again later'));
            },
          );
        writes.add(write);
        write.finally(() => {
          writes.delete(write);
          if (state) state.busy = false;
        });
      });
    },
  });

  server.on('error', (e: Error) => o.log.warn({ event: 'smtp', err: e.message }, 'smtp connection error'));

  return {
    server,
    listen: (host, port) =>
      new Promise((resolve, reject) => {
        server.server.once('error', reject);
        server.listen(port, host, () => {
          const a = server.server.address() as { address: string; port: number };
          resolve({ host: a.address, port: a.port });
        });
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          Promise.allSettled([...writes]).then(() => resolve());
        });
      }),
  };
}

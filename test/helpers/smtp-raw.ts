/**
 * A raw SMTP client for the edge cases real clients refuse to produce (bare LF, smuggling terminators, bytes
 * split across TCP segments, slow senders). It writes exactly the bytes given and collects complete replies
 * (RFC 5321 §4.2: multiline `xyz-` lines end with `xyz `). Every wait is bounded.
 */
import { connect, type Socket } from 'node:net';

export interface RawSession {
  /** Writes bytes as given (strings as latin1, so every char is one octet). */
  write(data: string | Uint8Array): Promise<void>;
  /** Waits for the next complete reply (all lines of it), or fails after `timeoutMs`. */
  reply(timeoutMs?: number): Promise<string>;
  /** `write(line + CRLF)` then `reply()`. */
  command(line: string, timeoutMs?: number): Promise<string>;
  /** Resolves when the server closed the connection. */
  closed(timeoutMs?: number): Promise<void>;
  end(): void;
  readonly socket: Socket;
}

const WAIT_MS = 10_000;

export async function rawSession(host: string, port: number): Promise<RawSession> {
  const socket = connect(port, host);
  let buf = '';
  const replies: string[] = [];
  let waiter: (() => void) | null = null;
  let isClosed = false;
  socket.setEncoding('latin1');
  socket.on('data', (d: string) => {
    buf += d;
    for (;;) {
      const m = /^(?:\d{3}-[^\r\n]*\r\n)*\d{3}(?: [^\r\n]*)?\r\n/.exec(buf);
      if (!m) break;
      replies.push(m[0].trimEnd());
      buf = buf.slice(m[0].length);
    }
    waiter?.();
  });
  socket.on('close', () => {
    isClosed = true;
    waiter?.();
  });
  socket.on('error', () => {});
  await new Promise<void>((res, rej) => {
    socket.once('connect', () => res());
    socket.once('error', rej);
  });
  const until = (ready: () => boolean, timeoutMs: number, what: string) =>
    new Promise<void>((res, rej) => {
      if (ready()) return res();
      const timer = setTimeout(() => {
        waiter = null;
        rej(new Error(`no ${what} within ${timeoutMs} ms (buffer: ${JSON.stringify(buf.slice(0, 200))})`));
      }, timeoutMs);
      waiter = () => {
        if (!ready()) return;
        clearTimeout(timer);
        waiter = null;
        res();
      };
    });
  const session: RawSession = {
    socket,
    write: (data) =>
      new Promise((res, rej) =>
        socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data, (e) =>
          e ? rej(e) : res(),
        ),
      ),
    async reply(timeoutMs = WAIT_MS) {
      await until(() => replies.length > 0 || isClosed, timeoutMs, 'reply');
      const r = replies.shift();
      if (r === undefined) throw new Error('connection closed without a reply');
      return r;
    },
    async command(line, timeoutMs) {
      await session.write(`${line}\r\n`);
      return session.reply(timeoutMs);
    },
    closed: (timeoutMs = WAIT_MS) => until(() => isClosed, timeoutMs, 'close'),
    end: () => socket.destroy(),
  };
  return session;
}

/** Connects, reads the greeting and says EHLO; returns the session. */
export async function greeted(host: string, port: number): Promise<RawSession> {
  const s = await rawSession(host, port);
  const banner = await s.reply();
  if (!banner.startsWith('220')) throw new Error(`unexpected greeting ${banner}`);
  const ehlo = await s.command('EHLO client.test');
  if (!ehlo.startsWith('250')) throw new Error(`EHLO refused: ${ehlo}`);
  return s;
}

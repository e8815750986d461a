/**
 * The load client of `npm run bench:gateway` (scripts/bench-gateway.ts forks it): a bounded, open-loop SMTP client
 * on raw `node:net`, so that what is timed is exactly what is written and read.
 *
 * - Sessions: `sessions` persistent connections, opened (greeting, EHLO) before any clock starts, so smtp-server's
 *   100 ms early-talker delay before the 220 stays outside every measurement; each is reused for every message.
 * - Schedule: message i is due at start + i / rate (open loop). A due message goes to an idle session at once;
 *   when every session is busy it waits in a local queue, and that wait counts in its latency, so overload shows
 *   as latency instead of being hidden by a slower send rate (coordinated omission). `rate` 0 is a closed loop
 *   (each session sends its next message as soon as the last one is answered): the capacity runs.
 * - Transaction (RFC 5321 §3.3, RFC 2920 when PIPELINING is advertised): `MAIL FROM`, `RCPT TO` and `DATA` in one
 *   write, the three replies read, then the message (CRLF, no line starts with a dot) and `.`; the final reply
 *   ends it. Without PIPELINING each command waits for its reply. After any refusal the session sends RSET.
 * - Timed per message, with performance.now(): `latency` from the moment it was due (open loop; in a closed loop,
 *   the moment it was written) to the final reply of its DATA; `service` from the write of MAIL+RCPT+DATA (the
 *   RCPT command) to that reply. Only the messages after the first `warmup` count.
 * - Bounded: `messages` per run, `maxMs` for the whole run (then nothing more is sent, and what is still queued is
 *   reported as unsent), `txTimeoutMs` per transaction (the session is then closed and reopened, within a budget).
 *
 * Standalone (no IPC): `node --import tsx scripts/bench-gateway-client.ts 127.0.0.1:2525 [mail-host]` runs one
 * open-loop run with the BENCH_* settings of the runner (BENCH_RATE, BENCH_MESSAGES, BENCH_SESSIONS) and prints
 * its summary as JSON: a cross-check against any SMTP server on loopback.
 */
import { randomFillSync } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

// ---- the protocol between the runner and this process ----

export interface ClientSetup {
  host: string;
  port: number;
  sessions: number;
  /** RCPT `register@<mailHost>`, and the To: header. */
  mailHost: string;
  /** Envelope sender and the From: header's address. */
  from: string;
  /** Size of each message on the wire before dot-stuffing (none is needed), CRLF included, `.` excluded. */
  messageBytes: number;
  /** Bound on opening all sessions (connect, 220, EHLO). */
  openTimeoutMs: number;
}

export interface RunMessage {
  type: 'run';
  /** Messages per second (open loop); 0 = closed loop. */
  rate: number;
  messages: number;
  /** The first `warmup` messages are sent but not counted. */
  warmup: number;
  /** Hard bound on the run, from its first message. */
  maxMs: number;
  txTimeoutMs: number;
  /** Sessions that may be reopened after a failure during this run. */
  reconnectBudget: number;
}

export interface ReadyMessage {
  type: 'ready';
  sessions: number;
  /** Whether the server advertised PIPELINING (then the envelope and DATA go in one write). */
  pipelining: boolean;
  /** The server's greeting and EHLO keywords, as seen by the first session. */
  greeting: string;
  ehlo: string[];
  openMs: number;
}

export interface RunReport {
  type: 'report';
  rate: number;
  messages: number;
  warmup: number;
  /** Messages whose transaction began; of them, the ones answered 250 after DATA. */
  sent: number;
  accepted: number;
  /** Still queued when the run's time bound expired (never sent). */
  unsent: number;
  /** Counted messages (after the warm-up) that were accepted, and their times in ms (see the top of this file). */
  latencies: number[];
  service: number[];
  /** Longest time a counted message waited in the local queue for a free session, ms. */
  maxQueueMs: number;
  /** From the moment the first counted message was due (closed loop: sent) to the last counted final reply, ms. */
  windowMs: number;
  /** The whole run, first message due to last reply, ms. */
  elapsedMs: number;
  /** Every reply that was not the expected one, keyed by stage and code, e.g. `rcpt 550`, `data-end 451`. */
  refusals: Record<string, number>;
  firstRefusal?: string;
  /** Transactions that failed without a reply (timeout, reset, closed connection). */
  errors: number;
  firstError?: string;
  reconnects: number;
  /** Sessions the server had closed since the last run (e.g. its idle timeout), replaced before the clock started. */
  reopenedBefore: number;
  /** Sessions still open at the end. */
  sessionsLeft: number;
  /** CPU (user + system) and event-loop utilisation of this process over the run. */
  cpuMs: number;
  elu: number;
}

export type ClientMessage = ReadyMessage | RunReport | { type: 'failed'; message: string };
export type ParentMessage = RunMessage | { type: 'close' };

// ---- one SMTP session ----

export interface Reply {
  code: number;
  /** The reply's lines, without CRLF (for a multi-line reply, every line). */
  lines: string[];
}

const replyText = (r: Reply) => r.lines.join(' / ').slice(0, 300);

/** A client connection that reads replies in order (RFC 5321 §4.2: `ddd-` continues a reply, `ddd ` ends it). */
export class SmtpSession {
  #socket: Socket;
  #buffer = '';
  #partial: string[] = [];
  #replies: Reply[] = [];
  #waiting: { resolve: (r: Reply) => void; reject: (e: Error) => void }[] = [];
  #failure: Error | null = null;
  #timer: NodeJS.Timeout | undefined;
  pipelining = false;
  keywords: string[] = [];
  greeting = '';

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (e) => this.#fail(e));
    socket.on('close', () => this.#fail(new Error('connection closed by the server')));
  }

  /** Connects, reads the greeting and says EHLO; rejects (and closes) after `timeoutMs`. */
  static async open(host: string, port: number, timeoutMs: number): Promise<SmtpSession> {
    const session = new SmtpSession(connect({ host, port }));
    session.arm(timeoutMs, 'opening the session');
    try {
      const greeting = await session.reply();
      if (greeting.code !== 220) throw new Error(`greeting: ${replyText(greeting)}`);
      session.greeting = greeting.lines[0] ?? '';
      session.write('EHLO bench.wxtest\r\n');
      const ehlo = await session.reply();
      if (ehlo.code !== 250) throw new Error(`EHLO: ${replyText(ehlo)}`);
      session.keywords = ehlo.lines.slice(1).map((l) => l.slice(4).toUpperCase());
      session.pipelining = session.keywords.some((k) => k === 'PIPELINING');
      return session;
    } catch (e) {
      session.close();
      throw e;
    } finally {
      session.disarm();
    }
  }

  get alive(): boolean {
    return this.#failure === null;
  }

  /** Fails the session (closing it) unless disarmed within `ms`. */
  arm(ms: number, what: string): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#fail(new Error(`${what}: no reply within ${ms} ms`));
      this.#socket.destroy();
    }, ms);
  }

  disarm(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  write(data: string | Buffer): void {
    if (this.#failure === null) this.#socket.write(data);
  }

  /** The next reply, in order. */
  reply(): Promise<Reply> {
    const r = this.#replies.shift();
    if (r) return Promise.resolve(r);
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }

  /** QUIT, waiting at most `ms` for its reply, then closes. */
  async quit(ms: number): Promise<void> {
    if (this.alive) {
      this.write('QUIT\r\n');
      this.arm(ms, 'QUIT');
      await this.reply().catch(() => {});
    }
    this.close();
  }

  close(): void {
    this.disarm();
    this.#fail(new Error('closed by the client'));
    this.#socket.destroy();
  }

  #onData(chunk: Buffer): void {
    this.#buffer += chunk.toString('latin1');
    for (let nl = this.#buffer.indexOf('\n'); nl >= 0; nl = this.#buffer.indexOf('\n')) {
      const line = this.#buffer.slice(0, nl).replace(/\r$/, '');
      this.#buffer = this.#buffer.slice(nl + 1);
      this.#partial.push(line);
      if (line.charAt(3) === '-') continue;
      const reply = { code: Number(line.slice(0, 3)) || 0, lines: this.#partial };
      this.#partial = [];
      const waiter = this.#waiting.shift();
      if (waiter) waiter.resolve(reply);
      else this.#replies.push(reply);
    }
    if (this.#buffer.length > 64 * 1024) this.#fail(new Error('a reply line longer than 64 KiB'));
  }

  #fail(e: Error): void {
    if (this.#failure) return;
    this.#failure = e;
    clearTimeout(this.#timer);
    for (const w of this.#waiting.splice(0)) w.reject(e);
  }
}

// ---- the messages ----

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
const TOKEN_CHARS = 20;

/** A nonce-like token (`WX-` + 20 lowercase base32 characters, the shape of a Waxseal nonce) from random bytes. */
function fillToken(out: Buffer, at: number, random: Buffer): void {
  randomFillSync(random);
  for (let i = 0; i < TOKEN_CHARS; i++) {
    // 5 bits at a time, big-endian
    const bit = i * 5;
    const byte = bit >> 3;
    const word = ((random[byte]! << 8) | (random[byte + 1] ?? 0)) >> (11 - (bit & 7));
    out[at + i] = BASE32.charCodeAt(word & 31);
  }
}

/** The RFC 5322 date of `d` (`Wed, 31 Dec 2025 23:59:00 +0000`). */
function rfc5322Date(d: Date): string {
  return d.toUTCString().replace(/GMT$/, '+0000');
}

/**
 * Builds each message from one template: the headers (From, To, Subject with a fresh nonce-like token, Date,
 * Message-ID with the same token and a counter, MIME-Version, Content-Type), then a body of 76-character lines
 * that pads the message to exactly `bytes`, then `.` CRLF. No line starts with a dot.
 */
export class MessageFactory {
  readonly #template: Buffer;
  readonly #subjectAt: number;
  readonly #idAt: number;
  readonly #counterAt: number;
  readonly #random = Buffer.alloc(13);
  #count = 0;

  constructor(from: string, to: string, bytes: number) {
    const placeholder = 'x'.repeat(TOKEN_CHARS);
    const counter = '0'.repeat(8);
    const headers = [
      `From: Waxseal bench <${from}>`,
      `To: ${to}`,
      `Subject: Waxseal WX-${placeholder}`,
      `Date: ${rfc5322Date(new Date())}`,
      `Message-ID: <WX-${placeholder}.${counter}@${from.split('@')[1]}>`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=us-ascii',
    ];
    const head = `${headers.join('\r\n')}\r\n\r\n`;
    const filler = 'The quick brown fox jumps over the lazy dog while the bench counts messages. '.repeat(2);
    const line = (n: number, chars: number) => `${String(n).padStart(4, '0')} ${filler}`.slice(0, chars);
    const LINE = 76;
    let body = '';
    let n = 0;
    while (bytes - head.length - body.length >= LINE + 2 + 2) body += `${line(n++, LINE)}\r\n`;
    const rest = bytes - head.length - body.length - 2;
    if (rest < 0) throw new Error(`${bytes} bytes cannot hold the message headers (${head.length})`);
    body += `${line(n, rest)}\r\n`;
    const message = `${head}${body}`;
    if (message.length !== bytes)
      throw new Error(`message template is ${message.length} bytes, not ${bytes}`);
    this.#template = Buffer.from(`${message}.\r\n`, 'latin1');
    this.#subjectAt = head.indexOf(`WX-${placeholder}`) + 3;
    this.#idAt = head.indexOf(`<WX-${placeholder}`) + 4;
    this.#counterAt = head.indexOf(`.${counter}@`) + 1;
  }

  /** A fresh message with its terminating `.` CRLF. */
  next(): Buffer {
    const m = Buffer.from(this.#template);
    fillToken(m, this.#subjectAt, this.#random);
    m.copy(m, this.#idAt, this.#subjectAt, this.#subjectAt + TOKEN_CHARS);
    m.write(String(this.#count++ % 1e8).padStart(8, '0'), this.#counterAt, 'latin1');
    return m;
  }
}

// ---- one run ----

const wallNow = () => performance.now();

interface Pending {
  index: number;
  /** When it was due (ms, performance.now); NaN in a closed loop until it is sent. */
  due: number;
}

export type Outcome =
  | { kind: 'accepted'; sent: number; end: number }
  | { kind: 'refused'; stage: string; reply: Reply }
  | { kind: 'error'; error: Error };

/**
 * One transaction on `s` (`message`: the DATA bytes, ending in `.` CRLF); the session is left ready for the next
 * one (RSET after a refusal).
 */
export async function transaction(
  s: SmtpSession,
  envelope: { mail: string; rcpt: string },
  message: Buffer,
  timeoutMs: number,
): Promise<Outcome> {
  s.arm(timeoutMs, 'transaction');
  try {
    const sent = wallNow();
    let stage = 'mail';
    let mail: Reply;
    let rcpt: Reply;
    let data: Reply;
    if (s.pipelining) {
      s.write(`${envelope.mail}${envelope.rcpt}DATA\r\n`);
      mail = await s.reply();
      rcpt = await s.reply();
      data = await s.reply();
    } else {
      const step = async (command: string, previous: Reply | null): Promise<Reply> => {
        if (previous && previous.code !== 250 && previous.code !== 251) return previous;
        s.write(command);
        return s.reply();
      };
      mail = await step(envelope.mail, null);
      rcpt = await step(envelope.rcpt, mail);
      data = await step('DATA\r\n', rcpt);
    }
    let refused: Reply | null = null;
    if (mail.code !== 250) refused = mail;
    else if (rcpt.code !== 250 && rcpt.code !== 251) [stage, refused] = ['rcpt', rcpt];
    else if (data.code !== 354) [stage, refused] = ['data', data];
    if (refused) {
      // A server that said 354 after refusing the envelope (RFC 2920 forbids it) still expects a message.
      if (data.code === 354) {
        s.write('.\r\n');
        await s.reply();
      }
      s.write('RSET\r\n');
      await s.reply();
      return { kind: 'refused', stage, reply: refused };
    }
    s.write(message);
    const final = await s.reply();
    const end = wallNow();
    if (final.code === 250) return { kind: 'accepted', sent, end };
    s.write('RSET\r\n');
    await s.reply();
    return { kind: 'refused', stage: 'data-end', reply: final };
  } catch (e) {
    return { kind: 'error', error: e instanceof Error ? e : new Error(String(e)) };
  } finally {
    s.disarm();
  }
}

/** Runs one bounded open- or closed-loop run over `sessions` (dead ones are replaced within the budget). */
export async function runLoad(
  setup: ClientSetup,
  sessions: SmtpSession[],
  run: RunMessage,
): Promise<RunReport> {
  const factory = new MessageFactory(setup.from, `register@${setup.mailHost}`, setup.messageBytes);
  const envelope = {
    mail: `MAIL FROM:<${setup.from}>\r\n`,
    rcpt: `RCPT TO:<register@${setup.mailHost}>\r\n`,
  };
  const report: RunReport = {
    type: 'report',
    rate: run.rate,
    messages: run.messages,
    warmup: run.warmup,
    sent: 0,
    accepted: 0,
    unsent: 0,
    latencies: [],
    service: [],
    maxQueueMs: 0,
    windowMs: 0,
    elapsedMs: 0,
    refusals: {},
    errors: 0,
    reconnects: 0,
    reopenedBefore: 0,
    sessionsLeft: 0,
    cpuMs: 0,
    elu: 0,
  };
  // Sessions the server closed since the last run (an idle timeout while the runner waited) are replaced first,
  // before the clock starts, so that their greeting delay stays outside the run.
  const dead = sessions.filter((s) => !s.alive);
  if (dead.length > 0) {
    const fresh = await Promise.allSettled(
      dead.map(() => SmtpSession.open(setup.host, setup.port, setup.openTimeoutMs)),
    );
    const opened = fresh.flatMap((f) => (f.status === 'fulfilled' ? [f.value] : []));
    sessions.splice(0, sessions.length, ...sessions.filter((s) => s.alive), ...opened);
    report.reopenedBefore = opened.length;
    const failed = fresh.find((f): f is PromiseRejectedResult => f.status === 'rejected');
    if (failed) {
      report.errors += dead.length - opened.length;
      report.firstError ??= `reopening a session before the run: ${failed.reason}`;
    }
  }
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const interval = run.rate > 0 ? 1000 / run.rate : 0;
  const start = wallNow() + 20;
  const deadline = start + run.maxMs;
  const queue: Pending[] = [];
  let queueHead = 0;
  let released = 0;
  let firstCounted = Number.POSITIVE_INFINITY;
  let lastEnd = start;
  let reconnectsLeft = run.reconnectBudget;
  let inFlight = 0;
  const idle: SmtpSession[] = sessions.filter((s) => s.alive);
  const all = new Set(idle);

  let finish!: () => void;
  const finished = new Promise<void>((r) => {
    finish = r;
  });
  const done = () =>
    inFlight === 0 && (released === run.messages || wallNow() >= deadline) && queueHead === queue.length;
  let timer: NodeJS.Timeout | undefined;

  const settle = (p: Pending, outcome: Outcome) => {
    const counted = p.index >= run.warmup;
    if (outcome.kind === 'accepted') {
      report.accepted++;
      lastEnd = Math.max(lastEnd, outcome.end);
      if (counted) {
        report.latencies.push(outcome.end - p.due);
        report.service.push(outcome.end - outcome.sent);
        firstCounted = Math.min(firstCounted, p.due);
      }
    } else if (outcome.kind === 'refused') {
      const key = `${outcome.stage} ${outcome.reply.code}`;
      report.refusals[key] = (report.refusals[key] ?? 0) + 1;
      report.firstRefusal ??= `${key}: ${replyText(outcome.reply)}`;
    } else {
      report.errors++;
      report.firstError ??= outcome.error.message;
    }
  };

  const reopen = (dead: SmtpSession) => {
    all.delete(dead);
    dead.close();
    if (reconnectsLeft <= 0 || wallNow() >= deadline) return;
    reconnectsLeft--;
    report.reconnects++;
    SmtpSession.open(setup.host, setup.port, run.txTimeoutMs).then(
      (s) => {
        all.add(s);
        idle.push(s);
        dispatch();
      },
      (e: Error) => {
        report.errors++;
        report.firstError ??= `reopening a session: ${e.message}`;
        if (done()) finish();
      },
    );
  };

  const send = (s: SmtpSession, p: Pending) => {
    inFlight++;
    report.sent++;
    if (Number.isNaN(p.due)) p.due = wallNow();
    else report.maxQueueMs = Math.max(report.maxQueueMs, p.index >= run.warmup ? wallNow() - p.due : 0);
    transaction(s, envelope, factory.next(), run.txTimeoutMs).then((outcome) => {
      inFlight--;
      settle(p, outcome);
      if (s.alive) idle.push(s);
      else reopen(s);
      dispatch();
      if (done()) finish();
    });
  };

  /** Releases every message that is due (all at once in a closed loop), then hands queued ones to idle sessions. */
  const dispatch = () => {
    const now = wallNow();
    if (now < deadline) {
      const due =
        interval > 0 ? Math.min(run.messages, Math.floor((now - start) / interval) + 1) : run.messages;
      for (; released < due; released++) {
        queue.push({ index: released, due: interval > 0 ? start + released * interval : Number.NaN });
      }
      while (idle.length > 0 && queueHead < queue.length) send(idle.pop()!, queue[queueHead++]!);
    } else if (queueHead < queue.length) {
      report.unsent += queue.length - queueHead;
      queueHead = queue.length;
    }
    if (done()) finish();
  };

  /** The clock: wakes when the next message is due (and at the deadline), at most every millisecond. */
  const tick = () => {
    dispatch();
    if (released < run.messages && wallNow() < deadline) {
      const next = interval > 0 ? start + released * interval : deadline;
      timer = setTimeout(tick, Math.max(0, Math.min(next, deadline) - wallNow()));
    } else if (wallNow() < deadline && !done()) {
      timer = setTimeout(tick, Math.max(0, deadline - wallNow()));
    }
  };
  timer = setTimeout(tick, Math.max(0, start - wallNow()));
  // The run ends when everything released is answered, or at the deadline plus one transaction timeout.
  const hardStop = setTimeout(finish, run.maxMs + run.txTimeoutMs + 1000);
  await finished;
  clearTimeout(timer);
  clearTimeout(hardStop);
  report.unsent += run.messages - report.sent - report.unsent;
  report.elapsedMs = lastEnd - start;
  report.windowMs = Number.isFinite(firstCounted) ? lastEnd - firstCounted : 0;
  report.sessionsLeft = [...all].filter((s) => s.alive).length;
  sessions.splice(0, sessions.length, ...[...all].filter((s) => s.alive));
  const cpu = process.cpuUsage(cpu0);
  report.cpuMs = (cpu.user + cpu.system) / 1000;
  report.elu = performance.eventLoopUtilization(elu0).utilization;
  return report;
}

/** Opens `setup.sessions` sessions in parallel (bounded by `openTimeoutMs` each). */
export async function openSessions(
  setup: ClientSetup,
): Promise<{ sessions: SmtpSession[]; ready: ReadyMessage }> {
  const t0 = wallNow();
  const settled = await Promise.allSettled(
    Array.from({ length: setup.sessions }, () =>
      SmtpSession.open(setup.host, setup.port, setup.openTimeoutMs),
    ),
  );
  const sessions = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    for (const s of sessions) s.close();
    throw new Error(
      `${setup.sessions - sessions.length} of ${setup.sessions} sessions failed to open: ${failed.reason}`,
    );
  }
  const first = sessions[0]!;
  return {
    sessions,
    ready: {
      type: 'ready',
      sessions: sessions.length,
      pipelining: sessions.every((s) => s.pipelining),
      greeting: first.greeting,
      ehlo: first.keywords,
      openMs: wallNow() - t0,
    },
  };
}

// ---- the process ----

function send(message: ClientMessage): Promise<void> {
  return new Promise((resolve, reject) =>
    process.send!(message, (e: Error | null) => (e ? reject(e) : resolve())),
  );
}

/** Forked by the runner: setup from BENCH_GATEWAY_CLIENT, then runs on request until `close`. */
async function forked(): Promise<void> {
  const setup = JSON.parse(process.env.BENCH_GATEWAY_CLIENT ?? '') as ClientSetup;
  const messages: ParentMessage[] = [];
  let wake: (() => void) | null = null;
  process.on('message', (m: ParentMessage) => {
    messages.push(m);
    wake?.();
  });
  process.on('disconnect', () => process.exit(1)); // the runner is gone
  const nextMessage = async (): Promise<ParentMessage> => {
    while (messages.length === 0) {
      await new Promise<void>((r) => {
        wake = r;
      });
    }
    return messages.shift()!;
  };
  const { sessions, ready } = await openSessions(setup);
  await send(ready);
  for (;;) {
    const m = await nextMessage();
    if (m.type === 'close') break;
    await send(await runLoad(setup, sessions, m));
  }
  await Promise.all(sessions.map((s) => s.quit(2000)));
}

async function standalone(argv: string[]): Promise<void> {
  const [target, mailHost = 'mail.waxseal.localhost'] = argv;
  const m = /^([\d.]+):(\d+)$/.exec(target ?? '');
  if (!m) throw new Error('usage: bench-gateway-client.ts <ip>:<port> [mail-host]');
  const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
  const setup: ClientSetup = {
    host: m[1]!,
    port: Number(m[2]),
    sessions: env('BENCH_SESSIONS', 128),
    mailHost,
    from: process.env.BENCH_FROM ?? 'bench@ecdsa.wxtest',
    messageBytes: env('BENCH_MESSAGE_BYTES', 5 * 1024),
    openTimeoutMs: 30_000,
  };
  const { sessions, ready } = await openSessions(setup);
  const rate = env('BENCH_RATE', 1000);
  const messages = env('BENCH_MESSAGES', 10_000);
  const r = await runLoad(setup, sessions, {
    type: 'run',
    rate,
    messages,
    warmup: Math.min(Math.floor(messages / 10), rate || 1000),
    maxMs: env('BENCH_MAX_S', 120) * 1000,
    txTimeoutMs: 30_000,
    reconnectBudget: setup.sessions,
  });
  await Promise.all(sessions.map((s) => s.quit(2000)));
  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];
  const lat = sorted(r.latencies);
  const { latencies: _l, service: _s, type: _t, ...rest } = r;
  console.log(
    JSON.stringify(
      {
        ...rest,
        pipelining: ready.pipelining,
        accept_per_s: r.windowMs > 0 ? (lat.length / r.windowMs) * 1000 : 0,
        p50_ms: pct(lat, 50),
        p99_ms: pct(lat, 99),
        max_ms: lat.at(-1),
      },
      null,
      2,
    ),
  );
}

if (import.meta.filename === process.argv[1]) {
  const main = process.send ? forked() : standalone(process.argv.slice(2));
  main.then(
    () => process.exit(0),
    async (e: unknown) => {
      const message = (e as Error)?.stack ?? String(e);
      if (process.send) await send({ type: 'failed', message }).catch(() => {});
      else console.error(message);
      process.exit(1);
    },
  );
}

/**
 * `waxseal send-test-mail`: sending over SMTP with nodemailer's transport (plain SMTP, STARTTLS when offered), and
 * a failure (a 4xx/5xx reply, a refused connection, a timeout, TLS) told in one line.
 */
import { createTransport } from 'nodemailer';
import { oneLine } from './send-error.ts';

const SMTP_TIMEOUT_MS = { connection: 10_000, greeting: 10_000, socket: 30_000 };

interface SmtpFailure {
  code?: string;
  responseCode?: number;
  response?: string;
  command?: string;
  message?: string;
}

export function describeSendError(e: unknown, server: string): string {
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

export async function send(
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

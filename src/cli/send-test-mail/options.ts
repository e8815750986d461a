/**
 * `waxseal send-test-mail` arguments: the addresses, the server, the Subject, the body and `--sign-headers`, each
 * checked before anything is read or sent; a bad one is a UsageError (exit 2).
 */
import { parseAddress } from '../../mail/address.ts';
import { UsageError } from '../errors.ts';

export const DEFAULT_SERVER = '127.0.0.1:2525';
export const DEFAULT_BODY = 'Test message sent by waxseal send-test-mail.\r\n';

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

/** RFC 5322 §2.1.1: a line is at most 998 octets, CRLF excluded. */
const MAX_LINE = 998;

export function address(option: string, text: string | undefined): string {
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

export function checkSubject(subject: string): void {
  if (/[^\t\x20-\x7e]/.test(subject))
    throw new UsageError('--subject must be printable ASCII (no line breaks, no 8-bit characters)');
  if (`Subject: ${subject}`.length > MAX_LINE)
    throw new UsageError(`--subject is too long for one header line (${MAX_LINE} bytes)`);
}

/** The body with CRLF line ends and a final CRLF; every line within RFC 5322's limit. */
export function normalizeBody(text: string): string {
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.at(-1) === '') lines.pop();
  for (const [i, line] of lines.entries()) {
    if (Buffer.byteLength(line) > MAX_LINE)
      throw new UsageError(`--body line ${i + 1} is longer than ${MAX_LINE} bytes`);
  }
  return lines.map((l) => `${l}\r\n`).join('');
}

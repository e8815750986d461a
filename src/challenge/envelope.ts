/**
 * The SMTP interface rules of protocol.md §4, as pure functions the canister's `smtp_request_validate` and
 * `smtp_request` call before anything else.
 *
 * Envelope (`validateEnvelope`):
 * - exactly one recipient, else `551` (a copy to anyone else could leak the nonce; duplicates count);
 * - that recipient is `register@h` (setup) or `recover@h` (recovery) for a configured mail host `h`, compared
 *   case-insensitively (local part too, as protocol §4 says), else `550`. Angle brackets around the path
 *   (`<register@h>`, RFC 5321 §4.1.2) and one trailing dot on the host are tolerated; nothing else is (no
 *   `+tag`, no source route, no quoted local part);
 * - `mail_from` is not evaluated (SPF is not part of Waxseal, protocol §6).
 *
 * Bounds (`checkRequestBounds`, protocol §9): `552` for a blob over its byte limit (RFC 5321 §4.2.3 "exceeded
 * storage allocation": message > 64 KiB, proof > 32 KiB); `554` for a header section outside the structural
 * limits (> 100 header fields, a header line > 8 KiB without its line break). Anything else about the message is a
 * verification outcome, stored on the challenge, never an SMTP error.
 */
import { nameTextKey } from '../dns/name.ts';
import { asciiLower } from '../encoding/ascii.ts';
import { LIMITS } from '../limits.ts';
import type { Flow } from './types.ts';

export interface SmtpEnvelope {
  readonly mail_from: string;
  readonly rcpt_to: readonly string[];
}

export interface SmtpRequest {
  readonly envelope: SmtpEnvelope;
  readonly message: Uint8Array;
  readonly dns_proof?: Uint8Array | null;
}

export type SmtpError = {
  readonly ok: false;
  readonly code: 550 | 551 | 552 | 554;
  readonly message: string;
};

export type EnvelopeResult =
  | { readonly ok: true; readonly flow: Flow; readonly host: string; readonly recipient: string }
  | SmtpError;

export const MAILBOX_LOCAL: Readonly<Record<Flow, string>> = { setup: 'register', recovery: 'recover' };

/** The mailbox shown to the user for a flow (protocol §3 `mailbox`). */
export function mailboxFor(flow: Flow, host: string): string {
  return `${MAILBOX_LOCAL[flow]}@${nameTextKey(host)}`;
}

/** RFC 5321 §4.5.3.1.3: a path is at most 256 octets including the angle brackets. */
const MAX_PATH = 256;

export function validateEnvelope(envelope: SmtpEnvelope, mailHosts: readonly string[]): EnvelopeResult {
  const n = envelope.rcpt_to.length;
  if (n !== 1) {
    return {
      ok: false,
      code: 551,
      message: `exactly one recipient is accepted, got ${n}`,
    };
  }
  const raw = envelope.rcpt_to[0]!;
  const reject: SmtpError = { ok: false, code: 550, message: 'no such mailbox here' };
  if (raw.length > MAX_PATH) return reject;
  let path = raw.trim();
  if (path.startsWith('<') && path.endsWith('>')) path = path.slice(1, -1);
  const at = path.lastIndexOf('@');
  if (at <= 0) return reject;
  const local = asciiLower(path.slice(0, at));
  const host = nameTextKey(path.slice(at + 1));
  const flow: Flow | null = local === 'register' ? 'setup' : local === 'recover' ? 'recovery' : null;
  if (!flow || host === '' || !mailHosts.some((h) => nameTextKey(h) === host)) return reject;
  return { ok: true, flow, host, recipient: `${local}@${host}` };
}

const CR = 13;
const LF = 10;
const SP = 32;
const TAB = 9;

/**
 * Counts header fields and measures header lines up to the blank line that ends the header section (or the end of
 * the message). Lines end at LF; a CR before it is not part of the line's length, whatever the rest of the
 * message looks like (a bare LF is a verification outcome, not a bounds error).
 */
function scanHeader(message: Uint8Array): { fields: number; longestLine: number } {
  let fields = 0;
  let longestLine = 0;
  let pos = 0;
  while (pos < message.length) {
    let eol = message.indexOf(LF, pos);
    if (eol < 0) eol = message.length;
    const end = eol > pos && message[eol - 1] === CR ? eol - 1 : eol;
    const length = end - pos;
    if (length === 0) break;
    longestLine = Math.max(longestLine, length);
    if (message[pos] !== SP && message[pos] !== TAB) fields++;
    pos = eol + 1;
  }
  return { fields, longestLine };
}

/** The size rules of protocol §4 / §9 for one SmtpRequest; null when within bounds. */
export function checkRequestBounds(request: Pick<SmtpRequest, 'message' | 'dns_proof'>): SmtpError | null {
  const { message } = request;
  if (message.length > LIMITS.messageBytes) {
    return {
      ok: false,
      code: 552,
      message: `message of ${message.length} bytes exceeds ${LIMITS.messageBytes}`,
    };
  }
  const proof = request.dns_proof;
  if (proof && proof.length > LIMITS.proofBytes) {
    return {
      ok: false,
      code: 552,
      message: `DNS proof of ${proof.length} bytes exceeds ${LIMITS.proofBytes}`,
    };
  }
  const { fields, longestLine } = scanHeader(message);
  if (fields > LIMITS.headerFields) {
    return { ok: false, code: 554, message: `${fields} header fields exceed ${LIMITS.headerFields}` };
  }
  if (longestLine > LIMITS.headerLineBytes) {
    return {
      ok: false,
      code: 554,
      message: `a header line of ${longestLine} bytes exceeds ${LIMITS.headerLineBytes}`,
    };
  }
  return null;
}

/** Envelope rules, then bounds: what `smtp_request` answers before verification. */
export function validateRequest(request: SmtpRequest, mailHosts: readonly string[]): EnvelopeResult {
  const envelope = validateEnvelope(request.envelope, mailHosts);
  if (!envelope.ok) return envelope;
  return checkRequestBounds(request) ?? envelope;
}

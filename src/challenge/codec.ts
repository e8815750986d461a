/**
 * Compact binary encoding of a Challenge (types.ts) for the pending-challenge map in stable memory
 * (protocol.md §3, §9): read on every status query, so no JSON. Versioned and bounded; decoding never trusts a
 * length it has not checked and throws only ChallengeCodecError.
 *
 * Layout, version 1 (integers big-endian; str8 = u8 length + UTF-8; str16 = u16 length + UTF-8):
 * ```
 * u8  version = 1
 * u8  flags: bit 0 anchor present, bit 1 session key present (other bits must be 0)
 * u8  flow: 0 setup, 1 recovery
 * 20  nonce characters after "WX-" (ASCII base32)
 * str8 address
 * [u64 anchor] [u16 length + session key]
 * u64 createdAt, u64 expiresAt, u64 seq
 * u8  state tag, then its fields:
 *     0 Pending
 *     1 NeedProof   str8 domain, u8 n + n × str8 selector, u8 n + n × str8 key name, hash?
 *     2 Resolving   u8 n + n × str8 name, hash?
 *     3 SetupComplete str8 address
 *     4 RecoveryReady u64 anchor, u16 length + user key, u64 expiration
 *     5 Failed      str8 code, str16 message, u8 n + n × (str8 name, u8 status, str16 detail)
 *     6 Expired
 *     hash? = u8 0, or u8 1 + 32 bytes (SHA-256)
 * ```
 * Strings are UTF-8; a lone surrogate in a string (never produced by Waxseal) would come back as U+FFFD.
 */
import { isNonce, NONCE_CHARS, NONCE_PREFIX } from './nonce.ts';
import {
  type Challenge,
  type ChallengeState,
  type Check,
  type CheckStatus,
  type Flow,
  isChallengeCode,
  SESSION_KEY_MAX_BYTES,
} from './types.ts';

export const CODEC_VERSION = 1;

/** Bounds of the encoding (also what state builders clamp to, see `clampText`). */
export const CODEC_LIMITS = {
  /** Selectors, key names or DoH names in one state. */
  names: 16,
  checks: 128,
  /** UTF-8 bytes of a Failed message and of one check detail. */
  messageBytes: 2048,
  detailBytes: 1024,
  /** A canister-signature public key (DER) is about 60 bytes; room for any seed length. */
  userKeyBytes: 1024,
} as const;

export type CodecErrorCode = 'Empty' | 'UnsupportedVersion' | 'Truncated' | 'BadValue' | 'TrailingBytes';

export class ChallengeCodecError extends Error {
  override readonly name = 'ChallengeCodecError';
  constructor(
    readonly code: CodecErrorCode,
    detail: string,
  ) {
    super(detail);
  }
}

const STATE_TAGS = [
  'Pending',
  'NeedProof',
  'Resolving',
  'SetupComplete',
  'RecoveryReady',
  'Failed',
  'Expired',
] as const;
const STATUSES: readonly CheckStatus[] = ['Pass', 'Fail', 'Skipped'];
const FLOWS: readonly Flow[] = ['setup', 'recovery'];
const U64_MAX = (1n << 64n) - 1n;
const HASH_BYTES = 32;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Cuts `text` so that its UTF-8 form fits in `maxBytes`, without splitting a character; marks the cut with "…". */
export function clampText(text: string, maxBytes: number): string {
  if (encoder.encode(text).length <= maxBytes) return text;
  const chars = Array.from(text);
  let lo = 0;
  let hi = chars.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (encoder.encode(`${chars.slice(0, mid).join('')}…`).length <= maxBytes) lo = mid;
    else hi = mid - 1;
  }
  return `${chars.slice(0, lo).join('')}…`;
}

class Writer {
  private readonly parts: number[] = [];

  u8(v: number): void {
    this.parts.push(v & 0xff);
  }

  u16(v: number): void {
    this.parts.push((v >> 8) & 0xff, v & 0xff);
  }

  u64(v: bigint, what: string): void {
    if (v < 0n || v > U64_MAX) throw new ChallengeCodecError('BadValue', `${what} ${v} is not a u64`);
    for (let shift = 56n; shift >= 0n; shift -= 8n) this.parts.push(Number((v >> shift) & 0xffn));
  }

  bytes(b: Uint8Array): void {
    for (const x of b) this.parts.push(x);
  }

  blob16(b: Uint8Array, max: number, what: string): void {
    if (b.length > max)
      throw new ChallengeCodecError('BadValue', `${what} of ${b.length} bytes exceeds ${max}`);
    this.u16(b.length);
    this.bytes(b);
  }

  str(s: string, lengthBytes: 1 | 2, max: number, what: string): void {
    const b = encoder.encode(s);
    if (b.length > max)
      throw new ChallengeCodecError('BadValue', `${what} of ${b.length} bytes exceeds ${max}`);
    if (lengthBytes === 1) this.u8(b.length);
    else this.u16(b.length);
    this.bytes(b);
  }

  list(items: readonly string[], what: string): void {
    if (items.length > CODEC_LIMITS.names)
      throw new ChallengeCodecError('BadValue', `${items.length} ${what} exceed ${CODEC_LIMITS.names}`);
    this.u8(items.length);
    for (const s of items) this.str(s, 1, 255, what);
  }

  hash(h: Uint8Array | null): void {
    if (h === null) {
      this.u8(0);
      return;
    }
    if (h.length !== HASH_BYTES) throw new ChallengeCodecError('BadValue', 'message hash must be 32 bytes');
    this.u8(1);
    this.bytes(h);
  }

  done(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

class Reader {
  private pos = 0;

  constructor(private readonly buf: Uint8Array) {}

  private need(n: number, what: string): void {
    if (this.pos + n > this.buf.length) {
      throw new ChallengeCodecError('Truncated', `${what}: needs ${n} bytes at offset ${this.pos}`);
    }
  }

  u8(what: string): number {
    this.need(1, what);
    return this.buf[this.pos++]!;
  }

  u16(what: string): number {
    this.need(2, what);
    const v = (this.buf[this.pos]! << 8) | this.buf[this.pos + 1]!;
    this.pos += 2;
    return v;
  }

  u64(what: string): bigint {
    this.need(8, what);
    let v = 0n;
    for (let i = 0; i < 8; i++) v = (v << 8n) | BigInt(this.buf[this.pos + i]!);
    this.pos += 8;
    return v;
  }

  bytes(n: number, what: string): Uint8Array {
    this.need(n, what);
    const out = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  blob16(max: number, what: string): Uint8Array {
    const n = this.u16(what);
    if (n > max) throw new ChallengeCodecError('BadValue', `${what} of ${n} bytes exceeds ${max}`);
    return this.bytes(n, what);
  }

  str(lengthBytes: 1 | 2, max: number, what: string): string {
    const n = lengthBytes === 1 ? this.u8(what) : this.u16(what);
    if (n > max) throw new ChallengeCodecError('BadValue', `${what} of ${n} bytes exceeds ${max}`);
    try {
      return decoder.decode(this.bytes(n, what));
    } catch (e) {
      if (e instanceof ChallengeCodecError) throw e;
      throw new ChallengeCodecError('BadValue', `${what} is not UTF-8`);
    }
  }

  list(what: string): string[] {
    const n = this.u8(what);
    if (n > CODEC_LIMITS.names)
      throw new ChallengeCodecError('BadValue', `${n} ${what} exceed ${CODEC_LIMITS.names}`);
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(this.str(1, 255, what));
    return out;
  }

  hash(what: string): Uint8Array | null {
    const flag = this.u8(what);
    if (flag === 0) return null;
    if (flag !== 1) throw new ChallengeCodecError('BadValue', `${what}: flag ${flag}`);
    return this.bytes(HASH_BYTES, what);
  }

  end(): void {
    if (this.pos !== this.buf.length) {
      throw new ChallengeCodecError(
        'TrailingBytes',
        `${this.buf.length - this.pos} bytes after the challenge`,
      );
    }
  }
}

function encodeState(w: Writer, s: ChallengeState): void {
  w.u8(STATE_TAGS.indexOf(s.kind));
  switch (s.kind) {
    case 'Pending':
    case 'Expired':
      return;
    case 'NeedProof':
      w.str(s.domain, 1, 255, 'domain');
      w.list(s.selectors, 'selectors');
      w.list(s.keyNames, 'key names');
      w.hash(s.pendingMessageHash);
      return;
    case 'Resolving':
      w.list(s.names, 'names');
      w.hash(s.pendingMessageHash);
      return;
    case 'SetupComplete':
      w.str(s.address, 1, 255, 'address');
      return;
    case 'RecoveryReady':
      w.u64(s.anchor, 'anchor');
      w.blob16(s.userKey, CODEC_LIMITS.userKeyBytes, 'user key');
      w.u64(s.expiration, 'expiration');
      return;
    case 'Failed':
      if (!isChallengeCode(s.code)) throw new ChallengeCodecError('BadValue', `unknown code ${s.code}`);
      w.str(s.code, 1, 255, 'code');
      w.str(s.message, 2, CODEC_LIMITS.messageBytes, 'message');
      if (s.checks.length > CODEC_LIMITS.checks) {
        throw new ChallengeCodecError('BadValue', `${s.checks.length} checks exceed ${CODEC_LIMITS.checks}`);
      }
      w.u8(s.checks.length);
      for (const c of s.checks) {
        w.str(c.name, 1, 255, 'check name');
        w.u8(STATUSES.indexOf(c.status));
        w.str(c.detail, 2, CODEC_LIMITS.detailBytes, 'check detail');
      }
      return;
  }
}

function decodeState(r: Reader): ChallengeState {
  const tag = r.u8('state tag');
  const kind = STATE_TAGS[tag];
  switch (kind) {
    case 'Pending':
    case 'Expired':
      return { kind };
    case 'NeedProof':
      return {
        kind,
        domain: r.str(1, 255, 'domain'),
        selectors: r.list('selectors'),
        keyNames: r.list('key names'),
        pendingMessageHash: r.hash('message hash'),
      };
    case 'Resolving':
      return { kind, names: r.list('names'), pendingMessageHash: r.hash('message hash') };
    case 'SetupComplete':
      return { kind, address: r.str(1, 255, 'address') };
    case 'RecoveryReady':
      return {
        kind,
        anchor: r.u64('anchor'),
        userKey: r.blob16(CODEC_LIMITS.userKeyBytes, 'user key'),
        expiration: r.u64('expiration'),
      };
    case 'Failed': {
      const code = r.str(1, 255, 'code');
      if (!isChallengeCode(code)) throw new ChallengeCodecError('BadValue', `unknown code ${code}`);
      const message = r.str(2, CODEC_LIMITS.messageBytes, 'message');
      const n = r.u8('check count');
      if (n > CODEC_LIMITS.checks)
        throw new ChallengeCodecError('BadValue', `${n} checks exceed ${CODEC_LIMITS.checks}`);
      const checks: Check[] = [];
      for (let i = 0; i < n; i++) {
        const name = r.str(1, 255, 'check name');
        const status = STATUSES[r.u8('check status')];
        if (!status) throw new ChallengeCodecError('BadValue', 'unknown check status');
        checks.push({ name, status, detail: r.str(2, CODEC_LIMITS.detailBytes, 'check detail') });
      }
      return { kind, code, message, checks };
    }
    default:
      throw new ChallengeCodecError('BadValue', `unknown state tag ${tag}`);
  }
}

/** Encodes a challenge; throws ChallengeCodecError when a field is outside the bounds above. */
export function encodeChallenge(c: Challenge): Uint8Array {
  if (!isNonce(c.nonce)) throw new ChallengeCodecError('BadValue', `not a nonce: ${c.nonce}`);
  const w = new Writer();
  w.u8(CODEC_VERSION);
  w.u8((c.anchor !== null ? 1 : 0) | (c.sessionKey !== null ? 2 : 0));
  w.u8(FLOWS.indexOf(c.flow));
  w.bytes(encoder.encode(c.nonce.slice(NONCE_PREFIX.length)));
  w.str(c.address, 1, 255, 'address');
  if (c.anchor !== null) w.u64(c.anchor, 'anchor');
  if (c.sessionKey !== null) w.blob16(c.sessionKey, SESSION_KEY_MAX_BYTES, 'session key');
  w.u64(c.createdAt, 'createdAt');
  w.u64(c.expiresAt, 'expiresAt');
  w.u64(c.seq, 'seq');
  encodeState(w, c.state);
  return w.done();
}

/** Decodes what encodeChallenge wrote; throws ChallengeCodecError for anything else. */
export function decodeChallenge(bytes: Uint8Array): Challenge {
  if (bytes.length === 0) throw new ChallengeCodecError('Empty', 'no bytes');
  const r = new Reader(bytes);
  const version = r.u8('version');
  if (version !== CODEC_VERSION) {
    throw new ChallengeCodecError(
      'UnsupportedVersion',
      `version ${version}; this code reads ${CODEC_VERSION}`,
    );
  }
  const flags = r.u8('flags');
  if (flags & ~3) throw new ChallengeCodecError('BadValue', `unknown flags 0x${flags.toString(16)}`);
  const flow = FLOWS[r.u8('flow')];
  if (!flow) throw new ChallengeCodecError('BadValue', 'unknown flow');
  let nonce = NONCE_PREFIX;
  for (const b of r.bytes(NONCE_CHARS, 'nonce')) nonce += String.fromCharCode(b);
  if (!isNonce(nonce)) throw new ChallengeCodecError('BadValue', 'the nonce is not base32');
  const address = r.str(1, 255, 'address');
  const anchor = flags & 1 ? r.u64('anchor') : null;
  const sessionKey = flags & 2 ? r.blob16(SESSION_KEY_MAX_BYTES, 'session key') : null;
  const createdAt = r.u64('createdAt');
  const expiresAt = r.u64('expiresAt');
  const seq = r.u64('seq');
  const state = decodeState(r);
  r.end();
  return { nonce, flow, address, anchor, sessionKey, createdAt, expiresAt, seq, state };
}

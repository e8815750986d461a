/**
 * The small CBOR subset (RFC 8949) the IC uses for hash trees, certificates and canister signatures:
 * unsigned integers, byte strings, text strings, definite-length arrays and text-keyed maps, and the
 * self-describe tag 55799 (IC interface spec, "CBOR encoding of requests and responses" and
 * "Canister signatures").
 *
 * Pure: runs in QuickJS (Azle), browsers and Node. The writer is what the canister needs to return a
 * signature; the strict reader is what the off-chain verifier and the devnet's request decoder need, so that
 * truncated input, trailing bytes, indefinite lengths or duplicate map keys are rejected instead of silently
 * reinterpreted.
 */

import { utf8 } from '../encoding/bytes.ts';

/** Self-describe tag: `d9 d9 f7` in front of the value. */
export const SELF_DESCRIBE_TAG = 55799;

/** A tag wrapping one value. Only {@link SELF_DESCRIBE_TAG} is ever read back. */
export class CborTagged {
  constructor(
    readonly tag: number,
    readonly value: CborValue,
  ) {}
}

/**
 * Values the writer understands. Objects are text-keyed maps written in property order (so give keys in the
 * order the receiver expects; the IC never requires canonical order). Numbers must be non-negative safe integers.
 */
export type CborValue =
  | number
  | bigint
  | string
  | Uint8Array
  | CborTagged
  | readonly CborValue[]
  | { readonly [key: string]: CborValue };

export class CborError extends Error {
  override readonly name = 'CborError';
}

const MAJOR_UINT = 0;
const MAJOR_BYTES = 2;
const MAJOR_TEXT = 3;
const MAJOR_ARRAY = 4;
const MAJOR_MAP = 5;
const MAJOR_TAG = 6;
const MAX_U64 = (1n << 64n) - 1n;
/** Simple values 22 and 23 (RFC 8949 §3.3). */
const CBOR_NULL = 0xf6;
const CBOR_UNDEFINED = 0xf7;

/** Append-only CBOR writer over one growable buffer (no per-node concatenation). */
export class CborWriter {
  private buf: Uint8Array;
  private len = 0;

  constructor(initialCapacity = 256) {
    this.buf = new Uint8Array(Math.max(16, initialCapacity));
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  /** Initial byte plus argument, always in the shortest form (RFC 8949 §4.2.1 "preferred serialization"). */
  private head(major: number, arg: number | bigint): void {
    const m = major << 5;
    if (typeof arg === 'number') {
      if (!Number.isSafeInteger(arg) || arg < 0) throw new CborError(`not a CBOR unsigned argument: ${arg}`);
      if (arg < 24) {
        this.reserve(1);
        this.buf[this.len++] = m | arg;
        return;
      }
      if (arg <= 0xff) {
        this.reserve(2);
        this.buf[this.len++] = m | 24;
        this.buf[this.len++] = arg;
        return;
      }
      if (arg <= 0xffff) {
        this.reserve(3);
        this.buf[this.len++] = m | 25;
        this.buf[this.len++] = arg >>> 8;
        this.buf[this.len++] = arg & 0xff;
        return;
      }
      if (arg <= 0xffffffff) {
        this.reserve(5);
        this.buf[this.len++] = m | 26;
        this.buf[this.len++] = arg >>> 24;
        this.buf[this.len++] = (arg >>> 16) & 0xff;
        this.buf[this.len++] = (arg >>> 8) & 0xff;
        this.buf[this.len++] = arg & 0xff;
        return;
      }
      arg = BigInt(arg);
    }
    if (arg < 0n || arg > MAX_U64) throw new CborError(`not a CBOR unsigned argument: ${arg}`);
    if (arg <= 0xffffffffn) {
      this.head(major, Number(arg));
      return;
    }
    this.reserve(9);
    this.buf[this.len++] = m | 27;
    for (let shift = 56n; shift >= 0n; shift -= 8n) this.buf[this.len++] = Number((arg >> shift) & 0xffn);
  }

  uint(n: number | bigint): this {
    this.head(MAJOR_UINT, n);
    return this;
  }

  bytes(b: Uint8Array): this {
    return this.string(MAJOR_BYTES, b);
  }

  text(s: string): this {
    return this.string(MAJOR_TEXT, utf8(s));
  }

  /** A definite-length byte or text string: head, then the bytes (RFC 8949 §3.1, major types 2 and 3). */
  private string(major: number, b: Uint8Array): this {
    this.head(major, b.length);
    this.reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  /** Header of a definite-length array; the caller writes `n` items next. */
  arrayHeader(n: number): this {
    this.head(MAJOR_ARRAY, n);
    return this;
  }

  /** Header of a definite-length map; the caller writes `n` key/value pairs next. */
  mapHeader(n: number): this {
    this.head(MAJOR_MAP, n);
    return this;
  }

  tag(t: number): this {
    this.head(MAJOR_TAG, t);
    return this;
  }

  value(v: CborValue): this {
    if (typeof v === 'number' || typeof v === 'bigint') return this.uint(v);
    if (typeof v === 'string') return this.text(v);
    if (v instanceof Uint8Array) return this.bytes(v);
    if (v instanceof CborTagged) return this.tag(v.tag).value(v.value);
    if (Array.isArray(v)) {
      this.arrayHeader(v.length);
      for (const item of v as readonly CborValue[]) this.value(item);
      return this;
    }
    const entries = Object.entries(v as { readonly [key: string]: CborValue });
    this.mapHeader(entries.length);
    for (const [k, item] of entries) this.text(k).value(item);
    return this;
  }

  /** A copy of the bytes written so far. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

export function encodeCbor(v: CborValue): Uint8Array {
  return new CborWriter().value(v).finish();
}

/** `d9 d9 f7 · value`, as the IC writes certificates and canister signatures. */
export function encodeCborSelfDescribed(v: CborValue): Uint8Array {
  return new CborWriter().tag(SELF_DESCRIBE_TAG).value(v).finish();
}

/** Decoded map: null prototype, so keys such as `__proto__` are plain data. */
export type CborMap = { readonly [key: string]: CborDecoded };
/** What the reader returns: tags (only 55799) are stripped, maps are null-prototype objects. */
export type CborDecoded = number | bigint | string | Uint8Array | readonly CborDecoded[] | CborMap;

export interface DecodeOptions {
  /** Nesting limit (arrays, maps, tags); hash trees nest one level per node. Default 256. */
  maxDepth?: number;
  /**
   * Read a map value of `null` (0xf6) or `undefined` (0xf7) as an absent field. HttpAgent writes `undefined` for
   * unset optional fields (a delegation's `targets`, `permissions`) and the IC reads them as absent.
   */
  nullMeansAbsent?: boolean;
}

/**
 * Strict reader for the subset above. Rejects: truncation, trailing bytes, indefinite lengths, negative
 * integers, floats and simple values, tags other than 55799, non-text map keys, duplicate keys, invalid UTF-8.
 * Non-shortest integer encodings are accepted (the IC's own decoder accepts them too).
 */
export function decodeCbor(input: Uint8Array, options: DecodeOptions = {}): CborDecoded {
  const maxDepth = options.maxDepth ?? 256;
  const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
  let pos = 0;

  const need = (n: number): void => {
    if (n > input.length - pos) throw new CborError('truncated CBOR');
  };

  const readArg = (info: number): number | bigint => {
    if (info < 24) return info;
    if (info === 24) {
      need(1);
      return input[pos++]!;
    }
    if (info === 25) {
      need(2);
      const v = (input[pos]! << 8) | input[pos + 1]!;
      pos += 2;
      return v;
    }
    if (info === 26) {
      need(4);
      const v =
        ((input[pos]! << 24) | (input[pos + 1]! << 16) | (input[pos + 2]! << 8) | input[pos + 3]!) >>> 0;
      pos += 4;
      return v;
    }
    if (info === 27) {
      need(8);
      let v = 0n;
      for (let i = 0; i < 8; i++) v = (v << 8n) | BigInt(input[pos++]!);
      return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
    }
    throw new CborError(
      info === 31 ? 'indefinite lengths are not accepted' : `reserved additional info ${info}`,
    );
  };

  const readLength = (info: number): number => {
    const n = readArg(info);
    if (typeof n === 'bigint' || n > input.length - pos) throw new CborError('truncated CBOR');
    return n;
  };

  const item = (depth: number): CborDecoded => {
    if (depth > maxDepth) throw new CborError('CBOR nested too deeply');
    need(1);
    const ib = input[pos++]!;
    const major = ib >> 5;
    const info = ib & 0x1f;
    switch (major) {
      case MAJOR_UINT:
        return readArg(info);
      case MAJOR_BYTES: {
        const n = readLength(info);
        const out = input.slice(pos, pos + n);
        pos += n;
        return out;
      }
      case MAJOR_TEXT: {
        const n = readLength(info);
        let s: string;
        try {
          s = utf8Decoder.decode(input.subarray(pos, pos + n));
        } catch {
          throw new CborError('invalid UTF-8 in text string');
        }
        pos += n;
        return s;
      }
      case MAJOR_ARRAY: {
        // Every item takes at least one byte, so readLength's bound also caps the allocation.
        const n = readLength(info);
        const out: CborDecoded[] = [];
        for (let i = 0; i < n; i++) out.push(item(depth + 1));
        return out;
      }
      case MAJOR_MAP: {
        const n = readLength(info);
        const out: { [key: string]: CborDecoded } = Object.create(null);
        const absent = new Set<string>();
        for (let i = 0; i < n; i++) {
          const key = item(depth + 1);
          if (typeof key !== 'string') throw new CborError('map keys must be text strings');
          if (key in out || absent.has(key)) throw new CborError(`duplicate map key ${JSON.stringify(key)}`);
          if (options.nullMeansAbsent && (input[pos] === CBOR_NULL || input[pos] === CBOR_UNDEFINED)) {
            absent.add(key);
            pos++;
            continue;
          }
          out[key] = item(depth + 1);
        }
        return out;
      }
      case MAJOR_TAG: {
        const t = readArg(info);
        if (t !== SELF_DESCRIBE_TAG) throw new CborError(`unsupported tag ${t}`);
        return item(depth + 1);
      }
      default:
        throw new CborError(`unsupported CBOR major type ${major}`);
    }
  };

  const v = item(0);
  if (pos !== input.length) throw new CborError('trailing bytes after CBOR value');
  return v;
}

export function isCborMap(v: CborDecoded | undefined): v is CborMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

/**
 * The gateway's durable spool: one file per accepted message, written before the SMTP front end may reply 250.
 * RFC 5321 §6.1: a server that replied 250 to DATA "is accepting responsibility for delivering or relaying the
 * message" and "MUST NOT lose the message for frivolous reasons, such as because the host later crashes".
 *
 * The Postfix/Haraka pattern (design/gateway-notes.md §2), without a dependency: `put()` writes `<id>.tmp`,
 * fdatasyncs it, renames it to `<id>.msg` and fsyncs the folder, and resolves only then.
 * - kill -9: everything `put()` resolved for survives (the kernel keeps completed writes and renames); an
 *   unfinished `put()` leaves at most a `.tmp` file, discarded by the next `open()` (no 250 was sent for it).
 * - Power loss or a host crash: the same, as long as the disk honours fsync (both syncs above).
 * - `remove()` does not sync: after a power loss a delivered message may come back and be sent again, which the
 *   canister tolerates (`smtp_request` is idempotent per nonce).
 * One process per folder. fs calls share libuv's thread pool (4 threads unless UV_THREADPOOL_SIZE says more),
 * which bounds how many syncs run at once.
 *
 * File format (`"WXS1"` is the magic and version 1; integers big-endian):
 *   "WXS1" · u32 meta length · u32 message length · meta (UTF-8 JSON of SpoolMeta) · message · SHA-256(all before)
 * The message bytes are stored exactly as given and never rewritten (DKIM signs every byte). A file whose
 * lengths or hash disagree is corrupt: `open()` moves it to `quarantine/` (never deleting it silently), and so
 * does `read()` if it turns corrupt later.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { SmtpEnvelope } from '../challenge/envelope.ts';

export interface SpoolMeta {
  readonly envelope: SmtpEnvelope;
  readonly clientIp: string;
  /** ms since the epoch. */
  readonly receivedAt: number;
}

export interface SpoolEntry extends SpoolMeta {
  readonly id: string;
  /** Message bytes. */
  readonly size: number;
}

/** What `open()` found: messages kept, unfinished writes discarded, damaged files moved to `quarantine/`. */
export interface SpoolRecovery {
  readonly entries: number;
  readonly discardedTemp: number;
  readonly quarantined: number;
}

/** `Missing`: no such message. `Corrupt`: bad framing or hash. `BadId`: not a spool id (never a path). */
export type SpoolErrorCode = 'Missing' | 'Corrupt' | 'BadId';

export class SpoolError extends Error {
  override readonly name = 'SpoolError';
  constructor(
    readonly code: SpoolErrorCode,
    detail: string,
  ) {
    super(detail);
  }
}

const MAGIC = new TextEncoder().encode('WXS1');
const HEADER_BYTES = MAGIC.length + 4 + 4;
const HASH_BYTES = 32;
const MESSAGE_SUFFIX = '.msg';
const TEMP_SUFFIX = '.tmp';
const QUARANTINE = 'quarantine';
/** ms timestamp (12 hex digits, so ids sort by time) · per-process sequence · 48 random bits (across restarts). */
const ID = /^[0-9a-f]{12}-[0-9a-f]{8}-[0-9a-f]{12}$/;
const MAX_TIMESTAMP = 2 ** 48;

let sequence = 0;

function newId(receivedAt: number): string {
  sequence = (sequence + 1) % 2 ** 32;
  const time = Math.floor(receivedAt).toString(16).padStart(12, '0');
  return `${time}-${sequence.toString(16).padStart(8, '0')}-${randomBytes(6).toString('hex')}`;
}

function sha256(bytes: Uint8Array): Uint8Array {
  return createHash('sha256').update(bytes).digest();
}

/** The meta fields alone, copied: what the file stores and the index holds. */
function copyMeta(meta: SpoolMeta): SpoolMeta {
  return {
    envelope: { mail_from: meta.envelope.mail_from, rcpt_to: [...meta.envelope.rcpt_to] },
    clientIp: meta.clientIp,
    receivedAt: meta.receivedAt,
  };
}

export function encodeSpoolFile(meta: SpoolMeta, message: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(copyMeta(meta)));
  const body = HEADER_BYTES + json.length + message.length;
  const out = new Uint8Array(body + HASH_BYTES);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  view.setUint32(MAGIC.length, json.length);
  view.setUint32(MAGIC.length + 4, message.length);
  out.set(json, HEADER_BYTES);
  out.set(message, HEADER_BYTES + json.length);
  out.set(sha256(out.subarray(0, body)), body);
  return out;
}

function isMeta(v: unknown): v is SpoolMeta {
  if (typeof v !== 'object' || v === null) return false;
  const m = v as Record<string, unknown>;
  const env = m.envelope as Record<string, unknown> | null;
  return (
    typeof m.clientIp === 'string' &&
    typeof m.receivedAt === 'number' &&
    Number.isFinite(m.receivedAt) &&
    typeof env === 'object' &&
    env !== null &&
    typeof env.mail_from === 'string' &&
    Array.isArray(env.rcpt_to) &&
    env.rcpt_to.every((r) => typeof r === 'string')
  );
}

/**
 * Parses one spool file.
 * @throws SpoolError `Corrupt` for anything but an intact file (and nothing else, whatever the bytes).
 */
export function decodeSpoolFile(file: Uint8Array): { meta: SpoolMeta; message: Uint8Array } {
  const corrupt = (why: string) => new SpoolError('Corrupt', why);
  if (file.length < HEADER_BYTES + HASH_BYTES)
    throw corrupt(`${file.length} bytes is shorter than any spool file`);
  if (!MAGIC.every((b, i) => file[i] === b)) throw corrupt('not a version 1 spool file');
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const jsonLength = view.getUint32(MAGIC.length);
  const messageLength = view.getUint32(MAGIC.length + 4);
  const body = HEADER_BYTES + jsonLength + messageLength;
  if (body + HASH_BYTES !== file.length)
    throw corrupt(`length ${file.length}, framing says ${body + HASH_BYTES}`);
  const digest = sha256(file.subarray(0, body));
  if (!digest.every((b, i) => file[body + i] === b)) throw corrupt('SHA-256 mismatch');
  let meta: unknown;
  try {
    meta = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(
        file.subarray(HEADER_BYTES, HEADER_BYTES + jsonLength),
      ),
    );
  } catch (e) {
    throw corrupt(`meta is not JSON: ${(e as Error).message}`);
  }
  if (!isMeta(meta)) throw corrupt('meta lacks envelope, clientIp or receivedAt');
  // A copy in a plain Uint8Array of its own (a Buffer's slice would share the file's memory).
  return { meta: copyMeta(meta), message: new Uint8Array(file.subarray(HEADER_BYTES + jsonLength, body)) };
}

/** Oldest first: by receipt time, then id. */
export function compareEntries(a: SpoolEntry, b: SpoolEntry): number {
  return a.receivedAt - b.receivedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

async function syncDir(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function errnoOf(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException).code;
}

/**
 * Group commit for the folder's fsync: a caller waits for an fsync that started after its call (so after its
 * rename); callers arriving while one runs share the next.
 */
class DirSync {
  private running: Promise<void> | undefined;
  private next: Promise<void> | undefined;

  constructor(private readonly dir: string) {}

  sync(): Promise<void> {
    if (this.next) return this.next;
    const start = (): Promise<void> => {
      this.next = undefined;
      const run = syncDir(this.dir).finally(() => {
        if (this.running === run) this.running = undefined;
      });
      this.running = run;
      return run;
    };
    if (!this.running) return start();
    this.next = this.running.then(start, start);
    return this.next;
  }
}

export class Spool {
  private readonly index = new Map<string, SpoolEntry>();
  private readonly dirSync: DirSync;

  private constructor(readonly dir: string) {
    this.dirSync = new DirSync(dir);
  }

  /**
   * Opens (creating it if needed) the spool folder: discards unfinished writes, quarantines damaged or
   * unreadable messages and indexes the rest.
   */
  static async open(dir: string): Promise<{ spool: Spool; recovery: SpoolRecovery }> {
    const root = resolve(dir);
    const created = await mkdir(root, { recursive: true, mode: 0o700 });
    // A new folder must itself survive a power cut: sync each parent down from the first one created.
    if (created !== undefined) {
      for (let p = root; ; p = dirname(p)) {
        await syncDir(dirname(p));
        if (p === resolve(created)) break;
      }
    }
    const spool = new Spool(root);
    let discardedTemp = 0;
    let quarantined = 0;
    for (const d of await readdir(root, { withFileTypes: true })) {
      if (!d.isFile()) continue;
      if (d.name.endsWith(TEMP_SUFFIX)) {
        await rm(join(root, d.name), { force: true });
        discardedTemp++;
      } else if (d.name.endsWith(MESSAGE_SUFFIX)) {
        const entry = await spool.load(d.name);
        if (entry) spool.index.set(entry.id, entry);
        else {
          await spool.quarantine(d.name);
          quarantined++;
        }
      }
    }
    if (quarantined > 0) await Promise.all([syncDir(root), syncDir(join(root, QUARANTINE))]);
    return { spool, recovery: { entries: spool.index.size, discardedTemp, quarantined } };
  }

  /**
   * Stores a message durably (see the file header); only after this resolves may the client get its 250.
   * Safe to call many times at once.
   */
  async put(meta: SpoolMeta, message: Uint8Array): Promise<SpoolEntry> {
    if (!(meta.receivedAt >= 0 && meta.receivedAt < MAX_TIMESTAMP))
      throw new RangeError(`receivedAt ${meta.receivedAt} is not a time in ms since the epoch`);
    const id = newId(meta.receivedAt);
    const file = encodeSpoolFile(meta, message);
    const temp = join(this.dir, id + TEMP_SUFFIX);
    const final = join(this.dir, id + MESSAGE_SUFFIX);
    try {
      const handle = await open(temp, 'wx', 0o600);
      try {
        await handle.writeFile(file);
        await handle.datasync();
      } finally {
        await handle.close();
      }
      await rename(temp, final);
      await this.dirSync.sync();
    } catch (e) {
      // Not durable, so the client gets no 250: take back whatever was written (best effort; a leftover
      // `.tmp` goes at the next open).
      await Promise.all([rm(temp, { force: true }), rm(final, { force: true })]).catch(() => undefined);
      throw e;
    }
    const entry: SpoolEntry = { ...copyMeta(meta), id, size: message.length };
    this.index.set(id, entry);
    return entry;
  }

  /**
   * The exact bytes given to `put()`. A file found corrupt is quarantined and leaves the index, as does a
   * missing one.
   * @throws SpoolError `Missing`, `Corrupt` or `BadId`; other I/O errors as they come (they may pass).
   */
  async read(id: string): Promise<Uint8Array> {
    const name = messageName(id);
    let file: Buffer;
    try {
      file = await readFile(join(this.dir, name));
    } catch (e) {
      if (errnoOf(e) !== 'ENOENT') throw e;
      this.index.delete(id);
      throw new SpoolError('Missing', `no spooled message ${id}`);
    }
    try {
      return decodeSpoolFile(file).message;
    } catch (e) {
      this.index.delete(id);
      await this.quarantine(name);
      await Promise.all([syncDir(this.dir), syncDir(join(this.dir, QUARANTINE))]);
      throw e;
    }
  }

  /** Forgets a message (delivered, refused or expired). Idempotent. */
  async remove(id: string): Promise<void> {
    await rm(join(this.dir, messageName(id)), { force: true });
    this.index.delete(id);
  }

  /** The indexed messages, oldest first. */
  list(): readonly SpoolEntry[] {
    return [...this.index.values()].sort(compareEntries);
  }

  get depth(): number {
    return this.index.size;
  }

  /** Age of the oldest message; 0 when the spool is empty. */
  oldestAgeMs(now: number): number {
    let oldest = Number.POSITIVE_INFINITY;
    for (const e of this.index.values()) oldest = Math.min(oldest, e.receivedAt);
    return this.index.size === 0 ? 0 : Math.max(0, now - oldest);
  }

  /** The entry for an intact file, or null for one that is damaged or cannot be read. */
  private async load(name: string): Promise<SpoolEntry | null> {
    const id = name.slice(0, -MESSAGE_SUFFIX.length);
    if (!ID.test(id)) return null;
    try {
      const { meta, message } = decodeSpoolFile(await readFile(join(this.dir, name)));
      return { ...meta, id, size: message.length };
    } catch {
      return null;
    }
  }

  private async quarantine(name: string): Promise<void> {
    await mkdir(join(this.dir, QUARANTINE), { recursive: true, mode: 0o700 });
    try {
      await rename(join(this.dir, name), join(this.dir, QUARANTINE, name));
    } catch (e) {
      if (errnoOf(e) !== 'ENOENT') throw e;
    }
  }
}

function messageName(id: string): string {
  if (!ID.test(id)) throw new SpoolError('BadId', `not a spool id: ${JSON.stringify(id)}`);
  return id + MESSAGE_SUFFIX;
}

// The devnet's data folder: what a replica keeps on disk, reduced to one canister (issue 9, "Persistence").
//
//   devnet.json       identity of the deployment: canister id, controllers, the BLS root key and the Ed25519
//                     node key (secret halves, so a restart keeps every certificate and delegation valid)
//   stable.snapshot   one record (format below) holding every non-zero 4 KiB block of stable memory
//   journal.wal       records appended after the snapshot: the blocks each round of messages changed
//
// A record is `"WXJ1" · u32 length · payload · SHA-256(payload)`, the payload
// `u64 time · u64 stable size in pages · u64 canister version · u32 n · n × (u64 block index · 4096 bytes) ·
// u32 m · m bytes of JSON (the request statuses the round answered)`. A record is written before any call in it is
// answered, so `kill -9` loses nothing that was answered (the kernel keeps what was written). fdatasyncs follow
// in the background, grouped; with `--fsync` the devnet also waits for them before answering, so that a power cut
// loses nothing answered either. A torn last record (the process or machine died while writing it) fails its
// hash and is cut off on load; it belonged to a round nobody was answered for.
//
// Compaction writes a new snapshot beside the old one, fsyncs it, renames it over, fsyncs the folder and only
// then empties the journal. A crash in between leaves the new snapshot with the old journal; replaying the
// journal over it is harmless because each record holds whole blocks in order and the snapshot equals the state
// after the last of them.

import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fdatasync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DIRTY_BLOCK, StableMemory } from '../host/memory.ts';

const fdatasyncAsync = promisify(fdatasync);

const MAGIC = new TextEncoder().encode('WXJ1');
const HASH_BYTES = 32;
const HEADER_BYTES = MAGIC.length + 4;
/** Compact once the journal is this large (replaying it is what makes a restart slow). */
const COMPACT_AT_BYTES = 64 * 1024 * 1024;

/** The deployment facts that never change after creation. */
export interface DevnetIdentity {
  format: 1;
  canisterId: string;
  controllers: string[];
  /** Hex of the 32-byte BLS12-381 secret key whose public key is the root key. */
  rootSecretKey: string;
  /** Hex of the 32-byte Ed25519 seed of the node that signs query responses. */
  nodeSecretKey: string;
}

/** One answered request, kept until its ingress expiry so a replay is recognised even across a restart. */
export interface StoredStatus {
  id: string;
  expiry: string;
  sender: string;
  canister: string;
  status: 'replied' | 'rejected';
  reply?: string;
  rejectCode?: number;
  rejectMessage?: string;
  errorCode?: string;
}

export interface Loaded {
  identity: DevnetIdentity;
  stable: StableMemory;
  /** Host time of the last committed round (ns). */
  timeNs: bigint;
  version: bigint;
  statuses: StoredStatus[];
  /** Records replayed from the journal, and whether a torn tail was cut off. */
  replayed: number;
  tornTail: boolean;
}

export class DataFolderError extends Error {
  override name = 'DataFolderError';
}

interface DecodedRecord {
  timeNs: bigint;
  sizePages: bigint;
  version: bigint;
  blocks: [bigint, Uint8Array][];
  statuses: StoredStatus[];
}

function encodeRecord(
  timeNs: bigint,
  sizePages: bigint,
  version: bigint,
  blocks: Iterable<[bigint, Uint8Array]>,
  statuses: readonly StoredStatus[],
): Uint8Array {
  const list = [...blocks];
  const meta = new TextEncoder().encode(JSON.stringify(statuses));
  const payloadLength = 8 * 3 + 4 + list.length * (8 + DIRTY_BLOCK) + 4 + meta.length;
  const out = new Uint8Array(HEADER_BYTES + payloadLength + HASH_BYTES);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  view.setUint32(4, payloadLength);
  let at = HEADER_BYTES;
  view.setBigUint64(at, timeNs);
  view.setBigUint64(at + 8, sizePages);
  view.setBigUint64(at + 16, version);
  view.setUint32(at + 24, list.length);
  at += 28;
  for (const [index, bytes] of list) {
    view.setBigUint64(at, index);
    out.set(bytes, at + 8);
    at += 8 + DIRTY_BLOCK;
  }
  view.setUint32(at, meta.length);
  out.set(meta, at + 4);
  at += 4 + meta.length;
  out.set(sha256(out.subarray(HEADER_BYTES, at)), at);
  return out;
}

/** The record at `offset`, or null when it is incomplete or damaged (a torn write). */
function decodeRecord(buf: Uint8Array, offset: number): { record: DecodedRecord; next: number } | null {
  if (buf.length - offset < HEADER_BYTES) return null;
  if (!MAGIC.every((b, i) => buf[offset + i] === b)) return null;
  const view = new DataView(buf.buffer, buf.byteOffset);
  const length = view.getUint32(offset + 4);
  const start = offset + HEADER_BYTES;
  const end = start + length;
  if (length < 32 || end + HASH_BYTES > buf.length) return null;
  const digest = sha256(buf.subarray(start, end));
  if (!digest.every((b, i) => buf[end + i] === b)) return null;
  const n = view.getUint32(start + 24);
  let at = start + 28;
  if (at + n * (8 + DIRTY_BLOCK) + 4 > end) return null;
  const blocks: [bigint, Uint8Array][] = [];
  for (let i = 0; i < n; i++) {
    blocks.push([view.getBigUint64(at), buf.slice(at + 8, at + 8 + DIRTY_BLOCK)]);
    at += 8 + DIRTY_BLOCK;
  }
  const metaLength = view.getUint32(at);
  if (at + 4 + metaLength !== end) return null;
  const statuses = JSON.parse(new TextDecoder().decode(buf.subarray(at + 4, end))) as StoredStatus[];
  return {
    record: {
      timeNs: view.getBigUint64(start),
      sizePages: view.getBigUint64(start + 8),
      version: view.getBigUint64(start + 16),
      blocks,
      statuses,
    },
    next: end + HASH_BYTES,
  };
}

function sha256(bytes: Uint8Array): Uint8Array {
  return createHash('sha256').update(bytes).digest();
}

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes `bytes` to `path` atomically: temporary file, fsync, rename, fsync of the folder. */
function writeDurably(dir: string, name: string, bytes: Uint8Array | string): void {
  const tmp = join(dir, `${name}.tmp`);
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, join(dir, name));
  fsyncPath(dir);
}

function isZero(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b !== 0) return false;
  return true;
}

/** Every non-zero block of a memory, for a snapshot. */
function* residentBlocks(stable: StableMemory): Generator<[bigint, Uint8Array]> {
  const perPage = BigInt(65_536 / DIRTY_BLOCK);
  const pages = [...stable.residentPageEntries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [page, data] of pages) {
    for (let i = 0; i < 65_536 / DIRTY_BLOCK; i++) {
      const block = data.subarray(i * DIRTY_BLOCK, (i + 1) * DIRTY_BLOCK);
      if (!isZero(block)) yield [page * perPage + BigInt(i), block];
    }
  }
}

/** The data folder of one devnet. Not safe for two processes at once (the CLI holds a lock file). */
export class DataFolder {
  private journalFd?: number;
  private journalBytes = 0;
  /** The fdatasync running now, if any. */
  private syncing?: Promise<void>;
  /** The fdatasync queued behind it, which every record appended meanwhile waits for (group commit). */
  private queuedSync?: Promise<void>;

  constructor(readonly dir: string) {}

  get exists(): boolean {
    return existsSync(join(this.dir, 'devnet.json'));
  }

  /** Removes everything the devnet wrote (for `--clean`); other files in the folder are left alone. */
  clean(): void {
    for (const name of [
      'devnet.json',
      'stable.snapshot',
      'journal.wal',
      'stable.snapshot.tmp',
      'devnet.json.tmp',
    ])
      rmSync(join(this.dir, name), { force: true });
  }

  /** Starts a new deployment: writes its identity and an empty snapshot and journal. */
  create(identity: DevnetIdentity, stable: StableMemory, timeNs: bigint, version: bigint): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    writeDurably(this.dir, 'devnet.json', `${JSON.stringify(identity, null, 2)}\n`);
    this.writeSnapshot(stable, timeNs, version, []);
  }

  load(): Loaded {
    let identity: DevnetIdentity;
    try {
      identity = JSON.parse(readFileSync(join(this.dir, 'devnet.json'), 'utf8')) as DevnetIdentity;
    } catch (e) {
      throw new DataFolderError(`${join(this.dir, 'devnet.json')} is unreadable: ${(e as Error).message}`);
    }
    if (identity.format !== 1) throw new DataFolderError(`unknown data folder format ${identity.format}`);
    const snapshotPath = join(this.dir, 'stable.snapshot');
    if (!existsSync(snapshotPath)) throw new DataFolderError(`${snapshotPath} is missing`);
    const snapshot = decodeRecord(new Uint8Array(readFileSync(snapshotPath)), 0);
    if (!snapshot) throw new DataFolderError(`${snapshotPath} is damaged (hash mismatch)`);
    const stable = new StableMemory();
    const statuses = new Map<string, StoredStatus>();
    const apply = (r: DecodedRecord) => {
      if (r.sizePages > stable.size) stable.grow(r.sizePages - stable.size);
      for (const [index, bytes] of r.blocks) stable.load(index * BigInt(DIRTY_BLOCK), bytes);
      for (const s of r.statuses) statuses.set(s.id, s);
    };
    apply(snapshot.record);
    let { timeNs, version } = snapshot.record;
    const journalPath = join(this.dir, 'journal.wal');
    const journal = existsSync(journalPath) ? new Uint8Array(readFileSync(journalPath)) : new Uint8Array(0);
    let offset = 0;
    let replayed = 0;
    for (;;) {
      const next = decodeRecord(journal, offset);
      if (!next) break;
      apply(next.record);
      timeNs = next.record.timeNs;
      version = next.record.version;
      offset = next.next;
      replayed++;
    }
    const tornTail = offset < journal.length;
    if (tornTail) {
      const fd = openSync(journalPath, 'r+');
      try {
        ftruncateSync(fd, offset);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
    return { identity, stable, timeNs, version, statuses: [...statuses.values()], replayed, tornTail };
  }

  /**
   * Appends one round, the blocks it changed and the statuses it answered. The write is synchronous: once this
   * returns, the record is in the kernel's page cache, which the death of this process (`kill -9`) cannot lose.
   * The promise resolves once an fdatasync begun after the write has finished, which a power cut cannot undo
   * either. One fdatasync runs at a time; the records written meanwhile share the next one (group commit).
   * A failed write is cut back off the file, so later records never follow a torn one.
   */
  append(
    timeNs: bigint,
    version: bigint,
    dirty: { sizePages: bigint; blocks: Map<bigint, Uint8Array> },
    statuses: readonly StoredStatus[],
  ): Promise<void> {
    if (this.journalFd === undefined) {
      this.journalFd = openSync(join(this.dir, 'journal.wal'), 'a', 0o600);
      this.journalBytes = fstatSync(this.journalFd).size;
    }
    const fd = this.journalFd;
    const record = encodeRecord(timeNs, dirty.sizePages, version, dirty.blocks, statuses);
    try {
      let written = 0;
      while (written < record.length) written += writeSync(fd, record, written, record.length - written);
    } catch (e) {
      ftruncateSync(fd, this.journalBytes);
      throw e;
    }
    this.journalBytes += record.length;
    return this.sync(fd);
  }

  /** An fdatasync that starts after every write so far: the one queued behind the running one, or a new one. */
  private sync(fd: number): Promise<void> {
    if (!this.syncing) {
      const running: Promise<void> = fdatasyncAsync(fd).finally(() => {
        if (this.syncing === running) this.syncing = undefined;
      });
      this.syncing = running;
      return running;
    }
    this.queuedSync ??= this.syncing
      .catch(() => {})
      .then(() => {
        this.queuedSync = undefined;
        return this.sync(fd);
      });
    return this.queuedSync;
  }

  /** Resolves when no fdatasync is running or queued (whether they succeeded or not). */
  async idle(): Promise<void> {
    while (this.syncing || this.queuedSync) await Promise.allSettled([this.syncing, this.queuedSync]);
  }

  /** True when the journal has grown past the compaction threshold. */
  get shouldCompact(): boolean {
    return this.journalBytes >= COMPACT_AT_BYTES;
  }

  /**
   * Folds the journal into a new snapshot of `stable` (which must hold every committed change). Call it only when
   * `idle()` has resolved, so no journal write is in flight.
   */
  compact(stable: StableMemory, timeNs: bigint, version: bigint, statuses: readonly StoredStatus[]): void {
    this.writeSnapshot(stable, timeNs, version, statuses);
    if (this.journalFd !== undefined) {
      closeSync(this.journalFd);
      this.journalFd = undefined;
    }
    writeFileSync(join(this.dir, 'journal.wal'), new Uint8Array(0), { mode: 0o600 });
    fsyncPath(join(this.dir, 'journal.wal'));
    this.journalBytes = 0;
  }

  close(): void {
    if (this.journalFd !== undefined) closeSync(this.journalFd);
    this.journalFd = undefined;
  }

  private writeSnapshot(
    stable: StableMemory,
    timeNs: bigint,
    version: bigint,
    statuses: readonly StoredStatus[],
  ): void {
    writeDurably(
      this.dir,
      'stable.snapshot',
      encodeRecord(timeNs, stable.size, version, residentBlocks(stable), statuses),
    );
  }
}

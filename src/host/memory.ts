// Stable memory for the Node IC host (IC interface spec, "System API" → "Stable memory": `ic0.stable64_*` and the
// legacy 32-bit `ic0.stable_*`). Sparse: only pages that were written are stored, because the ic-stable-structures
// MemoryManager used by Azle grows stable memory in 8 MiB buckets (ic-notes §2.5). Writes are journaled
// (copy-on-write per page) so that a message that traps, and every query, can be rolled back.

import { CanisterTrap } from './types.ts';

export const WASM_PAGE = 65_536;
const PAGE = BigInt(WASM_PAGE);
/** Granularity of dirty tracking for persistence: a 4 KiB block (a typical file-system block). */
export const DIRTY_BLOCK = 4096;
const BLOCK = BigInt(DIRTY_BLOCK);
/** 500 GiB (ic-notes §2.5), in 64 KiB pages. */
export const DEFAULT_MAX_STABLE_PAGES = (500n * 1024n ** 3n) / PAGE;

export class StableMemory {
  private pages = new Map<bigint, Uint8Array>();
  private sizePages = 0n;
  private journal?: { size: bigint; pages: Map<bigint, Uint8Array | undefined>; blocks: Set<bigint> };
  /** Blocks written by committed messages since the last `takeDirtyBlocks` (persistence writes only these). */
  private dirtyBlocks = new Set<bigint>();

  constructor(readonly maxPages: bigint = DEFAULT_MAX_STABLE_PAGES) {}

  /** Current size in 64 KiB pages. */
  get size(): bigint {
    return this.sizePages;
  }

  /** Number of pages that hold data (for diagnostics). */
  get residentPages(): number {
    return this.pages.size;
  }

  /** `stable64_grow`: returns the previous size, or -1 when the limit would be exceeded. */
  grow(newPages: bigint): bigint {
    const old = this.sizePages;
    if (newPages < 0n || old + newPages > this.maxPages) return -1n;
    this.sizePages = old + newPages;
    return old;
  }

  private checkBounds(offset: bigint, length: bigint, what: string): void {
    if (offset < 0n || length < 0n || offset + length > this.sizePages * PAGE) {
      throw new CanisterTrap(
        `${what}: stable memory out of bounds (offset ${offset}, size ${length}, stable memory size ${this.sizePages * PAGE} bytes)`,
      );
    }
  }

  read(offset: bigint, length: number): Uint8Array {
    this.checkBounds(offset, BigInt(length), 'stable64_read');
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const at = offset + BigInt(done);
      const page = at / PAGE;
      const inPage = Number(at % PAGE);
      const n = Math.min(length - done, WASM_PAGE - inPage);
      const data = this.pages.get(page);
      if (data) out.set(data.subarray(inPage, inPage + n), done);
      done += n;
    }
    return out;
  }

  write(offset: bigint, bytes: Uint8Array): void {
    this.checkBounds(offset, BigInt(bytes.length), 'stable64_write');
    let done = 0;
    while (done < bytes.length) {
      const at = offset + BigInt(done);
      const page = at / PAGE;
      const inPage = Number(at % PAGE);
      const n = Math.min(bytes.length - done, WASM_PAGE - inPage);
      let data = this.pages.get(page);
      if (this.journal && !this.journal.pages.has(page)) this.journal.pages.set(page, data?.slice());
      if (!data) {
        data = new Uint8Array(WASM_PAGE);
        this.pages.set(page, data);
      }
      data.set(bytes.subarray(done, done + n), inPage);
      done += n;
    }
    if (bytes.length > 0) {
      const blocks = this.journal?.blocks ?? this.dirtyBlocks;
      for (let b = offset / BLOCK; b <= (offset + BigInt(bytes.length) - 1n) / BLOCK; b++) blocks.add(b);
    }
  }

  /**
   * The 4 KiB blocks changed by committed messages since the previous call, with their current contents, and the
   * size; the set is then cleared. Blocks of pages never written read as zeros.
   */
  takeDirtyBlocks(): { sizePages: bigint; blocks: Map<bigint, Uint8Array> } {
    const blocks = new Map<bigint, Uint8Array>();
    for (const b of [...this.dirtyBlocks].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0))) {
      if ((b + 1n) * BLOCK > this.sizePages * PAGE) continue; // shrunk away by a rollback of a grow
      blocks.set(b, this.read(b * BLOCK, DIRTY_BLOCK));
    }
    this.dirtyBlocks.clear();
    return { sizePages: this.sizePages, blocks };
  }

  /** Writes bytes loaded from disk (a snapshot page or a journaled block) without marking them dirty. */
  load(offset: bigint, bytes: Uint8Array): void {
    const saved = this.dirtyBlocks;
    this.dirtyBlocks = new Set();
    this.write(offset, bytes);
    this.dirtyBlocks = saved;
  }

  /** Every resident page, for a snapshot of the whole memory (pages never written are left out). */
  residentPageEntries(): IterableIterator<[bigint, Uint8Array]> {
    return this.pages.entries();
  }

  /** Starts recording changes; `rollback` undoes everything since then, `commit` keeps it. */
  begin(): void {
    if (this.journal) throw new Error('StableMemory: transaction already open');
    this.journal = { size: this.sizePages, pages: new Map(), blocks: new Set() };
  }

  commit(): void {
    for (const b of this.journal?.blocks ?? []) this.dirtyBlocks.add(b);
    this.journal = undefined;
  }

  rollback(): void {
    const j = this.journal;
    if (!j) return;
    for (const [page, original] of j.pages) {
      if (original) this.pages.set(page, original);
      else this.pages.delete(page);
    }
    this.sizePages = j.size;
    this.journal = undefined;
  }

  get inTransaction(): boolean {
    return this.journal !== undefined;
  }

  /** A deep copy (used to make an upgrade atomic). */
  clone(): StableMemory {
    const copy = new StableMemory(this.maxPages);
    for (const [page, data] of this.pages) copy.pages.set(page, data.slice());
    copy.sizePages = this.sizePages;
    copy.dirtyBlocks = new Set(this.dirtyBlocks);
    return copy;
  }

  /** Whole stable memory as one buffer (tests, debugging; avoid for large memories). */
  toBytes(): Uint8Array {
    return this.read(0n, Number(this.sizePages * PAGE));
  }
}

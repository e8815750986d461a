// Minimal WebAssembly binary reader/patcher (WebAssembly Core Specification §5 "Binary Format": §5.5 modules and
// sections, §5.2.2 LEB128 integers, custom "name" section in Appendix §7.4).
//
// The host needs two things the Azle canister module does not export (ic-notes §4.1, §4.5):
//   * the function table, because `ic0.call_new` passes reply/reject callbacks as table indices;
//   * the mutable globals (the `__stack_pointer`, and the counters injected by `ic-wasm instrument`), so that a
//     snapshot can be restored in place and the instruction counter can be read.
// `prepareWasm` appends those exports to the export section; nothing else in the module changes.

const SECTION_IMPORT = 2;
const SECTION_TABLE = 4;
const SECTION_GLOBAL = 6;
const SECTION_EXPORT = 7;

const EXTERN_FUNC = 0;
const EXTERN_TABLE = 1;
const EXTERN_MEMORY = 2;
const EXTERN_GLOBAL = 3;

export const HOST_TABLE_EXPORT = '__host_table';
export const HOST_GLOBAL_EXPORT_PREFIX = '__host_global_';

export type ValType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128' | 'ref';

export interface WasmGlobalInfo {
  index: number;
  type: ValType;
  mutable: boolean;
  imported: boolean;
  name?: string;
}

export interface WasmExportInfo {
  name: string;
  kind: 'func' | 'table' | 'memory' | 'global' | 'tag';
  index: number;
}

export interface WasmModuleInfo {
  globals: WasmGlobalInfo[];
  exports: WasmExportInfo[];
  hasTable: boolean;
  tableExport?: string;
}

export interface PreparedWasm {
  /** The patched module bytes. */
  bytes: Uint8Array;
  module: WebAssembly.Module;
  info: WasmModuleInfo;
  /** Export name of the function table, if the module has one. */
  tableExport?: string;
  /** Mutable globals by index → export name (existing or added). */
  mutableGlobals: Map<number, string>;
  /** Export name of the `ic-wasm instrument` instruction counter, when instrumented. */
  instructionCounterExport?: string;
  /** Export name of the `ic-wasm instrument` `is_init` flag, when instrumented. */
  isInitExport?: string;
}

interface Section {
  id: number;
  start: number; // offset of the id byte
  contentStart: number;
  end: number;
}

class Reader {
  constructor(
    readonly bytes: Uint8Array,
    public pos = 0,
  ) {}
  byte(): number {
    if (this.pos >= this.bytes.length) throw new Error('wasm: unexpected end of input');
    return this.bytes[this.pos++]!;
  }
  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
      if (shift > 35) throw new Error('wasm: LEB128 too long');
    }
  }
  skipLeb(): void {
    while ((this.byte() & 0x80) !== 0) {
      /* skip */
    }
  }
  name(): string {
    const len = this.u32();
    const s = new TextDecoder().decode(this.bytes.subarray(this.pos, this.pos + len));
    this.pos += len;
    return s;
  }
  skip(n: number): void {
    this.pos += n;
  }
}

function valType(b: number): ValType {
  switch (b) {
    case 0x7f:
      return 'i32';
    case 0x7e:
      return 'i64';
    case 0x7d:
      return 'f32';
    case 0x7c:
      return 'f64';
    case 0x7b:
      return 'v128';
    default:
      return 'ref';
  }
}

function skipLimits(r: Reader): void {
  const flags = r.byte();
  r.skipLeb();
  if (flags & 1) r.skipLeb();
}

/** Skips a constant expression (§5.4.9), including the extended-const arithmetic opcodes. */
function skipConstExpr(r: Reader): void {
  for (;;) {
    const op = r.byte();
    switch (op) {
      case 0x0b:
        return;
      case 0x41:
      case 0x42:
      case 0x23:
      case 0xd2:
        r.skipLeb();
        break;
      case 0x43:
        r.skip(4);
        break;
      case 0x44:
        r.skip(8);
        break;
      case 0xd0:
        r.byte();
        break;
      case 0x6a:
      case 0x6b:
      case 0x6c:
      case 0x7c:
      case 0x7d:
      case 0x7e:
        break;
      default:
        throw new Error(`wasm: unsupported opcode 0x${op.toString(16)} in a constant expression`);
    }
  }
}

function readSections(bytes: Uint8Array): Section[] {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new Error('not a WebAssembly module (bad magic)');
  }
  const r = new Reader(bytes, 8);
  const sections: Section[] = [];
  while (r.pos < bytes.length) {
    const start = r.pos;
    const id = r.byte();
    const size = r.u32();
    const contentStart = r.pos;
    r.skip(size);
    if (r.pos > bytes.length) throw new Error('wasm: section extends past the end of the module');
    sections.push({ id, start, contentStart, end: r.pos });
  }
  return sections;
}

const EXPORT_KINDS: WasmExportInfo['kind'][] = ['func', 'table', 'memory', 'global', 'tag'];

/** Reads imports, globals, exports, the presence of a table and the global names from the name section. */
export function inspectWasm(bytes: Uint8Array): WasmModuleInfo {
  const sections = readSections(bytes);
  const globals: WasmGlobalInfo[] = [];
  const exports: WasmExportInfo[] = [];
  let hasTable = false;
  const globalNames = new Map<number, string>();
  for (const s of sections) {
    const r = new Reader(bytes, s.contentStart);
    if (s.id === SECTION_IMPORT) {
      const n = r.u32();
      for (let i = 0; i < n; i++) {
        r.name();
        r.name();
        const kind = r.byte();
        if (kind === EXTERN_FUNC) r.skipLeb();
        else if (kind === EXTERN_TABLE) {
          r.byte();
          skipLimits(r);
          hasTable = true;
        } else if (kind === EXTERN_MEMORY) skipLimits(r);
        else if (kind === EXTERN_GLOBAL) {
          const type = valType(r.byte());
          const mutable = r.byte() === 1;
          globals.push({ index: globals.length, type, mutable, imported: true });
        } else if (kind === 4) {
          r.byte();
          r.skipLeb();
        } else throw new Error(`wasm: unknown import kind ${kind}`);
      }
    } else if (s.id === SECTION_TABLE) {
      if (r.u32() > 0) hasTable = true;
    } else if (s.id === SECTION_GLOBAL) {
      const n = r.u32();
      for (let i = 0; i < n; i++) {
        const type = valType(r.byte());
        const mutable = r.byte() === 1;
        skipConstExpr(r);
        globals.push({ index: globals.length, type, mutable, imported: false });
      }
    } else if (s.id === SECTION_EXPORT) {
      const n = r.u32();
      for (let i = 0; i < n; i++) {
        const name = r.name();
        const kind = EXPORT_KINDS[r.byte()] ?? 'func';
        exports.push({ name, kind, index: r.u32() });
      }
    } else if (s.id === 0) {
      const name = r.name();
      if (name === 'name') readGlobalNames(r, s.end, globalNames);
    }
  }
  for (const g of globals) {
    const name = globalNames.get(g.index);
    if (name !== undefined) g.name = name;
  }
  const tableExport = exports.find((e) => e.kind === 'table' && e.index === 0)?.name;
  return { globals, exports, hasTable, ...(tableExport === undefined ? {} : { tableExport }) };
}

function readGlobalNames(r: Reader, end: number, out: Map<number, string>): void {
  try {
    while (r.pos < end) {
      const id = r.byte();
      const size = r.u32();
      const next = r.pos + size;
      if (id === 7) {
        const n = r.u32();
        for (let i = 0; i < n; i++) {
          const idx = r.u32();
          out.set(idx, r.name());
        }
      }
      r.pos = next;
    }
  } catch {
    // A malformed name section is ignored, as engines do.
  }
}

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

function encodeName(s: string): number[] {
  const b = new TextEncoder().encode(s);
  return [...leb(b.length), ...b];
}

/** Returns `bytes` with the given exports appended to the export section (creating one if needed). */
export function addExports(bytes: Uint8Array, extra: WasmExportInfo[]): Uint8Array {
  if (extra.length === 0) return bytes;
  const sections = readSections(bytes);
  const existing = sections.find((s) => s.id === SECTION_EXPORT);
  let count = 0;
  let body: Uint8Array = new Uint8Array(0);
  if (existing) {
    const r = new Reader(bytes, existing.contentStart);
    count = r.u32();
    body = bytes.subarray(r.pos, existing.end);
  }
  const added: number[] = [];
  for (const e of extra) added.push(...encodeName(e.name), EXPORT_KINDS.indexOf(e.kind), ...leb(e.index));
  const content = [...leb(count + extra.length), ...body, ...added];
  const section = Uint8Array.from([SECTION_EXPORT, ...leb(content.length), ...content]);
  // Insert in place of the old section, or after the last section with a smaller id (sections are ordered).
  let at: number;
  let skipTo: number;
  if (existing) {
    at = existing.start;
    skipTo = existing.end;
  } else {
    const before = sections.filter((s) => s.id !== 0 && s.id < SECTION_EXPORT).at(-1);
    at = before ? before.end : 8;
    skipTo = at;
  }
  const out = new Uint8Array(at + section.length + (bytes.length - skipTo));
  out.set(bytes.subarray(0, at), 0);
  out.set(section, at);
  out.set(bytes.subarray(skipTo), at + section.length);
  return out;
}

/**
 * The counter global that `ic-wasm instrument` adds (ic-notes §4.6): an existing export named
 * `__host_instr_counter` (scripts/build-canister.sh exports it so), else the global named `total_counter` when the
 * name section survives, else global #1 of an instrumented Azle module (#0 is the `__stack_pointer`). Likewise
 * `is_init` (`__host_is_init`, or #4).
 */
function findInstrumentation(info: WasmModuleInfo): { counter?: number; isInit?: number } {
  const exported = (n: string) => info.exports.find((e) => e.kind === 'global' && e.name === n)?.index;
  const instrumented =
    info.exports.some((e) => e.name === 'canister_query __get_cycles') ||
    exported('__host_instr_counter') !== undefined;
  if (!instrumented) return {};
  const byName = (n: string) => info.globals.find((g) => g.name === n)?.index;
  const counter = exported('__host_instr_counter') ?? byName('total_counter') ?? 1;
  const isInit = exported('__host_is_init') ?? byName('is_init') ?? 4;
  const ok = (i: number, t: ValType) => info.globals[i]?.mutable === true && info.globals[i]?.type === t;
  return { ...(ok(counter, 'i64') ? { counter } : {}), ...(ok(isInit, 'i32') ? { isInit } : {}) };
}

/** Patches and compiles a canister module for the host (see the header comment). */
export async function prepareWasm(input: Uint8Array): Promise<PreparedWasm> {
  const info = inspectWasm(input);
  const extra: WasmExportInfo[] = [];
  let tableExport = info.tableExport;
  if (info.hasTable && tableExport === undefined) {
    tableExport = HOST_TABLE_EXPORT;
    extra.push({ name: tableExport, kind: 'table', index: 0 });
  }
  const mutableGlobals = new Map<number, string>();
  for (const g of info.globals) {
    if (!g.mutable || g.type === 'v128' || g.type === 'ref') continue;
    const existing = info.exports.find((e) => e.kind === 'global' && e.index === g.index);
    const name = existing?.name ?? `${HOST_GLOBAL_EXPORT_PREFIX}${g.index}`;
    if (!existing) extra.push({ name, kind: 'global', index: g.index });
    mutableGlobals.set(g.index, name);
  }
  const bytes = addExports(input, extra);
  const module = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  const { counter, isInit } = findInstrumentation(info);
  return {
    bytes,
    module,
    info,
    mutableGlobals,
    ...(tableExport === undefined ? {} : { tableExport }),
    ...(counter === undefined ? {} : { instructionCounterExport: mutableGlobals.get(counter) }),
    ...(isInit === undefined ? {} : { isInitExport: mutableGlobals.get(isInit) }),
  };
}

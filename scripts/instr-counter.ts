/**
 * Exposes the instruction counter that `ic-wasm instrument` injects (ic-notes.md §4.6), so the Node host can read
 * it: exports its counter global as `__host_instr_counter` (i64) and its is-init flag as `__host_is_init` (i32).
 * Used by scripts/build-canister.sh and scripts/bench-p256.ts.
 */
import binaryen from 'binaryen';

function globalCount(bytes: Uint8Array): number {
  const m = binaryen.readBinary(bytes);
  const n = m.getNumGlobals();
  m.dispose();
  return n;
}

/** `plain` is the module before instrumentation, `instrumented` what ic-wasm wrote from it. */
export function exportInstructionCounter(plain: Uint8Array, instrumented: Uint8Array): Uint8Array {
  // ic-wasm appends six globals after the module's own: total_counter (i64), log_size, page_size, is_init,
  // is_entry, heap_base.
  const own = globalCount(plain);
  const mod = binaryen.readBinary(instrumented);
  try {
    mod.setFeatures(binaryen.Features.All);
    if (mod.getNumGlobals() !== own + 6) {
      throw new Error(`expected ${own + 6} globals after instrumentation, found ${mod.getNumGlobals()}`);
    }
    const global = (i: number) => binaryen.getGlobalInfo(mod.getGlobalByIndex(i));
    const counter = global(own);
    const isInit = global(own + 3);
    if (counter.type !== binaryen.i64 || !counter.mutable)
      throw new Error('instrumentation counter is not a mutable i64');
    if (isInit.type !== binaryen.i32 || !isInit.mutable)
      throw new Error('is_init global is not a mutable i32');
    mod.addGlobalExport(counter.name, '__host_instr_counter');
    mod.addGlobalExport(isInit.name, '__host_is_init');
    if (!mod.validate()) throw new Error('binaryen validation failed');
    return mod.emitBinary();
  } finally {
    mod.dispose();
  }
}

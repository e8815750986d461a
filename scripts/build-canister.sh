#!/usr/bin/env bash
# Builds the Waxseal canister offline (ic-notes.md §2.1, §4.6) and writes build/:
#
#   build/waxseal.wasm        the canister (Azle 0.33 stable template + our bundled JS) with a public
#                             `candid:service` metadata section from candid/waxseal.did. Use it for tests,
#                             PocketIC and deploys.
#   build/waxseal.instr.wasm  the same, instrumented by `ic-wasm instrument` for instruction counting, with its
#                             counter global exported as `__host_instr_counter` (i64) and its is-init flag as
#                             `__host_is_init` (i32). BENCHMARKS ONLY: its injected pre_upgrade overwrites the
#                             stable-memory MemoryManager header, so every StableBTreeMap is lost on upgrade.
#   build/waxseal.did         the Candid interface Azle generates from canister/index.ts (checked against the
#                             documented candid/waxseal.did by test/candid.test.ts).
#
# dfx.json sets `candid_gen: custom`, so `azle build` reads candid/waxseal.did (and writes it back unchanged)
# instead of overwriting it; the generated interface is read out of the wasm itself, the way Azle's build does.
#
# Idempotent: the outputs are replaced only when every step has succeeded. Needs no network and no dfx.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

NAME=waxseal
OUT="$ROOT/build"
IC_WASM="$ROOT/node_modules/@icp-sdk/ic-wasm-linux-x64/bin/ic-wasm"
AZLE_WASM="$ROOT/.azle/$NAME/$NAME.wasm"

die() {
  echo "build-canister: $*" >&2
  exit 1
}

[[ -f dfx.json ]] || die "dfx.json not found in $ROOT"
[[ -f candid/$NAME.did ]] || die "candid/$NAME.did not found (dfx.json uses candid_gen: custom)"
[[ -x node_modules/.bin/azle ]] || die "azle is not installed (node_modules/.bin/azle); run npm ci"
[[ -x $IC_WASM ]] || die "ic-wasm not found at $IC_WASM (@icp-sdk/ic-wasm-linux-x64)"
[[ -d node_modules/binaryen ]] || die "binaryen (a dependency of azle) is not installed"

# Never rebuild the template with cargo (needs the network and a Rust toolchain).
unset AZLE_DEV_TEMPLATE
for var in AZLE_LOG_ACTIONS AZLE_RECORD_ACTIONS AZLE_RECORD_BENCHMARKS; do
  if [[ -n ${!var:-} ]]; then echo "build-canister: note: $var=${!var} is baked into the wasm"; fi
done

mkdir -p "$OUT"
# Concurrent builds (e.g. two test files) would share .azle/waxseal: take turns.
if command -v flock >/dev/null; then
  exec 9>"$OUT/.lock"
  flock 9
fi
TMP="$(mktemp -d "$OUT/.tmp.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT

start=$(date +%s%N)

echo "build-canister: azle build $NAME"
rm -f "$AZLE_WASM"
CANISTER_CANDID_PATH="$ROOT/candid/$NAME.did" AZLE_DFX_ROOT="$ROOT" ./node_modules/.bin/azle build "$NAME" ||
  die "azle build failed (AZLE_VERBOSE=true shows the full output)"
[[ -s $AZLE_WASM ]] || die "azle build produced no $AZLE_WASM"

echo "build-canister: candid:service metadata"
"$IC_WASM" "$AZLE_WASM" -o "$TMP/$NAME.wasm" metadata candid:service -f "candid/$NAME.did" -v public
"$IC_WASM" "$TMP/$NAME.wasm" -o "$TMP/$NAME.wasm" metadata cdk:name -d azle -v public

echo "build-canister: ic-wasm instrument"
"$IC_WASM" "$TMP/$NAME.wasm" -o "$TMP/$NAME.instr.raw.wasm" instrument

# Node (cwd = project root): read the generated Candid out of the plain wasm, export the instrumented wasm's
# counter globals (scripts/instr-counter.ts), and check that the exported counter really counts.
node --import tsx --input-type=module - "$TMP" "$NAME" <<'JS' || die "post-processing failed"
import { readFileSync, writeFileSync } from 'node:fs';
import { exportInstructionCounter } from './scripts/instr-counter.ts';

const [dir, name] = process.argv.slice(2);

/** Runs Azle's build-time entry point with inert ic0 imports; returns {candid, methodMeta} and the instance. */
function candidAndMeta(bytes) {
  const module = new WebAssembly.Module(bytes);
  let instance;
  const text = (ptr, len) => new TextDecoder().decode(new Uint8Array(instance.exports.memory.buffer, ptr, len));
  const known = {
    time: () => 0n,
    debug_print: (ptr, len) => console.error(text(ptr, len)),
    trap: (ptr, len) => {
      throw new Error(`canister trapped: ${text(ptr, len)}`);
    },
  };
  // Imports returning i64 must return a BigInt; the rest return 0.
  const i64 = new Set(['stable64_size', 'stable64_grow', 'canister_version', 'global_timer_set', 'performance_counter']);
  const ic0 = new Proxy(known, { get: (target, key) => target[key] ?? (i64.has(key) ? () => 0n : () => 0) });
  for (const { module: m } of WebAssembly.Module.imports(module)) {
    if (m !== 'ic0') throw new Error(`unexpected import module ${m}`);
  }
  instance = new WebAssembly.Instance(module, { ic0 });
  const ptr = instance.exports.get_candid_and_method_meta_pointer();
  const memory = new Uint8Array(instance.exports.memory.buffer);
  const end = memory.indexOf(0, ptr);
  return { ...JSON.parse(new TextDecoder().decode(memory.subarray(ptr, end))), instance };
}

const plain = readFileSync(`${dir}/${name}.wasm`);
const { candid, methodMeta } = candidAndMeta(plain);
writeFileSync(`${dir}/${name}.did`, candid);
const methods = [...(methodMeta.queries ?? []), ...(methodMeta.updates ?? [])].map((m) => m.name);
console.log(`build-canister: methods: ${methods.join(', ')}`);

const instr = exportInstructionCounter(plain, readFileSync(`${dir}/${name}.instr.raw.wasm`));
writeFileSync(`${dir}/${name}.instr.wasm`, instr);

// The exported counter must advance while the canister's JS is evaluated (about 1 B instructions).
const run = candidAndMeta(instr);
const counted = run.instance.exports.__host_instr_counter.value;
if (typeof counted !== 'bigint' || counted < 1_000_000n) {
  throw new Error(`__host_instr_counter did not count (${counted})`);
}
if (run.candid !== candid) throw new Error('the instrumented wasm generates a different Candid interface');
console.log(`build-canister: instrumented wasm counted ${counted} instructions evaluating the JS`);
JS

rm -f "$TMP/$NAME.instr.raw.wasm"
for f in "$NAME.wasm" "$NAME.instr.wasm" "$NAME.did"; do
  mv -f "$TMP/$f" "$OUT/$f"
done

elapsed_ms=$((($(date +%s%N) - start) / 1000000))
size() {
  local bytes
  bytes=$(stat -c %s "$1")
  printf '%-26s %9d bytes (%s MiB)' "${1#"$ROOT"/}" "$bytes" "$(awk -v b="$bytes" 'BEGIN { printf "%.2f", b / 1048576 }')"
}
echo "build-canister: done in $((elapsed_ms / 1000)).$(printf '%03d' $((elapsed_ms % 1000))) s"
echo "  $(size "$OUT/$NAME.wasm"), gzip $(gzip -9c "$OUT/$NAME.wasm" | wc -c) bytes"
echo "  $(size "$OUT/$NAME.instr.wasm")"
echo "  $(size "$OUT/$NAME.did")"
echo "  $(size "$ROOT/.azle/$NAME/main.js") (bundled JS)"

#!/usr/bin/env bash
# Generates the TypeScript client bindings of the canister from candid/waxseal.did, offline, with
# @icp-sdk/bindgen (its Candid compiler is a wasm inside the npm package):
#
#   canister/declarations/waxseal.did.ts  idlFactory, init (the install argument types) and the _SERVICE type,
#                                         for Actor.createActor, @dfinity/pic and the Node test host
#   canister/declarations/waxseal.ts      a typed actor wrapper (createActor) over @icp-sdk/core/agent
#
# The output is committed; test/candid.test.ts fails when it is stale. Run this after editing the .did file.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

OUT=canister/declarations
[[ -x node_modules/.bin/icp-bindgen ]] || {
  echo "gen-bindings: @icp-sdk/bindgen is not installed; run npm ci" >&2
  exit 1
}

rm -rf "$OUT"
./node_modules/.bin/icp-bindgen --did-file candid/waxseal.did --out-dir "$OUT" \
  --declarations-typescript --declarations-flat --force
ls -l "$OUT"

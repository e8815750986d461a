import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from '@icp-sdk/bindgen/core';
import { IDL } from '@icp-sdk/core/candid';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { idlFactory, init } from '../canister/declarations/waxseal.did.ts';

const ROOT = join(import.meta.dirname, '..');
const BUILD = join(ROOT, 'build');
const SCRATCH = join(BUILD, '.candid-test');
const DID = join(ROOT, 'candid', 'waxseal.did');
const DECLARATIONS = join(ROOT, 'canister', 'declarations');

type InitFactory = (idl: { IDL: typeof IDL }) => IDL.Type[];

interface Shape {
  methods: string[];
  init: string[];
}

function shape(factory: IDL.InterfaceFactory, initFactory: InitFactory): Shape {
  return {
    methods: factory({ IDL })._fields.map(([name, func]) => `${name} : ${func.display()}`),
    init: initFactory({ IDL }).map((t) => t.display()),
  };
}

/** Compiles a .did file with bindgen into build/.candid-test/<dir> (the options of scripts/gen-bindings.sh). */
async function bindings(didFile: string, dir: string): Promise<string> {
  const outDir = join(SCRATCH, dir);
  rmSync(outDir, { recursive: true, force: true });
  await generate({
    didFile,
    outDir,
    output: { force: true, declarations: { typescript: true, flat: true } },
  });
  return outDir;
}

let documentedBefore = '';
let buildSeconds = 0;

beforeAll(() => {
  // test/global-setup.ts built the canister before any suite started.
  documentedBefore = inject('didBefore');
  buildSeconds = inject('buildSeconds');
  console.info(`scripts/build-canister.sh took ${buildSeconds.toFixed(1)} s`);
});

describe('canister build', () => {
  it('produces the plain and the instrumented wasm, and leaves candid/waxseal.did untouched', () => {
    expect(readFileSync(DID, 'utf8')).toBe(documentedBefore);
    const plain = new WebAssembly.Module(readFileSync(join(BUILD, 'waxseal.wasm')));
    const exports = WebAssembly.Module.exports(plain).map((e) => e.name);
    for (const name of [
      'canister_init',
      'canister_post_upgrade',
      'canister_query whoami',
      'canister_query config',
      'canister_query http_request',
    ]) {
      expect(exports).toContain(name);
    }
    expect(exports).not.toContain('__host_instr_counter');
    const instr = new WebAssembly.Module(readFileSync(join(BUILD, 'waxseal.instr.wasm')));
    const globals = WebAssembly.Module.exports(instr)
      .filter((e) => e.kind === 'global')
      .map((e) => e.name);
    expect(globals).toEqual(expect.arrayContaining(['__host_instr_counter', '__host_is_init']));
  });
});

describe('candid/waxseal.did', () => {
  it('matches the interface Azle generates from canister/index.ts', async () => {
    const generated = await bindings(join(BUILD, 'waxseal.did'), 'generated');
    const mod = (await import(join(generated, 'waxseal.did.ts'))) as {
      idlFactory: IDL.InterfaceFactory;
      init: InitFactory;
    };
    expect(shape(idlFactory, init)).toEqual(shape(mod.idlFactory, mod.init));
  });

  it('has a // doc comment on every type and every method', () => {
    const lines = readFileSync(DID, 'utf8').split('\n');
    const undocumented: string[] = [];
    let inService = false;
    lines.forEach((line, i) => {
      const isType = /^type\s+\w+\s*=/.test(line);
      const isMethod = inService && /^\s+\w+\s*:\s*\(/.test(line);
      if (/^service\s*:/.test(line)) inService = true;
      if ((isType || isMethod) && !/^\s*\/\//.test(lines[i - 1] ?? '')) undocumented.push(line.trim());
    });
    expect(undocumented).toEqual([]);
  });

  it('canister/declarations is what scripts/gen-bindings.sh makes from it', async () => {
    const fresh = await bindings(DID, 'documented');
    const files = readdirSync(fresh).sort();
    expect(readdirSync(DECLARATIONS).sort()).toEqual(files);
    for (const file of files) {
      expect(readFileSync(join(DECLARATIONS, file), 'utf8'), file).toBe(
        readFileSync(join(fresh, file), 'utf8'),
      );
    }
  });
});

// The agent's certificate signature check for the gateway's relay (IC interface spec, "Certification": BLS12-381
// over the state root), moved off the SMTP thread and done once per signature.
//
// - A pure-JS BLS verify costs tens of milliseconds. On the thread that answers SMTP, every relayed reply would
//   stall every session for that long; in a worker thread it only takes CPU.
// - The IC (and the devnet) certify a whole round of calls with one signature over one state root, so the
//   deliveries of one round share one check: the result (a promise, so concurrent replies wait for the same one) is
//   remembered for that exact (key, signature, message). Nothing is trusted that was not verified once.
// - If the worker dies, checks go on in this thread: slower, never skipped.
import { Worker } from 'node:worker_threads';
import { blsVerify } from '@icp-sdk/core/agent';
import { bytesToHex } from '@noble/hashes/utils.js';

/** The agent's check, with malformed points (which it throws on) answered false. */
export function verifyBls(pk: Uint8Array, sig: Uint8Array, msg: Uint8Array): boolean {
  try {
    return blsVerify(pk, sig, msg);
  } catch {
    return false;
  }
}

/** Distinct signatures remembered (a round each). */
const MEMO = 1024;

export class BlsVerifier {
  readonly #worker: Worker;
  readonly #memo = new Map<string, Promise<boolean>>();
  readonly #pending = new Map<
    number,
    { resolve: (ok: boolean) => void; args: [Uint8Array, Uint8Array, Uint8Array] }
  >();
  #nextId = 0;
  #broken = false;

  constructor() {
    // TypeScript like the rest of the gateway: register tsx in the worker first, as bin/waxseal does (Node 20 does
    // not apply `--import` hooks to a worker's entry module).
    const entry = JSON.stringify(new URL('./bls-verify-worker.ts', import.meta.url).href);
    this.#worker = new Worker(
      `import('tsx/esm/api').then(({ register }) => { register(); return import(${entry}); });`,
      { eval: true },
    );
    this.#worker.on('message', ({ id, ok }: { id: number; ok: boolean }) => {
      this.#pending.get(id)?.resolve(ok);
      this.#pending.delete(id);
    });
    const fail = () => {
      this.#broken = true;
      for (const p of this.#pending.values()) p.resolve(verifyBls(...p.args));
      this.#pending.clear();
    };
    this.#worker.on('error', fail);
    this.#worker.on('exit', fail);
    this.#worker.unref();
  }

  /** The agent's `blsVerify`, as a VerifyFunc (it may return a promise). */
  readonly verify = (pk: Uint8Array, sig: Uint8Array, msg: Uint8Array): Promise<boolean> => {
    const key = `${bytesToHex(pk)}.${bytesToHex(sig)}.${bytesToHex(msg)}`;
    let result = this.#memo.get(key);
    if (!result) {
      result = this.#check(pk, sig, msg);
      if (this.#memo.size >= MEMO) this.#memo.delete(this.#memo.keys().next().value!);
      this.#memo.set(key, result);
    }
    return result;
  };

  #check(pk: Uint8Array, sig: Uint8Array, msg: Uint8Array): Promise<boolean> {
    if (this.#broken) return Promise.resolve(verifyBls(pk, sig, msg));
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#pending.set(id, { resolve, args: [pk, sig, msg] });
      this.#worker.postMessage({ id, pk, sig, msg });
    });
  }

  async close(): Promise<void> {
    this.#broken = true;
    await this.#worker.terminate();
  }
}

// The devnet's root key signing in a worker thread (IC interface spec, "Certification"). BLS signing with
// @noble/curves costs about 7 ms; done on the main thread it stalls every request for that long once per round.
// Signatures land in the host's CertificateSigner cache (keyed by root hash), so every witness of the round's tree
// is then encoded without signing again.

import { Worker } from 'node:worker_threads';
import { type CertificateSigner, signStateRoot } from '../host/certificate.ts';

export class RootSigner {
  private readonly worker: Worker;
  private nextId = 0;
  private broken?: Error;
  private readonly pending = new Map<number, { root: Uint8Array; resolve: (s: Uint8Array) => void }>();

  constructor(private readonly signer: CertificateSigner) {
    // The worker is TypeScript like the rest of the devnet: register tsx in it first, as bin/waxseal does (Node 20
    // does not apply `--import` hooks to a worker's entry module).
    const entry = JSON.stringify(new URL('./root-signer-worker.ts', import.meta.url).href);
    this.worker = new Worker(
      `import('tsx/esm/api').then(({ register }) => { register(); return import(${entry}); });`,
      { eval: true, workerData: signer.secretKey },
    );
    this.worker.on('message', ({ id, signature }: { id: number; signature: Uint8Array }) => {
      this.pending.get(id)?.resolve(signature);
      this.pending.delete(id);
    });
    this.worker.on('error', (e) => this.failAll(e));
    this.worker.on('exit', (code) => this.failAll(new Error(`the signing worker exited with code ${code}`)));
    this.worker.unref();
  }

  /** Signs `root` in the worker (on this thread if the worker has died) and records the signature. */
  async sign(root: Uint8Array): Promise<void> {
    if (this.signer.hasSignature(root)) return;
    if (this.broken) {
      this.signer.rememberSignature(root, signStateRoot(this.signer.secretKey, root));
      return;
    }
    const id = this.nextId++;
    const signature = await new Promise<Uint8Array>((resolve) => {
      this.pending.set(id, { root, resolve });
      this.worker.postMessage({ id, root });
    });
    this.signer.rememberSignature(root, signature);
  }

  /** A dead worker must not strand a round: what it had not signed is signed here. */
  private failAll(e: Error): void {
    this.broken = e;
    for (const p of this.pending.values()) p.resolve(signStateRoot(this.signer.secretKey, p.root));
    this.pending.clear();
  }

  async close(): Promise<void> {
    this.broken ??= new Error('closed');
    await this.worker.terminate();
  }
}

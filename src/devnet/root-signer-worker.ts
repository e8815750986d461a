// Worker thread of the devnet's root signer (root-signer.ts): BLS-signs state roots off the main thread, so the
// next round of calls executes while this one is being certified. Same signature as the host's
// `signStateRoot` (IC interface spec, "Certification": BLS12-381 min-sig over `domain_sep("ic-state-root")·root`).
import { parentPort, workerData } from 'node:worker_threads';
import { signStateRoot } from '../host/certificate.ts';

const secretKey = workerData as Uint8Array;
parentPort?.on('message', ({ id, root }: { id: number; root: Uint8Array }) => {
  parentPort?.postMessage({ id, signature: signStateRoot(secretKey, root) });
});

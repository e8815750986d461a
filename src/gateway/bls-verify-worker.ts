// Worker thread of the gateway's certificate checks (bls-verifier.ts): the agent's BLS12-381 verify (IC interface
// spec, "Certification") off the thread that answers SMTP.
import { parentPort } from 'node:worker_threads';
import { verifyBls } from './bls-verifier.ts';

interface Check {
  id: number;
  pk: Uint8Array;
  sig: Uint8Array;
  msg: Uint8Array;
}

parentPort?.on('message', ({ id, pk, sig, msg }: Check) => {
  parentPort?.postMessage({ id, ok: verifyBls(pk, sig, msg) });
});

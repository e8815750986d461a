/**
 * The page's part of `NeedProof` (protocol.md §3, §7; architecture.md "Data flow" step 5): when the challenge
 * waits for a DNSSEC proof, look up the signing keys over DoH and build the RFC 9102 proof (ic/dns-proof.ts,
 * loaded on first use so it stays off the first page), submit it with `email_challenge_submit_proof`, and report
 * the canister's answer to the polling hook. Gives the progress for the view (challenge-view.ts ProofProgress),
 * what went wrong (logic/proof-problem.ts) and a retry; a problem leaves the challenge waiting, so retrying is
 * always possible until it expires.
 */
import { useCallback, useEffect, useState } from 'react';
import type { Waxseal } from './ic/actor.ts';
import { configOf } from './ic/config.ts';
import type { NeedProof } from './ic/dns-proof.ts';
import { describeError } from './ic/errors.ts';
import type { ChallengeStatus, ProofProgress } from './logic/challenge-view.ts';
import { type ProofProblem, rejected } from './logic/proof-problem.ts';

export interface NeedProofState {
  readonly progress: ProofProgress;
  readonly problem: ProofProblem | null;
  readonly retry: () => void;
}

export function useNeedProof(
  actor: Waxseal,
  nonce: string,
  status: ChallengeStatus,
  report: (status: ChallengeStatus) => void,
): NeedProofState {
  // Each poll returns a new object: the work restarts only when what the canister asks for changes.
  const wanted = 'NeedProof' in status ? JSON.stringify(status.NeedProof) : null;
  const [attempt, setAttempt] = useState(0);
  const [progress, setProgress] = useState<ProofProgress>('idle');
  const [problem, setProblem] = useState<ProofProblem | null>(null);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `attempt` changes only to run the same work again.
  useEffect(() => {
    if (wanted === null) return;
    const need = JSON.parse(wanted) as NeedProof;
    let live = true;
    const build = async () => {
      const [config, { proveKeys }] = await Promise.all([configOf(actor), import('./ic/dns-proof.ts')]);
      return proveKeys(need, config);
    };
    const submit = async (chain: Uint8Array): Promise<ProofProblem | null> => {
      const r = await actor.email_challenge_submit_proof(nonce, chain);
      if ('Ok' in r) {
        if (live) report(r.Ok);
        return null;
      }
      // Someone else's proof got there first: the status moves on by itself.
      return r.Err.code === 'NotAwaitingProof' ? null : rejected(r.Err);
    };
    const run = async (): Promise<ProofProblem | null> => {
      const built = await build().catch((e: unknown) => ({
        kind: 'problem' as const,
        problem: { kind: 'lookup' as const, detail: describeError(e) },
      }));
      if (built.kind === 'problem') return built.problem;
      if (!live) return null;
      setProgress('submitting');
      return submit(built.chain).catch((e: unknown) => ({ kind: 'unsent', detail: describeError(e) }));
    };
    setProblem(null);
    setProgress('building');
    void run().then((found) => {
      if (!live) return;
      setProblem(found);
      setProgress('idle');
    });
    return () => {
      live = false;
    };
  }, [wanted, attempt, actor, nonce, report]);

  const retry = useCallback(() => setAttempt((n) => n + 1), []);
  return { progress, problem, retry };
}

/**
 * The one polling hook (style.md, "Web app"): `email_challenge_status` on the schedule of logic/poll-schedule.ts,
 * paused while the tab is hidden and restarted when it is shown again, stopped at expiry and in a final state.
 * A failed poll keeps the last status and tries again on the same schedule.
 *
 * The second value reports a status the page learned another way (the answer of `email_challenge_submit_proof`,
 * protocol.md §3): it is shown at once and the schedule goes on from it, stopping if it is final.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Waxseal } from './ic/actor.ts';
import { type ChallengeStatus, challengeView } from './logic/challenge-view.ts';
import { nextPoll } from './logic/poll-schedule.ts';

export function usePolling(
  actor: Waxseal,
  nonce: string,
  expiresAtMs: number,
): [ChallengeStatus, (status: ChallengeStatus) => void] {
  const [status, setStatus] = useState<ChallengeStatus>({ Pending: null });
  const reportRef = useRef<(status: ChallengeStatus) => void>(setStatus);
  useEffect(() => {
    let attempt = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let last: ChallengeStatus = { Pending: null };
    let stopped = false;
    const schedule = () => {
      clearTimeout(timer);
      const step = nextPoll({
        attempt,
        now: Date.now(),
        expiresAt: expiresAtMs,
        visible: document.visibilityState === 'visible',
        terminal: challengeView(last, '').terminal,
      });
      if (step.kind === 'stop') {
        stopped = true;
        if (step.reason === 'expired' && !challengeView(last, '').terminal) setStatus({ Expired: null });
        return;
      }
      if (step.kind === 'pause') return;
      timer = setTimeout(poll, step.delayMs);
    };
    const poll = async () => {
      attempt++;
      let answer: ChallengeStatus | null = null;
      try {
        answer = await actor.email_challenge_status(nonce);
      } catch {
        // keep the last status; the next poll tries again
      }
      // A final status reported meanwhile wins over an answer read before it.
      if (stopped) return;
      if (answer) {
        last = answer;
        setStatus(answer);
      }
      schedule();
    };
    const onVisibility = () => {
      if (stopped || document.visibilityState !== 'visible') return;
      attempt = 0;
      schedule();
    };
    reportRef.current = (known) => {
      if (stopped) return;
      last = known;
      setStatus(known);
      schedule();
    };
    document.addEventListener('visibilitychange', onVisibility);
    schedule();
    return () => {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, [actor, nonce, expiresAtMs]);
  const report = useCallback((known: ChallengeStatus) => reportRef.current(known), []);
  return [status, report];
}

/**
 * The one polling hook (style.md, "Web app"): `email_challenge_status` on the schedule of logic/poll-schedule.ts,
 * paused while the tab is hidden and restarted when it is shown again, stopped at expiry and in a final state.
 * A failed poll keeps the last status and tries again on the same schedule.
 */
import { useEffect, useState } from 'react';
import type { Waxseal } from './ic/actor.ts';
import { type ChallengeStatus, challengeView } from './logic/challenge-view.ts';
import { nextPoll } from './logic/poll-schedule.ts';

export function usePolling(actor: Waxseal, nonce: string, expiresAtMs: number): ChallengeStatus {
  const [status, setStatus] = useState<ChallengeStatus>({ Pending: null });
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
      try {
        last = await actor.email_challenge_status(nonce);
        setStatus(last);
      } catch {
        // keep the last status; the next poll tries again
      }
      if (!stopped) schedule();
    };
    const onVisibility = () => {
      if (stopped || document.visibilityState !== 'visible') return;
      attempt = 0;
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
  return status;
}

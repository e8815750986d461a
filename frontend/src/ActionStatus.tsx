/**
 * Every change on the manage page goes through a runner (issue 11, deliverable 3), one per section (the passkeys
 * and devices, the recovery email), so what happened is said where the person acted: what is happening, then what
 * happened, in a status line below the section's buttons (WCAG 4.1.3); a refusal by the canister or a network
 * failure says what went wrong (logic/refusal-text.ts, ic/errors.ts) and offers to try the same action again; and
 * afterwards the identity is read again, so the page always shows what the canister holds, whatever the outcome.
 */
import { useCallback, useState } from 'react';
import type { UnitResult } from '../../canister/declarations/waxseal.did.ts';
import { describeError } from './ic/errors.ts';
import { isPasskeyCancelled } from './ic/passkey.ts';
import { refusalText } from './logic/refusal-text.ts';

export interface Step {
  /** While it runs, e.g. "Removing the passkey…". */
  readonly working: string;
  /** Once it succeeded, e.g. "Passkey removed.". */
  readonly done: string;
}

export type Outcome =
  | { readonly state: 'idle' }
  | { readonly state: 'working' | 'done'; readonly text: string }
  | { readonly state: 'error'; readonly text: string; readonly retry: () => void };

/** Runs one change; resolves true when the canister accepted it. */
export type Run = (step: Step, action: () => Promise<UnitResult>) => Promise<boolean>;

export interface Actions {
  readonly outcome: Outcome;
  readonly run: Run;
  /** Says that a change made elsewhere (the setup wizard) is done; reads the identity again. */
  readonly report: (done: string) => Promise<void>;
  readonly busy: boolean;
}

/** A thrown failure in words: a cancelled passkey prompt, or what ic/errors.ts makes of the rest. */
export function failureText(e: unknown, host?: string): string {
  return isPasskeyCancelled(e)
    ? 'The passkey was not made or not used (cancelled or timed out). Nothing was changed.'
    : describeError(e, host);
}

export function useActions(after: () => Promise<void>): Actions {
  const [outcome, setOutcome] = useState<Outcome>({ state: 'idle' });
  const run: Run = useCallback(
    async (step, action) => {
      setOutcome({ state: 'working', text: step.working });
      let ok = false;
      try {
        const r = await action();
        ok = 'Ok' in r;
        setOutcome(
          'Err' in r
            ? { state: 'error', text: refusalText(r.Err), retry: () => void run(step, action) }
            : { state: 'done', text: step.done },
        );
      } catch (e) {
        setOutcome({ state: 'error', text: failureText(e), retry: () => void run(step, action) });
      }
      await after();
      return ok;
    },
    [after],
  );
  const report = useCallback(
    (done: string) => {
      setOutcome({ state: 'done', text: done });
      return after();
    },
    [after],
  );
  return { outcome, run, report, busy: outcome.state === 'working' };
}

/** The runner's line: always in the page, so a screen reader hears it change; empty, it takes no room. */
export function ActionStatus({ outcome }: { outcome: Outcome }) {
  return (
    <div className="action-status">
      <p role="status">{outcome.state === 'working' || outcome.state === 'done' ? outcome.text : ''}</p>
      {outcome.state === 'error' && (
        <div role="alert">
          <p>{outcome.text}</p>
          <button type="button" onClick={outcome.retry}>
            Try again
          </button>
        </div>
      )}
    </div>
  );
}

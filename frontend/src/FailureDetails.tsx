/**
 * The body of a failure view (issue 11, deliverable 4; protocol.md §3 `Failed { code; message; checks }`): what
 * happened in plain words, what to do about it, the six-line checklist of logic/reason-checklist.ts, the
 * technical detail folded away for whoever helps, and "Start again". Shared by the challenge's failed and expired
 * views (SendStep) and the domain pre-check (AddressStep).
 */
import type { FailureView } from './logic/challenge-view.ts';
import { ITEM_STATE_WORDS } from './logic/reason-checklist.ts';

export function FailureDetails({ failure, onRestart }: { failure: FailureView; onRestart: () => void }) {
  const details = [
    ...(failure.message ? [failure.message] : []),
    ...failure.checklist.flatMap((line) => (line.detail ? [`${line.label}: ${line.detail}`] : [])),
  ];
  return (
    <>
      <p data-testid="failure-explanation">{failure.reason.explanation}</p>
      <p data-testid="failure-next">
        <strong>What to do:</strong> {failure.reason.nextStep}
      </p>
      <ul className="checklist" aria-label="What was checked">
        {failure.checklist.map((line) => (
          <li key={line.item} data-item={line.item} data-state={line.state}>
            {line.label}: <span className="state">{ITEM_STATE_WORDS[line.state]}</span>
          </li>
        ))}
      </ul>
      {details.length > 0 && (
        <details>
          <summary>Technical details</summary>
          <ul>
            {details.map((d) => (
              <li key={d}>{d}</li>
            ))}
          </ul>
        </details>
      )}
      <button type="button" onClick={onRestart}>
        Start again
      </button>
    </>
  );
}

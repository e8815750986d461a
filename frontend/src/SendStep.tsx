/**
 * The mail to send and what became of it (issue 11, deliverable 4; protocol.md §3), for setup and recovery alike:
 * To, Subject with the nonce, a mailto link and the time left; then one view per state of the challenge as the
 * canister reports it (logic/challenge-view.ts). While the canister waits in `NeedProof`, the page builds and
 * submits the DNSSEC proof itself (useNeedProof.ts) and says how far it got, or what went wrong with a "Try
 * again"; while it fetches over DoH (`Resolving`, §8) the page says so. On failure or expiry: what passed, what
 * failed, what to do, and "Start again".
 *
 * Keyboard and screen readers (WCAG 2.4.3, 2.5.3, 4.1.3): the step's heading takes the focus when the step opens
 * (the Continue that opened it is gone), when the challenge has failed or expired, and whenever a view change
 * removed the focused control; each view change is said in one live line; a Copy button is named for what it
 * copies ("Copy the address", the visible "Copy" first) and "Copied" is a status beside it.
 */
import { useEffect, useRef, useState } from 'react';
import { FailureDetails } from './FailureDetails.tsx';
import type { Waxseal } from './ic/actor.ts';
import { type ChallengeStatus, challengeView } from './logic/challenge-view.ts';
import { proofProblemWords } from './logic/proof-problem.ts';
import { useNeedProof } from './useNeedProof.ts';
import { usePolling } from './usePolling.ts';
import './wizard.css';

export interface Prepared {
  address: string;
  mailbox: string;
  nonce: string;
  expiresAtMs: number;
}

function timeLeft(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

function Copy({ text, what }: { text: string; what: string }) {
  const [done, setDone] = useState(false);
  return (
    <>
      <button
        type="button"
        className="secondary"
        onClick={() =>
          void navigator.clipboard?.writeText(text).then(
            () => setDone(true),
            () => setDone(false),
          )
        }
      >
        Copy<span className="sr-only"> {what}</span>
      </button>
      <span role="status" className="hint">
        {done ? 'Copied' : ''}
      </span>
    </>
  );
}

/** Nothing has the focus any more: the control that had it was removed. */
const focusLost = () => document.activeElement === null || document.activeElement === document.body;

export function SendStep({
  actor,
  prepared,
  onDone,
  onRestart,
}: {
  actor: Waxseal;
  prepared: Prepared;
  onDone: (status: ChallengeStatus) => void;
  onRestart: () => void;
}) {
  const { address, mailbox, nonce, expiresAtMs } = prepared;
  const [status, report] = usePolling(actor, nonce, expiresAtMs);
  const proof = useNeedProof(actor, nonce, status, report);
  const view = challengeView(status, address, proof.progress);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    heading.current?.focus();
  }, []);
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs when the view changes, after it has rendered.
  useEffect(() => {
    if (view.failure || focusLost()) heading.current?.focus();
  }, [view.kind]);
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  // Once per final status, whatever the caller's callback identity: polling stops there.
  const finished = useRef(onDone);
  useEffect(() => {
    finished.current = onDone;
  }, [onDone]);
  useEffect(() => {
    if (view.kind === 'done-setup' || view.kind === 'done-recovery') finished.current(status);
  }, [view.kind, status]);
  const mailto = `mailto:${mailbox}?subject=${encodeURIComponent(nonce)}`;
  const problem = view.kind === 'need-proof' ? proof.problem : null;
  const words = problem && proofProblemWords(problem, address.slice(address.lastIndexOf('@') + 1));
  return (
    <section aria-labelledby="send-title" className="send-step" data-view={view.kind}>
      <h3 id="send-title" ref={heading} tabIndex={-1}>
        {view.title}
      </h3>
      <p className="sr-only" aria-live="polite" data-testid="live">
        {view.live}
      </p>
      {view.kind === 'waiting' && (
        <>
          <p>
            Send one email <strong>from {address}</strong>, from your usual mail app, exactly like this:
          </p>
          <dl className="mail">
            <dt>To</dt>
            <dd>
              <code data-testid="mailbox">{mailbox}</code> <Copy text={mailbox} what="the address" />
            </dd>
            <dt>Subject</dt>
            <dd>
              <code data-testid="nonce">{nonce}</code> <Copy text={nonce} what="the subject" />
            </dd>
          </dl>
          <p>
            <a href={mailto}>Open your mail app with this filled in</a>. The message text does not matter.
            Time left: <span data-testid="time-left">{timeLeft(expiresAtMs - now)}</span>.
          </p>
        </>
      )}
      {view.kind !== 'waiting' && !view.failure && <p data-testid="view-body">{view.body}</p>}
      {(view.kind === 'checking' || view.kind === 'resolving') && (
        <progress className="working" aria-label="Checking your email" />
      )}
      {problem && words && (
        <>
          <div role="alert">
            <p>{words.message}</p>
            <p>
              <strong>What to do:</strong> {words.nextStep}
            </p>
          </div>
          <details>
            <summary>Technical details</summary>
            <p>{problem.detail}</p>
          </details>
          <button type="button" onClick={proof.retry}>
            Try again
          </button>
        </>
      )}
      {view.failure && <FailureDetails failure={view.failure} onRestart={onRestart} />}
    </section>
  );
}

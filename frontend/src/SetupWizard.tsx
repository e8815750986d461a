/**
 * Add a recovery email (issue 11, deliverable 4; protocol.md §3): the address, checked with the canister's own
 * rules before anything is sent; then the mail to send (To, Subject with the nonce, a mailto link, the time
 * left); then one view per state of the challenge as the canister reports it, and on failure what passed, what
 * failed and what to do.
 */
import { type FormEvent, useEffect, useState } from 'react';
import { AddressInput } from './AddressInput.tsx';
import type { Waxseal } from './ic/actor.ts';
import { describeError } from './ic/errors.ts';
import { checkAddressEntry } from './logic/address-entry.ts';
import { type ChallengeStatus, challengeView } from './logic/challenge-view.ts';
import { nsToMs } from './logic/poll-schedule.ts';
import { usePolling } from './usePolling.ts';

export interface Prepared {
  address: string;
  mailbox: string;
  nonce: string;
  expiresAtMs: number;
}

export function SetupWizard({
  anchor,
  actor,
  onDone,
  onCancel,
}: {
  anchor: bigint;
  actor: Waxseal;
  onDone: () => void;
  onCancel: () => void;
}) {
  const [typed, setTyped] = useState('');
  const [problem, setProblem] = useState<{ message: string; suggestion?: string } | null>(null);
  const [prepared, setPrepared] = useState<Prepared | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const entry = checkAddressEntry(typed);
    if (entry.kind === 'idn') return setProblem({ message: entry.message, suggestion: entry.suggestion });
    if (entry.kind !== 'ok') return setProblem({ message: entry.message });
    setProblem(null);
    setBusy(true);
    try {
      const r = await actor.email_setup_prepare(anchor, entry.address);
      if ('Err' in r) return setProblem({ message: r.Err.message });
      setPrepared({ address: entry.address, ...r.Ok, expiresAtMs: nsToMs(r.Ok.expires_at) });
    } catch (err) {
      setProblem({ message: describeError(err) });
    } finally {
      setBusy(false);
    }
  };

  if (prepared) {
    return <SendStep actor={actor} prepared={prepared} onDone={onDone} onRestart={() => setPrepared(null)} />;
  }
  return (
    <form noValidate onSubmit={(e) => void submit(e)} aria-labelledby="setup-title">
      <h3 id="setup-title">Add a recovery email</h3>
      <AddressInput
        id="recovery-address"
        label="Your email address"
        value={typed}
        onChange={setTyped}
        describedBy={problem ? 'address-problem' : undefined}
      />
      {problem && (
        <p id="address-problem" role="alert">
          {problem.message}{' '}
          {problem.suggestion && (
            <button type="button" onClick={() => setTyped(problem.suggestion ?? '')}>
              Use {problem.suggestion}
            </button>
          )}
        </p>
      )}
      <div className="actions">
        <button type="submit" disabled={busy}>
          Continue
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function timeLeft(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

function Copy({ text, label }: { text: string; label: string }) {
  const [done, setDone] = useState(false);
  return (
    <button
      type="button"
      className="secondary"
      aria-label={`Copy ${label}`}
      onClick={() =>
        void navigator.clipboard?.writeText(text).then(
          () => setDone(true),
          () => setDone(false),
        )
      }
    >
      {done ? 'Copied' : 'Copy'}
    </button>
  );
}

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
  const status = usePolling(actor, nonce, expiresAtMs);
  const view = challengeView(status, address);
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  useEffect(() => {
    if (view.kind === 'done-setup' || view.kind === 'done-recovery') onDone(status);
  }, [view.kind, status, onDone]);
  const mailto = `mailto:${mailbox}?subject=${encodeURIComponent(nonce)}`;
  return (
    <section aria-labelledby="send-title">
      <h3 id="send-title">{view.title}</h3>
      <p className="sr-only" aria-live="polite">
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
              <code data-testid="mailbox">{mailbox}</code> <Copy text={mailbox} label="the address" />
            </dd>
            <dt>Subject</dt>
            <dd>
              <code data-testid="nonce">{nonce}</code> <Copy text={nonce} label="the subject" />
            </dd>
          </dl>
          <p>
            <a href={mailto}>Open your mail app with this filled in</a>. The message text does not matter.
            Time left: <span data-testid="time-left">{timeLeft(expiresAtMs - now)}</span>.
          </p>
        </>
      )}
      {view.kind !== 'waiting' && <p>{view.body}</p>}
      {view.failure && (
        <>
          <p>{view.failure.reason.explanation}</p>
          <p>
            <strong>What to do:</strong> {view.failure.reason.nextStep}
          </p>
          <ul className="checklist">
            {view.failure.checklist.map((line) => (
              <li key={line.item} data-state={line.state}>
                {line.label}: {line.state.replace('-', ' ')}
              </li>
            ))}
          </ul>
        </>
      )}
      {(view.kind === 'failed' || view.kind === 'expired') && (
        <button type="button" onClick={onRestart}>
          Start again
        </button>
      )}
    </section>
  );
}

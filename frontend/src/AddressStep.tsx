/**
 * The address step of the setup and recovery wizards (issue 11, deliverable 4; protocol.md §2, §7, §8): the
 * address is checked with the canister's own rules (logic/address-entry.ts), then its domain against what the
 * canister can verify (ic/domain-check.ts, loaded on first use), before anything is prepared:
 * - supported (DNSSEC-signed from the canister's anchors, or on its DoH allowlist): the caller prepares the
 *   challenge, and the step says which signing domains DMARC alignment allows (logic/dmarc-note.ts: the
 *   organizational domain and where the DMARC record was found);
 * - unsupported: the failure view with the canister's own `DomainNotSupported` words, and nothing is prepared,
 *   so nobody sends an email that can only fail;
 * - the check could not run (no DoH provider answered): said so, with "Continue anyway"; the canister decides.
 * What is happening is said in a live line and shown beside the buttons. The refusal's heading takes the focus
 * when it replaces the form, and the address field when "Start again" brings the form back (WCAG 2.4.3).
 */
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { AddressInput } from './AddressInput.tsx';
import { BusyButton } from './BusyButton.tsx';
import { FailureDetails } from './FailureDetails.tsx';
import type { ConfigView } from './ic/config.ts';
import { describeError } from './ic/errors.ts';
import { checkAddressEntry } from './logic/address-entry.ts';
import { type ChallengeView, unsupportedDomainView } from './logic/challenge-view.ts';
import { dmarcNote } from './logic/dmarc-note.ts';
import './wizard.css';

/** Why the typed address cannot be used as it is; `suggestion` is an address to use instead (an A-label). */
interface Problem {
  readonly message: string;
  readonly suggestion?: string;
}

export function AddressStep({
  id,
  label,
  title,
  intro,
  initial = '',
  host,
  loadConfig,
  prepare,
  onCancel,
  focusOnMount = false,
}: {
  id: string;
  label: string;
  /** Shown as the step's heading, and its accessible name. */
  title?: string;
  intro?: string;
  /** The address of the previous attempt, after "Start again". */
  initial?: string;
  /** The endpoint, for error messages. */
  host?: string;
  /** The canister's configuration, whose DoH providers, allowlist and anchors the check uses. */
  loadConfig: () => Promise<ConfigView>;
  /** Prepares the challenge for `address`; resolves with why not, or null once prepared. */
  prepare: (address: string) => Promise<string | null>;
  onCancel?: () => void;
  /** Put the keyboard in the address field when the step opens (see AddressInput). */
  focusOnMount?: boolean;
}) {
  const [typed, setTyped] = useState(initial);
  const [problem, setProblem] = useState<Problem | null>(null);
  /** What is happening now, in words; null when idle. */
  const [busy, setBusy] = useState<string | null>(null);
  /** The check could not run for this address; the person may continue. */
  const [unchecked, setUnchecked] = useState<{ address: string; domain: string } | null>(null);
  const [refused, setRefused] = useState<ChallengeView | null>(null);
  /** What the check found about DMARC alignment for the domain (shown while the challenge is prepared). */
  const [note, setNote] = useState<string | null>(null);
  /** The form is back after a refusal: the field takes the keyboard. */
  const [again, setAgain] = useState(false);
  const refusedHeading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (refused) refusedHeading.current?.focus();
  }, [refused]);

  const edit = (value: string) => {
    setTyped(value);
    setUnchecked(null);
    setNote(null);
  };

  const go = async (address: string) => {
    setUnchecked(null);
    setBusy('Preparing your code…');
    const why = await prepare(address).catch((e: unknown) => describeError(e, host));
    setBusy(null);
    if (why !== null) setProblem({ message: why });
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const entry = checkAddressEntry(typed);
    if (entry.kind === 'idn') return setProblem({ message: entry.message, suggestion: entry.suggestion });
    if (entry.kind !== 'ok') return setProblem({ message: entry.message });
    setProblem(null);
    setUnchecked(null);
    setBusy(`Checking that Waxseal can verify email from ${entry.domain}…`);
    try {
      const [config, { checkDomain }] = await Promise.all([loadConfig(), import('./ic/domain-check.ts')]);
      const decision = await checkDomain(entry.domain, config);
      if (decision.kind === 'unsupported') {
        setBusy(null);
        return setRefused(unsupportedDomainView(entry.address, decision.detail));
      }
      if (decision.kind === 'unchecked') {
        setBusy(null);
        return setUnchecked({ address: entry.address, domain: entry.domain });
      }
      setNote(dmarcNote(entry.domain, decision.dmarc));
    } catch (err) {
      setBusy(null);
      return setProblem({ message: describeError(err, host) });
    }
    await go(entry.address);
  };

  const titleId = `${id}-title`;
  return (
    <div className="address-step">
      <p className="sr-only" aria-live="polite">
        {refused?.live ?? busy ?? ''}
      </p>
      {refused?.failure ? (
        <section aria-labelledby={titleId} data-view="unsupported">
          <h3 id={titleId} ref={refusedHeading} tabIndex={-1}>
            {refused.title}
          </h3>
          <FailureDetails
            failure={refused.failure}
            onRestart={() => {
              setRefused(null);
              setAgain(true);
            }}
          />
        </section>
      ) : (
        <form noValidate onSubmit={(e) => void submit(e)} {...(title ? { 'aria-labelledby': titleId } : {})}>
          {title && <h3 id={titleId}>{title}</h3>}
          {intro && <p>{intro}</p>}
          <AddressInput
            id={id}
            label={label}
            value={typed}
            onChange={edit}
            describedBy={problem ? `${id}-problem` : undefined}
            focusOnMount={focusOnMount || again}
          />
          {problem && (
            <p id={`${id}-problem`} role="alert">
              {problem.message}{' '}
              {problem.suggestion && (
                <button type="button" onClick={() => edit(problem.suggestion ?? '')}>
                  Use {problem.suggestion}
                </button>
              )}
            </p>
          )}
          {note && <p className="domain-note">{note}</p>}
          {unchecked && (
            <div className="notice" role="alert">
              <p>
                This page could not check whether Waxseal can verify email from {unchecked.domain}: the DNS
                lookup services did not answer. You can continue anyway; if {unchecked.domain} cannot be used,
                Waxseal will tell you once your email arrives.
              </p>
            </div>
          )}
          <div className="actions">
            {unchecked ? (
              <BusyButton busy={busy !== null} onClick={() => void go(unchecked.address)}>
                Continue anyway
              </BusyButton>
            ) : (
              <BusyButton type="submit" busy={busy !== null}>
                Continue
              </BusyButton>
            )}
            {onCancel && (
              <button type="button" className="secondary" onClick={onCancel}>
                Cancel
              </button>
            )}
            <span className="step-status" aria-hidden="true">
              {busy}
            </span>
          </div>
        </form>
      )}
    </div>
  );
}

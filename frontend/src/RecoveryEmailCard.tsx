/**
 * The identity's recovery email (protocol.md §2 email credentials; issue 11, deliverable 3): none yet → add one
 * (SetupWizard); one → the address, when it was added and last used, Replace and Remove. Replacing runs the same
 * setup for the new address: the canister swaps the two only once the new one's email has been checked, so until
 * then the old address keeps working, and a failed attempt changes nothing (canister/identities.ts
 * `bindAddress`). Removing asks first, saying what is lost; the canister refuses while the address is the only
 * way in (`LastWayIn`). Every outcome, a completed setup too, is said in the section's status line (the wizard
 * that announced its progress is gone by then), and when the button or wizard that had the keyboard goes, the
 * heading takes it (WCAG 2.4.3, 4.1.3).
 */
import { useCallback, useRef, useState } from 'react';
import type { RecoveryAddress } from '../../canister/declarations/waxseal.did.ts';
import { ActionStatus, type Actions } from './ActionStatus.tsx';
import { BusyButton } from './BusyButton.tsx';
import { ConfirmDialog } from './ConfirmDialog.tsx';
import type { Waxseal } from './ic/actor.ts';
import { nsToDate } from './logic/audit-log.ts';
import { SetupWizard } from './SetupWizard.tsx';

const day = new Intl.DateTimeFormat(undefined, { dateStyle: 'long' });
const dayAndTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'long', timeStyle: 'short' });

export function RecoveryEmailCard({
  anchor,
  actor,
  recovery,
  actions,
  busy,
}: {
  anchor: bigint;
  actor: Waxseal;
  recovery: RecoveryAddress | null;
  /** This section's runner. */
  actions: Actions;
  /** A change runs somewhere on the page. */
  busy: boolean;
}) {
  const [settingUp, setSettingUp] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  const { report } = actions;
  const replacing = recovery !== null;
  // Stable: SendStep calls onDone from an effect that depends on it.
  const done = useCallback(() => {
    setSettingUp(false);
    heading.current?.focus();
    void report(replacing ? 'Recovery email replaced.' : 'Recovery email added.');
  }, [report, replacing]);
  const cancel = useCallback(() => {
    setSettingUp(false);
    heading.current?.focus();
  }, []);
  const remove = async () => {
    setConfirming(false);
    const ok = await actions.run(
      { working: 'Removing your recovery email…', done: 'Recovery email removed.' },
      () => actor.email_credential_remove(anchor),
    );
    if (ok) heading.current?.focus();
  };

  return (
    <section aria-labelledby="recovery-title">
      <h3 id="recovery-title" ref={heading} tabIndex={-1}>
        Recovery email
      </h3>
      {recovery ? (
        <>
          <p className="address">{`Recovery email: ${recovery.address}`}</p>
          <p className="hint">
            Added on {day.format(nsToDate(recovery.created_at))}.{' '}
            {recovery.last_used[0] === undefined
              ? 'Never used to sign in yet.'
              : `Last used to sign in on ${dayAndTime.format(nsToDate(recovery.last_used[0]))}.`}
          </p>
        </>
      ) : (
        <>
          <p>No recovery email yet.</p>
          <p className="hint">
            If you lose your passkeys and devices, one email from this address gets you back in.
          </p>
        </>
      )}
      {!settingUp && (
        <div className="actions">
          {recovery ? (
            <>
              <BusyButton aria-label="Replace recovery email" busy={busy} onClick={() => setSettingUp(true)}>
                Replace
              </BusyButton>
              <BusyButton
                className="secondary"
                aria-label="Remove recovery email"
                busy={busy}
                onClick={() => setConfirming(true)}
              >
                Remove
              </BusyButton>
            </>
          ) : (
            <BusyButton busy={busy} onClick={() => setSettingUp(true)}>
              Add recovery email
            </BusyButton>
          )}
        </div>
      )}
      {settingUp && recovery && (
        <p className="hint">
          <strong>{recovery.address}</strong> keeps working until the email from the new address has arrived
          and been checked; then the new address takes its place. If that does not happen, nothing changes.
        </p>
      )}
      {settingUp && <SetupWizard anchor={anchor} actor={actor} onDone={done} onCancel={cancel} />}
      <ActionStatus outcome={actions.outcome} />
      {confirming && recovery && (
        <ConfirmDialog
          title="Remove your recovery email?"
          confirmLabel="Yes, remove it"
          onConfirm={() => void remove()}
          onCancel={() => setConfirming(false)}
        >
          <p>
            An email from <strong>{recovery.address}</strong> will no longer get you back into identity{' '}
            {anchor.toString()}. If you then lose your passkeys and devices, there is no way back in.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}

/**
 * Signed in (issue 11, deliverable 3, first part): the identity number, its authenticators and its recovery
 * address as the canister reports them (`identity_info`), adding a recovery email (SetupWizard), and sign out.
 * Still to come: add or remove a passkey, replace or remove the recovery email, the audit log.
 */
import { useCallback, useEffect, useState } from 'react';
import type { Waxseal } from './ic/actor.ts';
import { describeError } from './ic/errors.ts';
import { createPasskey, rememberPasskey } from './ic/passkey.ts';
import { SetupWizard } from './SetupWizard.tsx';

type Info =
  | { state: 'loading' }
  | { state: 'ready'; authenticators: number; recovery: string | null }
  | { state: 'error'; message: string };

export function Manage({
  anchor,
  actor,
  recovered,
  onSignOut,
}: {
  anchor: bigint;
  actor: Waxseal;
  recovered: boolean;
  onSignOut: () => void;
}) {
  const [info, setInfo] = useState<Info>({ state: 'loading' });
  const [adding, setAdding] = useState(false);
  const [passkey, setPasskey] = useState<'offer' | 'working' | 'added' | { error: string }>(
    recovered ? 'offer' : 'added',
  );
  const load = useCallback(() => {
    actor.identity_info(anchor).then(
      (r) =>
        setInfo(
          'Ok' in r
            ? {
                state: 'ready',
                authenticators: r.Ok.authenticators.length,
                recovery: r.Ok.recovery_address[0]?.address ?? null,
              }
            : { state: 'error', message: r.Err.message },
        ),
      (e: unknown) => setInfo({ state: 'error', message: describeError(e) }),
    );
  }, [actor, anchor]);
  useEffect(load, [load]);
  const addPasskey = async () => {
    setPasskey('working');
    try {
      const key = await createPasskey();
      const r = await actor.add_authenticator(anchor, key.getPrincipal());
      if ('Err' in r) return setPasskey({ error: r.Err.message });
      rememberPasskey(anchor, key);
      setPasskey('added');
      load();
    } catch (e) {
      setPasskey({ error: describeError(e) });
    }
  };
  const done = useCallback(() => load(), [load]);
  return (
    <section className="card" aria-labelledby="manage-title">
      <h2 id="manage-title">Identity {anchor.toString()}</h2>
      {info.state === 'loading' && <p aria-live="polite">Loading your identity…</p>}
      {info.state === 'ready' && (
        <ul aria-live="polite">
          <li>
            {info.authenticators === 1 ? '1 passkey or device' : `${info.authenticators} passkeys or devices`}{' '}
            can sign in.
          </li>
          <li>{info.recovery ? `Recovery email: ${info.recovery}` : 'No recovery email yet.'}</li>
        </ul>
      )}
      {passkey !== 'added' && (
        <div className="notice" role="status">
          <p>
            You are signed in by email for a while. Add a passkey on this device now, or you will need the
            email again next time.
          </p>
          {typeof passkey === 'object' && <p role="alert">{passkey.error}</p>}
          <button type="button" disabled={passkey === 'working'} onClick={() => void addPasskey()}>
            Add a passkey on this device
          </button>
        </div>
      )}
      {info.state === 'ready' && !info.recovery && !adding && (
        <button type="button" onClick={() => setAdding(true)}>
          Add recovery email
        </button>
      )}
      {adding && info.state === 'ready' && !info.recovery && (
        <SetupWizard anchor={anchor} actor={actor} onDone={done} onCancel={() => setAdding(false)} />
      )}
      {info.state === 'error' && <p role="alert">{info.message}</p>}
      <button type="button" onClick={onSignOut}>
        Sign out
      </button>
    </section>
  );
}

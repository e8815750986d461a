/**
 * Create an identity (issue 11, deliverable 2): the browser makes a passkey (or, where it has no WebAuthn, a
 * key kept in this browser, ic/device-key.ts, with a plain warning of what that means), the canister makes the
 * identity with its principal as the first authenticator, and the number is shown once, prominently, to write
 * down. The number takes the keyboard once shown (and "Try again" after a failure), since the button that had it
 * is gone (WCAG 2.4.3).
 */
import { useEffect, useId, useRef, useState } from 'react';
import { failureText } from './ActionStatus.tsx';
import { connect } from './ic/actor.ts';
import { keyKindHere, newKey } from './ic/browser-keys.ts';
import type { AppEnv } from './ic/env.ts';
import { refusalText } from './logic/refusal-text.ts';

type Step =
  | { step: 'start' }
  | { step: 'working'; what: string }
  | { step: 'done'; anchor: bigint }
  | { step: 'error'; message: string };

export function CreateIdentity({ env, onCreated }: { env: AppEnv; onCreated: () => void }) {
  const [s, setS] = useState<Step>({ step: 'start' });
  const kind = keyKindHere();
  const id = useId();
  const shown = useRef<HTMLElement>(null);
  const retry = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (s.step === 'done') shown.current?.focus();
    if (s.step === 'error') retry.current?.focus();
  }, [s.step]);
  const create = async () => {
    try {
      setS({ step: 'working', what: kind === 'passkey' ? 'Waiting for your passkey…' : 'Making the key…' });
      const key = await newKey(kind);
      setS({ step: 'working', what: 'Creating your identity…' });
      const r = await (await connect(env, key.identity)).create_identity();
      if ('Err' in r) return setS({ step: 'error', message: refusalText(r.Err) });
      await key.remember(r.Ok);
      setS({ step: 'done', anchor: r.Ok });
      onCreated();
    } catch (e) {
      setS({ step: 'error', message: failureText(e, env.host) });
    }
  };
  return (
    <section className="card" aria-labelledby="create-title">
      <h2 id="create-title">Create an identity</h2>
      {s.step === 'start' && kind === 'passkey' && (
        <>
          <p>Your device makes a passkey (fingerprint, face or screen lock); no password, no seed phrase.</p>
          <button type="button" onClick={() => void create()}>
            Create with a passkey
          </button>
        </>
      )}
      {s.step === 'start' && kind === 'device-key' && (
        <>
          <p>This browser cannot make passkeys. Waxseal can keep a key in this browser instead.</p>
          <p className="hint" data-testid="browser-key-warning">
            The key works only in this browser, on this device. Clearing this site's data (cookies and site
            data) deletes it for good, so add a recovery email right after.
          </p>
          <button type="button" onClick={() => void create()}>
            Create with a key in this browser
          </button>
        </>
      )}
      {s.step === 'working' && <p aria-live="polite">{s.what}</p>}
      {s.step === 'done' && (
        <section
          ref={shown}
          tabIndex={-1}
          aria-labelledby={`${id}-is ${id}-number`}
          aria-describedby={`${id}-why`}
        >
          <p id={`${id}-is`}>Your identity number is</p>
          <p id={`${id}-number`} className="anchor" data-testid="anchor">
            {s.anchor.toString()}
          </p>
          <p id={`${id}-why`}>
            <strong>Write this number down.</strong> You need it to sign in on another device and to recover
            your identity by email.
          </p>
          {kind === 'device-key' && (
            <p data-testid="browser-key-warning">
              Its key is kept in this browser only: clearing this site's data deletes it. Sign in and add a
              recovery email now.
            </p>
          )}
        </section>
      )}
      {s.step === 'error' && (
        <>
          <p role="alert">{s.message}</p>
          <button ref={retry} type="button" onClick={() => void create()}>
            Try again
          </button>
        </>
      )}
    </section>
  );
}

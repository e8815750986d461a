/**
 * Create an identity with a passkey (issue 11, deliverable 2): the browser makes the passkey, the canister
 * makes the identity with the passkey's principal as its first authenticator, and the number is shown once,
 * prominently, to write down.
 */
import { useState } from 'react';
import { connect } from './ic/actor.ts';
import type { AppEnv } from './ic/env.ts';
import { describeError } from './ic/errors.ts';
import { createPasskey, rememberPasskey } from './ic/passkey.ts';

type Step =
  | { step: 'start' }
  | { step: 'working'; what: string }
  | { step: 'done'; anchor: bigint }
  | { step: 'error'; message: string };

export function CreateIdentity({ env, onCreated }: { env: AppEnv; onCreated: () => void }) {
  const [s, setS] = useState<Step>({ step: 'start' });
  const create = async () => {
    try {
      setS({ step: 'working', what: 'Waiting for your passkey…' });
      const passkey = await createPasskey();
      setS({ step: 'working', what: 'Creating your identity…' });
      const r = await (await connect(env, passkey)).create_identity();
      if ('Err' in r) return setS({ step: 'error', message: r.Err.message });
      rememberPasskey(r.Ok, passkey);
      setS({ step: 'done', anchor: r.Ok });
      onCreated();
    } catch (e) {
      const cancelled = e instanceof DOMException && e.name === 'NotAllowedError';
      setS({
        step: 'error',
        message: cancelled
          ? 'The passkey was not created (cancelled or timed out).'
          : describeError(e, env.host),
      });
    }
  };
  return (
    <section className="card" aria-labelledby="create-title">
      <h2 id="create-title">Create an identity</h2>
      {s.step === 'start' && (
        <>
          <p>Your device makes a passkey (fingerprint, face or screen lock); no password, no seed phrase.</p>
          <button type="button" onClick={() => void create()}>
            Create with a passkey
          </button>
        </>
      )}
      {s.step === 'working' && <p aria-live="polite">{s.what}</p>}
      {s.step === 'done' && (
        <div aria-live="polite">
          <p>Your identity number is</p>
          <p className="anchor" data-testid="anchor">
            {s.anchor.toString()}
          </p>
          <p>
            <strong>Write this number down.</strong> You need it to sign in on another device and to recover
            your identity by email.
          </p>
        </div>
      )}
      {s.step === 'error' && (
        <>
          <p role="alert">{s.message}</p>
          <button type="button" onClick={() => void create()}>
            Try again
          </button>
        </>
      )}
    </section>
  );
}

/**
 * Sign in again with a passkey or a key kept in this browser (issue 11, deliverable 2): the identities this
 * browser holds a way into are listed by number, one button each; one signature by that key, then the session
 * acts as the identity's management principal (ic/session.ts).
 */
import { useEffect, useState } from 'react';
import { failureText } from './ActionStatus.tsx';
import { BusyButton } from './BusyButton.tsx';
import { type BrowserKey, keysInThisBrowser, onePerIdentity } from './ic/browser-keys.ts';
import type { AppEnv } from './ic/env.ts';
import { webAuthnAvailable } from './ic/passkey.ts';
import { type Session, SignInRefused, signIn } from './ic/session.ts';
import { refusalText } from './logic/refusal-text.ts';
import './manage.css';

export function SignIn({ env, onSignedIn }: { env: AppEnv; onSignedIn: (s: Session) => void }) {
  const [known, setKnown] = useState<BrowserKey[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    let live = true;
    void keysInThisBrowser().then((keys) => live && setKnown(onePerIdentity(keys, webAuthnAvailable())));
    return () => {
      live = false;
    };
  }, []);
  if (known.length === 0) return null;
  const go = async (key: BrowserKey) => {
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await signIn(env, BigInt(key.anchor), await key.signer()));
    } catch (e) {
      setError(e instanceof SignInRefused ? refusalText(e) : failureText(e, env.host));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="card" aria-labelledby="signin-title">
      <h2 id="signin-title">Sign in</h2>
      <ul className="sign-in">
        {known.map((k) => (
          <li key={k.anchor}>
            <BusyButton
              busy={busy}
              aria-describedby={k.kind === 'device-key' ? `key-here-${k.anchor}` : undefined}
              onClick={() => void go(k)}
            >
              Sign in as identity {k.anchor}
            </BusyButton>
            {k.kind === 'device-key' && (
              <span id={`key-here-${k.anchor}`} className="hint">
                with the key kept in this browser
              </span>
            )}
          </li>
        ))}
      </ul>
      <p aria-live="polite">{busy ? 'Signing in…' : ''}</p>
      {error && <p role="alert">{error}</p>}
    </section>
  );
}

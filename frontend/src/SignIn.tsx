/**
 * Sign in again with a passkey made in this browser (issue 11, deliverable 2): the identities this browser
 * created are listed by number; the passkey signs one delegation (src/ic/session.ts).
 */
import { useState } from 'react';
import type { AppEnv } from './ic/env.ts';
import { describeError } from './ic/errors.ts';
import { passkeyFor, storedPasskeys } from './ic/passkey.ts';
import { type Session, signIn } from './ic/session.ts';

export function SignIn({ env, onSignedIn }: { env: AppEnv; onSignedIn: (s: Session) => void }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const known = storedPasskeys();
  if (known.length === 0) return null;
  const go = async (anchor: string, identity: string) => {
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await signIn(env, BigInt(anchor), passkeyFor({ anchor, identity })));
    } catch (e) {
      const cancelled = e instanceof DOMException && e.name === 'NotAllowedError';
      setError(cancelled ? 'The passkey was not used (cancelled or timed out).' : describeError(e, env.host));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="card" aria-labelledby="signin-title">
      <h2 id="signin-title">Sign in</h2>
      {known.map((p) => (
        <button key={p.anchor} type="button" disabled={busy} onClick={() => void go(p.anchor, p.identity)}>
          Sign in as identity {p.anchor}
        </button>
      ))}
      {error && <p role="alert">{error}</p>}
    </section>
  );
}

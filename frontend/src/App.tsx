/**
 * The app shell: where the page is connected (the canister's served mail host, read through the generated actor
 * over an unmodified HttpAgent), or what went wrong and a retry; then, signed out, sign-in, creating an identity
 * and recovery by email (issue 11), and signed in, the manage page. Signing out sends the keyboard back to the
 * top of the page, since the manage page that had it is gone (WCAG 2.4.3).
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { CreateIdentity } from './CreateIdentity.tsx';
import { connect } from './ic/actor.ts';
import { type AppEnv, loadEnv } from './ic/env.ts';
import { describeError } from './ic/errors.ts';
import type { Session } from './ic/session.ts';
import { Manage } from './Manage.tsx';
import { Recover } from './Recover.tsx';
import { SignIn } from './SignIn.tsx';

type Connection =
  | { state: 'connecting' }
  | { state: 'ready'; env: AppEnv; canisterId: string; mailHost: string | null }
  | { state: 'error'; message: string };

export function App() {
  const [conn, setConn] = useState<Connection>({ state: 'connecting' });
  const [session, setSession] = useState<Session | null>(null);
  /** Bumped when an identity is created, so the sign-in list reads the stored passkeys again. */
  const [created, setCreated] = useState(0);
  const top = useRef<HTMLHeadingElement>(null);
  const signOut = () => {
    setSession(null);
    top.current?.focus();
  };
  const load = useCallback(async () => {
    setConn({ state: 'connecting' });
    let env: AppEnv | undefined;
    try {
      env = await loadEnv();
      const config = await (await connect(env)).config();
      setConn({ state: 'ready', env, canisterId: env.canisterId, mailHost: config.mail_hosts[0] ?? null });
    } catch (e) {
      setConn({ state: 'error', message: describeError(e, env?.host) });
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  return (
    <main>
      <h1 ref={top} tabIndex={-1}>
        Waxseal
      </h1>
      <p className="lead">
        Get back into your Internet Computer identity by sending one ordinary email. No seed phrase.
      </p>
      <section className="card" aria-live="polite">
        {conn.state === 'connecting' && <p>Connecting…</p>}
        {conn.state === 'ready' && (
          <p>
            Connected to canister <code>{conn.canisterId}</code>
            {conn.mailHost ? (
              <>
                ; recovery mail goes to <code>{conn.mailHost}</code>.
              </>
            ) : (
              '; email recovery is not configured on it yet.'
            )}
          </p>
        )}
        {conn.state === 'error' && (
          <>
            <p role="alert">Cannot reach Waxseal: {conn.message}</p>
            <button type="button" onClick={() => void load()}>
              Try again
            </button>
          </>
        )}
      </section>
      {conn.state === 'ready' && session && <Manage session={session} onSignOut={signOut} />}
      {conn.state === 'ready' && !session && (
        <>
          <SignIn key={created} env={conn.env} onSignedIn={setSession} />
          <CreateIdentity env={conn.env} onCreated={() => setCreated((n) => n + 1)} />
          <Recover env={conn.env} onSignedIn={setSession} />
        </>
      )}
    </main>
  );
}

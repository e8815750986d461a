/**
 * `/authorize`: signing in to a dApp with a Waxseal identity (issue 12), the page that @icp-sdk/auth 7.1
 * (ICRC-25/29/34/95) and @dfinity/auth-client 3.x (the legacy Internet Identity protocol) open as their
 * `identityProvider`. One screen, as Internet Identity's ContinueView: which app asks (its origin), which identity
 * will be used (switch, create one, or recover one by email without leaving the page), a primary Continue and
 * Cancel. Before Continue nothing is signed; Continue signs in with the identity's passkey (ic/session.ts), then
 * asks the canister for the app's delegation (delegation.ts) and hands it to the app, which closes this window.
 *
 * The protocol work is in the pure modules beside this file; this view only holds the person's choices.
 */
import { useCallback, useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { failureText } from '../ActionStatus.tsx';
import { CreateIdentity } from '../CreateIdentity.tsx';
import { connect } from '../ic/actor.ts';
import { type BrowserKey, keysInThisBrowser, onePerIdentity } from '../ic/browser-keys.ts';
import { type AppEnv, loadEnv } from '../ic/env.ts';
import { isPasskeyCancelled, webAuthnAvailable } from '../ic/passkey.ts';
import { type Session, SignInRefused, signIn } from '../ic/session.ts';
import { refusalText } from '../logic/refusal-text.ts';
import { Recover } from '../Recover.tsx';
import { effectiveOrigin } from './alternative-origins.ts';
import type { ChannelState } from './channel.ts';
import { signDelegation } from './delegation.ts';
import { type Approval, handleDelegation } from './handler.ts';
import type { Inbox } from './inbox.ts';
import { type Outcome, refuse } from './request.ts';
import './authorize.css';

/** Where the page stands, apart from the channel: one screen each. */
type Stage =
  | { kind: 'idle' }
  | { kind: 'checking'; caller: string }
  | { kind: 'asking'; approval: Approval; answer: (outcome: Outcome) => void }
  | { kind: 'finished'; caller: string; outcome: Outcome };

type EnvState = { kind: 'loading' } | { kind: 'ready'; env: AppEnv } | { kind: 'error'; message: string };

/** The identities this browser holds a key for, read at once (not when the request comes), and the chosen one. */
interface Keys {
  readonly list: BrowserKey[] | null;
  readonly chosen: string | null;
  choose(anchor: string): void;
  /** Reads them again, choosing a newly made one. */
  reload(): void;
}

function useBrowserKeys(): Keys {
  const [list, setList] = useState<BrowserKey[] | null>(null);
  const [chosen, choose] = useState<string | null>(null);
  const seen = useRef<Set<string>>(new Set());
  const reload = useCallback(() => {
    void keysInThisBrowser().then((all) => {
      const keys = onePerIdentity(all, webAuthnAvailable());
      const added = keys.find((k) => !seen.current.has(k.anchor));
      seen.current = new Set(keys.map((k) => k.anchor));
      setList(keys);
      choose((c) => added?.anchor ?? c ?? keys[0]?.anchor ?? null);
    });
  }, []);
  useEffect(reload, [reload]);
  return { list, chosen, choose, reload };
}

/**
 * A new window runs the agent's certificate checks (BLS12-381, CBOR, the subnet's node keys) cold on its first
 * call, which slowed the sign-in after Continue by about 400 ms (BENCHMARKS.md). One anonymous query while the page
 * waits for the app's request does that first run instead; it signs nothing and its answer is not used.
 */
function warmUp(env: AppEnv): void {
  connect(env)
    .then((actor) => actor.config())
    .catch(() => {});
}

export default function Authorize({ inbox }: { inbox: Inbox }) {
  const [env, setEnv] = useState<EnvState>({ kind: 'loading' });
  const channel = useSyncExternalStore(inbox.subscribe, inbox.state);
  const [stage, setStage] = useState<Stage>({ kind: 'idle' });
  const keys = useBrowserKeys();

  const load = useCallback(() => {
    setEnv({ kind: 'loading' });
    loadEnv().then(
      (e) => {
        setEnv({ kind: 'ready', env: e });
        warmUp(e);
      },
      (e: unknown) => setEnv({ kind: 'error', message: failureText(e) }),
    );
  }, []);
  useEffect(load, [load]);

  useEffect(
    () =>
      inbox.serve(async (request, caller, signal) => {
        setStage({ kind: 'checking', caller });
        const outcome = await handleDelegation(request, caller, signal, {
          reservedOrigins: [window.location.origin],
          effectiveOrigin: (c, d) => effectiveOrigin(c, d),
          approve: (approval) =>
            new Promise<Outcome>((answer) => {
              signal.addEventListener('abort', () => answer(refuse('user-aborted', 'The app went away.')));
              setStage({ kind: 'asking', approval, answer });
            }),
        });
        setStage({ kind: 'finished', caller, outcome });
        return outcome;
      }),
    [inbox],
  );

  return (
    <main className="authorize">
      <p className="brand">Waxseal</p>
      <Screen env={env} channel={channel} stage={stage} keys={keys} onRetryEnv={load} />
    </main>
  );
}

function Screen({
  env,
  channel,
  stage,
  keys,
  onRetryEnv,
}: {
  env: EnvState;
  channel: ChannelState;
  stage: Stage;
  keys: Keys;
  onRetryEnv: () => void;
}) {
  // The app leaving while the person decides ends the request, which reads as cancelled; say what happened.
  if (channel.kind === 'gone' && !(stage.kind === 'finished' && stage.outcome.ok)) {
    return (
      <section className="card" aria-labelledby="authorize-title">
        <h1 id="authorize-title">The app stopped waiting</h1>
        <p role="alert">
          The app that opened this window closed or went away; nothing was signed. Close this window and sign
          in again from the app.
        </p>
      </section>
    );
  }
  if (stage.kind === 'finished') return <Finished caller={stage.caller} outcome={stage.outcome} />;
  if (channel.kind === 'no-opener') {
    return (
      <section className="card" aria-labelledby="authorize-title">
        <h1 id="authorize-title">Sign in to an app</h1>
        <p>
          This page signs you in to apps on the Internet Computer with your Waxseal identity. Open it from an
          app's “Sign in with Waxseal” button.
        </p>
        <p>
          <a href="/">Go to Waxseal</a> to create or manage your identity.
        </p>
      </section>
    );
  }
  if (env.kind === 'error') {
    return (
      <section className="card" aria-labelledby="authorize-title">
        <h1 id="authorize-title">Cannot reach Waxseal</h1>
        <p role="alert">{env.message}</p>
        <button type="button" onClick={onRetryEnv}>
          Try again
        </button>
      </section>
    );
  }
  if (stage.kind === 'asking' && env.kind === 'ready') {
    return <Ask env={env.env} approval={stage.approval} answer={stage.answer} keys={keys} />;
  }
  const caller =
    stage.kind === 'checking' ? stage.caller : channel.kind === 'connected' ? channel.origin : null;
  return (
    <section className="card" aria-labelledby="authorize-title" aria-busy="true">
      <h1 id="authorize-title">{caller ? `Sign in to ${caller}` : 'Sign in to an app'}</h1>
      <p aria-live="polite">{caller ? 'Getting the request ready…' : 'Connecting to the app…'}</p>
    </section>
  );
}

function Finished({ caller, outcome }: { caller: string; outcome: Outcome }) {
  const [title, text] = outcome.ok
    ? ['Signed in', `You are signed in to ${caller}. This window closes by itself.`]
    : outcome.code === 'user-aborted'
      ? ['Sign-in cancelled', `Nothing was signed for ${caller}. You can close this window.`]
      : ['The app’s request was refused', `Nothing was signed for ${caller}: ${outcome.message}.`];
  return (
    <section className="card" aria-labelledby="authorize-title">
      <h1 id="authorize-title">{title}</h1>
      <p
        role={outcome.ok || outcome.code === 'user-aborted' ? 'status' : 'alert'}
        data-testid="authorize-result"
      >
        {text}
      </p>
    </section>
  );
}

/** The one screen: the app, the identity, Continue and Cancel; or creating or recovering an identity. */
function Ask({
  env,
  approval,
  answer,
  keys,
}: {
  env: AppEnv;
  approval: Approval;
  answer: (o: Outcome) => void;
  keys: Keys;
}) {
  const [session, setSession] = useState<Session | null>(null);
  const [mode, setMode] = useState<'choose' | 'create' | 'recover'>('choose');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);

  const identity = session ? session.anchor.toString() : keys.chosen;
  const cont = async () => {
    if (identity === null) return;
    setBusy(true);
    setProblem(null);
    try {
      let s = session;
      if (!s || s.anchor.toString() !== identity) {
        const key = keys.list?.find((k) => k.anchor === identity);
        if (!key) return setProblem('This browser holds no key for that identity.');
        s = await signIn(env, BigInt(identity), await key.signer());
        setSession(s);
      }
      const signed = await signDelegation(s.actor, s.anchor, approval, s.recovered ? 'recovery' : 'passkey');
      if (!signed.ok) return setProblem(`Waxseal did not sign: ${signed.message}`);
      answer({ ok: true, chain: signed.value });
    } catch (e) {
      setProblem(
        isPasskeyCancelled(e)
          ? 'The passkey was not used (cancelled or timed out). Try again.'
          : e instanceof SignInRefused
            ? refusalText(e)
            : failureText(e, env.host),
      );
    } finally {
      setBusy(false);
    }
  };
  const cancel = () => answer(refuse('user-aborted', 'The person cancelled the sign-in.'));

  const derived = approval.origin !== approval.caller;
  return (
    <section className="card ask" aria-labelledby="authorize-title">
      <h1 id="authorize-title">Sign in to {approval.caller}</h1>
      <p className="app" data-testid="app-origin">
        {approval.caller}
      </p>
      {derived && (
        <p className="hint" data-testid="derivation-origin">
          with your principal for {approval.origin}, which lists this app as one of its own addresses
        </p>
      )}
      {mode === 'create' && (
        <>
          <CreateIdentity
            env={env}
            onCreated={() => {
              setSession(null);
              keys.reload();
            }}
          />
          <button type="button" className="secondary" onClick={() => setMode('choose')}>
            Back to sign-in
          </button>
        </>
      )}
      {mode === 'recover' && (
        <>
          <Recover
            env={env}
            onSignedIn={(s) => {
              setSession(s);
              setMode('choose');
            }}
          />
          <button type="button" className="secondary" onClick={() => setMode('choose')}>
            Back to sign-in
          </button>
        </>
      )}
      {mode === 'choose' && (
        <>
          <IdentityChoice keys={keys} session={session} busy={busy} />
          <div className="actions">
            <button type="button" disabled={busy || identity === null} onClick={() => void cont()}>
              Continue
            </button>
            <button type="button" className="secondary" disabled={busy} onClick={cancel}>
              Cancel
            </button>
          </div>
          <p aria-live="polite">{busy ? 'Signing you in…' : ''}</p>
          {problem && <p role="alert">{problem}</p>}
          <div className="other-ways">
            <button type="button" className="link" disabled={busy} onClick={() => setMode('create')}>
              Create a new identity
            </button>
            <button type="button" className="link" disabled={busy} onClick={() => setMode('recover')}>
              Lost access? Recover by email
            </button>
          </div>
        </>
      )}
    </section>
  );
}

function IdentityChoice({ keys, session, busy }: { keys: Keys; session: Session | null; busy: boolean }) {
  const { list, chosen } = keys;
  if (session?.recovered) {
    return (
      <p data-testid="identity">
        You are signed in by email as identity <strong>{session.anchor.toString()}</strong>.
      </p>
    );
  }
  if (list === null) return <p aria-live="polite">Looking for your identities…</p>;
  if (list.length === 0) {
    return <p>This browser has no Waxseal identity yet. Create one, or recover yours by email.</p>;
  }
  if (list.length === 1) {
    return (
      <p data-testid="identity">
        as identity <strong>{list[0]!.anchor}</strong>
      </p>
    );
  }
  return (
    <fieldset className="identities" disabled={busy}>
      <legend>Which identity?</legend>
      {list.map((k) => (
        <label key={k.anchor}>
          <input
            type="radio"
            name="identity"
            value={k.anchor}
            checked={chosen === k.anchor}
            onChange={() => keys.choose(k.anchor)}
          />{' '}
          Identity {k.anchor}
        </label>
      ))}
    </fieldset>
  );
}

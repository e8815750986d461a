/**
 * Signed in (issue 11, deliverable 3): the identity number, the principal this session acts as (the identity's
 * management principal, protocol.md §1, whatever got the person in), the passkeys and devices that can sign in,
 * the recovery email, and what happened to the identity (its audit log, protocol.md §2), all as `identity_info`
 * reports them and read again after every change; then sign out. The page urges a way in on this device when
 * the person would otherwise depend on email alone: a session from an email recovery (the canister's delegation
 * expires), or an identity with no passkey or device left (canister/identities.ts allows that while a recovery
 * address is set). The heading takes the keyboard when the page opens, since the button that opened it is gone
 * (WCAG 2.4.3).
 */
import { Actor } from '@icp-sdk/core/agent';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { IdentityInfo } from '../../canister/declarations/waxseal.did.ts';
import { useActions } from './ActionStatus.tsx';
import { AuditLog } from './AuditLog.tsx';
import { Authenticators, type Urge } from './Authenticators.tsx';
import { type BrowserKey, keyKindHere, keysInThisBrowser, newKey } from './ic/browser-keys.ts';
import { describeError } from './ic/errors.ts';
import type { Session } from './ic/session.ts';
import { refusalText } from './logic/refusal-text.ts';
import { RecoveryEmailCard } from './RecoveryEmailCard.tsx';
import './manage.css';

interface Loaded {
  readonly info: IdentityInfo;
  /** `whoami()` through this session. */
  readonly principal: string;
  readonly gateways: readonly string[];
  /** This browser's keys for this identity. */
  readonly here: readonly BrowserKey[];
}

export function Manage({ session, onSignOut }: { session: Session; onSignOut: () => void }) {
  const { anchor, actor } = session;
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    heading.current?.focus();
  }, []);
  const load = useCallback(async () => {
    try {
      const [info, principal, config, keys] = await Promise.all([
        actor.identity_info(anchor),
        actor.whoami(),
        actor.config(),
        keysInThisBrowser(),
      ]);
      if ('Err' in info) return setLoadError(refusalText(info.Err));
      setLoadError(null);
      setLoaded({
        info: info.Ok,
        principal: principal.toText(),
        gateways: config.gateway_principals.map((p) => p.toText()),
        here: keys.filter((k) => k.anchor === anchor.toString()),
      });
    } catch (e) {
      setLoadError(describeError(e));
    }
  }, [actor, anchor]);
  useEffect(() => {
    void load();
  }, [load]);
  const keys = useActions(load);
  const email = useActions(load);
  const busy = keys.busy || email.busy;

  const kind = keyKindHere();
  const addHere = () =>
    keys.run(
      kind === 'passkey'
        ? { working: 'Waiting for your new passkey…', done: 'Passkey added: it can now sign in.' }
        : {
            working: 'Making a key in this browser…',
            done: 'Key added: this browser can now sign in. Clearing its site data deletes the key.',
          },
      async () => {
        const key = await newKey(kind);
        const r = await actor.add_authenticator(anchor, key.identity.getPrincipal());
        if ('Ok' in r) await key.remember(anchor);
        return r;
      },
    );

  const listed = new Set(loaded?.info.authenticators.map((p) => p.toText()));
  const recovery = loaded?.info.recovery_address[0] ?? null;
  const you = [loaded?.principal, session.authenticator].filter((p): p is string => p !== undefined);
  /** After an email recovery, until a key in this browser opens the identity again. */
  const emailSession = session.recovered === true && !loaded?.here.some((k) => listed.has(k.principal));
  const urge: Urge = listed.size === 0 ? 'none-left' : emailSession ? 'email-session' : null;

  return (
    <section className="card manage" aria-labelledby="manage-title">
      <h2 id="manage-title" ref={heading} tabIndex={-1}>
        Identity <span className="anchor-number">{anchor.toString()}</span>
      </h2>
      <p className="details">
        Details: this session signs as <code data-testid="principal">{loaded?.principal ?? '…'}</code>
      </p>
      {!loaded && !loadError && <p>Loading your identity…</p>}
      {loadError && (
        <div role="alert">
          <p>Could not read your identity: {loadError}</p>
          <button type="button" onClick={() => void load()}>
            Try again
          </button>
        </div>
      )}
      {loaded && (
        <>
          <Authenticators
            anchor={anchor}
            actor={actor}
            authenticators={loaded.info.authenticators}
            signedInWith={session.authenticator}
            here={loaded.here}
            recovery={recovery?.address ?? null}
            actions={keys}
            busy={busy}
            kind={kind}
            urge={urge}
            addHere={addHere}
          />
          <RecoveryEmailCard anchor={anchor} actor={actor} recovery={recovery} actions={email} busy={busy} />
          <AuditLog
            log={loaded.info.log}
            recognised={{
              you,
              gateways: loaded.gateways,
              canister: Actor.canisterIdOf(actor).toText(),
              authenticators: [...listed],
            }}
          />
        </>
      )}
      <div className="actions">
        <button type="button" className="secondary" onClick={onSignOut}>
          Sign out
        </button>
      </div>
    </section>
  );
}

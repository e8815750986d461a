/**
 * The passkeys and devices that can sign in to the identity (protocol.md §1 authenticators; issue 11,
 * deliverable 3): each one shortened, "this device" where this browser holds it or signed in with it, "Remove"
 * behind a confirmation, and a way to add one here. Removing the last one gets its own warning in plain words,
 * naming the consequence on the button: only the recovery email would then get the person in, or, without one,
 * nobody ever again. (The canister removes the last one only while a recovery address is set, and otherwise
 * refuses with `LastAuthenticator`; the page then says so and nothing changes.) With none left, or in a session
 * from an email recovery, the section opens with a notice that says so and offers one on this device first (with
 * none, the notice takes the place of the count).
 * When a removal or that notice takes the focused button away, the keyboard goes to the heading (WCAG 2.4.3).
 */
import type { Principal } from '@icp-sdk/core/principal';
import { useRef, useState } from 'react';
import { ActionStatus, type Actions } from './ActionStatus.tsx';
import { BusyButton } from './BusyButton.tsx';
import { ConfirmDialog } from './ConfirmDialog.tsx';
import type { Waxseal } from './ic/actor.ts';
import { type BrowserKey, forgetKey, type KeyKind } from './ic/browser-keys.ts';
import { shortPrincipal } from './logic/audit-log.ts';

/**
 * Why the page urges a way in on this device: `none-left`, no passkey or device can sign in (only the recovery
 * email gets in); `email-session`, signed in by email and this browser holds no key that is listed.
 */
export type Urge = 'none-left' | 'email-session' | null;

export function Authenticators({
  anchor,
  actor,
  authenticators,
  signedInWith,
  here,
  recovery,
  actions,
  busy,
  kind,
  urge,
  addHere,
}: {
  anchor: bigint;
  actor: Waxseal;
  authenticators: readonly Principal[];
  /** The principal of the passkey or key that signed in, if one did. */
  signedInWith: string | undefined;
  /** This browser's keys for the identity. */
  here: readonly BrowserKey[];
  /** The recovery address, which decides what losing the last authenticator means. */
  recovery: string | null;
  /** This section's runner. */
  actions: Actions;
  /** A change runs somewhere on the page. */
  busy: boolean;
  /** What this browser can add: a passkey, or a key kept in the browser. */
  kind: KeyKind;
  urge: Urge;
  /** Adds a passkey or key on this device; resolves true once the canister has it. */
  addHere: () => Promise<boolean>;
}) {
  const [confirming, setConfirming] = useState<Principal | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const n = authenticators.length;
  const last = n === 1;

  const remove = async (p: Principal) => {
    setConfirming(null);
    const text = p.toText();
    const ok = await actions.run(
      { working: 'Removing it…', done: `Removed: ${shortPrincipal(text)} can no longer sign in.` },
      async () => {
        const r = await actor.remove_authenticator(anchor, p);
        const kept = here.find((k) => k.principal === text);
        if ('Ok' in r && kept) await forgetKey(kept);
        return r;
      },
    );
    // Its Remove button is gone with it: keep the keyboard in the list rather than at the top of the page.
    if (ok) heading.current?.focus();
  };
  const add = async () => {
    // The notice and its button go once one is added here.
    if ((await addHere()) && urge) heading.current?.focus();
  };

  return (
    <section aria-labelledby="authenticators-title">
      <h3 id="authenticators-title" ref={heading} tabIndex={-1}>
        Passkeys and devices
      </h3>
      {urge && (
        <div className="notice" data-urge={urge}>
          {urge === 'none-left' ? (
            <p>
              <strong>No passkey or device can sign in to this identity.</strong> Only an email from your
              recovery address{recovery ? <>, {recovery},</> : ''} gets you in now. Add a passkey on this
              device, so that losing that mailbox does not lock you out.
            </p>
          ) : (
            <p>
              You are signed in by email for a while. Add a way in on this device now, or you will need the
              email again next time.
            </p>
          )}
          <BusyButton busy={busy} onClick={() => void add()}>
            {kind === 'passkey' ? 'Add a passkey on this device' : 'Keep a key in this browser'}
          </BusyButton>
        </div>
      )}
      {n > 0 && (
        <p>{n === 1 ? '1 passkey or device can sign in.' : `${n} passkeys or devices can sign in.`}</p>
      )}
      <ul className="authenticators">
        {authenticators.map((p) => {
          const text = p.toText();
          const short = shortPrincipal(text);
          const kept = here.find((k) => k.principal === text);
          return (
            <li key={text}>
              <span className="who">
                <code title={text}>{short}</code>
                {(kept || text === signedInWith) && <span className="badge">this device</span>}
                {kept?.kind === 'device-key' && (
                  <span className="hint">
                    Key kept in this browser: clearing this site's data deletes it.
                  </span>
                )}
              </span>
              <BusyButton
                className="secondary"
                aria-label={`Remove ${short}`}
                busy={busy}
                onClick={() => setConfirming(p)}
              >
                Remove
              </BusyButton>
            </li>
          );
        })}
      </ul>
      {!urge && (
        <BusyButton busy={busy} onClick={() => void add()}>
          {kind === 'passkey' ? 'Add a passkey' : 'Add a key in this browser'}
        </BusyButton>
      )}
      <ActionStatus outcome={actions.outcome} />
      {confirming && !last && (
        <ConfirmDialog
          title="Remove this passkey or device?"
          confirmLabel="Yes, remove it"
          onConfirm={() => void remove(confirming)}
          onCancel={() => setConfirming(null)}
        >
          <p>
            {shortPrincipal(confirming.toText())} will no longer be able to sign in to identity{' '}
            {anchor.toString()}. The {n - 1 === 1 ? 'other one keeps' : `other ${n - 1} keep`} working.
          </p>
        </ConfirmDialog>
      )}
      {confirming && last && (
        <ConfirmDialog
          title="Remove your only way to sign in?"
          confirmLabel={
            recovery
              ? 'Remove it: only my recovery email will get me in'
              : `Remove it and lose identity ${anchor.toString()} for good`
          }
          onConfirm={() => void remove(confirming)}
          onCancel={() => setConfirming(null)}
        >
          <p>This is the only passkey or device that can sign in to identity {anchor.toString()}.</p>
          {recovery ? (
            <p>
              Without it, the only way back in is an email from your recovery address,{' '}
              <strong>{recovery}</strong>. If you lose access to that mailbox too, the identity is lost for
              good.
            </p>
          ) : (
            <p>
              This identity has <strong>no recovery email</strong>. Without this passkey or device nobody can
              ever sign in to identity {anchor.toString()} again, not even Waxseal: it is lost for good.
            </p>
          )}
          <p>To replace it safely, add the new passkey first, then remove this one.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}

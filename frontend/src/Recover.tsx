/**
 * "Lost access?" (issue 11, deliverable 4; protocol.md §3 recovery): the address (the same AddressStep as setup,
 * with its domain pre-check), a session key made here, the mail to send (the same SendStep as setup), and once
 * the canister has verified it (RecoveryReady) its delegation to that session key: the page is then signed in as
 * the identity, and offers at once to add a passkey on this device, since the delegation expires. After "Start
 * again" the address field takes the keyboard, since the button that had it is gone (WCAG 2.4.3).
 */
import { ECDSAKeyIdentity } from '@icp-sdk/core/identity';
import { useRef, useState } from 'react';
import { AddressStep } from './AddressStep.tsx';
import { connect, type Waxseal } from './ic/actor.ts';
import { configOf } from './ic/config.ts';
import type { AppEnv } from './ic/env.ts';
import { describeError } from './ic/errors.ts';
import { canisterDelegatedIdentity, type Session } from './ic/session.ts';
import type { ChallengeStatus } from './logic/challenge-view.ts';
import { nsToMs } from './logic/poll-schedule.ts';
import { type Prepared, SendStep } from './SendStep.tsx';

export function Recover({ env, onSignedIn }: { env: AppEnv; onSignedIn: (s: Session) => void }) {
  const [problem, setProblem] = useState<string | null>(null);
  const [flow, setFlow] = useState<{ prepared: Prepared; key: ECDSAKeyIdentity; actor: Waxseal } | null>(
    null,
  );
  const [previous, setPrevious] = useState('');
  /** One anonymous actor for the config read and the challenge; made on first use, again after a failure. */
  const anonymous = useRef<Promise<Waxseal> | null>(null);
  const actor = () => {
    anonymous.current ??= connect(env).catch((e: unknown) => {
      anonymous.current = null;
      throw e;
    });
    return anonymous.current;
  };

  const prepare = async (address: string): Promise<string | null> => {
    const key = await ECDSAKeyIdentity.generate({ extractable: false });
    const a = await actor();
    const r = await a.email_recovery_prepare(address, new Uint8Array(key.getPublicKey().toDer()));
    if ('Err' in r) return r.Err.message;
    setProblem(null);
    setFlow({ prepared: { address, ...r.Ok, expiresAtMs: nsToMs(r.Ok.expires_at) }, key, actor: a });
    return null;
  };

  const finish = async (status: ChallengeStatus) => {
    if (!flow || !('RecoveryReady' in status)) return;
    const { anchor, user_key: userKey, expiration } = status.RecoveryReady;
    const { nonce } = flow.prepared;
    try {
      const r = await flow.actor.email_recovery_get_delegation(
        nonce,
        new Uint8Array(flow.key.getPublicKey().toDer()),
        expiration,
      );
      if ('Err' in r) return setProblem(r.Err.message);
      const identity = canisterDelegatedIdentity(flow.key, userKey, r.Ok);
      onSignedIn({ anchor, actor: await connect(env, identity), recovered: true });
    } catch (err) {
      setProblem(describeError(err, env.host));
    }
  };

  return (
    <section className="card" aria-labelledby="recover-title">
      <h2 id="recover-title">Lost access?</h2>
      {!flow && (
        <AddressStep
          id="recover-address"
          label="Your recovery email address"
          intro="Get back in with the recovery email you added to your identity."
          initial={previous}
          host={env.host}
          loadConfig={async () => configOf(await actor())}
          prepare={prepare}
          focusOnMount={previous !== ''}
        />
      )}
      {flow && (
        <SendStep
          actor={flow.actor}
          prepared={flow.prepared}
          onDone={(s) => void finish(s)}
          onRestart={() => {
            setPrevious(flow.prepared.address);
            setFlow(null);
          }}
        />
      )}
      {problem && <p role="alert">{problem}</p>}
    </section>
  );
}

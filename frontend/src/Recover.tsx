/**
 * "Lost access?" (issue 11, deliverable 4; protocol.md §3 recovery): the address, a session key made here, the
 * mail to send (the same SendStep as setup), and once the canister has verified it (RecoveryReady) its delegation
 * to that session key: the page is then signed in as the identity, and offers at once to add a passkey on this
 * device, since the delegation expires.
 */
import { DelegationChain, DelegationIdentity, ECDSAKeyIdentity } from '@icp-sdk/core/identity';
import { type FormEvent, useState } from 'react';
import { AddressInput } from './AddressInput.tsx';
import { connect, type Waxseal } from './ic/actor.ts';
import type { AppEnv } from './ic/env.ts';
import { describeError } from './ic/errors.ts';
import type { Session } from './ic/session.ts';
import { checkAddressEntry } from './logic/address-entry.ts';
import type { ChallengeStatus } from './logic/challenge-view.ts';
import { nsToMs } from './logic/poll-schedule.ts';
import { type Prepared, SendStep } from './SetupWizard.tsx';

export function Recover({ env, onSignedIn }: { env: AppEnv; onSignedIn: (s: Session) => void }) {
  const [typed, setTyped] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [flow, setFlow] = useState<{ prepared: Prepared; key: ECDSAKeyIdentity; actor: Waxseal } | null>(
    null,
  );

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const entry = checkAddressEntry(typed);
    if (entry.kind !== 'ok') return setProblem(entry.message);
    setProblem(null);
    try {
      const key = await ECDSAKeyIdentity.generate({ extractable: false });
      const actor = await connect(env);
      const r = await actor.email_recovery_prepare(entry.address, new Uint8Array(key.getPublicKey().toDer()));
      if ('Err' in r) return setProblem(r.Err.message);
      setFlow({
        prepared: { address: entry.address, ...r.Ok, expiresAtMs: nsToMs(r.Ok.expires_at) },
        key,
        actor,
      });
    } catch (err) {
      setProblem(describeError(err, env.host));
    }
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
      const chain = DelegationChain.fromDelegations(
        [
          {
            delegation: { pubkey: r.Ok.delegation.pubkey, expiration, targets: undefined },
            signature: r.Ok.signature,
          },
        ] as never,
        userKey as never,
      );
      const identity = DelegationIdentity.fromDelegation(flow.key, chain);
      onSignedIn({ anchor, actor: await connect(env, identity), recovered: true });
    } catch (err) {
      setProblem(describeError(err, env.host));
    }
  };

  return (
    <section className="card" aria-labelledby="recover-title">
      <h2 id="recover-title">Lost access?</h2>
      {!flow && (
        <form noValidate onSubmit={(e) => void submit(e)}>
          <p>Get back in with the recovery email you added to your identity.</p>
          <AddressInput
            id="recover-address"
            label="Your recovery email address"
            value={typed}
            onChange={setTyped}
          />
          <div className="actions">
            <button type="submit">Continue</button>
          </div>
        </form>
      )}
      {flow && (
        <SendStep
          actor={flow.actor}
          prepared={flow.prepared}
          onDone={(s) => void finish(s)}
          onRestart={() => setFlow(null)}
        />
      )}
      {problem && <p role="alert">{problem}</p>}
    </section>
  );
}

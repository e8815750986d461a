/**
 * Add a recovery email (issue 11, deliverable 4; protocol.md §3): the address, checked before anything is
 * prepared (AddressStep: the canister's address rules, then whether the canister can verify mail from its
 * domain), then the mail to send and what became of it (SendStep). "Start again" comes back here with the
 * address of the previous attempt.
 */
import { useState } from 'react';
import { AddressStep } from './AddressStep.tsx';
import type { Waxseal } from './ic/actor.ts';
import { configOf } from './ic/config.ts';
import { nsToMs } from './logic/poll-schedule.ts';
import { type Prepared, SendStep } from './SendStep.tsx';

export function SetupWizard({
  anchor,
  actor,
  onDone,
  onCancel,
}: {
  anchor: bigint;
  actor: Waxseal;
  onDone: () => void;
  onCancel: () => void;
}) {
  const [prepared, setPrepared] = useState<Prepared | null>(null);
  const [previous, setPrevious] = useState('');

  if (prepared) {
    const restart = () => {
      setPrevious(prepared.address);
      setPrepared(null);
    };
    return <SendStep actor={actor} prepared={prepared} onDone={onDone} onRestart={restart} />;
  }
  return (
    <AddressStep
      id="recovery-address"
      label="Your email address"
      title="Add a recovery email"
      initial={previous}
      loadConfig={() => configOf(actor)}
      prepare={async (address) => {
        const r = await actor.email_setup_prepare(anchor, address);
        if ('Err' in r) return r.Err.message;
        setPrepared({ address, ...r.Ok, expiresAtMs: nsToMs(r.Ok.expires_at) });
        return null;
      }}
      onCancel={onCancel}
      focusOnMount
    />
  );
}

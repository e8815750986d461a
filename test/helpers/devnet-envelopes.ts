// What the devnet's refusal tests build besides the agent's request bodies (devnet-requests.ts): delegation
// chains as the agent makes them (`DelegationChain.create`), and edits of a decoded envelope.

import type { SignIdentity } from '@icp-sdk/core/agent';
import { DelegationChain, DelegationIdentity } from '@icp-sdk/core/identity';
import type { Principal } from '@icp-sdk/core/principal';
import { type CborValue, decodeCbor, encodeCborSelfDescribed } from '../../src/identity/cbor.ts';

/** A decoded envelope, open to edits. */
export interface EditableEnvelope {
  content: Record<string, CborValue>;
  sender_pubkey?: Uint8Array;
  sender_sig?: Uint8Array;
  sender_delegation?: { delegation: Record<string, CborValue>; signature: Uint8Array }[];
}

/** Decodes a body, lets `edit` change the envelope, and encodes it again (tag 55799). */
export function rewrite(body: Uint8Array, edit: (envelope: EditableEnvelope) => void): Uint8Array {
  const envelope = decodeCbor(body) as unknown as EditableEnvelope;
  edit(envelope);
  return encodeCborSelfDescribed(envelope as unknown as CborValue);
}

export interface ChainOptions {
  /** Of every delegation. Default: an hour from now. */
  readonly expiration?: Date;
  /** The targets of the delegation from `keys[i]`, by `i`; none where absent. */
  readonly targets?: readonly (Principal[] | undefined)[];
  /** The permissions of the delegation from `keys[i]`, by `i`; none where absent. */
  readonly permissions?: readonly (string | undefined)[];
}

/** A delegation chain from `keys[0]` through every later key; the identity signs with the last one. */
export async function chainIdentity(
  keys: readonly SignIdentity[],
  options: ChainOptions = {},
): Promise<DelegationIdentity> {
  const expiration = options.expiration ?? new Date(Date.now() + 3_600_000);
  let chain: DelegationChain | undefined;
  for (let i = 1; i < keys.length; i++) {
    chain = await DelegationChain.create(keys[i - 1]!, keys[i]!.getPublicKey(), expiration, {
      previous: chain,
      targets: options.targets?.[i - 1],
      permissions: options.permissions?.[i - 1],
    });
  }
  return DelegationIdentity.fromDelegation(keys.at(-1)!, chain!);
}

/**
 * The 32-byte salt of every user principal's seed (protocol.md §1): made once from the management canister's
 * `raw_rand` and kept in stable memory forever, since changing it would change every user principal.
 *
 * It is never taken from `crypto.getRandomValues` and never made inside `@init`: Azle's CSPRNG is seeded with
 * zeros until its own post-init timer has run (ic-notes.md §0, §2.4). Instead `@init` and `@postUpgrade` arm
 * a 0-second timer that calls `raw_rand`; a failed call is retried every minute. Until the salt exists,
 * `requireSalt()` traps, so nothing can derive a principal from a missing salt.
 */
import { call, IDL, setTimer } from 'azle';
import { secretsMap } from './state.ts';

const SALT_KEY = 'salt';
export const SALT_BYTES = 32;
const RETRY_SECONDS = 60;

/** The salt, or `undefined` before the first `raw_rand` answer has been stored. */
export function salt(): Uint8Array | undefined {
  return secretsMap.get(SALT_KEY);
}

export function saltReady(): boolean {
  return secretsMap.containsKey(SALT_KEY);
}

/** The salt; traps (rolling back the message) if it does not exist yet. */
export function requireSalt(): Uint8Array {
  const value = salt();
  if (value === undefined) throw new Error('the canister salt is not ready yet; retry in a few seconds');
  return value;
}

/** Called from `@init` and `@postUpgrade` (timers do not survive upgrades). */
export function armSaltTimer(): void {
  if (!saltReady()) setTimer(0, fetchSalt);
}

async function fetchSalt(): Promise<void> {
  if (saltReady()) return;
  let bytes: Uint8Array;
  try {
    bytes = await call<undefined, Uint8Array>('aaaaa-aa', 'raw_rand', { returnIdlType: IDL.Vec(IDL.Nat8) });
  } catch (error) {
    console.log(`waxseal: raw_rand failed (${describeError(error)}); retrying in ${RETRY_SECONDS} s`);
    setTimer(RETRY_SECONDS, fetchSalt);
    return;
  }
  if (bytes.length < SALT_BYTES) throw new Error(`raw_rand returned ${bytes.length} bytes`);
  // Two timers may race (an upgrade while a call is in flight): the first answer stored wins, forever.
  if (!saltReady()) secretsMap.insert(SALT_KEY, bytes.slice(0, SALT_BYTES));
}

function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null && 'type' in error) {
    const e = error as { type: string; rejectCode?: number; rejectMessage?: string };
    return `${e.type}${e.rejectCode === undefined ? '' : ` ${e.rejectCode}`}${e.rejectMessage === undefined ? '' : `: ${e.rejectMessage}`}`;
  }
  return String(error);
}

/**
 * The audit log in words (frontend/src/logic/audit-log.ts; protocol.md §2 audit log, issue 11 deliverable 3):
 * newest first, every kind readable, who did it, dates from canister nanoseconds, short principals.
 */
import { Principal } from '@icp-sdk/core/principal';
import { describe, expect, it } from 'vitest';
import type { AuditEntry, AuditKind } from '../canister/declarations/waxseal.did.ts';
import {
  type AuditKindName,
  auditLines,
  KIND_TEXT,
  nsToDate,
  shortPrincipal,
  whoText,
} from '../frontend/src/logic/audit-log.ts';

const principal = (n: number) => Principal.selfAuthenticating(new Uint8Array(32).fill(n));
const MANAGEMENT = principal(1);
const PASSKEY = principal(2);
const GATEWAY = principal(3);
const STRANGER = principal(4);
const CANISTER = Principal.fromText('uxrrr-q7777-77774-qaaaq-cai');
const T0 = 1_750_000_000_000_000_000n; // 2025-06-15T15:06:40Z in ns

function entry(kind: AuditKindName, caller: Principal, at: bigint): AuditEntry {
  return { kind: { [kind]: null } as AuditKind, caller, at };
}

const OTHER_PASSKEY = principal(7);
const recognised = {
  you: [MANAGEMENT.toText(), PASSKEY.toText()],
  gateways: [GATEWAY.toText()],
  canister: CANISTER.toText(),
  authenticators: [PASSKEY.toText(), OTHER_PASSKEY.toText()],
};

describe('auditLines', () => {
  it('lists the newest entry first, each kind in words', () => {
    const log = [
      entry('IdentityCreated', PASSKEY, T0),
      entry('AuthenticatorAdded', MANAGEMENT, T0 + 1n),
      entry('RecoveryEmailAdded', GATEWAY, T0 + 2n),
      entry('RecoveredByEmail', GATEWAY, T0 + 3n),
    ];
    expect(auditLines(log, recognised).map((l) => l.text)).toEqual([
      'Signed in with recovery email',
      'Recovery email added',
      'Passkey or device added',
      'Identity created',
    ]);
  });

  it('keeps the canister order (reversed) for entries at the same time, with distinct keys', () => {
    const log = [entry('AuthenticatorAdded', MANAGEMENT, T0), entry('AuthenticatorRemoved', MANAGEMENT, T0)];
    const lines = auditLines(log, recognised);
    expect(lines.map((l) => l.kind)).toEqual(['AuthenticatorRemoved', 'AuthenticatorAdded']);
    expect(new Set(lines.map((l) => l.key)).size).toBe(2);
  });

  it('says "you" for this session and the key that signed in, never a principal', () => {
    const [removed, created] = auditLines(
      [entry('IdentityCreated', PASSKEY, T0), entry('RecoveryEmailRemoved', MANAGEMENT, T0 + 1n)],
      recognised,
    );
    expect(whoText(removed!.who)).toBe('by you');
    expect(whoText(created!.who)).toBe('by you');
  });

  it('names the mail service for a configured gateway, and for the email kinds whatever principal completed them', () => {
    const lines = auditLines(
      [
        entry('AuthenticatorAdded', GATEWAY, T0),
        entry('RecoveryEmailAdded', STRANGER, T0 + 1n),
        entry('RecoveredByEmail', STRANGER, T0 + 2n),
      ],
      recognised,
    );
    expect(lines.map((l) => l.who.kind)).toEqual(['mail', 'mail', 'mail']);
    expect(whoText(lines[0]!.who)).toBe('by the mail service, after your email');
  });

  it('names Waxseal when the canister itself completed it', () => {
    const [own] = auditLines([entry('RecoveryEmailAdded', CANISTER, T0)], recognised);
    expect(whoText(own!.who)).toBe('by Waxseal');
  });

  it('names another passkey of the identity, or one removed since, by its short principal', () => {
    const [removed, other] = auditLines(
      [entry('AuthenticatorAdded', OTHER_PASSKEY, T0), entry('IdentityCreated', STRANGER, T0 + 1n)],
      recognised,
    );
    expect(other!.who).toEqual({ kind: 'authenticator', principal: OTHER_PASSKEY.toText() });
    expect(whoText(other!.who)).toBe(
      `by ${shortPrincipal(OTHER_PASSKEY.toText())}, a passkey or device of this identity`,
    );
    expect(removed!.who).toEqual({ kind: 'removed', principal: STRANGER.toText() });
    expect(whoText(removed!.who)).toBe(
      `by ${shortPrincipal(STRANGER.toText())}, a passkey or device removed since`,
    );
  });

  it('has words for every kind of the Candid interface', () => {
    const kinds: AuditKindName[] = [
      'IdentityCreated',
      'AuthenticatorAdded',
      'AuthenticatorRemoved',
      'RecoveryEmailAdded',
      'RecoveryEmailRemoved',
      'RecoveredByEmail',
    ];
    expect(Object.keys(KIND_TEXT).sort()).toEqual([...kinds].sort());
    for (const k of kinds) expect(KIND_TEXT[k]).toMatch(/^[A-Z][a-z ]+$/);
  });

  it('returns nothing for an empty log', () => {
    expect(auditLines([], recognised)).toEqual([]);
  });
});

describe('nsToDate', () => {
  it('turns canister nanoseconds into the same instant, dropping sub-millisecond digits', () => {
    expect(nsToDate(T0 + 999_999n).toISOString()).toBe('2025-06-15T15:06:40.000Z');
    expect(nsToDate(0n).getTime()).toBe(0);
  });
});

describe('shortPrincipal', () => {
  it('keeps the first two groups and the last of a long principal', () => {
    const text = PASSKEY.toText();
    const groups = text.split('-');
    expect(shortPrincipal(text)).toBe(`${groups[0]}-${groups[1]}…${groups.at(-1)}`);
  });

  it('shows short principals whole', () => {
    expect(shortPrincipal('aaaaa-aa')).toBe('aaaaa-aa');
    expect(shortPrincipal('2vxsx-fae')).toBe('2vxsx-fae');
  });

  it('tells apart two passkeys that differ', () => {
    expect(shortPrincipal(principal(5).toText())).not.toBe(shortPrincipal(principal(6).toText()));
  });
});

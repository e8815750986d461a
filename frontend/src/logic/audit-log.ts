/**
 * The identity's audit log in words (protocol.md §2 audit log; issue 11, deliverable 3): `identity_info.log`
 * as the generated actor returns it, newest first, each kind as a short sentence and who did it. Pure: the
 * principals to recognise are passed in, dates are formatted by the caller's `Intl.DateTimeFormat`.
 *
 * Who: every session of an identity acts as its management principal (ic/session.ts), so "you" means "signed
 * in to this identity", on this device or another; the passkey or device key that signed in this time counts as
 * you too (it may have created the identity). The two email kinds are completed by whoever delivered the
 * verified email (candid/waxseal.did, AuditEntry): Waxseal's mail gateway, or the canister itself when it
 * resumed a DNS lookup. Every other change needs an authorized caller (protocol.md §1), so any other principal
 * is one of the identity's passkeys or devices, now or before it was removed.
 */
import type { AuditEntry, AuditKind } from '../../../canister/declarations/waxseal.did.ts';

export type AuditKindName = AuditKind extends infer K ? (K extends unknown ? keyof K : never) : never;

/** Each kind as a person would say it; never a code. */
export const KIND_TEXT: Readonly<Record<AuditKindName, string>> = {
  IdentityCreated: 'Identity created',
  AuthenticatorAdded: 'Passkey or device added',
  AuthenticatorRemoved: 'Passkey or device removed',
  RecoveryEmailAdded: 'Recovery email added',
  RecoveryEmailRemoved: 'Recovery email removed',
  RecoveredByEmail: 'Signed in with recovery email',
};

/** The kinds a verified email completes: their caller is the one who delivered the email. */
const BY_EMAIL: ReadonlySet<AuditKindName> = new Set(['RecoveryEmailAdded', 'RecoveredByEmail']);

export type Who =
  | { readonly kind: 'you' }
  | { readonly kind: 'mail' }
  | { readonly kind: 'waxseal' }
  /** One of the identity's passkeys or devices, signing directly (as `create_identity` does). */
  | { readonly kind: 'authenticator'; readonly principal: string }
  /** A principal no longer on the identity: for any kind but the email ones, a passkey or device removed since. */
  | { readonly kind: 'removed'; readonly principal: string };

export interface AuditLine {
  /** Unique within one log, for React keys. */
  readonly key: string;
  readonly kind: AuditKindName;
  readonly text: string;
  readonly at: Date;
  readonly who: Who;
}

export interface Recognised {
  /** This session's principal and the key that signed in, as principal text. */
  readonly you: readonly string[];
  /** The configured gateway principals (`config().gateway_principals`); may be empty (open canister). */
  readonly gateways: readonly string[];
  /** The canister's own principal. */
  readonly canister: string;
  /** The identity's authenticators now. */
  readonly authenticators: readonly string[];
}

export function kindName(kind: AuditKind): AuditKindName {
  return Object.keys(kind)[0] as AuditKindName;
}

function who(kind: AuditKindName, caller: string, r: Recognised): Who {
  if (r.you.includes(caller)) return { kind: 'you' };
  if (caller === r.canister) return { kind: 'waxseal' };
  if (r.gateways.includes(caller) || BY_EMAIL.has(kind)) return { kind: 'mail' };
  if (r.authenticators.includes(caller)) return { kind: 'authenticator', principal: caller };
  return { kind: 'removed', principal: caller };
}

/** The log newest first; entries with the same time keep the canister's order, reversed. */
export function auditLines(log: readonly AuditEntry[], r: Recognised): AuditLine[] {
  return log
    .map((e, i): AuditLine => {
      const kind = kindName(e.kind);
      return {
        key: `${i}:${e.at}`,
        kind,
        text: KIND_TEXT[kind],
        at: nsToDate(e.at),
        who: who(kind, e.caller.toText(), r),
      };
    })
    .reverse();
}

export function whoText(w: Who): string {
  switch (w.kind) {
    case 'you':
      return 'by you';
    case 'mail':
      return 'by the mail service, after your email';
    case 'waxseal':
      return 'by Waxseal';
    case 'authenticator':
      return `by ${shortPrincipal(w.principal)}, a passkey or device of this identity`;
    case 'removed':
      return `by ${shortPrincipal(w.principal)}, a passkey or device removed since`;
  }
}

/** Canister time (ns since the epoch) as a Date. */
export function nsToDate(ns: bigint): Date {
  return new Date(Number(ns / 1_000_000n));
}

/**
 * A principal short enough to read and compare by eye: its first two groups and its last (`abcde-fghij…xyz`).
 * Principals of up to four groups are shown whole.
 */
export function shortPrincipal(text: string): string {
  const groups = text.split('-');
  return groups.length <= 4 ? text : `${groups[0]}-${groups[1]}…${groups[groups.length - 1]}`;
}

/**
 * Candid types of the canister interface (candid/waxseal.did is the documented source; test/candid.test.ts
 * checks that what Azle generates from these IDL values matches it). Each IDL value has a TypeScript type of
 * the same name describing how `@dfinity/candid` decodes it: `opt T` is `[] | [T]`, `nat8`/`nat16`/`nat32`
 * are numbers, `nat64` is a bigint, `blob` is a Uint8Array.
 */
import { IDL, type Principal } from 'azle';

/** One DNS-over-HTTPS resolver (RFC 8484 endpoint). */
export const DohProvider = IDL.Record({ name: IDL.Text, url: IDL.Text });
export interface DohProvider {
  name: string;
  url: string;
}

/** The DoH fallback of protocol.md §8, set and replaced as a whole. */
export const DohSettings = IDL.Record({
  allowed_domains: IDL.Vec(IDL.Text),
  providers: IDL.Vec(DohProvider),
  quorum: IDL.Nat8,
  cache_seconds: IDL.Nat32,
});
export interface DohSettings {
  allowed_domains: string[];
  providers: DohProvider[];
  quorum: number;
  cache_seconds: number;
}

/** Which Public Suffix List DMARC alignment uses (protocol.md §6): the shipped snapshot or a custom one. */
export const PublicSuffixListView = IDL.Record({ custom: IDL.Bool, detail: IDL.Text });
export interface PublicSuffixListView {
  custom: boolean;
  detail: string;
}

/** The install and upgrade argument: every field is optional; an omitted field keeps its stored value. */
export const Config = IDL.Record({
  mail_hosts: IDL.Opt(IDL.Vec(IDL.Text)),
  app_origin: IDL.Opt(IDL.Text),
  root_anchors: IDL.Opt(IDL.Vec(IDL.Text)),
  doh: IDL.Opt(DohSettings),
  gateway_principals: IDL.Opt(IDL.Vec(IDL.Principal)),
  identity_number_start: IDL.Opt(IDL.Nat64),
  public_suffix_list: IDL.Opt(IDL.Text),
});
export interface Config {
  mail_hosts: [] | [string[]];
  app_origin: [] | [string];
  root_anchors: [] | [string[]];
  doh: [] | [DohSettings];
  gateway_principals: [] | [Principal[]];
  identity_number_start: [] | [bigint];
  public_suffix_list: [] | [string];
}

/** The configuration in effect, as returned by the `config` query. */
export const ConfigView = IDL.Record({
  mail_hosts: IDL.Vec(IDL.Text),
  app_origin: IDL.Text,
  root_anchors: IDL.Vec(IDL.Text),
  doh: DohSettings,
  gateway_principals: IDL.Vec(IDL.Principal),
  identity_number_start: IDL.Nat64,
  public_suffix_list: PublicSuffixListView,
});
export interface ConfigView {
  mail_hosts: string[];
  app_origin: string;
  root_anchors: string[];
  doh: DohSettings;
  gateway_principals: Principal[];
  identity_number_start: bigint;
  public_suffix_list: PublicSuffixListView;
}

/** An HTTP header as the IC HTTP gateway passes it. */
export const HeaderField = IDL.Tuple(IDL.Text, IDL.Text);
export type HeaderField = [string, string];

/** The IC HTTP gateway request (HTTP Gateway Protocol), without streaming. */
export const HttpRequest = IDL.Record({
  method: IDL.Text,
  url: IDL.Text,
  headers: IDL.Vec(HeaderField),
  body: IDL.Vec(IDL.Nat8),
  certificate_version: IDL.Opt(IDL.Nat16),
});
export interface HttpRequest {
  method: string;
  url: string;
  headers: HeaderField[];
  body: Uint8Array;
  certificate_version: [] | [number];
}

/** The IC HTTP gateway response; the optional `upgrade` and `streaming_strategy` fields are never set. */
export const HttpResponse = IDL.Record({
  status_code: IDL.Nat16,
  headers: IDL.Vec(HeaderField),
  body: IDL.Vec(IDL.Nat8),
});
export interface HttpResponse {
  status_code: number;
  headers: HeaderField[];
  body: Uint8Array;
}

/** A refused request: a stable machine code (e.g. `NotAuthorized`) and a sentence for people. */
export const ApiError = IDL.Record({ code: IDL.Text, message: IDL.Text });
export interface ApiError {
  code: string;
  message: string;
}

export const AnchorResult = IDL.Variant({ Ok: IDL.Nat64, Err: ApiError });
export type AnchorResult = { Ok: bigint } | { Err: ApiError };

export const UnitResult = IDL.Variant({ Ok: IDL.Null, Err: ApiError });
export type UnitResult = { Ok: null } | { Err: ApiError };

export const AuditKind = IDL.Variant({
  IdentityCreated: IDL.Null,
  AuthenticatorAdded: IDL.Null,
  AuthenticatorRemoved: IDL.Null,
  RecoveryEmailAdded: IDL.Null,
  RecoveryEmailRemoved: IDL.Null,
  RecoveredByEmail: IDL.Null,
});
export type AuditKind =
  | { IdentityCreated: null }
  | { AuthenticatorAdded: null }
  | { AuthenticatorRemoved: null }
  | { RecoveryEmailAdded: null }
  | { RecoveryEmailRemoved: null }
  | { RecoveredByEmail: null };

export const AuditEntry = IDL.Record({ at: IDL.Nat64, kind: AuditKind, caller: IDL.Principal });
export interface AuditEntry {
  at: bigint;
  kind: AuditKind;
  caller: Principal;
}

export const RecoveryAddress = IDL.Record({
  address: IDL.Text,
  created_at: IDL.Nat64,
  last_used: IDL.Opt(IDL.Nat64),
});
export interface RecoveryAddress {
  address: string;
  created_at: bigint;
  last_used: [] | [bigint];
}

export const IdentityInfo = IDL.Record({
  authenticators: IDL.Vec(IDL.Principal),
  recovery_address: IDL.Opt(RecoveryAddress),
  log: IDL.Vec(AuditEntry),
});
export interface IdentityInfo {
  authenticators: Principal[];
  recovery_address: [] | [RecoveryAddress];
  log: AuditEntry[];
}

export const IdentityInfoResult = IDL.Variant({ Ok: IdentityInfo, Err: ApiError });
export type IdentityInfoResult = { Ok: IdentityInfo } | { Err: ApiError };

export const PreparedDelegation = IDL.Record({ user_key: IDL.Vec(IDL.Nat8), expiration: IDL.Nat64 });
export interface PreparedDelegation {
  user_key: Uint8Array;
  expiration: bigint;
}

export const PrepareDelegationResult = IDL.Variant({ Ok: PreparedDelegation, Err: ApiError });
export type PrepareDelegationResult = { Ok: PreparedDelegation } | { Err: ApiError };

export const Delegation = IDL.Record({
  pubkey: IDL.Vec(IDL.Nat8),
  expiration: IDL.Nat64,
  targets: IDL.Opt(IDL.Vec(IDL.Principal)),
});
export interface Delegation {
  pubkey: Uint8Array;
  expiration: bigint;
  targets: [] | [Principal[]];
}

export const SignedDelegation = IDL.Record({ delegation: Delegation, signature: IDL.Vec(IDL.Nat8) });
export interface SignedDelegation {
  delegation: Delegation;
  signature: Uint8Array;
}

export const GetDelegationResult = IDL.Variant({ Ok: SignedDelegation, Err: ApiError });
export type GetDelegationResult = { Ok: SignedDelegation } | { Err: ApiError };

export const CheckStatus = IDL.Variant({ Pass: IDL.Null, Fail: IDL.Null, Skipped: IDL.Null });
export type CheckStatus = { Pass: null } | { Fail: null } | { Skipped: null };

export const Check = IDL.Record({ name: IDL.Text, status: CheckStatus, detail: IDL.Text });
export interface Check {
  name: string;
  status: CheckStatus;
  detail: string;
}

export const ChallengeStatus = IDL.Variant({
  Pending: IDL.Null,
  NeedProof: IDL.Record({ domain: IDL.Text, selectors: IDL.Vec(IDL.Text), key_names: IDL.Vec(IDL.Text) }),
  Resolving: IDL.Null,
  SetupComplete: IDL.Record({ address: IDL.Text }),
  RecoveryReady: IDL.Record({ anchor: IDL.Nat64, user_key: IDL.Vec(IDL.Nat8), expiration: IDL.Nat64 }),
  Failed: IDL.Record({ code: IDL.Text, message: IDL.Text, checks: IDL.Vec(Check) }),
  Expired: IDL.Null,
});
export type ChallengeStatus =
  | { Pending: null }
  | { NeedProof: { domain: string; selectors: string[]; key_names: string[] } }
  | { Resolving: null }
  | { SetupComplete: { address: string } }
  | { RecoveryReady: { anchor: bigint; user_key: Uint8Array; expiration: bigint } }
  | { Failed: { code: string; message: string; checks: Check[] } }
  | { Expired: null };

export const PreparedChallenge = IDL.Record({ nonce: IDL.Text, expires_at: IDL.Nat64, mailbox: IDL.Text });
export interface PreparedChallenge {
  nonce: string;
  expires_at: bigint;
  mailbox: string;
}

export const PrepareChallengeResult = IDL.Variant({ Ok: PreparedChallenge, Err: ApiError });
export type PrepareChallengeResult = { Ok: PreparedChallenge } | { Err: ApiError };

export const SubmitProofResult = IDL.Variant({ Ok: ChallengeStatus, Err: ApiError });
export type SubmitProofResult = { Ok: ChallengeStatus } | { Err: ApiError };

export const SmtpEnvelope = IDL.Record({ mail_from: IDL.Text, rcpt_to: IDL.Vec(IDL.Text) });
export interface SmtpEnvelope {
  mail_from: string;
  rcpt_to: string[];
}

export const SmtpRequest = IDL.Record({
  envelope: SmtpEnvelope,
  message: IDL.Vec(IDL.Nat8),
  dns_proof: IDL.Opt(IDL.Vec(IDL.Nat8)),
});
export interface SmtpRequest {
  envelope: SmtpEnvelope;
  message: Uint8Array;
  dns_proof: [] | [Uint8Array];
}

export const SmtpResponse = IDL.Variant({
  Ok: IDL.Null,
  Err: IDL.Record({ code: IDL.Nat16, message: IDL.Text }),
});
export type SmtpResponse = { Ok: null } | { Err: { code: number; message: string } };

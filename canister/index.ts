/**
 * The Waxseal canister (Azle 0.33, stable mode). Only the default-exported class is registered; each method is
 * a thin shell over a module of this folder: Candid types in candid.ts, configuration in config.ts, stable
 * maps in state.ts, the salt in salt.ts, `/metrics` in metrics.ts and http.ts. candid/waxseal.did documents
 * the interface and must match what Azle generates from the decorators below (test/candid.test.ts).
 *
 * Class fields would be heap state, cleared on upgrade; there are none: all state is in stable maps.
 */
import {
  canisterSelf,
  IDL,
  init,
  msgArgData,
  msgCaller,
  msgReply,
  Principal,
  postUpgrade,
  query,
  update,
} from 'azle';
import { asyncResult, authContext, decodeArgs, now, result } from './api.ts';
import {
  AnchorResult,
  type AuditEntry,
  ChallengeStatus,
  Config,
  ConfigView,
  GetDelegationResult,
  HttpRequest,
  HttpResponse,
  type IdentityInfo,
  IdentityInfoResult,
  PrepareChallengeResult,
  PrepareDelegationResult,
  SmtpEnvelope,
  SmtpRequest,
  SmtpResponse,
  SubmitProofResult,
  UnitResult,
} from './candid.ts';
import {
  CHALLENGE_STATUS_SHAPE,
  decodeCanonicalTextArg,
  replyWriter,
  SUBMIT_PROOF_RESULT_SHAPE,
} from './candid-values.ts';
import { currentConfig, installConfig, upgradeConfig } from './config.ts';
import { certifySignatures, getDelegation, prepareDelegation, resetSignatures } from './delegations.ts';
import { dohTransform, HttpOutcallResponse, TransformArgs } from './doh.ts';
import {
  challengeStatus,
  prepareRecovery,
  prepareSetup,
  receiveSmtp,
  recoveryChallenge,
  resumeChallenges,
  type SmtpOutcome,
  submitChallengeProof,
  validateSmtpEnvelope,
} from './email.ts';
import { handleHttpRequest } from './http.ts';
import {
  addAuthenticator,
  authorize,
  createIdentity,
  type Identity,
  removeAddress,
  removeAuthenticator,
} from './identities.ts';
import { CallMeter } from './metering.ts';
import { armSaltTimer, requireSalt, salt } from './salt.ts';
import { counterValue, incrementCounter } from './state.ts';
import { statusView } from './status.ts';

/** Reply writers whose type tables are computed once per heap (module load); see candid-values.ts. */
const statusReply = replyWriter(
  CHALLENGE_STATUS_SHAPE,
  new Uint8Array(IDL.encode([ChallengeStatus], [{ Expired: null }])),
  { Expired: null },
);
const submitProofReply = replyWriter(
  SUBMIT_PROOF_RESULT_SHAPE,
  new Uint8Array(IDL.encode([SubmitProofResult], [{ Ok: { Expired: null } }])),
  { Ok: { Expired: null } },
);
/** The reply of every delivered email (refusals are rare and encoded by IDL.encode). */
const SMTP_OK_REPLY = new Uint8Array(IDL.encode([SmtpResponse], [{ Ok: null }]));

import { warmCrypto } from './warmup.ts';

export default class {
  /** Install: the argument's fields override the defaults (config.ts `defaultConfig`). */
  @init([IDL.Opt(Config)])
  init(arg: [] | [Config]): void {
    installConfig(arg[0]);
    resetSignatures();
    certifySignatures();
    warmCrypto();
    armSaltTimer();
  }

  /** Upgrade: the argument's fields override the stored configuration; omitted fields keep their value. */
  @postUpgrade([IDL.Opt(Config)])
  postUpgrade(arg: [] | [Config]): void {
    upgradeConfig(arg[0]);
    resetSignatures();
    warmCrypto();
    armSaltTimer();
    resumeChallenges();
  }

  @query([], IDL.Principal)
  whoami(): Principal {
    return msgCaller();
  }

  @query([], ConfigView)
  config(): ConfigView {
    return currentConfig();
  }

  /** A new identity with the caller (not anonymous) as its first authenticator. */
  @update([], AnchorResult)
  create_identity(): AnchorResult {
    return result(() => {
      const anchor = currentConfig().identity_number_start + counterValue('identities');
      createIdentity(anchor, msgCaller(), now());
      incrementCounter('identities');
      return anchor;
    });
  }

  @update([IDL.Nat64, IDL.Principal], UnitResult)
  add_authenticator(anchor: bigint, principal: Principal): UnitResult {
    return result(() => {
      addAuthenticator(anchor, authorize(anchor, msgCaller(), authContext()), principal, msgCaller(), now());
      return null;
    });
  }

  @update([IDL.Nat64, IDL.Principal], UnitResult)
  remove_authenticator(anchor: bigint, principal: Principal): UnitResult {
    return result(() => {
      removeAuthenticator(
        anchor,
        authorize(anchor, msgCaller(), authContext()),
        principal,
        msgCaller(),
        now(),
      );
      return null;
    });
  }

  @query([IDL.Nat64], IdentityInfoResult)
  identity_info(anchor: bigint): IdentityInfoResult {
    return result(() => infoView(authorize(anchor, msgCaller(), authContext())));
  }

  @update([IDL.Nat64, IDL.Text, IDL.Vec(IDL.Nat8), IDL.Opt(IDL.Nat64)], PrepareDelegationResult)
  prepare_delegation(
    anchor: bigint,
    origin: string,
    sessionKey: Uint8Array,
    maxTtl: [] | [bigint],
  ): PrepareDelegationResult {
    return result(() => {
      authorize(anchor, msgCaller(), authContext());
      const seed = { canisterId: canisterSelf().toUint8Array(), salt: requireSalt(), anchor, origin };
      const prepared = prepareDelegation(seed, sessionKey, maxTtl[0], now());
      return { user_key: prepared.userKey, expiration: prepared.expiration };
    });
  }

  @query([IDL.Nat64, IDL.Text, IDL.Vec(IDL.Nat8), IDL.Nat64], GetDelegationResult)
  get_delegation(
    anchor: bigint,
    origin: string,
    sessionKey: Uint8Array,
    expiration: bigint,
  ): GetDelegationResult {
    return result(() => {
      authorize(anchor, msgCaller(), authContext());
      const seed = { canisterId: canisterSelf().toUint8Array(), salt: requireSalt(), anchor, origin };
      const signature = getDelegation(seed, sessionKey, expiration);
      return { delegation: { pubkey: sessionKey, expiration, targets: [] }, signature };
    });
  }

  /** Starts adding `address` as the identity's recovery address; the email must reach `mailbox` in time. */
  @update([IDL.Nat64, IDL.Text], PrepareChallengeResult)
  async email_setup_prepare(anchor: bigint, address: string): Promise<PrepareChallengeResult> {
    return asyncResult(async () => {
      authorize(anchor, msgCaller(), authContext());
      const p = await prepareSetup(anchor, address, now);
      return { nonce: p.nonce, expires_at: p.expiresAt, mailbox: p.mailbox };
    });
  }

  /** Starts a recovery for `address` and a new session key; anonymous callers welcome. */
  @update([IDL.Text, IDL.Vec(IDL.Nat8)], PrepareChallengeResult)
  async email_recovery_prepare(address: string, sessionKey: Uint8Array): Promise<PrepareChallengeResult> {
    return asyncResult(async () => {
      const p = await prepareRecovery(address, sessionKey, now);
      return { nonce: p.nonce, expires_at: p.expiresAt, mailbox: p.mailbox };
    });
  }

  /**
   * Replies manually: the value is written by candid-values.ts after a type table computed once at module load,
   * because Azle's automatic `IDL.encode` of this nested type costs about 20 M instructions per poll.
   */
  @query([IDL.Text], ChallengeStatus, { manual: true })
  email_challenge_status(): void {
    const arg = msgArgData();
    const nonce = decodeCanonicalTextArg(arg) ?? (IDL.decode([IDL.Text], arg) as [string])[0];
    msgReply(statusReply(statusView(challengeStatus(nonce, now()))));
  }

  /** Replies manually, like email_challenge_status: the status it returns is the same costly type. */
  @update([IDL.Text, IDL.Vec(IDL.Nat8)], SubmitProofResult, { manual: true })
  async email_challenge_submit_proof(): Promise<void> {
    const meter = new CallMeter('email_challenge_submit_proof', true);
    const [nonce, proof] = meter.sync('candid_decode', () =>
      decodeArgs<[string, Uint8Array]>([IDL.Text, IDL.Vec(IDL.Nat8)]),
    );
    const result = await asyncResult(async () =>
      statusView(await submitChallengeProof(nonce, proof, now(), completion(), meter)),
    );
    msgReply(submitProofReply(result));
  }

  @query([IDL.Text, IDL.Vec(IDL.Nat8), IDL.Nat64], GetDelegationResult)
  email_recovery_get_delegation(
    nonce: string,
    sessionKey: Uint8Array,
    expiration: bigint,
  ): GetDelegationResult {
    return result(() => {
      const { anchor } = recoveryChallenge(nonce, sessionKey, expiration, now());
      const seed = {
        canisterId: canisterSelf().toUint8Array(),
        salt: requireSalt(),
        anchor,
        origin: currentConfig().app_origin,
      };
      const signature = getDelegation(seed, sessionKey, expiration);
      return { delegation: { pubkey: sessionKey, expiration, targets: [] }, signature };
    });
  }

  @update([IDL.Nat64], UnitResult)
  email_credential_remove(anchor: bigint): UnitResult {
    return result(() => {
      removeAddress(anchor, authorize(anchor, msgCaller(), authContext()), msgCaller(), now());
      return null;
    });
  }

  @query([SmtpEnvelope], SmtpResponse)
  smtp_request_validate(envelope: SmtpEnvelope): SmtpResponse {
    const refused = validateSmtpEnvelope(envelope);
    return refused ? { Err: refused } : { Ok: null };
  }

  /** Replies manually: every delivered email gets the same precomputed `Ok`. */
  @update([SmtpRequest], SmtpResponse, { manual: true })
  async smtp_request(): Promise<void> {
    const meter = new CallMeter('smtp_request', true);
    const [request] = meter.sync('candid_decode', () => decodeArgs<[SmtpRequest]>([SmtpRequest]));
    const refused = await smtpRequest(request, meter);
    msgReply(refused ? new Uint8Array(IDL.encode([SmtpResponse], [{ Err: refused }])) : SMTP_OK_REPLY);
  }

  /** Reduces a DoH response to its sorted TXT answer so that every replica sees the same bytes (protocol.md §8). */
  @query([TransformArgs], HttpOutcallResponse)
  doh_transform(args: TransformArgs): HttpOutcallResponse {
    return dohTransform(args);
  }

  @query([HttpRequest], HttpResponse)
  http_request(request: HttpRequest): HttpResponse {
    return handleHttpRequest(request);
  }
}

function infoView(identity: Identity): IdentityInfo {
  const r = identity.recovery;
  return {
    authenticators: identity.authenticators.map((a) => Principal.fromUint8Array(a)),
    recovery_address: r
      ? [{ address: r.address, created_at: r.createdAt, last_used: r.lastUsed === null ? [] : [r.lastUsed] }]
      : [],
    log: identity.log.map(
      (e): AuditEntry => ({
        at: e.at,
        kind: { [e.kind]: null } as AuditEntry['kind'],
        caller: Principal.fromUint8Array(e.caller),
      }),
    ),
  };
}

/** The gateway rule (protocol.md §4: only configured gateways, when any), then the email. */
function smtpRequest(request: SmtpRequest, meter: CallMeter): Promise<SmtpOutcome | null> {
  const gateways = currentConfig().gateway_principals;
  if (gateways.length > 0 && !gateways.some((g) => g.compareTo(msgCaller()) === 'eq')) {
    return Promise.resolve({
      code: 554,
      message: 'this canister accepts mail only from its configured gateways',
    });
  }
  return receiveSmtp(
    { envelope: request.envelope, message: request.message, dns_proof: request.dns_proof[0] ?? null },
    now(),
    completion(),
    meter,
  );
}

function completion() {
  return { canisterId: canisterSelf().toUint8Array(), salt: salt(), caller: msgCaller() };
}

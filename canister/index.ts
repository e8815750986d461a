/**
 * The Waxseal canister (Azle 0.33, stable mode). Only the default-exported class is registered; each method is
 * a thin shell over a module of this folder: Candid types in candid.ts, configuration in config.ts, stable
 * maps in state.ts, the salt in salt.ts, `/metrics` in metrics.ts and http.ts. candid/waxseal.did documents
 * the interface and must match what Azle generates from the decorators below (test/candid.test.ts).
 *
 * Class fields would be heap state, cleared on upgrade; there are none: all state is in stable maps.
 */
import { canisterSelf, IDL, init, msgCaller, Principal, postUpgrade, query, update } from 'azle';
import { authContext, now, result } from './api.ts';
import {
  AnchorResult,
  type AuditEntry,
  Config,
  ConfigView,
  GetDelegationResult,
  HttpRequest,
  HttpResponse,
  type IdentityInfo,
  IdentityInfoResult,
  PrepareDelegationResult,
  UnitResult,
} from './candid.ts';
import { currentConfig, installConfig, upgradeConfig } from './config.ts';
import { getDelegation, prepareDelegation, resetSignatures } from './delegations.ts';
import { handleHttpRequest } from './http.ts';
import {
  addAuthenticator,
  authorize,
  createIdentity,
  type Identity,
  removeAuthenticator,
} from './identities.ts';
import { armSaltTimer, requireSalt } from './salt.ts';
import { counterValue, incrementCounter } from './state.ts';

export default class {
  /** Install: the argument's fields override the defaults (config.ts `defaultConfig`). */
  @init([IDL.Opt(Config)])
  init(arg: [] | [Config]): void {
    installConfig(arg[0]);
    resetSignatures();
    armSaltTimer();
  }

  /** Upgrade: the argument's fields override the stored configuration; omitted fields keep their value. */
  @postUpgrade([IDL.Opt(Config)])
  postUpgrade(arg: [] | [Config]): void {
    upgradeConfig(arg[0]);
    resetSignatures();
    armSaltTimer();
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

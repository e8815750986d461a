/**
 * The Waxseal canister (Azle 0.33, stable mode). Only the default-exported class is registered; each method is
 * a thin shell over a module of this folder: Candid types in candid.ts, configuration in config.ts, stable
 * maps in state.ts, the salt in salt.ts, `/metrics` in metrics.ts and http.ts. candid/waxseal.did documents
 * the interface and must match what Azle generates from the decorators below (test/candid.test.ts).
 *
 * Class fields would be heap state, cleared on upgrade; there are none: all state is in stable maps.
 */
import { IDL, init, msgCaller, type Principal, postUpgrade, query } from 'azle';
import { Config, ConfigView, HttpRequest, HttpResponse } from './candid.ts';
import { currentConfig, installConfig, upgradeConfig } from './config.ts';
import { handleHttpRequest } from './http.ts';
import { armSaltTimer } from './salt.ts';

export default class {
  /** Install: the argument's fields override the defaults (config.ts `defaultConfig`). */
  @init([IDL.Opt(Config)])
  init(arg: [] | [Config]): void {
    installConfig(arg[0]);
    armSaltTimer();
  }

  /** Upgrade: the argument's fields override the stored configuration; omitted fields keep their value. */
  @postUpgrade([IDL.Opt(Config)])
  postUpgrade(arg: [] | [Config]): void {
    upgradeConfig(arg[0]);
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

  @query([HttpRequest], HttpResponse)
  http_request(request: HttpRequest): HttpResponse {
    return handleHttpRequest(request);
  }
}

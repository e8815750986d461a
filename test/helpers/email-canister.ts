/**
 * The canister the email suites install: the test mail host and app origin, and the trust anchors of the
 * BIND-signed test zones (test-vectors/dnssec/generated), with the host's clock at VERIFY_TIME, when those zones'
 * signatures are valid. One definition for the suites that deploy it (canister-email, canister-upgrade,
 * canister-email-cost) and the devnet suite that installs it (devnet-agent).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { type Deployed, deploy, type InitConfig, WASM } from './canister.ts';
import { VERIFY_TIME } from './challenge-mail.ts';
import { GENERATED_DIR } from './dns-servers.ts';

export const TEST_MAIL_HOST = 'mail.waxseal.test';
export const TEST_APP_ORIGIN = 'https://app.waxseal.test';
/** The DS lines of the test root (anchors.ds), as `root_anchors` takes them. */
export const TEST_ROOT_ANCHORS = readFileSync(join(GENERATED_DIR, 'anchors.ds'), 'utf8').trim().split('\n');
export const NS_PER_SECOND = 1_000_000_000n;
/** How long a deploy may take in a suite's beforeAll (the Node host compiles the wasm on first use). */
export const DEPLOY_TIMEOUT_MS = 120_000;

/** The install config of the email suites; `extra` adds or overrides fields. */
export function emailCanisterConfig(extra: InitConfig = {}): InitConfig {
  return {
    app_origin: TEST_APP_ORIGIN,
    mail_hosts: [TEST_MAIL_HOST],
    root_anchors: TEST_ROOT_ANCHORS,
    ...extra,
  };
}

/** Installs the email canister (`wasm`: the plain or the instrumented build) with its clock at VERIFY_TIME. */
export function deployEmailCanister(extra: InitConfig = {}, wasm = WASM): Promise<Deployed> {
  return deploy(emailCanisterConfig(extra), wasm, { now: BigInt(VERIFY_TIME) * NS_PER_SECOND });
}

/**
 * deployEmailCanister before the tests of the enclosing describe block (or file), torn down after them. The
 * handle reads the deployed canister when used, so it is to be used inside the tests.
 */
export function useEmailCanister(extra: InitConfig = {}, wasm = WASM): Deployed {
  let deployed: Deployed | undefined;
  beforeAll(async () => {
    deployed = await deployEmailCanister(extra, wasm);
  }, DEPLOY_TIMEOUT_MS);
  afterAll(async () => deployed?.backend.tearDown());
  const up = (): Deployed => {
    if (!deployed) throw new Error('the email canister is not deployed (used outside a test?)');
    return deployed;
  };
  return {
    get backend() {
      return up().backend;
    },
    get id() {
      return up().id;
    },
    actor: (identity) => up().actor(identity),
  };
}

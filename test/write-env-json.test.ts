/**
 * scripts/write-env-json.ts: the `/env.json` a deployment uploads beside the web app. On the IC no root key (the
 * agent's built-in one is the only trustworthy one); elsewhere the network's key, given or read from the host;
 * every document passes the page's own parseEnv (frontend/src/ic/env.ts), and dfx's environment fills in what
 * the flags leave out.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EnvError, parseEnv } from '../frontend/src/ic/env.ts';
import { envDocument, IC_HOST, isIcHost, LOCAL_HOST, writeEnvJson } from '../scripts/write-env-json.ts';
import { tmpFiles } from './helpers/cli.ts';

const CANISTER = 'rwlgt-iiaaa-aaaaa-aaaaa-cai';
const KEY = new Uint8Array([0x30, 0x81, 0x82, 0x30]);
const { dir } = tmpFiles('waxseal-env-json-');
const out = join(dir, 'env.json');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A root-key reader that fails the test when asked: the IC's key must never be fetched. */
const noFetch = async (host: string): Promise<Uint8Array> => {
  throw new Error(`fetched a root key from ${host}`);
};

describe('envDocument', () => {
  it('on the IC: host and canister id, no root key', () => {
    expect(envDocument({ canisterId: CANISTER, host: IC_HOST })).toEqual({
      host: IC_HOST,
      canisterId: CANISTER,
    });
  });

  it('refuses a root key for an IC host, and a missing one for any other', () => {
    for (const host of [IC_HOST, 'https://icp0.io', 'https://abc.ic0.app']) {
      expect(() => envDocument({ canisterId: CANISTER, host, rootKey: '3081' })).toThrow(
        /no rootKey for the IC/,
      );
    }
    expect(() => envDocument({ canisterId: CANISTER, host: LOCAL_HOST })).toThrow(/rootKey is needed/);
  });

  it("keeps parseEnv's rules: an origin without a path, a principal, hex", () => {
    expect(() => envDocument({ canisterId: CANISTER, host: 'https://icp-api.io/api' })).toThrow(EnvError);
    expect(() => envDocument({ canisterId: 'not a principal', host: IC_HOST })).toThrow(/canisterId/);
    expect(() => envDocument({ canisterId: CANISTER, host: LOCAL_HOST, rootKey: 'xyz' })).toThrow(/hex/);
  });

  it('tells the IC from hosts that only look like it', () => {
    expect(isIcHost('https://icp-api.io')).toBe(true);
    expect(isIcHost('https://rdmx6-jaaaa-aaaaa-aaadq-cai.icp0.io')).toBe(true);
    expect(isIcHost('https://evil-icp-api.io')).toBe(false);
    expect(isIcHost('https://icp-api.io.example.com')).toBe(false);
  });
});

describe('writeEnvJson', () => {
  it('run by dfx for the IC: the id from CANISTER_ID_WAXSEAL, the IC host, nothing fetched', async () => {
    const { path } = await writeEnvJson(
      ['--out', out],
      { CANISTER_ID_WAXSEAL: CANISTER, DFX_NETWORK: 'ic' },
      noFetch,
    );
    const written = JSON.parse(readFileSync(path, 'utf8'));
    expect(written).toEqual({ host: IC_HOST, canisterId: CANISTER });
    expect(parseEnv(written)).toEqual(written);
  });

  it("run by dfx for the local replica: its root key read from dfx's default host", async () => {
    const asked: string[] = [];
    const { env } = await writeEnvJson(
      ['--out', out],
      { CANISTER_ID_WAXSEAL: CANISTER, DFX_NETWORK: 'local' },
      async (h) => {
        asked.push(h);
        return KEY;
      },
    );
    expect(asked).toEqual([LOCAL_HOST]);
    expect(env).toEqual({ host: LOCAL_HOST, canisterId: CANISTER, rootKey: '30818230' });
  });

  it('flags win over the environment; a given root key is not fetched', async () => {
    const args = [
      '--out',
      out,
      '--canister-id',
      CANISTER,
      '--host',
      'http://127.0.0.1:8000',
      '--root-key',
      'abcd',
    ];
    const { env } = await writeEnvJson(args, { CANISTER_ID_WAXSEAL: 'aaaaa-aa', DFX_NETWORK: 'ic' }, noFetch);
    expect(env).toEqual({ host: 'http://127.0.0.1:8000', canisterId: CANISTER, rootKey: 'abcd' });
  });

  it('refuses to guess: no canister id, an unknown dfx network, a bad host before asking it anything', async () => {
    await expect(writeEnvJson(['--out', out], {}, noFetch)).rejects.toThrow(/--canister-id/);
    await expect(
      writeEnvJson(['--out', out], { CANISTER_ID_WAXSEAL: CANISTER, DFX_NETWORK: 'staging' }, noFetch),
    ).rejects.toThrow(/pass --host/);
    await expect(
      writeEnvJson(['--out', out, '--canister-id', CANISTER, '--host', 'ftp://x'], {}, noFetch),
    ).rejects.toThrow(/host must be an http\(s\) origin/);
  });
});

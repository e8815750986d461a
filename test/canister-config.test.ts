/**
 * The install and upgrade argument (`opt Config`, candid/waxseal.did) on the compiled canister: invalid values trap
 * the install or roll the upgrade back with a message naming the field; the app origin fits the seed's one length
 * byte (protocol.md §1: 255 bytes accepted and usable, 256 refused); and `app_origin` and `identity_number_start`
 * are fixed once an identity exists, because they decide every identity's principals and numbers.
 */
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type _SERVICE, idlFactory } from '../canister/declarations/waxseal.did.ts';
import { type Backend, chooseBackend } from '../src/host/index.ts';
import { encodeInit, type InitConfig, WASM } from './helpers/canister.ts';
import { ok } from './helpers/result.ts';

const owner = Ed25519KeyIdentity.generate();
const DOH = (quorum: number, cacheSeconds: number, providers = 5) => ({
  allowed_domains: ['example.com'],
  providers: Array.from({ length: providers }, (_, i) => ({
    name: `p${i}`,
    url: `https://doh${i}.example/dns-query`,
  })),
  quorum,
  cache_seconds: cacheSeconds,
});
/** `https://` + a 247- or 248-character hostname of valid labels: a 255- or 256-byte origin. */
const originOf = (bytes: number) =>
  `https://${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(bytes - 8 - 192)}`;

let backend: Backend;
beforeAll(async () => {
  backend = await chooseBackend();
});
afterAll(async () => backend?.tearDown());

const install = (config: InitConfig) => backend.install(WASM, { arg: encodeInit(config) });
const actor = (id: Awaited<ReturnType<typeof install>>) =>
  backend.createActor<_SERVICE>(idlFactory, id, { identity: owner });

describe('install argument', () => {
  it.each([
    ['app_origin', { app_origin: originOf(256) }],
    ['app_origin', { app_origin: 'https://App.example' }],
    ['app_origin', { app_origin: 'https://app.example/path' }],
    ['app_origin', { app_origin: 'http://app.example' }],
    ['mail_hosts', { mail_hosts: ['not a host'] }],
    ['root_anchors', { root_anchors: [] }],
    ['root_anchors', { root_anchors: ['. 1 IN DS 1 8 1 00'] }],
    ['doh', { doh: DOH(0, 60) }],
    ['doh', { doh: DOH(6, 60) }],
    ['doh', { doh: DOH(3, 24 * 3600 + 1) }],
  ] as const)('refuses a bad %s (case %#)', async (field, config) => {
    await expect(install(config as InitConfig)).rejects.toThrow(new RegExp(`\\b${field}\\b`));
  });

  it('accepts a 255-byte origin, and delegations work with it', async () => {
    const id = await install({
      app_origin: originOf(255),
      mail_hosts: ['mail.example'],
      doh: DOH(3, 24 * 3600),
    });
    expect((await actor(id).config()).app_origin).toHaveLength(255);
    const anchor = ok(await actor(id).create_identity());
    const key = new Uint8Array(Ed25519KeyIdentity.generate().getPublicKey().toDer());
    const prepared = ok(await actor(id).prepare_delegation(anchor, originOf(255), key, []));
    expect(prepared.user_key.length).toBeGreaterThan(0);
    expect(await actor(id).get_delegation(anchor, originOf(255), key, prepared.expiration)).toMatchObject({
      Ok: { delegation: { pubkey: key } },
    });
  });
});

describe('upgrade argument', () => {
  it('lets app_origin change before the first identity, not after; a refused upgrade changes nothing', async () => {
    const id = await install({ app_origin: 'https://one.example', mail_hosts: ['mail.example'] });
    await backend.upgrade(id, WASM, { arg: encodeInit({ app_origin: 'https://two.example' }) });
    expect((await actor(id).config()).app_origin).toBe('https://two.example');

    const anchor = ok(await actor(id).create_identity());
    const before = await actor(id).config();
    const info = await actor(id).identity_info(anchor);
    expect(info).toMatchObject({ Ok: expect.any(Object) });
    await expect(
      backend.upgrade(id, WASM, { arg: encodeInit({ app_origin: 'https://three.example' }) }),
    ).rejects.toThrow(/app_origin/);
    await expect(
      backend.upgrade(id, WASM, { arg: encodeInit({ identity_number_start: 1n }) }),
    ).rejects.toThrow(/identity_number_start/);
    await expect(backend.upgrade(id, WASM, { arg: encodeInit({ doh: DOH(0, 60) }) })).rejects.toThrow(/doh/);
    expect(await actor(id).config()).toEqual(before);
    expect(await actor(id).identity_info(anchor)).toEqual(info);
    // The same origin again, or another field, is fine.
    await backend.upgrade(id, WASM, {
      arg: encodeInit({ app_origin: 'https://two.example', mail_hosts: ['mx.example'] }),
    });
    expect(await actor(id).config()).toEqual({ ...before, mail_hosts: ['mx.example'] });
  });
});

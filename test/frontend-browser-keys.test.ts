/**
 * This browser's ways into an identity (frontend/src/ic/browser-keys.ts over ic/passkey.ts and ic/device-key.ts;
 * issue 11, deliverable 2): what sign-in offers per identity, and stores that read garbage, a missing IndexedDB
 * or storage that is switched off as "nothing stored" rather than crashing the page. The real stores are
 * exercised in Chromium by test/frontend-manage.test.ts; here an in-memory Storage stands in for localStorage.
 */

import { WebAuthnIdentity } from '@icp-sdk/core/identity';
import { describe, expect, it } from 'vitest';
import { type BrowserKey, keysInThisBrowser, onePerIdentity } from '../frontend/src/ic/browser-keys.ts';
import { checkDeviceKeyStorage, storedDeviceKeys } from '../frontend/src/ic/device-key.ts';
import { forgetPasskey, passkeyFor, rememberPasskey, storedPasskeys } from '../frontend/src/ic/passkey.ts';

/** A Storage over a Map: enough of the Web Storage interface for the passkey store. */
function memoryStorage(initial: Record<string, string> = {}): Storage {
  const m = new Map(Object.entries(initial));
  return {
    get length() {
      return m.size;
    },
    clear: () => m.clear(),
    getItem: (k) => m.get(k) ?? null,
    key: (i) => [...m.keys()][i] ?? null,
    removeItem: (k) => void m.delete(k),
    setItem: (k, v) => void m.set(k, v),
  };
}

const PASSKEY_JSON = JSON.stringify({ publicKey: 'a5010203262001215820', rawId: '0102' });
const OTHER_PASSKEY_JSON = JSON.stringify({ publicKey: 'a5010203262001215821', rawId: '0103' });

describe('storedPasskeys', () => {
  it('reads a stored passkey back as the same identity', () => {
    const s = memoryStorage({
      'waxseal.passkeys': JSON.stringify([{ anchor: '10000', identity: PASSKEY_JSON }]),
    });
    const [p] = storedPasskeys(s);
    expect(p?.anchor).toBe('10000');
    expect(passkeyFor(p!).toJSON()).toEqual(JSON.parse(PASSKEY_JSON));
  });

  it.each([
    ['bad JSON', '{not json'],
    ['not a list', '{"anchor":"1"}'],
    ['null', 'null'],
  ])('reads %s as nothing stored', (_, raw) => {
    expect(storedPasskeys(memoryStorage({ 'waxseal.passkeys': raw }))).toEqual([]);
  });

  it('skips entries that are not passkeys, and keeps the good ones', () => {
    const raw = JSON.stringify([
      null,
      { anchor: 10000, identity: PASSKEY_JSON },
      { anchor: '10001', identity: 'not json' },
      { anchor: '10002', identity: '{"publicKey":"zz","rawId":"01"}' },
      { anchor: 'ten', identity: PASSKEY_JSON },
      { anchor: '10003', identity: PASSKEY_JSON },
    ]);
    expect(storedPasskeys(memoryStorage({ 'waxseal.passkeys': raw })).map((p) => p.anchor)).toEqual([
      '10003',
    ]);
  });

  it('reads nothing, without throwing, where there is no localStorage at all', () => {
    expect(storedPasskeys()).toEqual([]);
  });

  it('keeps a second passkey of the same identity after the first, and the same one only once', () => {
    const s = memoryStorage();
    const [a, b] = [PASSKEY_JSON, OTHER_PASSKEY_JSON].map((j) => WebAuthnIdentity.fromJSON(j));
    rememberPasskey(10000n, a!, s);
    rememberPasskey(10000n, b!, s);
    rememberPasskey(10000n, a!, s);
    expect(storedPasskeys(s).map((p) => p.identity)).toEqual([OTHER_PASSKEY_JSON, PASSKEY_JSON]);
  });

  it('forgets the passkey with a given principal and leaves the others', () => {
    const s = memoryStorage({
      'waxseal.passkeys': JSON.stringify([
        { anchor: '10000', identity: PASSKEY_JSON },
        { anchor: '10000', identity: OTHER_PASSKEY_JSON },
      ]),
    });
    forgetPasskey(WebAuthnIdentity.fromJSON(PASSKEY_JSON).getPrincipal().toText(), s);
    expect(storedPasskeys(s).map((p) => p.identity)).toEqual([OTHER_PASSKEY_JSON]);
  });
});

describe('device keys without IndexedDB', () => {
  const refusing = {
    open() {
      throw new DOMException('The operation is insecure.', 'SecurityError');
    },
  } as unknown as IDBFactory;

  it('lists none when IndexedDB is missing or refuses to open', async () => {
    expect(await storedDeviceKeys()).toEqual([]);
    expect(await storedDeviceKeys(refusing)).toEqual([]);
  });

  it('says so before any key is made, so an identity never depends on a key that cannot be kept', async () => {
    const plain =
      'This browser cannot keep a key for Waxseal: its storage for websites is switched off or unavailable.';
    await expect(checkDeviceKeyStorage()).rejects.toThrow(plain);
    await expect(checkDeviceKeyStorage(refusing)).rejects.toThrow(plain);
  });

  it('leaves the whole list empty, not failed, when neither store exists', async () => {
    expect(await keysInThisBrowser()).toEqual([]);
  });
});

describe('onePerIdentity', () => {
  const key = (anchor: string, kind: BrowserKey['kind']): BrowserKey => ({
    anchor,
    kind,
    principal: `${kind}-${anchor}`,
    signer: () => Promise.reject(new Error('not used')),
  });

  it('offers one button per identity, the passkey where passkeys work, in number order', () => {
    const keys = [key('10002', 'device-key'), key('10001', 'passkey'), key('10001', 'device-key')];
    expect(onePerIdentity(keys, true).map((k) => [k.anchor, k.kind])).toEqual([
      ['10001', 'passkey'],
      ['10002', 'device-key'],
    ]);
  });

  it('of several keys of one kind, offers the newest (the last listed)', () => {
    const older = { ...key('10001', 'passkey'), principal: 'older' };
    const newer = { ...key('10001', 'passkey'), principal: 'newer' };
    expect(onePerIdentity([older, newer], true).map((k) => k.principal)).toEqual(['newer']);
  });

  it('offers the key kept here where this browser cannot use passkeys, and hides passkey-only identities', () => {
    const keys = [key('10001', 'passkey'), key('10001', 'device-key'), key('10003', 'passkey')];
    expect(onePerIdentity(keys, false).map((k) => [k.anchor, k.kind])).toEqual([['10001', 'device-key']]);
  });

  it('orders identity numbers as numbers, not text', () => {
    expect(
      onePerIdentity([key('100000', 'passkey'), key('99999', 'passkey')], true).map((k) => k.anchor),
    ).toEqual(['99999', '100000']);
  });
});

/**
 * A key in this browser, for browsers without passkeys (issue 11, deliverable 2, fallback): a WebCrypto ECDSA
 * P-256 key pair made non-extractable, so its private half can sign but can never be read out, not even by this
 * page. IndexedDB keeps the CryptoKeyPair itself (structured clone keeps it usable and still non-extractable);
 * localStorage could only hold exported bytes. The key is tied to this browser profile: clearing the site's data
 * deletes it, which is why the page asks for a recovery email next.
 *
 * Reading tolerates anything: no IndexedDB, a store that will not open, records of another shape. Those read as
 * "no keys"; only writing reports a failure, since a key that cannot be kept must not become an identity's only
 * way in.
 */
import { ECDSAKeyIdentity } from '@icp-sdk/core/identity';

const DB_NAME = 'waxseal';
const DB_VERSION = 1;
const STORE = 'device-keys';
const CANNOT_KEEP =
  'This browser cannot keep a key for Waxseal: its storage for websites is switched off or unavailable.';

export interface StoredDeviceKey {
  readonly anchor: string;
  /** The key's self-authenticating principal (text): the record's key, and what the authenticator list shows. */
  readonly principal: string;
  /** When it was kept (ms since the epoch), so the newest can be preferred. */
  readonly added: number;
  readonly keyPair: CryptoKeyPair;
}

function done<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed'));
  });
}

/** Opens (and on first use creates) the store; rejects when this browser has no usable IndexedDB. */
function open(idb: IDBFactory | undefined = globalThis.indexedDB): Promise<IDBDatabase> {
  if (!idb) return Promise.reject(new Error(CANNOT_KEEP));
  return new Promise((resolve, reject) => {
    let request: IDBOpenDBRequest;
    try {
      request = idb.open(DB_NAME, DB_VERSION);
    } catch {
      return reject(new Error(CANNOT_KEEP)); // e.g. SecurityError where storage is blocked
    }
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: 'principal' });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(new Error(CANNOT_KEEP));
    request.onblocked = () => reject(new Error('Waxseal is open in another tab: close it, then try again.'));
  });
}

async function withStore<T>(
  mode: IDBTransactionMode,
  use: (store: IDBObjectStore) => IDBRequest<T>,
  idb?: IDBFactory,
): Promise<T> {
  const db = await open(idb);
  try {
    const tx = db.transaction(STORE, mode);
    const committed = new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
    });
    const [result] = await Promise.all([done(use(tx.objectStore(STORE))), committed]);
    return result;
  } finally {
    db.close();
  }
}

function isStoredDeviceKey(v: unknown): v is StoredDeviceKey {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  const pair = r.keyPair as Record<string, unknown> | undefined;
  return (
    typeof r.anchor === 'string' &&
    /^\d+$/.test(r.anchor) &&
    typeof r.principal === 'string' &&
    typeof r.added === 'number' &&
    typeof CryptoKey !== 'undefined' &&
    pair?.privateKey instanceof CryptoKey &&
    pair.publicKey instanceof CryptoKey
  );
}

/** A new non-extractable key; nothing is stored until `rememberDeviceKey`. */
export function createDeviceKey(): Promise<ECDSAKeyIdentity> {
  return ECDSAKeyIdentity.generate({ extractable: false });
}

/** Fails early, before an identity is made, when this browser could not keep the key. */
export async function checkDeviceKeyStorage(idb?: IDBFactory): Promise<void> {
  (await open(idb)).close();
}

/** Keeps `key` as a key for `anchor`. */
export async function rememberDeviceKey(
  anchor: bigint,
  key: ECDSAKeyIdentity,
  idb?: IDBFactory,
): Promise<void> {
  const record: StoredDeviceKey = {
    anchor: anchor.toString(),
    principal: key.getPrincipal().toText(),
    added: Date.now(),
    keyPair: key.getKeyPair(),
  };
  await withStore('readwrite', (s) => s.put(record), idb);
}

/** The keys this browser keeps, oldest first; [] when there are none or they cannot be read. */
export async function storedDeviceKeys(idb?: IDBFactory): Promise<StoredDeviceKey[]> {
  try {
    const all: unknown[] = await withStore('readonly', (s) => s.getAll(), idb);
    return all.filter(isStoredDeviceKey).sort((a, b) => a.added - b.added);
  } catch {
    return [];
  }
}

export async function forgetDeviceKey(principal: string, idb?: IDBFactory): Promise<void> {
  await withStore('readwrite', (s) => s.delete(principal), idb);
}

export function deviceKeyFor(stored: StoredDeviceKey): Promise<ECDSAKeyIdentity> {
  return ECDSAKeyIdentity.fromKeyPair(stored.keyPair);
}

/**
 * Identities, authenticators, the recovery address and the audit log (protocol.md §1, §2), in stable memory.
 *
 * One record per identity, in a compact byte encoding (`encodeIdentity`): the authenticators, the recovery
 * address with its timestamps, and the most recent audit entries. Keeping the log inside the record bounds it
 * and makes `identity_info` one read; StableBTreeMap has no key-range scan to page a separate log with.
 * The reverse index maps SHA-256(lowercase address) to the identity, so an address is never stored twice.
 */

import { type Principal, StableBTreeMap } from 'azle';
import { sha256 } from '../src/crypto/sha256.ts';
import { bytesEqual, utf8 } from '../src/encoding/bytes.ts';
import {
  canisterSigPublicKeyDer,
  MAX_PRINCIPAL_LENGTH,
  selfAuthenticatingPrincipal,
  userSeed,
} from '../src/identity/delegation.ts';
import { ApiRefusal } from './refusal.ts';
import { bytesSerializer, MEMORY, u64Serializer } from './state.ts';

export const AUDIT_KINDS = [
  'IdentityCreated',
  'AuthenticatorAdded',
  'AuthenticatorRemoved',
  'RecoveryEmailAdded',
  'RecoveryEmailRemoved',
  'RecoveredByEmail',
] as const;
export type AuditKind = (typeof AUDIT_KINDS)[number];

export interface AuditEntry {
  at: bigint;
  kind: AuditKind;
  caller: Uint8Array;
}

export interface RecoveryAddress {
  address: string;
  createdAt: bigint;
  lastUsed: bigint | null;
}

export interface Identity {
  authenticators: Uint8Array[];
  recovery: RecoveryAddress | null;
  log: AuditEntry[];
}

/** Bounds that keep one record small: authenticators per identity and audit entries kept (oldest dropped). */
export const MAX_AUTHENTICATORS = 16;
export const MAX_AUDIT_ENTRIES = 64;
const FORMAT_VERSION = 1;

const identitiesMap = new StableBTreeMap<bigint, Uint8Array>(
  MEMORY.identities,
  u64Serializer,
  bytesSerializer,
);
const addressIndex = new StableBTreeMap<Uint8Array, bigint>(
  MEMORY.addressIndex,
  bytesSerializer,
  u64Serializer,
);

// ---------- encoding ----------

class Writer {
  private readonly parts: number[] = [];
  u8(v: number) {
    this.parts.push(v & 0xff);
  }
  u64(v: bigint) {
    for (let i = 7; i >= 0; i--) this.parts.push(Number((v >> BigInt(8 * i)) & 0xffn));
  }
  bytes(b: Uint8Array) {
    if (b.length > 255) throw new RangeError('field longer than 255 bytes');
    this.u8(b.length);
    for (const x of b) this.parts.push(x);
  }
  done(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

class Reader {
  private pos = 0;
  constructor(private readonly buf: Uint8Array) {}
  u8(): number {
    if (this.pos >= this.buf.length) throw new RangeError('truncated identity record');
    return this.buf[this.pos++]!;
  }
  u64(): bigint {
    let v = 0n;
    for (let i = 0; i < 8; i++) v = (v << 8n) | BigInt(this.u8());
    return v;
  }
  bytes(): Uint8Array {
    const n = this.u8();
    if (this.pos + n > this.buf.length) throw new RangeError('truncated identity record');
    const out = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

export function encodeIdentity(identity: Identity): Uint8Array {
  const w = new Writer();
  w.u8(FORMAT_VERSION);
  w.u8(identity.authenticators.length);
  for (const a of identity.authenticators) w.bytes(a);
  const r = identity.recovery;
  w.u8(r ? 1 : 0);
  if (r) {
    w.bytes(utf8(r.address));
    w.u64(r.createdAt);
    w.u8(r.lastUsed === null ? 0 : 1);
    if (r.lastUsed !== null) w.u64(r.lastUsed);
  }
  w.u8(identity.log.length);
  for (const e of identity.log) {
    w.u64(e.at);
    w.u8(AUDIT_KINDS.indexOf(e.kind));
    w.bytes(e.caller);
  }
  return w.done();
}

export function decodeIdentity(bytes: Uint8Array): Identity {
  const r = new Reader(bytes);
  if (r.u8() !== FORMAT_VERSION) throw new RangeError('unknown identity record version');
  const authenticators = Array.from({ length: r.u8() }, () => r.bytes());
  let recovery: RecoveryAddress | null = null;
  if (r.u8() === 1) {
    const address = new TextDecoder().decode(r.bytes());
    const createdAt = r.u64();
    const lastUsed = r.u8() === 1 ? r.u64() : null;
    recovery = { address, createdAt, lastUsed };
  }
  const log = Array.from({ length: r.u8() }, () => {
    const at = r.u64();
    const kind = AUDIT_KINDS[r.u8()];
    if (!kind) throw new RangeError('unknown audit kind');
    return { at, kind, caller: r.bytes() };
  });
  return { authenticators, recovery, log };
}

// ---------- access ----------

function load(anchor: bigint): Identity {
  const bytes = identitiesMap.get(anchor);
  if (!bytes) throw new ApiRefusal('UnknownIdentity', `identity ${anchor} does not exist`);
  return decodeIdentity(bytes);
}

function save(anchor: bigint, identity: Identity): void {
  identitiesMap.insert(anchor, encodeIdentity(identity));
}

function audit(identity: Identity, kind: AuditKind, caller: Principal, now: bigint): void {
  identity.log.push({ at: now, kind, caller: caller.toUint8Array() });
  if (identity.log.length > MAX_AUDIT_ENTRIES)
    identity.log.splice(0, identity.log.length - MAX_AUDIT_ENTRIES);
}

export function identityExists(anchor: bigint): boolean {
  return identitiesMap.containsKey(anchor);
}

/** The identity's user principal for `origin` (protocol.md §1): the canister-signature principal of its seed. */
export function userPrincipal(
  canisterId: Uint8Array,
  salt: Uint8Array,
  anchor: bigint,
  origin: string,
): Uint8Array {
  return selfAuthenticatingPrincipal(canisterSigPublicKeyDer(canisterId, userSeed(salt, anchor, origin)));
}

export interface AuthContext {
  canisterId: Uint8Array;
  /** Undefined until the raw_rand salt exists; then only authenticators are authorized. */
  salt: Uint8Array | undefined;
  appOrigin: string;
}

/**
 * Authorized for N: one of N's authenticators, or N's management principal (the app-origin principal, which is
 * how someone signed in through email recovery adds a new device). Returns the identity for the caller to edit.
 */
export function authorize(anchor: bigint, caller: Principal, ctx: AuthContext): Identity {
  const identity = load(anchor);
  const id = caller.toUint8Array();
  if (identity.authenticators.some((a) => bytesEqual(a, id))) return identity;
  if (
    ctx.appOrigin &&
    ctx.salt &&
    bytesEqual(id, userPrincipal(ctx.canisterId, ctx.salt, anchor, ctx.appOrigin))
  ) {
    return identity;
  }
  throw new ApiRefusal('NotAuthorized', `the caller is not authorized for identity ${anchor}`);
}

export function createIdentity(anchor: bigint, caller: Principal, now: bigint): void {
  if (caller.isAnonymous())
    throw new ApiRefusal('AnonymousCaller', 'an anonymous caller cannot own an identity');
  if (identityExists(anchor)) throw new ApiRefusal('Internal', `identity ${anchor} already exists`);
  const identity: Identity = { authenticators: [caller.toUint8Array()], recovery: null, log: [] };
  audit(identity, 'IdentityCreated', caller, now);
  save(anchor, identity);
}

export function addAuthenticator(
  anchor: bigint,
  identity: Identity,
  added: Principal,
  caller: Principal,
  now: bigint,
) {
  if (added.isAnonymous())
    throw new ApiRefusal('AnonymousCaller', 'the anonymous principal cannot be an authenticator');
  const id = added.toUint8Array();
  // Azle's Candid decoder accepts principals of any length; the IC's are at most 29 bytes.
  if (id.length > MAX_PRINCIPAL_LENGTH) {
    throw new ApiRefusal('InvalidPrincipal', `a principal is at most ${MAX_PRINCIPAL_LENGTH} bytes`);
  }
  if (identity.authenticators.some((a) => bytesEqual(a, id))) return;
  if (identity.authenticators.length >= MAX_AUTHENTICATORS) {
    throw new ApiRefusal(
      'TooManyAuthenticators',
      `at most ${MAX_AUTHENTICATORS} authenticators per identity`,
    );
  }
  identity.authenticators.push(id);
  audit(identity, 'AuthenticatorAdded', caller, now);
  save(anchor, identity);
}

/**
 * An identity always keeps one way in: its last authenticator goes only while a recovery address can still bring
 * the person back (email recovery signs in as the management principal, which may add a new device).
 */
export function removeAuthenticator(
  anchor: bigint,
  identity: Identity,
  removed: Principal,
  caller: Principal,
  now: bigint,
) {
  const id = removed.toUint8Array();
  const rest = identity.authenticators.filter((a) => !bytesEqual(a, id));
  if (rest.length === identity.authenticators.length) {
    throw new ApiRefusal('UnknownAuthenticator', 'that principal is not an authenticator of this identity');
  }
  if (rest.length === 0 && !identity.recovery) {
    throw new ApiRefusal(
      'LastAuthenticator',
      'the last authenticator of an identity without a recovery address cannot be removed',
    );
  }
  identity.authenticators = rest;
  audit(identity, 'AuthenticatorRemoved', caller, now);
  save(anchor, identity);
}

function addressKey(address: string): Uint8Array {
  return sha256(utf8(address.toLowerCase()));
}

/** The identity bound to `address` (lowercase), if any. */
export function anchorForAddress(address: string): bigint | undefined {
  return addressIndex.get(addressKey(address));
}

/**
 * Binds a verified address (protocol.md §2): the same address again changes nothing; an address bound to another
 * identity is refused; a new address replaces the old one in the same message (both index entries updated).
 */
export function bindAddress(
  anchor: bigint,
  address: string,
  caller: Principal,
  now: bigint,
): 'unchanged' | 'bound' {
  const identity = load(anchor);
  const owner = anchorForAddress(address);
  if (owner !== undefined && owner !== anchor) {
    throw new ApiRefusal(
      'AddressAlreadyRegistered',
      'this address is the recovery address of another identity',
    );
  }
  if (identity.recovery?.address === address) return 'unchanged';
  if (identity.recovery) addressIndex.remove(addressKey(identity.recovery.address));
  identity.recovery = { address, createdAt: now, lastUsed: null };
  addressIndex.insert(addressKey(address), anchor);
  audit(identity, 'RecoveryEmailAdded', caller, now);
  save(anchor, identity);
  return 'bound';
}

export function removeAddress(anchor: bigint, identity: Identity, caller: Principal, now: bigint): void {
  if (!identity.recovery) throw new ApiRefusal('NoRecoveryAddress', 'this identity has no recovery address');
  if (identity.authenticators.length === 0) {
    throw new ApiRefusal(
      'LastWayIn',
      'the recovery address is the only way into this identity: add an authenticator first',
    );
  }
  addressIndex.remove(addressKey(identity.recovery.address));
  identity.recovery = null;
  audit(identity, 'RecoveryEmailRemoved', caller, now);
  save(anchor, identity);
}

/** Records a completed email recovery (`last_used` and the audit log). */
export function markRecovered(anchor: bigint, caller: Principal, now: bigint): void {
  const identity = load(anchor);
  if (identity.recovery) identity.recovery.lastUsed = now;
  audit(identity, 'RecoveredByEmail', caller, now);
  save(anchor, identity);
}

export function identityCount(): bigint {
  return BigInt(identitiesMap.len());
}

export function boundAddressCount(): bigint {
  return BigInt(addressIndex.len());
}

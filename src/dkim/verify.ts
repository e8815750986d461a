/**
 * Verifies every DKIM-Signature field of a message (RFC 6376 §6.1) and reports one result per field, top
 * first, each with its check list. Key lookup is injected; crypto comes from a CryptoBackend.
 * Order per signature: tags (§6.1.1), key (§6.1.2), body hash (§6.1.3), signature (§6.1.3, RFC 8463 §3).
 */
import type { CryptoBackend } from '../crypto/backend.ts';
import type { TxtLookup } from '../dns/lookup.ts';
import { binaryToBytes, bytesEqual } from '../encoding/bytes.ts';
import { LIMITS } from '../limits.ts';
import type { HeaderField, Message } from '../mail/message.ts';
import { type Meter, UNMETERED } from '../meter.ts';
import { type BodyHashes, bodyHashes } from './body-hash.ts';
import { headerHashInput } from './header-hash.ts';
import { type DkimKey, keyRecordName, parseKeyRecord } from './key.ts';
import { CHECK_NAMES, type Check, type DkimReason, REASON_RESULT, type SignatureResult } from './result.ts';
import {
  type DkimSignature,
  type SignatureLabels,
  type SignatureParses,
  signatureParses,
} from './signature.ts';

export interface VerifyContext {
  readonly message: Message;
  readonly lookup: TxtLookup;
  readonly crypto: CryptoBackend;
  /** Unix seconds. */
  readonly now: number;
  /** The message's body hashes, when a caller has started them (default: made here). */
  readonly bodyHashes?: BodyHashes;
  /** The parses of its DKIM-Signature fields at `now`, when a caller has made some (default: made here). */
  readonly signatures?: SignatureParses;
  readonly meter?: Meter;
}

function finish(
  index: number,
  labels: SignatureLabels,
  checks: Check[],
  reason: DkimReason | null,
  detail: string,
  unsignedBodyBytes: number | null,
): SignatureResult {
  const done = new Set(checks.map((c) => c.name));
  const all = [...checks];
  for (const name of CHECK_NAMES) {
    if (!done.has(name)) all.push({ name, status: 'Skipped', detail: 'not reached' });
  }
  return {
    index,
    domain: labels.domain,
    selector: labels.selector,
    algorithm: labels.algorithm,
    result: reason === null ? 'pass' : REASON_RESULT[reason],
    reason,
    detail,
    checks: all,
    signedHeaders: labels.signedHeaders,
    unsignedBodyBytes,
  };
}

type KeyStep = { ok: true; key: DkimKey; detail: string } | { ok: false; reason: DkimReason; detail: string };

async function fetchKey(sig: DkimSignature, ctx: VerifyContext): Promise<KeyStep> {
  const name = keyRecordName(sig.selector, sig.domain);
  const answer = await ctx.lookup(name);
  if (answer.kind === 'temperror')
    return { ok: false, reason: 'KeyLookupFailed', detail: `${name}: ${answer.detail}` };
  if (answer.kind === 'nxdomain' || answer.records.length === 0) {
    return { ok: false, reason: 'KeyNotFound', detail: `no key record at ${name}` };
  }
  if (answer.records.length > 1) {
    return { ok: false, reason: 'KeyAmbiguous', detail: `${answer.records.length} TXT records at ${name}` };
  }
  const parsed = parseKeyRecord(answer.records[0]!, sig);
  if (!parsed.ok) return parsed;
  const size = parsed.key.type === 'rsa' ? `RSA ${parsed.key.bits} bits` : 'Ed25519';
  return { ok: true, key: parsed.key, detail: `${name}: ${size}` };
}

async function verifyOne(
  field: HeaderField,
  index: number,
  ctx: VerifyContext,
  hashes: BodyHashes,
  meter: Meter,
  parses: SignatureParses,
): Promise<SignatureResult> {
  const parsed = parses(field);
  if (!parsed.ok) return finish(index, parsed.labels, parsed.checks, parsed.reason, parsed.detail, null);
  const { sig, labels } = parsed;
  const checks = [...parsed.checks];
  const stop = (name: Check['name'], reason: DkimReason, detail: string, unsigned: number | null = null) => {
    checks.push({ name, status: 'Fail', detail });
    return finish(index, labels, checks, reason, detail, unsigned);
  };

  const key = await fetchKey(sig, ctx);
  if (!key.ok) return stop('key', key.reason, key.detail);
  checks.push({ name: 'key', status: 'Pass', detail: key.detail });

  const body = await meter.sync('body_hash', () => hashes(sig));
  if (!body) return stop('body-hash', 'BodyLengthExceeded', `l=${sig.bodyLength} exceeds the canonical body`);
  if (!bytesEqual(body.hash, sig.bodyHash)) {
    return stop('body-hash', 'BodyHashMismatch', 'the body does not match bh=', body.unsigned);
  }
  checks.push({
    name: 'body-hash',
    status: 'Pass',
    detail: body.unsigned === 0 ? 'whole body signed' : `${body.unsigned} body bytes after l= are unsigned`,
  });

  const { crypto } = ctx;
  const k = key.key;
  const input = meter.sync('header_hash', () =>
    binaryToBytes(headerHashInput(ctx.message.headers, field, sig.signedHeaders, sig.headerCanon)),
  );
  let ok: boolean;
  if (k.type === 'rsa') {
    ok = await meter.sync('signature', () => crypto.rsaPkcs1Sha256Verify(k.rsa, input, sig.signature));
  } else {
    const digest = await meter.sync('header_hash', () => crypto.sha256(input));
    ok = await meter.sync('signature', () => crypto.ed25519Verify(k.raw, digest, sig.signature));
  }
  if (!ok) return stop('signature', 'SignatureInvalid', 'the signature does not verify', body.unsigned);
  checks.push({ name: 'signature', status: 'Pass', detail: sig.algorithm });
  return finish(index, labels, checks, null, 'verified', body.unsigned);
}

/** Verifies all DKIM-Signature fields (the first LIMITS.dkimSignatures of them), top first. */
export async function verifyDkim(ctx: VerifyContext): Promise<SignatureResult[]> {
  const hashes = ctx.bodyHashes ?? bodyHashes(ctx.message.body, ctx.crypto);
  const meter = ctx.meter ?? UNMETERED;
  const parses = ctx.signatures ?? signatureParses(ctx.now);
  const fields = ctx.message.headers.filter((h) => h.key === 'dkim-signature');
  return Promise.all(
    fields.map((field, index) => {
      if (index >= LIMITS.dkimSignatures) {
        const labels: SignatureLabels = { domain: null, selector: null, algorithm: null, signedHeaders: [] };
        const detail = `only the first ${LIMITS.dkimSignatures} signatures are evaluated`;
        return Promise.resolve(finish(index, labels, [], 'TooManySignatures', detail, null));
      }
      return verifyOne(field, index, ctx, hashes, meter, parses);
    }),
  );
}

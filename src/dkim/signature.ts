/**
 * The DKIM-Signature field (RFC 6376 §3.5), checked in the order of RFC 6376 §6.1.1 as protocol.md §5
 * steps 1–6 lay it out: tag syntax, version and required tags, algorithm (RFC 8301 §3.1, RFC 8463 §3),
 * canonicalization (§3.4), timestamps (§3.5 t= / x=) and the signed-header list (§5.4 requires From).
 */
import { asciiLower } from '../encoding/ascii.ts';
import { decodeBase64 } from '../encoding/bytes.ts';
import { LIMITS } from '../limits.ts';
import { domainProblem } from '../mail/address.ts';
import type { HeaderField } from '../mail/message.ts';
import type { Check, DkimReason } from './result.ts';
import { lenientTags, parseTagList, stripFws } from './tags.ts';

export type Canon = 'simple' | 'relaxed';
export type DkimAlgorithm = 'rsa-sha256' | 'ed25519-sha256';

export interface DkimSignature {
  readonly algorithm: DkimAlgorithm;
  readonly signature: Uint8Array;
  readonly bodyHash: Uint8Array;
  readonly headerCanon: Canon;
  readonly bodyCanon: Canon;
  /** Lowercased d= (signing domain). */
  readonly domain: string;
  /** h= names, lowercased, in order (duplicates kept: over-signing). */
  readonly signedHeaders: readonly string[];
  /** Domain part of i=, lowercased (d= when i= is absent). */
  readonly identityDomain: string;
  readonly bodyLength: number | null;
  readonly selector: string;
  readonly timestamp: number | null;
  readonly expiration: number | null;
}

/** What could be read even when parsing stops early, for reporting. */
export interface SignatureLabels {
  domain: string | null;
  selector: string | null;
  algorithm: string | null;
  signedHeaders: string[];
}

export type SignatureParse =
  | { ok: true; sig: DkimSignature; labels: SignatureLabels; checks: Check[] }
  | { ok: false; reason: DkimReason; detail: string; labels: SignatureLabels; checks: Check[] };

const REQUIRED = ['v', 'a', 'b', 'bh', 'd', 'h', 's'] as const;
const DIGITS = /^[0-9]{1,12}$/;
const DIGITS_L = /^[0-9]{1,76}$/;
const SELECTOR_LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?$/;

function parseCanon(value: string | undefined): [Canon, Canon] | null {
  if (value === undefined) return ['simple', 'simple'];
  const [h, b, extra] = value.toLowerCase().split('/');
  const ok = (x: string | undefined): x is Canon => x === 'simple' || x === 'relaxed';
  if (extra !== undefined || !ok(h)) return null;
  if (b === undefined) return [h, 'simple'];
  return ok(b) ? [h, b] : null;
}

/** Parses and checks a DKIM-Signature value (the text after the colon) at time `now` (unix seconds). */
export function parseSignature(value: string, now: number): SignatureParse {
  const checks: Check[] = [];
  const labels: SignatureLabels = { domain: null, selector: null, algorithm: null, signedHeaders: [] };
  const pass = (name: Check['name'], detail: string) => checks.push({ name, status: 'Pass', detail });
  const stop = (name: Check['name'], reason: DkimReason, detail: string): SignatureParse => {
    checks.push({ name, status: 'Fail', detail });
    return { ok: false, reason, detail, labels, checks };
  };

  // Step 1: tag list.
  const parsed = parseTagList(value);
  const t = parsed.ok ? parsed.tags : lenientTags(value);
  labels.domain = t.has('d') ? asciiLower(t.get('d')!) : null;
  labels.selector = t.get('s') ?? null;
  labels.algorithm = t.get('a') ?? null;
  labels.signedHeaders = (t.get('h') ?? '')
    .split(':')
    .map((n) => stripFws(n).toLowerCase())
    .filter((n) => n !== '');
  if (!parsed.ok) return stop('tags', parsed.code, parsed.detail);
  pass('tags', `${t.size} tags`);

  // Step 2: version, required tags, d=, s=, i=.
  for (const name of REQUIRED) {
    if (!t.has(name)) return stop('required-tags', 'MissingTag', `required tag ${name}= is missing`);
  }
  if (t.get('v') !== '1') return stop('required-tags', 'BadVersion', `v=${t.get('v')} (must be 1)`);
  const domain = labels.domain!;
  const domainErr = domainProblem(domain);
  if (domainErr) return stop('required-tags', 'BadDomain', `d=: ${domainErr}`);
  const selector = labels.selector!;
  if (selector.length > 253 || !selector.split('.').every((l) => SELECTOR_LABEL.test(l) && l.length <= 63)) {
    return stop('required-tags', 'BadSelector', `invalid selector ${JSON.stringify(selector.slice(0, 64))}`);
  }
  const identity = t.get('i');
  let identityDomain = domain;
  if (identity !== undefined) {
    const at = identity.lastIndexOf('@');
    identityDomain = asciiLower(identity.slice(at + 1));
    if (at < 0 || (identityDomain !== domain && !identityDomain.endsWith(`.${domain}`))) {
      return stop('required-tags', 'IdentityMismatch', `i=${identity} is not within d=${domain}`);
    }
  }
  const signature = decodeBase64(t.get('b')!);
  if (!signature || signature.length === 0)
    return stop('required-tags', 'TagSyntax', 'b= is not valid base64');
  const bodyHash = decodeBase64(t.get('bh')!);
  if (!bodyHash || bodyHash.length === 0)
    return stop('required-tags', 'TagSyntax', 'bh= is not valid base64');
  pass('required-tags', `d=${domain} s=${selector}`);

  // Step 3: algorithm.
  const a = t.get('a')!.toLowerCase();
  if (a === 'rsa-sha1') return stop('algorithm', 'Sha1Rejected', 'rsa-sha1 is not accepted (RFC 8301 §3.1)');
  if (a !== 'rsa-sha256' && a !== 'ed25519-sha256') {
    return stop('algorithm', 'UnsupportedAlgorithm', `a=${a} is not supported`);
  }
  if (bodyHash.length !== 32) return stop('algorithm', 'TagSyntax', 'bh= is not a SHA-256 digest');
  pass('algorithm', a);

  // Step 4: canonicalization and query method.
  const canon = parseCanon(t.get('c'));
  if (!canon) return stop('canonicalization', 'BadCanonicalization', `c=${t.get('c')} is not valid`);
  const q = t.get('q');
  if (
    q !== undefined &&
    !stripFws(q)
      .split(':')
      .some((m) => m.toLowerCase() === 'dns/txt')
  ) {
    return stop('canonicalization', 'UnsupportedQueryMethod', `q=${q} does not include dns/txt`);
  }
  const lText = t.get('l');
  if (lText !== undefined && !DIGITS_L.test(lText))
    return stop('canonicalization', 'BadBodyLength', `l=${lText}`);
  const bodyLength = lText === undefined ? null : Number(lText);
  pass('canonicalization', `${canon[0]}/${canon[1]}${bodyLength === null ? '' : ` l=${bodyLength}`}`);

  // Step 5: t= and x=.
  const num = (name: 't' | 'x'): number | null | undefined => {
    const v = t.get(name);
    if (v === undefined) return null;
    return DIGITS.test(v) ? Number(v) : undefined;
  };
  const timestamp = num('t');
  const expiration = num('x');
  if (timestamp === undefined || expiration === undefined) {
    return stop('timestamps', 'BadTimestamp', 't= or x= is not a decimal number of at most 12 digits');
  }
  if (timestamp !== null && expiration !== null && expiration < timestamp) {
    return stop('timestamps', 'ExpiryBeforeTimestamp', `x=${expiration} is before t=${timestamp}`);
  }
  if (expiration !== null && expiration < now) {
    return stop('timestamps', 'SignatureExpired', `expired at ${expiration}, now is ${now}`);
  }
  if (timestamp !== null && timestamp > now + LIMITS.clockSkewSeconds) {
    return stop('timestamps', 'FutureTimestamp', `t=${timestamp} is in the future (now ${now})`);
  }
  pass('timestamps', expiration === null ? 'no expiry' : `valid until ${expiration}`);

  // Step 6: h= must cover From.
  if (!labels.signedHeaders.includes('from'))
    return stop('signed-headers', 'FromNotSigned', 'h= does not include From');
  pass('signed-headers', labels.signedHeaders.join(':'));

  return {
    ok: true,
    labels,
    checks,
    sig: {
      algorithm: a,
      signature,
      bodyHash,
      headerCanon: canon[0],
      bodyCanon: canon[1],
      domain,
      signedHeaders: labels.signedHeaders,
      identityDomain,
      bodyLength,
      selector,
      timestamp,
      expiration,
    },
  };
}

/**
 * `parseSignature` of a message's DKIM-Signature fields at one `now`, each made once however many callers read
 * it (the challenge's candidate selection, then the verification): the tag list alone costs the canister about
 * 2 M instructions per field.
 */
export type SignatureParses = (field: HeaderField) => SignatureParse;

export function signatureParses(now: number): SignatureParses {
  const made = new Map<HeaderField, SignatureParse>();
  return (field) => {
    let parse = made.get(field);
    if (!parse) {
      parse = parseSignature(field.value, now);
      made.set(field, parse);
    }
    return parse;
  };
}

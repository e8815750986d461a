/**
 * The canister configuration (protocol.md §3, §4, §7, §8): set by the install argument, changed only by an
 * upgrade argument, where every omitted field keeps its stored value. Stored as versioned JSON under the key
 * `config` of the settings map (it is read rarely and small, so JSON is fine here) and cached in the heap,
 * which an upgrade clears.
 *
 * Every value is validated before it is stored; an invalid argument traps, which on upgrade rolls the
 * upgrade back and keeps the old code and configuration.
 */

import { Principal } from 'azle';
import { DEFAULT_DOH_PROVIDERS } from '../src/challenge/doh-quorum.ts';
import { parseAnchors } from '../src/dnssec/dnskey.ts';
import { ROOT_ANCHORS_TEXT } from '../src/dnssec/root-anchors.ts';
import { MAX_ORIGIN_BYTES } from '../src/identity/delegation.ts';
import { domainProblem } from '../src/mail/address.ts';
import type { Config, ConfigView, DohProvider, DohSettings, PublicSuffixListView } from './candid.ts';
import { counterValue, settingsMap } from './state.ts';
import {
  type CheckedSuffixList,
  checkPublicSuffixList,
  currentSuffixes,
  SHIPPED_PSL_VIEW,
  storePublicSuffixList,
} from './suffix-list.ts';

/** Bounds on configuration sizes, so a config can never make a query expensive. */
export const CONFIG_LIMITS = {
  mailHosts: 16,
  rootAnchors: 16,
  allowedDomains: 1000,
  providers: 16,
  providerNameChars: 64,
  providerUrlChars: 256,
  gatewayPrincipals: 32,
  /** protocol.md §8: the DoH cache age is at most 24 h. */
  maxCacheSeconds: 24 * 60 * 60,
} as const;

/** Default DoH resolvers (protocol.md §8), shared with src/challenge. Only used for names under `allowed_domains`,
 * which is empty by default, so DoH is off until configured. */
export { DEFAULT_DOH_PROVIDERS };

/**
 * The configuration of a fresh install without an argument: no mail host and no app origin (the email and
 * delegation flows refuse to run until they are set), the IANA root KSK-2017 and KSK-2024 DS anchors, DoH
 * off (no allowed domains) with the default resolvers, quorum 3 and a 1 h cache, any caller may relay mail,
 * identity numbers starting at 10000, and the shipped Public Suffix List.
 */
export function defaultConfig(): ConfigView {
  return {
    mail_hosts: [],
    app_origin: '',
    root_anchors: ROOT_ANCHORS_TEXT.split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== ''),
    doh: {
      allowed_domains: [],
      providers: DEFAULT_DOH_PROVIDERS.map((p) => ({ ...p })),
      quorum: 3,
      cache_seconds: 60 * 60,
    },
    gateway_principals: [],
    identity_number_start: 10_000n,
    public_suffix_list: SHIPPED_PSL_VIEW,
  };
}

/**
 * Returns `base` with the fields present in `arg` replaced, validated and normalized. Throws on bad input.
 * `suffixList` receives the checked Public Suffix List when the argument gives one (stored by the caller once
 * everything validated).
 */
export function mergeConfig(
  base: ConfigView,
  arg: Config | undefined,
  suffixList: (checked: CheckedSuffixList) => void = () => {},
): ConfigView {
  const next: ConfigView = { ...base };
  if (arg === undefined) return next;
  // Absent from an argument encoded before the field existed: Candid decodes a missing opt field as none.
  const [pslText] = arg.public_suffix_list ?? [];
  if (pslText !== undefined) {
    const checked = checkPublicSuffixList(pslText, (m) => fail('public_suffix_list', m));
    next.public_suffix_list = checked.view;
    suffixList(checked);
  }
  const [mailHosts] = arg.mail_hosts;
  if (mailHosts !== undefined) next.mail_hosts = checkMailHosts(mailHosts);
  const [appOrigin] = arg.app_origin;
  if (appOrigin !== undefined) next.app_origin = checkOrigin(appOrigin);
  const [rootAnchors] = arg.root_anchors;
  if (rootAnchors !== undefined) next.root_anchors = checkRootAnchors(rootAnchors);
  const [doh] = arg.doh;
  if (doh !== undefined) next.doh = checkDoh(doh);
  const [gateways] = arg.gateway_principals;
  if (gateways !== undefined) next.gateway_principals = checkGateways(gateways);
  const [start] = arg.identity_number_start;
  if (start !== undefined) next.identity_number_start = start;
  return next;
}

function fail(field: string, message: string): never {
  throw new Error(`invalid config field ${field}: ${message}`);
}

function checkDomainList(field: string, values: readonly string[], max: number): string[] {
  if (values.length > max) fail(field, `more than ${max} entries`);
  const out: string[] = [];
  for (const value of values) {
    const domain = value.toLowerCase();
    const problem = domainProblem(domain);
    if (problem !== null) fail(field, `${JSON.stringify(value)}: ${problem}`);
    if (out.includes(domain)) fail(field, `${JSON.stringify(value)} appears twice`);
    out.push(domain);
  }
  return out;
}

/** Mail hosts, lowercased; the first is the one `*_prepare` names in `mailbox`. */
function checkMailHosts(hosts: readonly string[]): string[] {
  return checkDomainList('mail_hosts', hosts, CONFIG_LIMITS.mailHosts);
}

const HTTPS_ORIGIN = /^https:\/\/([a-z0-9.-]+)(?::([0-9]{1,5}))?$/;
const LOCAL_HTTP_ORIGIN = /^http:\/\/(localhost|127\.0\.0\.1|[a-z0-9-]+\.localhost)(?::([0-9]{1,5}))?$/;

/**
 * The app origin in the exact form browsers serialize it (RFC 6454 §6.2): lowercase scheme and host, no path
 * and no default port. It goes into every user principal's seed, so it is never normalized silently: a
 * non-canonical value is rejected. `http:` is accepted only for localhost (development). `""` = not set.
 */
function checkOrigin(origin: string): string {
  if (origin === '') return origin;
  // The origin must be ASCII (checked below), so its length in characters is its length in bytes.
  if (origin.length > MAX_ORIGIN_BYTES) fail('app_origin', `longer than ${MAX_ORIGIN_BYTES} bytes`);
  const https = HTTPS_ORIGIN.exec(origin);
  const local = https === null ? LOCAL_HTTP_ORIGIN.exec(origin) : null;
  const match = https ?? local;
  if (match === null) {
    fail('app_origin', `${JSON.stringify(origin)} is not a lowercase https:// origin without a path`);
  }
  if (https !== null) {
    const problem = domainProblem(https[1]!);
    if (problem !== null) fail('app_origin', problem);
  }
  const port = match[2];
  if (port !== undefined) {
    const n = Number(port);
    if (String(n) !== port || n < 1 || n > 65535) fail('app_origin', `bad port ${port}`);
    if ((https !== null && n === 443) || (local !== null && n === 80))
      fail('app_origin', 'omit the default port');
  }
  return origin;
}

/** Root trust anchors: DS lines for the root zone with a supported digest type (2 or 4), one per entry. */
function checkRootAnchors(lines: readonly string[]): string[] {
  if (lines.length === 0) fail('root_anchors', 'at least one anchor is required');
  if (lines.length > CONFIG_LIMITS.rootAnchors)
    fail('root_anchors', `more than ${CONFIG_LIMITS.rootAnchors}`);
  const out: string[] = [];
  for (const raw of lines) {
    const line = raw.trim();
    if (line.includes('\n')) fail('root_anchors', 'one DS line per entry');
    let parsed: ReturnType<typeof parseAnchors>;
    try {
      parsed = parseAnchors(line);
    } catch (e) {
      fail('root_anchors', `${JSON.stringify(line)}: ${e instanceof Error ? e.message : String(e)}`);
    }
    const [anchor] = parsed;
    if (parsed.length !== 1 || anchor === undefined)
      fail('root_anchors', `${JSON.stringify(line)}: not one record`);
    if (anchor.kind !== 'ds') fail('root_anchors', `${JSON.stringify(line)}: not a DS record`);
    if (anchor.ds.owner.length !== 0)
      fail('root_anchors', `${JSON.stringify(line)}: owner is not the root "."`);
    if (anchor.ds.digestType !== 2 && anchor.ds.digestType !== 4) {
      fail('root_anchors', `${JSON.stringify(line)}: digest type must be 2 (SHA-256) or 4 (SHA-384)`);
    }
    if (out.includes(line)) fail('root_anchors', `${JSON.stringify(line)} appears twice`);
    out.push(line);
  }
  return out;
}

/**
 * Plain-HTTP providers on loopback, for the local stack and tests only: the IC's HTTPS outcalls reject them, so
 * they can never be used on a real subnet.
 */
const LOOPBACK_URL = /^http:\/\/(?:127\.0\.0\.1|localhost)(?::[0-9]{1,5})?\/[\x21-\x7e]*$/;
const PROVIDER_URL = /^https:\/\/([a-z0-9.-]+)(?::[0-9]{1,5})?(?:\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*)?$/;

/**
 * DoH settings: allowed domains lowercased; provider names 1–64 printable characters and https URLs, both
 * unique; `1 ≤ quorum ≤ providers` and a strict majority (two disagreeing answers can never both reach
 * quorum); `cache_seconds ≤ 86400`. Allowed domains without providers are refused.
 */
function checkDoh(doh: DohSettings): DohSettings {
  const allowed = checkDomainList('doh.allowed_domains', doh.allowed_domains, CONFIG_LIMITS.allowedDomains);
  if (doh.providers.length > CONFIG_LIMITS.providers) {
    fail('doh.providers', `more than ${CONFIG_LIMITS.providers}`);
  }
  const providers: DohProvider[] = [];
  for (const { name, url } of doh.providers) {
    if (name.length === 0 || name.length > CONFIG_LIMITS.providerNameChars || /[\x00-\x1f\x7f]/.test(name)) {
      fail('doh.providers', `bad name ${JSON.stringify(name)}`);
    }
    const match = url.length <= CONFIG_LIMITS.providerUrlChars ? PROVIDER_URL.exec(url) : null;
    const loopback = url.length <= CONFIG_LIMITS.providerUrlChars && LOOPBACK_URL.test(url);
    if (!loopback && (match === null || domainProblem(match[1]!) !== null)) {
      fail('doh.providers', `${JSON.stringify(url)} is not an https:// URL with a lowercase host`);
    }
    if (providers.some((p) => p.name === name || p.url === url)) {
      fail('doh.providers', `${JSON.stringify(name)} (${url}) repeats a name or URL`);
    }
    providers.push({ name, url });
  }
  const n = providers.length;
  if (allowed.length > 0 && n === 0) fail('doh.providers', 'allowed_domains needs at least one provider');
  if (doh.quorum < 1) fail('doh.quorum', 'must be at least 1');
  if (n > 0 && (doh.quorum > n || 2 * doh.quorum <= n)) {
    fail('doh.quorum', `${doh.quorum} of ${n} is not a strict majority of the providers`);
  }
  if (doh.cache_seconds > CONFIG_LIMITS.maxCacheSeconds) {
    fail('doh.cache_seconds', `at most ${CONFIG_LIMITS.maxCacheSeconds}`);
  }
  return { allowed_domains: allowed, providers, quorum: doh.quorum, cache_seconds: doh.cache_seconds };
}

/** Gateway principals: unique, never anonymous. An empty list means any caller may call `smtp_request`. */
function checkGateways(principals: readonly Principal[]): Principal[] {
  if (principals.length > CONFIG_LIMITS.gatewayPrincipals) {
    fail('gateway_principals', `more than ${CONFIG_LIMITS.gatewayPrincipals}`);
  }
  const seen = new Set<string>();
  for (const p of principals) {
    const text = p.toText();
    if (p.isAnonymous()) fail('gateway_principals', 'the anonymous principal cannot be a gateway');
    if (seen.has(text)) fail('gateway_principals', `${text} appears twice`);
    seen.add(text);
  }
  return [...principals];
}

// ---- storage ---------------------------------------------------------------------------------------------

const CONFIG_KEY = 'config';
const FORMAT_VERSION = 1;

interface StoredConfigV1 {
  v: 1;
  mail_hosts: string[];
  app_origin: string;
  root_anchors: string[];
  doh: DohSettings;
  gateway_principals: string[];
  identity_number_start: string;
  /** Absent in configurations stored before the field existed: the shipped list. */
  public_suffix_list?: PublicSuffixListView;
}

export function encodeConfig(config: ConfigView): Uint8Array {
  const stored: StoredConfigV1 = {
    v: FORMAT_VERSION,
    mail_hosts: config.mail_hosts,
    app_origin: config.app_origin,
    root_anchors: config.root_anchors,
    doh: config.doh,
    gateway_principals: config.gateway_principals.map((p) => p.toText()),
    identity_number_start: config.identity_number_start.toString(),
    public_suffix_list: config.public_suffix_list,
  };
  return new TextEncoder().encode(JSON.stringify(stored));
}

export function decodeConfig(bytes: Uint8Array): ConfigView {
  const stored = JSON.parse(new TextDecoder().decode(bytes)) as StoredConfigV1;
  if (stored.v !== FORMAT_VERSION) throw new Error(`stored config has unknown format version ${stored.v}`);
  return {
    mail_hosts: stored.mail_hosts,
    app_origin: stored.app_origin,
    root_anchors: stored.root_anchors,
    doh: stored.doh,
    gateway_principals: stored.gateway_principals.map((text) => Principal.fromText(text)),
    identity_number_start: BigInt(stored.identity_number_start),
    public_suffix_list: stored.public_suffix_list ?? SHIPPED_PSL_VIEW,
  };
}

let cached: ConfigView | undefined;

function store(config: ConfigView): void {
  settingsMap.insert(CONFIG_KEY, encodeConfig(config));
  cached = config;
}

/** The configuration in effect. */
export function currentConfig(): ConfigView {
  if (cached === undefined) {
    const bytes = settingsMap.get(CONFIG_KEY);
    cached = bytes === undefined ? defaultConfig() : decodeConfig(bytes);
  }
  return cached;
}

/** `@init`: the defaults overridden by the fields of the argument. */
export function installConfig(arg: Config | undefined): void {
  let list: CheckedSuffixList | undefined;
  store(mergeConfig(defaultConfig(), arg, (c) => (list = c)));
  if (list) storePublicSuffixList(list);
}

/**
 * `@postUpgrade`: the stored configuration (or the defaults, if none was stored) overridden by the argument.
 * `identity_number_start` and `app_origin` can no longer change once an identity has been created: the first
 * numbers identities, the second is in every management principal's seed (protocol.md §1), so changing it would
 * move every identity to new principals and orphan prepared recoveries.
 */
export function upgradeConfig(arg: Config | undefined): void {
  const bytes = settingsMap.get(CONFIG_KEY);
  const base = bytes === undefined ? defaultConfig() : decodeConfig(bytes);
  let list: CheckedSuffixList | undefined;
  const next = mergeConfig(base, arg, (c) => (list = c));
  const identitiesExist = counterValue('identities') > 0n;
  if (next.identity_number_start !== base.identity_number_start && identitiesExist) {
    fail('identity_number_start', 'cannot change after identities have been created');
  }
  if (next.app_origin !== base.app_origin && identitiesExist) {
    fail('app_origin', 'cannot change after identities have been created (it is part of every principal)');
  }
  store(next);
  // After every check: a refused upgrade traps before this, and the trap rolls back the whole upgrade anyway.
  if (list) storePublicSuffixList(list);
  // The stored list is parsed here, in the upgrade hook, rather than in the first email's call (suffix-list.ts).
  else currentSuffixes();
}

/**
 * Options the DNS-facing commands share (`dnssec verify|prove`, `verify-email --doh`, `domain`): trust anchors,
 * DNS-over-HTTPS endpoints (RFC 8484), the canister configuration file, and the check that the endpoints
 * answered at all. Every problem is a one-line UsageError (exit 2).
 */
import { type PublicSuffixes, parsePublicSuffixList } from '../dmarc/public-suffix-list.ts';
import { DnsFormatError } from '../dns/errors.ts';
import { parseAnchors, type TrustAnchor } from '../dnssec/dnskey.ts';
import { rootAnchors } from '../dnssec/root-anchors.ts';
import { dohResolver } from '../proof/doh.ts';
import type { Resolver, ResolverAnswer } from '../proof/resolver.ts';
import { UsageError } from './errors.ts';
import { readInput } from './input.ts';

/** Runs a src/dns parser; its DnsFormatError becomes a one-line usage error naming `what`. */
export function parsed<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof DnsFormatError) throw new UsageError(`${what}: ${e.message}`);
    throw e;
  }
}

/** Presentation-format DS or DNSKEY lines (RFC 4034 §5.3, §2.2); `source` names them in errors. */
export function anchorsFromText(text: string, source: string): TrustAnchor[] {
  const anchors = parsed(source, () => parseAnchors(text));
  if (anchors.length === 0) throw new UsageError(`${source}: no DS or DNSKEY trust anchors`);
  return anchors;
}

/** `--anchors <file>`; without it `fallback`, by default the IANA root anchors (RFC 9718). */
export function loadAnchors(
  path: string | undefined,
  fallback: () => TrustAnchor[] = rootAnchors,
): TrustAnchor[] {
  if (path === undefined) return fallback();
  return anchorsFromText(new TextDecoder().decode(readInput(path, 'anchors file')), path);
}

/** `--doh <url>` (repeatable): http(s) URLs, at least one, since nothing is sent without them. */
export function parseDohUrls(urls: readonly string[] | undefined): string[] {
  if (urls === undefined || urls.length === 0) {
    throw new UsageError(
      'pass --doh <url> (e.g. --doh https://cloudflare-dns.com/dns-query); nothing is sent without it',
    );
  }
  for (const u of urls) {
    let ok: boolean;
    try {
      const p = new URL(u).protocol;
      ok = p === 'https:' || p === 'http:';
    } catch {
      ok = false;
    }
    if (!ok) throw new UsageError(`--doh ${JSON.stringify(u)} is not an http(s) URL`);
  }
  return [...urls];
}

/**
 * A resolver that notes whether any endpoint answered. `requireAnswer` throws when every lookup failed in
 * transport (refused, timed out, not DoH): then nothing was learnt about the domain, and saying "not secure"
 * would blame it for the network.
 */
export function watchedResolver(inner: Resolver, urls: readonly string[]) {
  let answered = 0;
  let firstError: string | null = null;
  const resolver: Resolver = {
    async query(name, type): Promise<ResolverAnswer> {
      const r = await inner.query(name, type);
      if (r.kind === 'answer') answered++;
      else firstError ??= `${r.code}: ${r.detail}`;
      return r;
    },
  };
  const requireAnswer = (): void => {
    if (answered === 0 && firstError !== null)
      throw new UsageError(`no DoH endpoint answered (${urls.join(', ')}): ${firstError}`);
  };
  return { resolver, requireAnswer };
}

/** What the DNS commands read from the canister's install argument (candid/waxseal.did `Config`). */
export interface CanisterDnsConfig {
  readonly allowedDomains: readonly string[];
  readonly quorum: number;
  /** `root_anchors` when the file sets them. */
  readonly rootAnchors: readonly string[] | null;
  /** `public_suffix_list` when the file sets a non-empty one, parsed as the canister parses it; else null. */
  readonly suffixes: PublicSuffixes | null;
}

/** The defaults of a fresh install (canister/config.ts defaultConfig): DoH off, quorum 3, the shipped PSL. */
export const DEFAULT_DNS_CONFIG: CanisterDnsConfig = {
  allowedDomains: [],
  quorum: 3,
  rootAnchors: null,
  suffixes: null,
};

/**
 * `--config <file>`: the install argument as JSON, the file `waxseal devnet --config` takes, checked by the same
 * walk over the Candid type (src/devnet/config-arg.ts), so a typo is refused here as it is there. Loaded lazily:
 * the Candid library is needed only with --config.
 */
export async function readCanisterConfig(path: string): Promise<CanisterDnsConfig> {
  const text = new TextDecoder().decode(readInput(path, 'config'));
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`config ${path}: not valid JSON (${(e as Error).message})`);
  }
  const [{ IDL }, { init }, { ConfigArgError, fromJson }] = await Promise.all([
    import('@icp-sdk/core/candid'),
    import('../../canister/declarations/waxseal.did.ts'),
    import('../devnet/config-arg.ts'),
  ]);
  type Config = import('../../canister/declarations/waxseal.did.ts').Config;
  let value: [] | [Config];
  try {
    value = fromJson(init({ IDL })[0]!, json) as [] | [Config];
  } catch (e) {
    if (e instanceof ConfigArgError) throw new UsageError(`config ${path}: ${e.message}`);
    throw e;
  }
  const [config] = value;
  const [doh] = config?.doh ?? [];
  // The canister refuses a quorum of 0 (canister/config.ts); so does the quorum rule this is used with.
  if (doh?.quorum === 0) throw new UsageError(`config ${path}: doh.quorum: must be at least 1`);
  const [anchors] = config?.root_anchors ?? [];
  const [pslText] = config?.public_suffix_list ?? [];
  let suffixes: PublicSuffixes | null = null;
  if (pslText) {
    const parsed = parsePublicSuffixList(pslText);
    if (!parsed.ok) {
      const at = parsed.line === null ? '' : ` at line ${parsed.line}`;
      throw new UsageError(`config ${path}: public_suffix_list: ${parsed.code}${at}: ${parsed.detail}`);
    }
    suffixes = parsed.list;
  }
  return {
    allowedDomains: doh?.allowed_domains ?? DEFAULT_DNS_CONFIG.allowedDomains,
    quorum: doh?.quorum ?? DEFAULT_DNS_CONFIG.quorum,
    rootAnchors: anchors ?? null,
    suffixes,
  };
}

/**
 * The live setup of `verify-email --doh` and `domain`: the endpoints, the canister configuration (the install
 * default without --config), the anchors (--anchors, else the config's `root_anchors`, else the IANA root
 * anchors) and a watched resolver over the endpoints, tried in order.
 */
export async function liveDns(values: {
  readonly doh?: readonly string[] | undefined;
  readonly config?: string | undefined;
  readonly anchors?: string | undefined;
}) {
  const urls = parseDohUrls(values.doh);
  const file = values.config;
  const config = file === undefined ? DEFAULT_DNS_CONFIG : await readCanisterConfig(file);
  const configured = config.rootAnchors;
  const anchors = loadAnchors(
    values.anchors,
    configured ? () => anchorsFromText(configured.join('\n'), `${file}: root_anchors`) : undefined,
  );
  return { urls, config, anchors, ...watchedResolver(dohResolver({ urls }), urls) };
}

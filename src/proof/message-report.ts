/**
 * What the canister would do with one received message, given the DNS that a resolver serves (issue 13 §4), so
 * that "why did this email not verify?" needs a message file and DNS over HTTPS (RFC 8484), nothing else. The
 * path is the one src/challenge/flow.ts `receiveEmail` takes (protocol.md §7, §8):
 * 1. `refused`: the canister's precheck (message bounds, header occurrence, From, candidate signatures; the
 *    names of message.ts `namesForMessage`) stops before any DNS;
 * 2. `dnssec`: the gateway attaches the RFC 9102 proof that message.ts `proofForMessage` builds, and the
 *    canister verifies from that proof alone (proof-lookup.ts, as `judgeWithProof` reads it);
 * 3. `doh`: no proof exists and the From domain is at or under the DoH allowlist: the canister reads the
 *    records from a quorum of its providers (the injected `dohLookup`);
 * 4. `need-proof`: neither: the canister waits in NeedProof for a proof that nobody can build (the web app
 *    builds the same one), so the challenge expires. (Before waiting the canister also checks the body hashes;
 *    a body that fails every candidate ends `DkimFailed` there. That step is not repeated here: the verdict
 *    below stops at the missing key.)
 * Alongside: the chain status (RFC 4035 §5) of each DKIM key name (RFC 6376 §3.6.2.1) and of the DMARC name
 * (RFC 7489 §6.6.3), whether or not it made it into the proof. The verdict is src/verify-email.ts over what
 * the chosen path gives the canister.
 *
 * Never throws for DNS trouble or a malformed message. Browser-safe (no Node builtins).
 */
import { isAllowedName } from '../challenge/doh-quorum.ts';
import { proofLookup } from '../challenge/proof-lookup.ts';
import type { PublicSuffixes } from '../dmarc/public-suffix-list.ts';
import type { TxtLookup } from '../dns/lookup.ts';
import { type EmailVerdict, verifyEmail } from '../verify-email.ts';
import type { BuildOptions } from './build.ts';
import { type MessageProofOutcome, namesForMessage, proofForMessage, proofForNames } from './message.ts';
import { type NameStatus, nameStatus } from './name-status.ts';
import type { Resolver } from './resolver.ts';
import { QuerySession } from './session.ts';

export type MessagePath = 'dnssec' | 'doh' | 'need-proof' | 'refused';

export interface KeyNameStatus extends NameStatus {
  readonly role: 'key' | 'dmarc';
}

export interface MessageReport {
  readonly path: MessagePath;
  /** Why this path, in one sentence. */
  readonly detail: string;
  /** Each DKIM key name the canister would look up, then the DMARC name; empty for `refused`. */
  readonly names: readonly KeyNameStatus[];
  /** What the gateway would attach. */
  readonly proof: MessageProofOutcome;
  readonly verdict: EmailVerdict;
}

export interface MessageReportOptions extends BuildOptions {
  /** The canister's `doh.allowed_domains`. */
  readonly allowedDomains: readonly string[];
  /** The DoH quorum answers, asked only on the `doh` path and only for allowed names. */
  readonly dohLookup: TxtLookup;
  /** The canister's `public_suffix_list` when it has one (default: the shipped snapshot). */
  readonly suffixes?: PublicSuffixes;
}

/** Every name answers temperror with `why`: the canister has no record it may use. */
function unavailable(why: (name: string) => string): TxtLookup {
  return (name) => Promise.resolve({ kind: 'temperror', detail: why(name.toLowerCase()) });
}

/**
 * The path, the per-name chain statuses and the verdict for `message` (CRLF, as received) at `opts.now`.
 *
 * @example
 * const r = await messageReport(raw, dohResolver({ urls }), { anchors, now, crypto, allowedDomains: [], dohLookup });
 * console.log(r.path, r.verdict.accepted);
 */
export async function messageReport(
  message: Uint8Array,
  resolver: Resolver,
  opts: MessageReportOptions,
): Promise<MessageReport> {
  const wanted = namesForMessage(message, opts.now, opts.suffixes);
  // One session under both builds: proofForMessage and the per-name statuses ask each question once.
  const session = new QuerySession(resolver);
  const shared: Resolver = { query: (name, type) => session.ask({ name, type }) };
  const roles = wanted.ok
    ? [
        ...wanted.keyNames.map((name) => ({ name, role: 'key' as const })),
        ...[wanted.dmarcName, wanted.orgDmarcName]
          .filter((name): name is string => name !== null)
          .map((name) => ({ name, role: 'dmarc' as const })),
      ]
    : [];
  const [proof, statuses] = await Promise.all([
    // proofForMessage would parse the message again only to find these names.
    wanted.ok ? proofForNames(wanted, shared, opts) : proofForMessage(message, shared, opts, opts.suffixes),
    Promise.all(roles.map((r) => nameStatus(session, r.name, opts))),
  ]);
  const names = statuses.map((s, i) => ({ ...s, role: roles[i]!.role }));
  const report = async (path: MessagePath, detail: string, lookup: TxtLookup): Promise<MessageReport> => ({
    path,
    detail,
    names,
    proof,
    verdict: await verifyEmail(message, lookup, opts.now, {
      crypto: opts.crypto,
      ...(opts.suffixes ? { suffixes: opts.suffixes } : {}),
    }),
  });

  if (!wanted.ok) {
    const detail = `the canister refuses the message before any DNS lookup: ${wanted.detail}`;
    return report(
      'refused',
      detail,
      unavailable(() => 'not looked up: the message is refused first'),
    );
  }
  const domain = wanted.fromDomain;
  if (proof.kind === 'attached') {
    const reader = proofLookup(proof.proof, { anchors: opts.anchors, now: opts.now, crypto: opts.crypto });
    // proofForMessage attaches only a proof it has read back this way, so the reader always opens.
    if (reader.ok) {
      const what = `a ${proof.proof.length}-byte DNSSEC proof of ${proof.names.join(', ')}`;
      return report('dnssec', `the gateway attaches ${what}; the canister verifies with it`, reader.lookup);
    }
  }
  // The per-name statuses say why in full; here only the builder's summary reason.
  const why = proof.kind === 'none' ? proof.reason : 'the proof does not open';
  if (isAllowedName(domain, opts.allowedDomains)) {
    const detail = `no DNSSEC proof (${why}); ${domain} is on the DoH allowlist: the canister reads the records from its DoH providers`;
    return report('doh', detail, opts.dohLookup);
  }
  const selectors = wanted.keyNames
    .filter((_, i) => wanted.keyDomains[i] === domain)
    .map((n) => n.slice(0, n.lastIndexOf('._domainkey.')));
  const detail =
    `no DNSSEC proof can be built (${why}) and ${domain} is not on the DoH allowlist: the canister waits in ` +
    `NeedProof { domain: ${domain}, selectors: [${selectors.join(', ')}] } until the challenge expires`;
  return report(
    'need-proof',
    detail,
    unavailable((name) => {
      const s = names.find((n) => n.name === name);
      return `no DNSSEC proof${s ? `: ${s.status}${s.reason ? ` (${s.reason})` : ''}: ${s.detail}` : ''}`;
    }),
  );
}

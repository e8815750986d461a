/**
 * The page's own part of a `NeedProof` challenge (protocol.md §3, §7; architecture.md "Data flow" step 5): the
 * RFC 9102 authentication chain (§3) for the DKIM key records the canister names (`key_names`,
 * `<selector>._domainkey.<d>`, RFC 6376 §3.6.2.1) and for the From domain's DMARC record (`_dmarc.<domain>`,
 * RFC 7489 §6.6.3), built in the browser over DNS-over-HTTPS (RFC 8484) from the canister's own DoH providers and
 * root trust anchors, by the function the gateway attaches its proofs with (src/proof/message.ts
 * `proofForNames`): keys that do not validate are dropped, the DMARC record is treated the same way, and the
 * merged chain is read back as the canister reads it before the page submits it.
 *
 * Loaded with import() only when a check or a proof is needed, so src/proof, the DNSSEC validator and dns-packet
 * stay out of the first page.
 */
import type { ChallengeStatus } from '../../../canister/declarations/waxseal.did.ts';
import { webCrypto } from '../../../src/crypto/webcrypto.ts';
import { parseAnchors } from '../../../src/dnssec/dnskey.ts';
import type { BuildOptions } from '../../../src/proof/build.ts';
import { dohResolver } from '../../../src/proof/doh.ts';
import { namesForKeys, proofForNames } from '../../../src/proof/message.ts';
import type { Resolver } from '../../../src/proof/resolver.ts';
import { type ProofProblem, problemOfOutcome } from '../logic/proof-problem.ts';
import type { ConfigView } from './config.ts';

export type NeedProof = Extract<ChallengeStatus, { NeedProof: unknown }>['NeedProof'];

export interface Doh {
  readonly resolver: Resolver;
  readonly options: BuildOptions;
}

/**
 * A resolver over the canister's DoH providers (tried in its order) and its anchors, validating at the browser's
 * time; null when the canister names no provider.
 */
export function dohFrom(config: ConfigView, nowMs: number = Date.now()): Doh | null {
  const urls = config.doh.providers.map((p) => p.url);
  if (urls.length === 0) return null;
  return {
    resolver: dohResolver({ urls }),
    options: {
      anchors: parseAnchors(config.root_anchors.join('\n')),
      now: Math.floor(nowMs / 1000),
      crypto: webCrypto,
    },
  };
}

export type BuiltProof =
  | { readonly kind: 'proof'; readonly chain: Uint8Array }
  | { readonly kind: 'problem'; readonly problem: ProofProblem };

/**
 * The one chain to submit for `need`, or why there is none worth submitting. Whether it is good enough is the
 * canister's decision.
 */
export async function proveKeys(need: NeedProof, config: ConfigView, nowMs?: number): Promise<BuiltProof> {
  const doh = dohFrom(config, nowMs);
  if (!doh) {
    return {
      kind: 'problem',
      problem: { kind: 'unreachable', detail: 'the canister names no DoH provider' },
    };
  }
  const out = await proofForNames(namesForKeys(need.domain, need.key_names), doh.resolver, doh.options);
  return out.kind === 'attached'
    ? { kind: 'proof', chain: out.proof }
    : { kind: 'problem', problem: problemOfOutcome(out) };
}

/**
 * The proof the gateway attaches to a message before relaying it (RFC 9102 §3 chain for the DKIM keys and the
 * DMARC record, protocol.md §7), so that the canister decides in one step instead of waiting in NeedProof. What
 * to prove and whether it is good enough is src/proof/message.ts; this shell adds the resolvers from the config,
 * the canister's trust anchors and a bound on the total time. Any failure sends the mail without a proof: the
 * canister then fetches over DoH or waits for one, so a missing proof costs a step, never the message.
 */
import { nodeCrypto } from '../crypto/node.ts';
import type { TrustAnchor } from '../dnssec/dnskey.ts';
import { dohResolver } from '../proof/doh.ts';
import { proofForMessage } from '../proof/message.ts';

export type AttachOutcome =
  | { readonly kind: 'attached'; readonly proof: Uint8Array; readonly names: readonly string[] }
  | { readonly kind: 'none'; readonly reason: string; readonly detail: string };

export interface ProofAttacher {
  attach(message: Uint8Array, anchors: readonly TrustAnchor[], nowMs: number): Promise<AttachOutcome>;
}

export function proofAttacher(dohUrls: readonly string[], timeoutMs: number): ProofAttacher {
  if (dohUrls.length === 0) {
    return {
      attach: async () => ({ kind: 'none', reason: 'Disabled', detail: 'no DoH resolvers configured' }),
    };
  }
  const resolver = dohResolver({ urls: dohUrls, timeoutMs });
  return {
    async attach(message, anchors, nowMs) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<AttachOutcome>((resolve) => {
        timer = setTimeout(
          () => resolve({ kind: 'none', reason: 'Timeout', detail: `no proof within ${timeoutMs} ms` }),
          timeoutMs,
        );
      });
      const built = proofForMessage(message, resolver, {
        anchors,
        now: Math.floor(nowMs / 1000),
        crypto: nodeCrypto,
      }).then(
        (r): AttachOutcome =>
          r.kind === 'attached'
            ? { kind: 'attached', proof: r.proof, names: r.names }
            : { kind: 'none', reason: r.reason, detail: r.detail },
      );
      try {
        return await Promise.race([built, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/**
 * `waxseal verify-email --doh <url> …`: the live mode. The records come from DNS over HTTPS (RFC 8484) and are read
 * as the canister would read them (src/proof/message-report.ts): through the RFC 9102 proof the gateway builds,
 * from the DoH providers for a From domain on the allowlist of --config (protocol.md §8; here the --doh URLs
 * stand in for the canister's providers, and the quorum is the configured one, at most the number of URLs), or
 * not at all (NeedProof). Trust anchors: --anchors, else the config's `root_anchors`, else the IANA root anchors.
 */
import { nodeCrypto } from '../crypto/node.ts';
import { type MessageReport, messageReport } from '../proof/message-report.ts';
import { liveDns } from './dns-options.ts';
import { dohQuorumLookup } from './doh-quorum-fetch.ts';
import { render, statusText } from './output.ts';
import { verdictJson, verdictText } from './verify-email.ts';

export interface LiveOptions {
  readonly doh: readonly string[];
  readonly config?: string | undefined;
  readonly anchors?: string | undefined;
  readonly now: number;
  readonly json: boolean;
}

function reportJson(r: MessageReport) {
  const p = r.proof;
  return {
    ...verdictJson(r.verdict),
    path: { kind: r.path, detail: r.detail },
    names: r.names.map((n) => ({
      name: n.name,
      role: n.role,
      status: n.status,
      reason: n.reason,
      detail: n.detail,
      zones: n.zones,
    })),
    proof:
      p.kind === 'attached'
        ? { attached: true, bytes: p.proof.length, names: p.names, reason: null, detail: p.detail }
        : { attached: false, bytes: 0, names: [], reason: p.reason, detail: p.detail },
  };
}

function reportText(r: MessageReport): string {
  const lines = r.names.map((n) => `${n.role} ${n.name}: ${statusText(n.status, n.reason, n.detail)}`);
  lines.push(`path: ${r.path}: ${r.detail}`, verdictText(r.verdict));
  return lines.join('\n');
}

export async function verifyEmailOverDoh(
  message: Uint8Array,
  o: LiveOptions,
): Promise<{ out: string; code: number }> {
  const live = await liveDns(o);
  const { urls, config } = live;
  const report = await messageReport(message, live.resolver, {
    anchors: live.anchors,
    now: o.now,
    crypto: nodeCrypto,
    allowedDomains: config.allowedDomains,
    ...(config.suffixes ? { suffixes: config.suffixes } : {}),
    dohLookup: dohQuorumLookup({
      urls,
      threshold: Math.min(config.quorum, urls.length),
      allowedDomains: config.allowedDomains,
    }),
  });
  live.requireAnswer();
  const out = render(
    o.json,
    () => reportJson(report),
    () => reportText(report),
  );
  return { out, code: report.verdict.accepted ? 0 : 1 };
}

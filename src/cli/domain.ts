/**
 * `waxseal domain <domain> --doh <url> … [--config <file>] [--anchors <file>] [--now <unix>] [--json]`: can
 * addresses at this domain recover? The same decision as the web app's up-front check
 * (src/proof/domain-report.ts `decideDomain`), with the facts behind it: the zone's DNSSEC status from the
 * anchors (RFC 4035 §5; --anchors, else the config's `root_anchors`, else the IANA root anchors), the DMARC
 * record (RFC 7489 §6.1) and the alignment rule it sets for d= (§3.1.1), and DoH-allowlist membership (--config,
 * protocol.md §8; without it the install default, empty).
 *
 * Exit status: 0 supported, 1 not supported or not decidable (a lookup failed), 2 usage errors and no DoH
 * endpoint answering.
 */
import { parseArgs } from 'node:util';
import { nodeCrypto } from '../crypto/node.ts';
import { type Name, nameFromText } from '../dns/name.ts';
import { asciiLower } from '../encoding/ascii.ts';
import { domainProblem } from '../mail/address.ts';
import { type DomainReport, domainReport } from '../proof/domain-report.ts';
import { liveDns, parsed } from './dns-options.ts';
import { UsageError } from './errors.ts';
import { parseNow } from './input.ts';
import { render, statusText } from './output.ts';
import { DOMAIN_USAGE } from './usage.ts';

/**
 * The domain argument: `example.com`, `example.com.` or an address at it (what support is usually handed). ASCII
 * only, IDNs as A-labels, as the canister stores addresses (protocol.md §2).
 */
export function parseDomainArg(text: string): { domain: string; name: Name } {
  const at = text.lastIndexOf('@');
  const domain = asciiLower(at < 0 ? text : text.slice(at + 1)).replace(/\.$/, '');
  const problem = domainProblem(domain);
  if (problem !== null) throw new UsageError(`${JSON.stringify(text)}: ${problem}`);
  return { domain, name: parsed(JSON.stringify(text), () => nameFromText(`${domain}.`)) };
}

const SUPPORT_WORD = { dnssec: 'signed', unsigned: 'unsigned', broken: 'broken' } as const;

function reportJson(r: DomainReport) {
  const d = r.decision;
  return {
    domain: r.domain,
    organizationalDomain: r.organizationalDomain,
    zone: r.support.zone,
    dnssec: { status: SUPPORT_WORD[r.support.support], reason: r.support.reason, detail: r.support.detail },
    dmarc: {
      name: r.dmarc.name,
      fallback: r.dmarc.fallback,
      status: r.dmarc.status,
      reason: r.dmarc.reason,
      detail: r.dmarc.detail,
      records: r.dmarc.txt,
      policy: r.dmarc.record?.p ?? null,
      adkim: r.dmarc.record?.adkim ?? null,
      counts: r.dmarc.counts,
    },
    allowlisted: r.allowlisted,
    decision: {
      kind: d.kind,
      via: d.kind === 'supported' ? d.via : null,
      detail: d.kind === 'supported' ? null : d.detail,
    },
    alignment: r.alignment,
  };
}

function dmarcLines(m: DomainReport['dmarc']): string[] {
  const served = m.txt.map((t) => JSON.stringify(t)).join(' ');
  const where = m.fallback ? ' (organizational domain: no DMARC record at the domain itself)' : '';
  if (m.status === 'error') return [`dmarc: ${m.name}${where}: lookup failed (${m.reason}): ${m.detail}`];
  if (m.status === 'absent') return [`dmarc: ${m.name}${where}: no record (${m.detail})`];
  const policy = m.record ? `p=${m.record.p} adkim=${m.record.adkim}` : 'no usable DMARC record';
  return [
    `dmarc: ${m.name}${where}: ${policy}${served ? `: ${served}` : ''}`,
    `dmarc dnssec: ${statusText(m.status, m.reason, m.detail)}`,
  ];
}

function reportText(r: DomainReport, configured: boolean): string {
  const s = r.support;
  const d = r.decision;
  const lines = [
    `domain: ${r.domain} (zone ${s.zone ?? 'unknown'})`,
    `organizational domain: ${r.organizationalDomain ?? '(none: the domain is a public suffix)'}`,
    `dnssec: ${statusText(SUPPORT_WORD[s.support], s.reason, s.detail)}`,
    ...dmarcLines(r.dmarc),
    `doh allowlist: ${r.allowlisted ? 'yes' : 'no'}${configured ? '' : ' (no --config: the install default, empty)'}`,
  ];
  if (d.kind === 'supported') {
    lines.push(`verdict: SUPPORTED via ${d.via}`, `alignment: ${r.alignment!.mode}: ${r.alignment!.detail}`);
  } else lines.push(`verdict: ${d.kind === 'unsupported' ? 'NOT SUPPORTED' : 'UNCHECKED'}: ${d.detail}`);
  return lines.join('\n');
}

export async function domainCommand(argv: string[]): Promise<{ out: string; code: number }> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      doh: { type: 'string', multiple: true },
      config: { type: 'string' },
      anchors: { type: 'string' },
      now: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if (positionals.length !== 1) throw new UsageError(`expected one domain\nusage: ${DOMAIN_USAGE}`);
  const { name } = parseDomainArg(positionals[0]!);
  const now = parseNow(values.now);
  const live = await liveDns(values);
  const report = await domainReport(live.resolver, name, {
    anchors: live.anchors,
    now,
    crypto: nodeCrypto,
    allowedDomains: live.config.allowedDomains,
    ...(live.config.suffixes ? { suffixes: live.config.suffixes } : {}),
  });
  live.requireAnswer();
  const out = render(
    values.json,
    () => reportJson(report),
    () => reportText(report, values.config !== undefined),
  );
  return { out, code: report.decision.kind === 'supported' ? 0 : 1 };
}

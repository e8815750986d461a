/**
 * `waxseal verify-email <message.eml> (--dns <dns.json> | --doh <url> …) [--config <file>] [--anchors <file>]
 * [--now <unix>] [--json]` (protocol.md §10).
 *
 * --dns: offline, the TXT records from a file. --doh: the records as DNS over HTTPS (RFC 8484) serves them, read
 * the way the canister would read them (src/proof/message-report.ts): through the RFC 9102 proof the gateway
 * builds (the DNSSEC path), from the DoH providers for a domain on the allowlist of --config (the DoH path), or
 * not at all (NeedProof), with the chain status of each key name and of the DMARC name (RFC 7489 §6.6.3).
 *
 * Prints one line per signature and per check, then the verdict; exit 0 when Waxseal would accept the email,
 * 1 when it would not, 2 on usage or input errors and when no DoH endpoint answers.
 */
import { parseArgs } from 'node:util';
import { nodeCrypto } from '../crypto/node.ts';
import { staticTxtLookup } from '../dns/lookup.ts';
import { lfToCrlf } from '../mail/message.ts';
import { type EmailVerdict, verifyEmail } from '../verify-email.ts';
import { parseDnsJson } from './dns-json.ts';
import { UsageError } from './errors.ts';
import { parseNow, readInput } from './input.ts';
import { CHECK_MARK, render } from './output.ts';
import { VERIFY_EMAIL_USAGE } from './usage.ts';

/** The JSON shape of protocol.md §10, plus the acceptance decision and each signature's checks. */
export function verdictJson(v: EmailVerdict) {
  return {
    signatures: v.signatures.map((s) => ({
      domain: s.domain,
      selector: s.selector,
      algorithm: s.algorithm,
      result: s.result,
      reason: s.reason,
      checks: s.checks,
    })),
    dkim: v.dkim,
    from: v.from,
    dmarc: {
      result: v.dmarc.result,
      policy: v.dmarc.policy,
      alignment: v.dmarc.alignment,
      record: v.dmarc.recordName,
      organizationalDomain: v.dmarc.organizationalDomain,
    },
    accepted: v.accepted,
    reason: v.reason,
    detail: v.detail,
  };
}

export function verdictText(v: EmailVerdict): string {
  const lines: string[] = [];
  for (const s of v.signatures) {
    const label = `d=${s.domain ?? '?'} s=${s.selector ?? '?'} a=${s.algorithm ?? '?'}`;
    lines.push(`signature ${s.index + 1}: ${label}: ${s.result}${s.reason ? ` (${s.reason})` : ''}`);
    for (const c of s.checks) lines.push(`  ${CHECK_MARK[c.status]} ${c.name}: ${c.detail}`);
  }
  if (v.signatures.length === 0) lines.push('no DKIM-Signature evaluated');
  lines.push(`dkim: ${v.dkim}`);
  lines.push(`from: ${v.from ?? '(none)'}`);
  const d = v.dmarc;
  lines.push(
    `dmarc: ${d.result}${d.policy ? ` (p=${d.policy}, ${d.alignment} alignment)` : ''}: ${d.detail}`,
  );
  if (v.from !== null)
    lines.push(`organizational domain: ${d.organizationalDomain ?? '(none: a public suffix)'}`);
  lines.push(`verdict: ${v.accepted ? 'ACCEPTED' : 'REJECTED'} (${v.reason}): ${v.detail}`);
  return lines.join('\n');
}

export async function verifyEmailCommand(argv: string[]): Promise<{ out: string; code: number }> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      dns: { type: 'string' },
      doh: { type: 'string', multiple: true },
      config: { type: 'string' },
      anchors: { type: 'string' },
      now: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const usage = (why: string) => new UsageError(`${why}\nusage: ${VERIFY_EMAIL_USAGE}`);
  if (positionals.length !== 1) throw usage('expected one message file');
  if (values.dns === undefined && values.doh === undefined)
    throw usage('--dns <dns.json> (offline) or --doh <url> (live DNS) is required');
  if (values.dns !== undefined && values.doh !== undefined) throw usage('give --dns or --doh, not both');
  if (values.dns !== undefined && (values.config !== undefined || values.anchors !== undefined))
    throw usage('--config and --anchors go with --doh');
  const now = parseNow(values.now);
  const message = lfToCrlf(readInput(positionals[0]!, 'message'));
  if (values.doh !== undefined) {
    // Loaded only here: the live mode needs the proof builder and the DNSSEC validator, --dns does not.
    const live = await import('./verify-email-doh.ts');
    return live.verifyEmailOverDoh(message, { ...values, doh: values.doh, now, json: values.json });
  }
  const dnsPath = values.dns!;
  const dnsText = new TextDecoder().decode(readInput(dnsPath, 'DNS file'));
  const lookup = staticTxtLookup(parseDnsJson(dnsText, dnsPath));
  const verdict = await verifyEmail(message, lookup, now, { crypto: nodeCrypto });
  const out = render(
    values.json,
    () => verdictJson(verdict),
    () => verdictText(verdict),
  );
  return { out, code: verdict.accepted ? 0 : 1 };
}

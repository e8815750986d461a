/**
 * `waxseal verify-email <message.eml> --dns <dns.json> [--now <unix>] [--json]` (protocol.md §10).
 * Prints one line per signature and per check, then the verdict; exit 0 when Waxseal would accept the email,
 * 1 when it would not, 2 on usage or input errors.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { nodeCrypto } from '../crypto/node.ts';
import { staticTxtLookup } from '../dns/lookup.ts';
import { lfToCrlf } from '../mail/message.ts';
import { type EmailVerdict, verifyEmail } from '../verify-email.ts';
import { parseDnsJson } from './dns-json.ts';
import { UsageError } from './errors.ts';
import { VERIFY_EMAIL_USAGE } from './usage.ts';

export function readInput(path: string, what: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (code ?? 'unreadable');
    throw new UsageError(`cannot read ${what} ${path}: ${why}`);
  }
}

export function parseNow(text: string | undefined): number {
  if (text === undefined) return Math.floor(Date.now() / 1000);
  if (!/^[0-9]{1,12}$/.test(text))
    throw new UsageError(`--now must be unix seconds, got ${JSON.stringify(text)}`);
  return Number(text);
}

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
    dmarc: { result: v.dmarc.result, policy: v.dmarc.policy, alignment: v.dmarc.alignment },
    accepted: v.accepted,
    reason: v.reason,
    detail: v.detail,
  };
}

const MARK = { Pass: '✓', Fail: '✗', Skipped: '·' } as const;

export function verdictText(v: EmailVerdict): string {
  const lines: string[] = [];
  for (const s of v.signatures) {
    const label = `d=${s.domain ?? '?'} s=${s.selector ?? '?'} a=${s.algorithm ?? '?'}`;
    lines.push(`signature ${s.index + 1}: ${label}: ${s.result}${s.reason ? ` (${s.reason})` : ''}`);
    for (const c of s.checks) lines.push(`  ${MARK[c.status]} ${c.name}: ${c.detail}`);
  }
  if (v.signatures.length === 0) lines.push('no DKIM-Signature evaluated');
  lines.push(`dkim: ${v.dkim}`);
  lines.push(`from: ${v.from ?? '(none)'}`);
  const d = v.dmarc;
  lines.push(
    `dmarc: ${d.result}${d.policy ? ` (p=${d.policy}, ${d.alignment} alignment)` : ''}: ${d.detail}`,
  );
  lines.push(`verdict: ${v.accepted ? 'ACCEPTED' : 'REJECTED'} (${v.reason}): ${v.detail}`);
  return lines.join('\n');
}

export async function verifyEmailCommand(argv: string[]): Promise<{ out: string; code: number }> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { dns: { type: 'string' }, now: { type: 'string' }, json: { type: 'boolean', default: false } },
  });
  if (positionals.length !== 1)
    throw new UsageError(`expected one message file\nusage: ${VERIFY_EMAIL_USAGE}`);
  if (!values.dns) throw new UsageError(`--dns <dns.json> is required\nusage: ${VERIFY_EMAIL_USAGE}`);
  const now = parseNow(values.now);
  const message = lfToCrlf(readInput(positionals[0]!, 'message'));
  const dnsText = new TextDecoder().decode(readInput(values.dns, 'DNS file'));
  const lookup = staticTxtLookup(parseDnsJson(dnsText, values.dns));
  const verdict = await verifyEmail(message, lookup, now, { crypto: nodeCrypto });
  const out = values.json ? JSON.stringify(verdictJson(verdict), null, 2) : verdictText(verdict);
  return { out, code: verdict.accepted ? 0 : 1 };
}

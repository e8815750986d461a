/**
 * The Check list a challenge records for the UI (protocol.md §3 `Failed.checks`, the web app's checklist): one
 * entry per step of the flow, and the per-signature steps of protocol.md §5 flattened under a `dkim[n]` label.
 */
import type { SignatureResult } from '../dkim/result.ts';
import { sigLabel } from './candidates.ts';
import type { Check } from './types.ts';

export const pass = (name: string, detail: string): Check => ({ name, status: 'Pass', detail });
export const fail = (name: string, detail: string): Check => ({ name, status: 'Fail', detail });
export const skipped = (name: string, detail: string): Check => ({ name, status: 'Skipped', detail });

/** The per-signature checks of the verdict, flattened: a summary line, then each step. */
export function signatureChecks(signatures: readonly SignatureResult[]): Check[] {
  const out: Check[] = [];
  for (const s of signatures) {
    const label = sigLabel(s.index);
    const who = `d=${s.domain ?? '?'} s=${s.selector ?? '?'} a=${s.algorithm ?? '?'}`;
    const result = s.reason === null ? s.result : `${s.result} (${s.reason})`;
    out.push({ name: label, status: s.result === 'pass' ? 'Pass' : 'Fail', detail: `${who}: ${result}` });
    for (const c of s.checks) out.push({ name: `${label} ${c.name}`, status: c.status, detail: c.detail });
  }
  return out;
}

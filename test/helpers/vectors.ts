/** Loads fixture cases from test-vectors/ for the suites. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TxtTable } from '../../src/dns/lookup.ts';

export const VECTORS = join(import.meta.dirname, '..', '..', 'test-vectors');

export interface ExpectedSignature {
  d: string;
  s: string;
  a: string;
  result: string;
  reason?: string | null;
}

export interface DkimCase {
  id: string;
  message: Uint8Array;
  dns: TxtTable;
  verifyTime: number;
  lineEndings: 'LF' | 'CRLF';
  expected: { overall?: string; signatures: ExpectedSignature[]; from_count?: number };
  raw: Record<string, unknown>;
}

export function thirdPartyDkimCases(): DkimCase[] {
  const dir = join(VECTORS, 'dkim', 'third-party');
  return readdirSync(dir).map((id) => {
    const json = JSON.parse(readFileSync(join(dir, id, 'case.json'), 'utf8'));
    return {
      id,
      message: new Uint8Array(readFileSync(join(dir, id, json.message_file))),
      dns: json.dns,
      verifyTime: json.verify_time,
      lineEndings: json.line_endings,
      expected: json.expected,
      raw: json,
    };
  });
}

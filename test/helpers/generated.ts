/** The generated DKIM corpus (scripts/gen-dkim-corpus.py): messages signed by dkimpy and OpenDKIM, and mutations. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TxtTable } from '../../src/dns/lookup.ts';
import { VECTORS } from './vectors.ts';

export interface GeneratedCase {
  id: string;
  base: string;
  signer: string;
  mutation: string | null;
  description: string;
  message: Uint8Array;
  dns: TxtTable;
  verify_time: number;
  expected: {
    signatures: Array<{ d: string; s: string; a: string; result: string; reason: string | null }>;
    from_count: number;
  };
  dkimpy_deviation?: string;
}

const DIR = join(VECTORS, 'dkim', 'generated');

export function generatedCases(): GeneratedCase[] {
  const manifest = JSON.parse(readFileSync(join(DIR, 'cases.json'), 'utf8'));
  return manifest.cases.map((c: GeneratedCase & { message: string }) => ({
    ...c,
    message: new Uint8Array(readFileSync(join(DIR, c.message))),
  }));
}

/** RFC 7489 record parsing against the shared DMARC vectors (RFC examples, Stalwart and mailauth cases). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAligned } from '../src/dmarc/alignment.ts';
import { parseDmarcRecord, selectDmarcRecord } from '../src/dmarc/record.ts';
import { VECTORS } from './helpers/vectors.ts';

interface DmarcCase {
  id: string;
  txt?: string[];
  txt_records?: string[][];
  expected: Record<string, unknown> & { valid: boolean };
}

const cases: DmarcCase[] = JSON.parse(readFileSync(join(VECTORS, 'dmarc', 'records.json'), 'utf8')).cases;

describe('DMARC record vectors', () => {
  for (const c of cases) {
    it(c.id, () => {
      const records = c.txt_records ? c.txt_records.map((r) => r.join('')) : [c.txt!.join('')];
      const found = selectDmarcRecord(records);
      if (!c.expected.valid) {
        expect(found.kind).toBe('none');
        if (c.txt) expect(parseDmarcRecord(records[0]!).ok).toBe(false);
        return;
      }
      expect(found.kind).toBe('record');
      const record = found.kind === 'record' ? found.record : null;
      const { valid: _v, note: _n, unknown_tags_ignored, ...fields } = c.expected;
      expect(record).toMatchObject(fields);
      expect(record!.unknownTags).toEqual(unknown_tags_ignored ?? []);
    });
  }
});

describe('DKIM alignment by organizational domain (protocol §6; the full table is in dmarc-alignment.test.ts)', () => {
  it.each([
    ['example.com', 'example.com', 'r', true],
    ['example.com', 'example.com', 's', true],
    ['mail.example.com', 'example.com', 'r', true],
    ['mail.example.com', 'example.com', 's', false],
    ['MAIL.Example.COM', 'example.com', 'r', true],
    ['evilexample.com', 'example.com', 'r', false],
    ['googlemail.com', 'gmail.com', 'r', false],
    ['example.com', 'mail.example.com', 'r', true],
    ['com', 'example.com', 'r', false],
  ] as const)('d=%s From=%s adkim=%s → %s', (d, from, mode, aligned) => {
    expect(isAligned(d, from, mode)).toBe(aligned);
  });
});

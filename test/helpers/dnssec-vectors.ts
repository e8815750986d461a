/** Loads the third-party DNSSEC cases (test-vectors/dnssec/third-party). */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hex } from '@scure/base';
import { type Name, nameFromText } from '../../src/dns/name.ts';
import type { ResourceRecord } from '../../src/dns/record.ts';
import { typeFromText } from '../../src/dns/types.ts';
import { parseZoneFile } from '../../src/dns/zone-file.ts';
import { anchorsFromRecords, type TrustAnchor } from '../../src/dnssec/dnskey.ts';
import { VECTORS } from './vectors.ts';

export interface DnssecCase {
  id: string;
  records: ResourceRecord[];
  chainBytes: Uint8Array | null;
  anchors: TrustAnchor[];
  name: Name;
  type: number;
  verifyTime: number;
  window: { max_inception: number; min_expiration: number };
  expected: { verdict: string; project_verdict?: string; project_reason?: string };
  dir: string;
}

export function thirdPartyDnssecCases(): DnssecCase[] {
  const root = join(VECTORS, 'dnssec', 'third-party');
  return readdirSync(root)
    .filter((id) => id !== 'root-anchors')
    .map((id) => {
      const dir = join(root, id);
      const c = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8'));
      const [name, type] = c.target.split(' ');
      const chainFile = c.wire_files?.['authentication-chain.hex'];
      return {
        id,
        dir,
        records: parseZoneFile(readFileSync(join(dir, c.records_file), 'utf8')),
        chainBytes: chainFile
          ? hex.decode(readFileSync(join(dir, 'authentication-chain.hex'), 'utf8').trim())
          : null,
        anchors: anchorsFromRecords(parseZoneFile((c.trust_anchor_ds ?? c.trust_anchor_dnskey).join('\n'))),
        name: nameFromText(name),
        type: typeFromText(type),
        verifyTime: c.verify_time,
        window: c.validity_window,
        expected: c.expected,
      };
    });
}

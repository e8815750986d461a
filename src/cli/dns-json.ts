/**
 * The CLI's `dns.json` (protocol.md §10): `{ "<name>": ["<TXT value>", …] }` or `{ "<name>": {"nxdomain": true} }`.
 * Validated strictly so a typo is a usage error, not a silent NXDOMAIN.
 */
import type { TxtTable } from '../dns/lookup.ts';
import { UsageError } from './errors.ts';

export function parseDnsJson(text: string, source: string): TxtTable {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${source}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new UsageError(`${source}: expected an object mapping DNS names to TXT values`);
  }
  const table: Record<string, readonly string[] | { nxdomain: true }> = {};
  for (const [name, entry] of Object.entries(data)) {
    if (Array.isArray(entry) && entry.every((v) => typeof v === 'string')) {
      table[name] = entry;
    } else if (
      typeof entry === 'object' &&
      entry !== null &&
      (entry as { nxdomain?: unknown }).nxdomain === true
    ) {
      table[name] = { nxdomain: true };
    } else {
      throw new UsageError(`${source}: "${name}" must be a list of strings or {"nxdomain": true}`);
    }
  }
  return table;
}

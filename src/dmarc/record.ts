/**
 * DMARC policy records (RFC 7489 §6.3, §6.4, §6.6.3): `v=DMARC1` first (exact case), tags split on ";" and the
 * first "=", names case-insensitive, unknown tags ignored. A missing or invalid p= with a valid rua= acts as
 * p=none (§6.6.3 step 6); otherwise the record is unusable. Several DMARC records at one name = no policy.
 */
import { LIMITS } from '../limits.ts';

export type Policy = 'none' | 'quarantine' | 'reject';
export type AlignmentMode = 'r' | 's';

export interface DmarcRecord {
  readonly v: 'DMARC1';
  readonly p: Policy;
  readonly sp: Policy;
  readonly adkim: AlignmentMode;
  readonly aspf: AlignmentMode;
  readonly pct: number;
  readonly fo: string;
  readonly rf: string;
  readonly ri: number;
  readonly rua?: readonly string[];
  readonly ruf?: readonly string[];
  /** Tags RFC 7489 does not define, ignored (names as written). */
  readonly unknownTags: readonly string[];
}

export type DmarcParse =
  | { ok: true; record: DmarcRecord }
  | { ok: false; code: 'DmarcRecordInvalid'; detail: string };

const KNOWN = new Set(['v', 'p', 'sp', 'adkim', 'aspf', 'pct', 'fo', 'rf', 'ri', 'rua', 'ruf']);
const POLICIES: readonly string[] = ['none', 'quarantine', 'reject'];

function invalid(detail: string): DmarcParse {
  return { ok: false, code: 'DmarcRecordInvalid', detail };
}

/** RFC 7489 §6.4 dmarc-uri: a URI, optionally followed by "!" size [unit]; whitespace around parts tolerated. */
function parseUriList(value: string): string[] {
  const out: string[] = [];
  for (const item of value.split(',')) {
    const bang = item.indexOf('!');
    const uri = (bang < 0 ? item : item.slice(0, bang)).trim();
    if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$/.test(uri)) continue;
    if (bang < 0) {
      out.push(uri);
      continue;
    }
    const size = item
      .slice(bang + 1)
      .replace(/\s+/g, '')
      .toLowerCase();
    if (/^[0-9]+[kmgt]?$/.test(size)) out.push(`${uri}!${size}`);
  }
  return out;
}

/** Parses one TXT record (strings concatenated). */
export function parseDmarcRecord(txt: string): DmarcParse {
  if (txt.length > LIMITS.dmarcTxtBytes)
    return invalid(`record is ${txt.length} bytes; the limit is ${LIMITS.dmarcTxtBytes}`);
  const tags = new Map<string, string>();
  const unknownTags: string[] = [];
  const parts = txt.split(';');
  for (let i = 0; i < parts.length; i++) {
    const spec = parts[i]!.trim();
    if (spec === '') {
      if (i === 0) return invalid('not a DMARC record (no v=DMARC1 first)');
      continue;
    }
    const eq = spec.indexOf('=');
    if (eq < 0) {
      if (i === 0) return invalid('not a DMARC record (no v=DMARC1 first)');
      continue;
    }
    const name = spec.slice(0, eq).trim().toLowerCase();
    const value = spec.slice(eq + 1).trim();
    if (i === 0 && (name !== 'v' || value !== 'DMARC1')) {
      return invalid(
        name === 'v' && value.toLowerCase() === 'dmarc1'
          ? 'v= must be exactly "DMARC1"'
          : 'not a DMARC record (no v=DMARC1 first)',
      );
    }
    if (!KNOWN.has(name)) {
      unknownTags.push(spec.slice(0, eq).trim());
      continue;
    }
    if (!tags.has(name)) tags.set(name, value);
  }
  if (tags.get('v') !== 'DMARC1') return invalid('not a DMARC record (no v=DMARC1 first)');

  const rua = tags.has('rua') ? parseUriList(tags.get('rua')!) : undefined;
  const ruf = tags.has('ruf') ? parseUriList(tags.get('ruf')!) : undefined;
  const policyOf = (name: 'p' | 'sp'): Policy | null => {
    const v = tags.get(name)?.toLowerCase();
    return v !== undefined && POLICIES.includes(v) ? (v as Policy) : null;
  };
  let p = policyOf('p');
  let sp = tags.has('sp') ? policyOf('sp') : p;
  if (p === null || sp === null) {
    if (!rua || rua.length === 0)
      return invalid('p= is missing or not none/quarantine/reject, and there is no valid rua=');
    p = 'none';
    sp = 'none';
  }
  const mode = (name: 'adkim' | 'aspf'): AlignmentMode => (tags.get(name)?.toLowerCase() === 's' ? 's' : 'r');
  const int = (name: 'pct' | 'ri', fallback: number, max: number): number => {
    const v = tags.get(name);
    if (v === undefined || !/^[0-9]{1,10}$/.test(v)) return fallback;
    const n = Number(v);
    return n <= max ? n : fallback;
  };
  return {
    ok: true,
    record: {
      v: 'DMARC1',
      p,
      sp,
      adkim: mode('adkim'),
      aspf: mode('aspf'),
      pct: int('pct', 100, 100),
      fo: tags.get('fo') ?? '0',
      rf: tags.get('rf') ?? 'afrf',
      ri: int('ri', 86400, 0xffffffff),
      ...(rua ? { rua } : {}),
      ...(ruf ? { ruf } : {}),
      unknownTags,
    },
  };
}

export type DmarcDiscovery =
  | { kind: 'record'; record: DmarcRecord }
  /**
   * `empty`: no record starts with v=DMARC1 (RFC 7489 §6.6.3 step 3: look at the organizational domain next);
   * false when there were several, or one that does not parse (steps 5 and 6: policy discovery ends).
   */
  | { kind: 'none'; detail: string; empty: boolean }
  | { kind: 'temperror'; detail: string };

/**
 * Picks the policy from the TXT records at `_dmarc.<domain>` (RFC 7489 §6.6.3 steps 3–5): records not starting
 * with v=DMARC1 are discarded; more than one DMARC record, or an invalid one, means no policy.
 */
export function selectDmarcRecord(records: readonly string[]): DmarcDiscovery {
  const candidates = records.filter((r) => /^v[ \t]*=[ \t]*DMARC1[ \t]*(;|$)/.test(r.trimStart()));
  if (candidates.length === 0) return { kind: 'none', detail: 'no DMARC record', empty: true };
  if (candidates.length > 1) {
    return { kind: 'none', detail: `${candidates.length} DMARC records: no policy`, empty: false };
  }
  const parsed = parseDmarcRecord(candidates[0]!);
  return parsed.ok
    ? { kind: 'record', record: parsed.record }
    : { kind: 'none', detail: parsed.detail, empty: false };
}

/**
 * The Public Suffix List the canister's DMARC alignment uses (protocol.md §6, RFC 7489 §3.2): the snapshot shipped
 * with the code (src/dmarc/organizational-domain.ts, tldts's copy), or a list given as text in the official format
 * through the install/upgrade argument `public_suffix_list` (candid/waxseal.did `Config`), parsed by
 * src/dmarc/public-suffix-list.ts.
 *
 * Cost (BENCHMARKS.md "Public Suffix List"): in QuickJS, Candid's UTF-8 decoding of a 180 KB text argument alone
 * takes ≈ 19 B instructions, and the parse ≈ 2 B. Both happen in the install/upgrade hook (limit 300 B), never in
 * a user's call: the list is kept in the settings map under its own key as its canonical ASCII text (A-labels,
 * `canonicalText`), which is read back a byte per character (src/encoding/bytes.ts) instead of with the slow UTF-8 decoder and parsed again in
 * every `postUpgrade` (config.ts), so the first email after an upgrade pays nothing. A text that does not parse
 * traps the install/upgrade (config.ts `fail`), which rolls an upgrade back: the stored list and everything else
 * stay as they were. `""` returns to the snapshot.
 */
import { sha256 } from '../src/crypto/sha256.ts';
import { SHIPPED_PSL_VERSION, SHIPPED_SUFFIXES } from '../src/dmarc/organizational-domain.ts';
import {
  type PublicSuffixes,
  type PublicSuffixList,
  parsePublicSuffixList,
} from '../src/dmarc/public-suffix-list.ts';
import { binaryToBytes, bytesToBinary, toHex } from '../src/encoding/bytes.ts';
import type { PublicSuffixListView } from './candid.ts';
import { settingsMap } from './state.ts';

const PSL_KEY = 'public_suffix_list';

/** What the config view says about the shipped snapshot. */
export const SHIPPED_PSL_VIEW: PublicSuffixListView = {
  custom: false,
  detail: `shipped: ${SHIPPED_PSL_VERSION}`,
};

/** A checked list from the argument (null = back to the snapshot) and its view. */
export interface CheckedSuffixList {
  readonly list: PublicSuffixList | null;
  readonly view: PublicSuffixListView;
}

/** Parses the argument's text; throws (via `fail`) with the parser's code, line and detail when it does not parse. */
export function checkPublicSuffixList(text: string, fail: (message: string) => never): CheckedSuffixList {
  if (text === '') return { list: null, view: SHIPPED_PSL_VIEW };
  const parsed = parsePublicSuffixList(text);
  if (!parsed.ok) {
    const at = parsed.line === null ? '' : ` at line ${parsed.line}`;
    fail(`${parsed.code}${at}: ${parsed.detail}`);
  }
  const c = parsed.list.counts;
  // The digest of the canonical text: the same list gives the same digest whatever its comments.
  const digest = toHex(sha256(binaryToBytes(parsed.list.canonicalText()))).slice(0, 16);
  const detail = `custom: ${parsed.list.rules} rules (ICANN ${c.icann}, private ${c.private}, unsectioned ${c.other}), sha256 ${digest}…`;
  return { list: parsed.list, view: { custom: true, detail } };
}

let cached: PublicSuffixes | undefined;

/** Stores the checked list (after the rest of the configuration validated) and makes it the one in effect. */
export function storePublicSuffixList(checked: CheckedSuffixList): void {
  if (checked.list === null) settingsMap.remove(PSL_KEY);
  else settingsMap.insert(PSL_KEY, binaryToBytes(checked.list.canonicalText()));
  cached = checked.list ?? SHIPPED_SUFFIXES;
}

/** The list in effect: the stored text, parsed once per heap (config.ts does it in postUpgrade), or the snapshot. */
export function currentSuffixes(): PublicSuffixes {
  if (cached === undefined) {
    const bytes = settingsMap.get(PSL_KEY);
    const parsed = bytes === undefined ? null : parsePublicSuffixList(bytesToBinary(bytes));
    // A stored text was validated before it was stored; should it ever not parse, the snapshot is the safe side.
    cached = parsed?.ok ? parsed.list : SHIPPED_SUFFIXES;
  }
  return cached;
}

/** Waxseal's own parser and matcher (src/dmarc/public-suffix-list.ts), over the list given to `parse` or `reload`. */
import { type PublicSuffixList, parsePublicSuffixList } from '../../src/dmarc/public-suffix-list.ts';
import { binaryToBytes, bytesToBinary } from '../../src/encoding/bytes.ts';
import { benchCanister } from './lookup.ts';

let list: PublicSuffixList | null = null;

function load(text: string): number {
  const parsed = parsePublicSuffixList(text);
  if (!parsed.ok) throw new Error(`${parsed.code}: ${parsed.detail}`);
  list = parsed.list;
  return list.rules;
}

/** RFC 7489 §3.2 over the parsed list (organizational-domain.ts would pull in tldts, which another build measures). */
function org(domain: string): string | null {
  if (!list) return null;
  const suffix = list.publicSuffix(domain);
  if (suffix.length >= domain.length) return null;
  const head = domain.slice(0, domain.length - suffix.length - 1);
  return `${head.slice(head.lastIndexOf('.') + 1)}.${suffix}`;
}

export default benchCanister(org, {
  parse: load,
  reload: (bytes) => load(bytesToBinary(bytes)),
  canonical: () => binaryToBytes(list?.canonicalText() ?? ''),
});

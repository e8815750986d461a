/**
 * DKIM tag=value lists (RFC 6376 §3.2), used by the DKIM-Signature field and by key records.
 * Split on ";" first (VALCHAR excludes it, so a "b=" inside another value can never start a tag), then on the
 * first "=". FWS may surround names and values; tag names are case-sensitive; a duplicate tag is an error.
 */
import { trimFws } from '../encoding/whitespace.ts';

export type TagListResult =
  | { ok: true; tags: ReadonlyMap<string, string> }
  | { ok: false; code: 'TagSyntax' | 'DuplicateTag'; detail: string };

const TAG_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
/** tag-value: tval *( 1*(WSP / FWS) tval ), tval = 1*VALCHAR (%x21-3A / %x3C-7E). */
const TAG_VALUE = /^(?:[\x21-\x3a\x3c-\x7e]+(?:[ \t\r\n]+[\x21-\x3a\x3c-\x7e]+)*)?$/;

/** Parses a tag list. Values keep their inner FWS; callers strip it where the tag's syntax allows. */
export function parseTagList(text: string): TagListResult {
  if (/\r\n(?![ \t])|\r(?!\n)|(?<!\r)\n/.test(text)) {
    return { ok: false, code: 'TagSyntax', detail: 'line break that is not folding whitespace' };
  }
  const tags = new Map<string, string>();
  const parts = text.split(';');
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const spec = trimFws(part);
    if (spec === '') {
      if (i === parts.length - 1 && i > 0) break; // a trailing ";" is allowed
      return { ok: false, code: 'TagSyntax', detail: `empty tag at position ${i + 1}` };
    }
    const eq = spec.indexOf('=');
    if (eq < 0)
      return {
        ok: false,
        code: 'TagSyntax',
        detail: `tag without "=": ${JSON.stringify(spec.slice(0, 20))}`,
      };
    const name = trimFws(spec.slice(0, eq));
    const value = trimFws(spec.slice(eq + 1));
    if (!TAG_NAME.test(name))
      return { ok: false, code: 'TagSyntax', detail: `invalid tag name ${JSON.stringify(name)}` };
    if (!TAG_VALUE.test(value))
      return { ok: false, code: 'TagSyntax', detail: `invalid characters in the value of ${name}=` };
    if (tags.has(name)) return { ok: false, code: 'DuplicateTag', detail: `tag ${name}= appears twice` };
    tags.set(name, value);
  }
  return { ok: true, tags };
}

/** Removes all FWS, for tags whose value may be folded anywhere (b=, bh=, p=, h=). */
export function stripFws(value: string): string {
  return value.replace(/[ \t\r\n]+/g, '');
}

/** First value of each tag, without validation: only for labelling a signature whose tag list is invalid. */
export function lenientTags(text: string): Map<string, string> {
  const tags = new Map<string, string>();
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    const name = trimFws(part.slice(0, eq));
    if (eq > 0 && !tags.has(name)) tags.set(name, trimFws(part.slice(eq + 1)));
  }
  return tags;
}

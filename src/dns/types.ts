/** RR type and class codes (IANA DNS parameters) and their mnemonics; unknown types use RFC 3597 `TYPEnnn`. */
import { malformed } from './errors.ts';

export const TYPE = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  DNAME: 39,
  OPT: 41,
  DS: 43,
  RRSIG: 46,
  NSEC: 47,
  DNSKEY: 48,
  NSEC3: 50,
  NSEC3PARAM: 51,
  TLSA: 52,
  CDS: 59,
  CDNSKEY: 60,
} as const;

export const CLASS_IN = 1;

const BY_CODE = new Map<number, string>(Object.entries(TYPE).map(([k, v]) => [v, k]));

export function typeToText(code: number): string {
  return BY_CODE.get(code) ?? `TYPE${code}`;
}

export function typeFromText(text: string): number {
  const upper = text.toUpperCase();
  const known = (TYPE as Record<string, number>)[upper];
  if (known !== undefined) return known;
  const m = /^TYPE([0-9]{1,5})$/.exec(upper);
  if (m && Number(m[1]) <= 0xffff) return Number(m[1]);
  return malformed(`unknown RR type ${JSON.stringify(text)}`);
}

export function isTypeText(text: string): boolean {
  const upper = text.toUpperCase();
  return upper in TYPE || /^TYPE[0-9]{1,5}$/.test(upper);
}

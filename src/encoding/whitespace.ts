/**
 * Linear-time trimming. Regexes like /[ \t]+$/ backtrack quadratically on long whitespace runs that are not at
 * the end, which hostile mail can supply; these loops cannot.
 */

const FWS = ' \t\r\n';
const WSP = ' \t';

function trim(s: string, chars: string, start: boolean, end: boolean): string {
  let a = 0;
  let b = s.length;
  if (start) while (a < b && chars.includes(s[a]!)) a++;
  if (end) while (b > a && chars.includes(s[b - 1]!)) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/** Removes folding whitespace (SP, HTAB, CR, LF) at both ends. */
export const trimFws = (s: string): string => trim(s, FWS, true, true);

/** Removes SP and HTAB at the end. */
export const trimEndWsp = (s: string): string => trim(s, WSP, false, true);

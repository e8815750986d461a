/**
 * Punycode encoding of one label (RFC 3492 §6.3) and the IDNA A-label form `xn--` + punycode (RFC 5890 §2.3.2.1).
 * Only the encoder: Waxseal takes domains as A-labels (protocol.md §2), and the one place that meets U-labels is
 * the Public Suffix List text (src/dmarc/public-suffix-list.ts), whose IDN rules are written as U-labels.
 * No IDNA2008 mapping or validation: the list is already NFC and lowercase. Pure; runs in QuickJS.
 */

/** RFC 3492 §5 parameter values for Punycode. */
const BASE = 36;
const T_MIN = 1;
const T_MAX = 26;
const SKEW = 38;
const DAMP = 700;
const INITIAL_BIAS = 72;
const INITIAL_N = 0x80;
/** RFC 5890 §2.3.2.1 ACE prefix. */
export const ACE_PREFIX = 'xn--';

/** RFC 3492 §5: digit values 0..25 are a..z, 26..35 are 0..9. */
function digit(d: number): string {
  return String.fromCharCode(d < 26 ? 97 + d : 22 + d);
}

/** RFC 3492 §6.1 bias adaptation. */
function adapt(delta: number, numPoints: number, first: boolean): number {
  let d = first ? Math.floor(delta / DAMP) : delta >> 1;
  d += Math.floor(d / numPoints);
  let k = 0;
  while (d > ((BASE - T_MIN) * T_MAX) >> 1) {
    d = Math.floor(d / (BASE - T_MIN));
    k += BASE;
  }
  return k + Math.floor(((BASE - T_MIN + 1) * d) / (d + SKEW));
}

/** The code points of `text` (surrogate pairs joined). */
function codePoints(text: string): number[] {
  const out: number[] = [];
  for (const ch of text) out.push(ch.codePointAt(0)!);
  return out;
}

/**
 * RFC 3492 §6.3: the Punycode of one label (without the ACE prefix). Returns null on overflow, which a label
 * of at most 63 characters can never reach.
 */
export function punycodeEncode(label: string): string | null {
  const input = codePoints(label);
  let output = '';
  for (const c of input) if (c < 0x80) output += String.fromCharCode(c);
  const basic = output.length;
  let handled = basic;
  if (basic > 0) output += '-';
  let n = INITIAL_N;
  let delta = 0;
  let bias = INITIAL_BIAS;
  while (handled < input.length) {
    let m = Number.MAX_SAFE_INTEGER;
    for (const c of input) if (c >= n && c < m) m = c;
    delta += (m - n) * (handled + 1);
    if (delta > 0x7fffffff) return null;
    n = m;
    for (const c of input) {
      if (c < n) delta++;
      if (c !== n) continue;
      let q = delta;
      for (let k = BASE; ; k += BASE) {
        const t = k <= bias ? T_MIN : k >= bias + T_MAX ? T_MAX : k - bias;
        if (q < t) break;
        output += digit(t + ((q - t) % (BASE - t)));
        q = Math.floor((q - t) / (BASE - t));
      }
      output += digit(q);
      bias = adapt(delta, handled + 1, handled === basic);
      delta = 0;
      handled++;
    }
    delta++;
    n++;
  }
  return output;
}

/** A label as an A-label: ASCII labels unchanged, others `xn--` + Punycode (null on overflow). */
export function toALabel(label: string): string | null {
  if (!/[^\x00-\x7f]/.test(label)) return label;
  const encoded = punycodeEncode(label);
  return encoded === null ? null : ACE_PREFIX + encoded;
}

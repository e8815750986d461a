/**
 * ASCII-only case folding. Mail and DNS names compare case-insensitively over ASCII letters only (RFC 5321 §2.4,
 * RFC 4343 §3); `String.prototype.toLowerCase` folds Unicode too, and turns U+212A KELVIN SIGN into "k", which
 * would let a non-ASCII name pass as an ASCII one.
 */
export function asciiLower(text: string): string {
  return text.replace(/[A-Z]+/g, (run) => run.toLowerCase());
}

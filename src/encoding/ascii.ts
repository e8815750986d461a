/**
 * ASCII-only case folding. Mail and DNS names compare case-insensitively over ASCII letters only (RFC 5321 §2.4,
 * RFC 4343 §3); `String.prototype.toLowerCase` folds Unicode too, and turns U+212A KELVIN SIGN into "k", which
 * would let a non-ASCII name pass as an ASCII one.
 */

/** One byte of a wire-format name or message: A–Z to a–z, every other byte unchanged. */
export function asciiLowerByte(b: number): number {
  return b >= 0x41 && b <= 0x5a ? b | 0x20 : b;
}

export function asciiLower(text: string): string {
  return text.replace(/[A-Z]+/g, (run) => run.toLowerCase());
}

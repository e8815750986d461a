/** Typed failure for DNS parsing and encoding: bad input never throws anything else out of src/dns. */
export class DnsFormatError extends Error {
  override readonly name = 'DnsFormatError';
  readonly code = 'Malformed' as const;
}

export function malformed(detail: string): never {
  throw new DnsFormatError(detail);
}

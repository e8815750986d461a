/**
 * The lookup interface the proof builder runs on, so one builder serves DoH (doh.ts: browser, gateway, CLI), a
 * fixed set of records (zone-resolver.ts: tests, offline proofs) and whatever the caller injects. It returns the
 * records exactly as the server sent them (uncompressed, RRSIGs included) because an RFC 9102 chain must carry
 * the signed bytes, not an interpretation of them.
 */
import type { Name } from '../dns/name.ts';
import type { ResourceRecord } from '../dns/record.ts';

/** Why a lookup produced no DNS message at all (the server's own rcodes arrive as answers). */
export type ResolverErrorCode = 'Timeout' | 'HttpError' | 'BadContentType' | 'Malformed' | 'NetworkError';

export type ResolverAnswer =
  | {
      readonly kind: 'answer';
      /** RFC 1035 §4.1.1 RCODE: 0 NOERROR (an empty answer is NODATA), 3 NXDOMAIN, 2 SERVFAIL, … */
      readonly rcode: number;
      /** The answer and authority sections, RRSIGs included, names uncompressed; OPT dropped. */
      readonly records: readonly ResourceRecord[];
    }
  | { readonly kind: 'error'; readonly code: ResolverErrorCode; readonly detail: string };

export interface Resolver {
  /** One question of class IN, asked with DNSSEC records requested (DO) and validation left to us (CD). */
  query(name: Name, type: number): Promise<ResolverAnswer>;
}

export const RCODE = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3 } as const;

/**
 * Which zone may sign an RRset (RFC 4035 §5.3.1: "the RRSIG RR's Signer's Name field MUST be the name of the zone
 * that contains the RRset"). The validator knows zones only from the proof, so:
 * - the owner must be at or below the signer;
 * - a DNSKEY RRset is signed by its own zone, a DS RRset by the parent, never by the zone it points to;
 * - when the proof shows a zone cut between the signer and the owner (an SOA, NS, DS or DNSKEY RRset owned by a
 *   name below the signer and at or above the owner: only a zone apex or a delegation point has one), the RRset
 *   belongs to the lower zone and the signer's keys do not vouch for it (a parent's signature over its child's
 *   data, stale or forged). At the cut itself the parent keeps the DS RRset (RFC 4034 §5) and its NSEC record
 *   for the delegation (RFC 4035 §5.2).
 */
import { isAtOrBelow, type Name, nameEquals, nameToText } from '../dns/name.ts';
import { TYPE, typeToText } from '../dns/types.ts';
import { bogus, type Failure } from './result.ts';

/** RRsets that only a zone apex (SOA, DNSKEY) or a delegation point (DS) has, or both (NS: RFC 1034 §4.2.1). */
export const CUT_TYPES: readonly number[] = [TYPE.SOA, TYPE.NS, TYPE.DS, TYPE.DNSKEY];

/** RRsets that sit on the parent's side of a zone cut. */
const PARENT_SIDE: ReadonlySet<number> = new Set([TYPE.DS, TYPE.NSEC]);

/** Refuses `signer` for the RRset (owner, type). `isCut(z)` says whether the proof holds a CUT_TYPES RRset at `z`. */
export function signerProblem(
  signer: Name,
  owner: Name,
  type: number,
  isCut: (zone: Name) => boolean,
): Failure | null {
  const what = `${nameToText(owner)} ${typeToText(type)}`;
  if (!isAtOrBelow(owner, signer)) return bogus('WrongSigner', `${what} signed by ${nameToText(signer)}`);
  if (type === TYPE.DS && nameEquals(owner, signer))
    return bogus('WrongSigner', `${what} must be signed by the parent`);
  if (type === TYPE.DNSKEY && !nameEquals(owner, signer))
    return bogus('WrongSigner', `${what} signed by another zone`);
  const first = PARENT_SIDE.has(type) ? owner.slice(1) : owner;
  for (let z = first; z.length > signer.length; z = z.slice(1)) {
    if (isCut(z)) {
      return bogus(
        'SignerAboveZoneCut',
        `${what} signed by ${nameToText(signer)}, but the proof shows the zone ${nameToText(z)} in between`,
      );
    }
  }
  return null;
}

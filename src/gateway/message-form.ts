/**
 * What the gateway refuses in DATA before it replies 250, so that the sender gets the bounce (RFC 5321 §4.2.5:
 * a 5yz after the final dot means "not delivered"):
 *
 * - the protocol.md §9 bounds, by the canister's own rule (src/challenge/envelope.ts `checkRequestBounds`):
 *   552 over 64 KiB, 554 over 100 header fields or a header line over 8 KiB;
 * - NUL, bare CR and bare LF anywhere in the content (RFC 5321 §2.3.8, §4.1.1.4: lines end in CRLF; RFC 5322
 *   §2.3: CR and LF only together; NUL is not a text character). Bare line ends are how end-of-data smuggling
 *   variants (`<LF>.<LF>`, `<CR>.<CR><LF>`, …) survive a receiver that only ends DATA on `<CRLF>.<CRLF>`: the would-be
 *   second transaction stays inside this message, and this rule turns the whole message away rather than
 *   passing it on or splitting it. The bytes are never repaired: DKIM signs the exact octets.
 */
import { checkRequestBounds } from '../challenge/envelope.ts';

const NUL = 0;
const LF = 10;
const CR = 13;

export interface ContentRefusal {
  readonly code: 552 | 554;
  readonly message: string;
}

function barePosition(bytes: Uint8Array): { what: string; at: number } | null {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === NUL) return { what: 'NUL byte', at: i };
    if (b === CR) {
      if (bytes[i + 1] !== LF) return { what: 'bare CR', at: i };
      i++;
    } else if (b === LF) return { what: 'bare LF', at: i };
  }
  return null;
}

/** The reason to refuse a message (unstuffed DATA bytes, terminator excluded), or null to accept it. */
export function contentRefusal(message: Uint8Array): ContentRefusal | null {
  const bounds = checkRequestBounds({ message });
  if (bounds) {
    return { code: bounds.code as 552 | 554, message: bounds.message };
  }
  const bare = barePosition(message);
  if (bare) {
    return { code: 554, message: `${bare.what} at byte ${bare.at}: lines must end in CRLF` };
  }
  return null;
}

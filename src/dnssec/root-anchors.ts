/**
 * The IANA root zone trust anchors (protocol.md §7), the default of `waxseal dnssec verify|prove`: the SHA-256 DS
 * digests of KSK-2017 (tag 20326) and KSK-2024 (tag 38696), as published in
 * https://data.iana.org/root-anchors/root-anchors.xml (RFC 9718) and kept in
 * test-vectors/dnssec/third-party/root-anchors/root-anchors.zone (digests re-derived from the public keys there).
 * KSK-2010 (19036) expired in 2019 and is deliberately absent.
 */
import { parseAnchors, type TrustAnchor } from './dnskey.ts';

export const ROOT_ANCHORS_TEXT = `. 172800 IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D
. 172800 IN DS 38696 8 2 683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16
`;

export function rootAnchors(): TrustAnchor[] {
  return parseAnchors(ROOT_ANCHORS_TEXT);
}

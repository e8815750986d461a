#!/usr/bin/env bash
# gen-dnssec-rules.sh — the BIND-signed zones behind test/dnssec-rules.test.ts: revoked keys (RFC 5011 §2.1) as
# trust anchor, in a delegation and beside a good key; a zone cut the parent signs across (RFC 4035 §5.3.1); and
# zones whose TXT records the test re-signs itself (a revoked ZSK, inception after expiration), which BIND
# refuses to do.
#
#   scripts/gen-dnssec-rules.sh           re-sign everything, reusing the committed keys under rules/keys/
#   scripts/gen-dnssec-rules.sh --fresh   new keys (new key tags and anchors)
#
# Output: test-vectors/dnssec/rules/ (see its README.md). Separate from scripts/gen-dnssec-zones.sh: its own test
# root, so that a revoked root KSK does not touch the main hierarchy. Needs bind9-utils (dnssec-keygen,
# dnssec-revoke, dnssec-signzone, dnssec-dsfromkey, named-checkzone, named-compilezone).
set -euo pipefail
shopt -s nullglob

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT="$REPO/test-vectors/dnssec/rules"
KEYS="$OUT/keys"
ZONES="$OUT/zones"
WORK=$(mktemp -d) # zone sources, dsset files, the unpublished flat signing of cut.wxtest.
trap 'rm -rf "$WORK"' EXIT
FROM=20250101000000 TO=20450101000000 # tests validate at 1767225600 (2026-01-01), delv at the wall clock

[[ ${1:-} == --fresh ]] && rm -rf "$KEYS"
[[ $# -gt 0 && ${1:-} != --fresh ]] && { sed -n '2,12p' "$0"; exit 2; }
for bin in dnssec-keygen dnssec-revoke dnssec-signzone dnssec-dsfromkey named-checkzone named-compilezone; do
  command -v "$bin" >/dev/null || { echo "gen-dnssec-rules: $bin missing (bind9-utils)" >&2; exit 1; }
done
rm -rf "$ZONES"
mkdir -p "$KEYS" "$ZONES"

label() { if [[ $1 == . ]]; then echo root; else echo "${1%.}"; fi; }

# key ZONE ROLE KSK|ZSK [revoked] -> the key's path without .key, made once. Published and active since 2000.
# A revoked key keeps, in unrevoked.ds, the DS its owner published before revoking it (RFC 5011 §2.1: the bit
# changes the key tag and every digest).
key() {
  local dir
  dir="$KEYS/$(label "$1")/$2"
  local found=("$dir"/K*.key)
  if [[ ${#found[@]} -eq 0 ]]; then
    mkdir -p "$dir"
    local args=(-q -K "$dir" -a ECDSAP256SHA256 -n ZONE -P 20000101000000 -A 20000101000000)
    [[ $3 == KSK ]] && args+=(-f KSK)
    local made
    made=$(dnssec-keygen "${args[@]}" "$1")
    if [[ ${4:-} == revoked ]]; then
      ds "$dir/$made" >"$dir/unrevoked.ds"
      dnssec-revoke -r "$dir/$made.key" >/dev/null 2>&1
    fi
    found=("$dir"/K*.key)
  fi
  echo "${found[0]%.key}"
}

# ds KEY -> its SHA-256 DS line. dnssec-dsfromkey declines revoked keys, so the digest is computed here as RFC 4034
# §5.1.4 defines it: SHA-256 over the owner name in wire form and the DNSKEY RDATA.
ds() {
  grep -v '^;' "$1.key" | python3 -c '
import base64, hashlib, struct, sys
owner, _cls, _type, flags, proto, alg, *key = sys.stdin.read().split()
wire = b"".join(bytes([len(l)]) + l.lower().encode() for l in owner.rstrip(".").split(".") if l) + b"\0"
rdata = struct.pack("!HBB", int(flags), int(proto), int(alg)) + base64.b64decode("".join(key))
tag = sum(b << 8 if i % 2 == 0 else b for i, b in enumerate(rdata))
tag = (tag + (tag >> 16)) & 0xFFFF
print(f"{owner} IN DS {tag} {alg} 2 {hashlib.sha256(wire + rdata).hexdigest().upper()}")'
}
dnskey() { grep -v '^;' "$1.key"; }

# zone ZONE -> a source file with SOA, NS, an A record and a DKIM key (relative names are relative to ZONE)
zone() {
  cat >"$WORK/$(label "$1").zone" <<EOF
\$TTL 3600
\$ORIGIN $1
@	SOA	ns.wxtest. hostmaster.wxtest. 2025010100 7200 3600 1209600 3600
@	NS	ns.wxtest.
@	A	192.0.2.1
sel._domainkey	TXT	"v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
EOF
}
add() { cat >>"$WORK/$(label "$1").zone"; }

# sign ZONE OUTFILE "KSKS" "ZSKS" ["PUBLISHED ONLY"] -> the signed zone. -x: the KSKs alone sign the DNSKEY RRset
# (BIND falls back to the ZSKs when every KSK is revoked). -P: no post-sign verification, which refuses a zone
# whose only KSK is revoked. Keys in the last list are published but sign nothing.
sign() {
  local zone=$1 out=$2 k args=(-q -x -P -N keep -d "$WORK" -s "$FROM" -e "$TO" -o "$1" -f "$2")
  for k in $3 $4 ${5:-}; do dnskey "$k" | add "$zone"; done
  for k in $3; do args+=(-k "$k.key"); done
  local zsks=()
  for k in $4; do zsks+=("$k.key"); done
  dnssec-signzone "${args[@]}" "$WORK/$(label "$zone").zone" "${zsks[@]}" >/dev/null
}

ORDER=() # signed zones, parents last
publish() { sign "$@"; ORDER+=("$1"); }
delegate() { echo "$1	NS	ns.wxtest."; }

# ---------------------------------------------------------------------------------------------------------------
# Revoked keys. revoked-ksk: the one KSK is revoked and the parent's DS is for it as revoked; rolled-ksk: the
# same, the parent's DS still the one from before the revocation. two-ksk: a good KSK beside a revoked one, DS for
# both. revoked-zsk: a revoked ZSK is published beside the working one.
DELEG=()
for z in revoked-ksk rolled-ksk; do
  zone "$z.wxtest."
  k=$(key "$z.wxtest." ksk KSK revoked) zk=$(key "$z.wxtest." zsk ZSK)
  publish "$z.wxtest." "$ZONES/$z.wxtest.signed" "$k" "$zk"
  DELEG+=("$(delegate "$z.wxtest.")")
  if [[ $z == revoked-ksk ]]; then DELEG+=("$(ds "$k")"); else DELEG+=("$(cat "$KEYS/$z.wxtest/ksk/unrevoked.ds")"); fi
done

zone two-ksk.wxtest.
k1=$(key two-ksk.wxtest. ksk KSK) k2=$(key two-ksk.wxtest. ksk-revoked KSK revoked) z=$(key two-ksk.wxtest. zsk ZSK)
publish two-ksk.wxtest. "$ZONES/two-ksk.wxtest.signed" "$k1 $k2" "$z"
DELEG+=("$(delegate two-ksk.wxtest.)" "$(ds "$k1")" "$(ds "$k2")")

zone revoked-zsk.wxtest.
k=$(key revoked-zsk.wxtest. ksk KSK) z=$(key revoked-zsk.wxtest. zsk ZSK) zr=$(key revoked-zsk.wxtest. zsk-revoked ZSK revoked)
publish revoked-zsk.wxtest. "$ZONES/revoked-zsk.wxtest.signed" "$k" "$z" "$zr"
DELEG+=("$(delegate revoked-zsk.wxtest.)" "$(ds "$k")")

# An ordinary zone whose sel._domainkey TXT the test re-signs with inception after expiration.
zone inverted.wxtest.
k=$(key inverted.wxtest. ksk KSK) z=$(key inverted.wxtest. zsk ZSK)
publish inverted.wxtest. "$ZONES/inverted.wxtest.signed" "$k" "$z"
DELEG+=("$(delegate inverted.wxtest.)" "$(ds "$k")")

# A zone cut: cut.wxtest. delegates child.cut.wxtest. (DS). The parent's keys also sign a "forged" TXT at the
# child's sel._domainkey, from a copy of the parent without the delegation; it lands in forged.zone, never served.
zone child.cut.wxtest.
ck=$(key child.cut.wxtest. ksk KSK) cz=$(key child.cut.wxtest. zsk ZSK)
publish child.cut.wxtest. "$ZONES/child.cut.wxtest.signed" "$ck" "$cz"
k=$(key cut.wxtest. ksk KSK) z=$(key cut.wxtest. zsk ZSK)
zone cut.wxtest.
add cut.wxtest. <<<'sel._domainkey.child	TXT	"v=DKIM1; k=ed25519; p=forged/by/the/parent/zone/not/the/child/zone="'
sign cut.wxtest. "$WORK/cut-flat.signed" "$k" "$z"
zone cut.wxtest.
{
  delegate child
  ds "$ck"
} | add cut.wxtest.
publish cut.wxtest. "$ZONES/cut.wxtest.signed" "$k" "$z"
DELEG+=("$(delegate cut.wxtest.)" "$(ds "$k")")

# The TLD and the root. The root has a second KSK, revoked, that also signs its DNSKEY RRset: the anchors in
# anchors-revoked.* point at it.
zone wxtest.
{
  echo "ns	A	127.0.0.1"
  printf '%s\n' "${DELEG[@]}"
} | add wxtest.
tk=$(key wxtest. ksk KSK) tz=$(key wxtest. zsk ZSK)
publish wxtest. "$ZONES/wxtest.signed" "$tk" "$tz"

zone .
{
  echo "ns.wxtest.	A	127.0.0.1"
  delegate wxtest.
  ds "$tk"
} | add .
rk=$(key . ksk KSK) rr=$(key . ksk-revoked KSK revoked) rz=$(key . zsk ZSK)
publish . "$ZONES/root.signed" "$rk $rr" "$rz"

ds "$rk" >"$OUT/anchors.ds"
ds "$rr" >"$OUT/anchors-revoked.ds"
dnskey "$rr" >"$OUT/anchors-revoked.dnskey"
cp "$KEYS/root/ksk-revoked/unrevoked.ds" "$OUT/anchors-unrevoked.ds"

# ---------------------------------------------------------------------------------------------------------------
# One record per line (absolute names, TTL, class), the combined file, zones.json for the loopback named.
canon() { # ZONE FILE
  named-compilezone -q -i none -s full -o - "$1" "$2" | grep -v '^;' |
    sed -E 's/^([^[:space:]]+)[[:space:]]+([0-9]+)[[:space:]]+IN[[:space:]]+([A-Z0-9]+)[[:space:]]+/\1 \2 IN \3 /'
}
forged='^sel\._domainkey\.child\.cut\.wxtest\. [0-9]+ IN (TXT|RRSIG TXT) '
{
  echo "; the parent cut.wxtest. signing the child's sel._domainkey TXT (not served; scripts/gen-dnssec-rules.sh)"
  canon cut.wxtest. "$WORK/cut-flat.signed" | grep -E "$forged"
} >"$OUT/forged.zone"
[[ $(grep -cE "$forged" "$OUT/forged.zone") -eq 2 ]] || { echo "gen-dnssec-rules: no forged TXT + RRSIG" >&2; exit 1; }

{
  echo "; every record of test-vectors/dnssec/rules/zones/, one per line (scripts/gen-dnssec-rules.sh)"
  for z in "${ORDER[@]}"; do
    f="$ZONES/$(label "$z").signed"
    named-checkzone -q -i local "$z" "$f" || { echo "gen-dnssec-rules: named-checkzone $z failed" >&2; exit 1; }
    echo "; zone $z"
    canon "$z" "$f"
  done
} >"$OUT/all-records.zone"
{
  echo '{ "zones": ['
  sep=''
  for z in "${ORDER[@]}"; do
    printf '%s  { "zone": "%s", "file": "zones/%s.signed", "signed": true }' "$sep" "$z" "$(label "$z")"
    sep=$',\n'
  done
  printf '\n] }\n'
} >"$OUT/zones.json"
echo "gen-dnssec-rules: ${#ORDER[@]} zones in ${OUT#"$REPO"/}"

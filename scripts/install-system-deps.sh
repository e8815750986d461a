#!/usr/bin/env bash
# Debian packages the test suites and fixture generators need.
# Used by .ci/run and by the README's setup commands. Safe to run twice.
set -euo pipefail
PKGS=(
  python3 python3-dkim python3-nacl   # dkimpy: independent DKIM signer/verifier (corpus + differential tests)
  opendkim-tools                      # OpenDKIM: second independent signer (corpus)
  swaks                               # SMTP client for gateway tests
  bind9 bind9-utils bind9-dnsutils    # named, dnssec-signzone, delv (DNSSEC fixtures and differential tests)
  dnsdist unbound                     # DoH front end, second validator
  chromium                            # the web app's browser suite (driven by playwright-core, no download)
  postfix                             # smtp-sink/smtp-source: the ceiling in npm run bench:gateway (never started)
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-system-deps: all ${#PKGS[@]} packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-system-deps: installing ${missing[*]}"
# postfix installed without a configuration: no main.cf, so no MTA starts; only its test tools are used.
echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"

#!/usr/bin/env bash
# Install the Debian packages the ccsec lab needs (and chromium + a Japanese font for the report's
# browser test: the citations quote the Japanese source guide),
# when they are missing and we are root.
set -euo pipefail
PKGS=(strongswan-swanctl charon-systemd strongswan-charon libcharon-extra-plugins
      libstrongswan-extra-plugins strongswan-pki iproute2 nftables tcpdump conntrack
      iperf3 iputils-ping netcat-openbsd chromium fonts-ipafont-gothic)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "system-deps: missing ${missing[*]} (run 'make system-deps' as root; lab tests need them)" >&2
  exit 0
fi
echo "system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"

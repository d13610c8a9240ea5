#!/usr/bin/env bash
# The Debian 12 packages the tests need, installed when missing (as root), and then CHECKED:
# every capability the tests lean on is exercised for real, on every run, so that a machine
# which happens to have a package installed by hand cannot hide a missing entry in this list.
# A failed check names the package that provides the capability.
#
#   strongSwan  pki makes an ECDSA and an RSA key; charon (charon-systemd, as the lab starts it,
#               in a throwaway network namespace) loads every plugin of the lab's list
#               (src/ccsec/lab/charon.py PLUGINS, kernel-libipsec and openssl included) and
#               swanctl reads them back over vici
#   network     nft loads a table (in a throwaway namespace); tcpdump, conntrack, iperf3, ping,
#               nc, sysctl and ip start; /etc/protocols resolves protocol names (strongSwan's
#               traffic selectors name protocols)
#   browser     chromium renders a page headless (the report's browser test); the Japanese
#               font is there (the report quotes the Japanese source guide); the Node.js
#               runtime inside the playwright wheel (its driver) finds libatomic.so.1, and
#               starts when the project's venv is there already (`make test` makes it first)
#   libreswan   the lab's second IKE implementation (ccsec lab witness).  Its package conflicts
#               with strongSwan's, so it is downloaded (apt-get download) and unpacked into a
#               root of its own ($CCSEC_LIBRESWAN_ROOT, default /opt/ccsec/libreswan); its
#               libraries that strongSwan does not conflict with are installed.  Checked: pluto
#               starts from that root in a throwaway network and mount namespace and answers
#               whack; certutil makes an NSS database; openssl exports a PKCS#12 file
#
# usage: scripts/system-deps.sh   (as root; `make test` runs it)
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(strongswan-swanctl charon-systemd strongswan-charon strongswan-pki
      libstrongswan-standard-plugins libstrongswan-extra-plugins libcharon-extra-plugins
      iproute2 nftables tcpdump conntrack iperf3 iputils-ping netcat-openbsd procps netbase
      chromium fonts-ipafont-gothic libatomic1
      libnss3-tools openssl)
LIBRESWAN_PKG=libreswan
LIBRESWAN_ROOT=${CCSEC_LIBRESWAN_ROOT:-/opt/ccsec/libreswan}

# which package ships each charon plugin the lab loads (Debian 12); the rest are built into
# libstrongswan or strongswan-libcharon, which strongswan-charon pulls in
declare -A PLUGIN_PKG=(
  [openssl]=libstrongswan-standard-plugins [gcm]=libstrongswan-standard-plugins
  [ccm]=libstrongswan-extra-plugins [ctr]=libstrongswan-extra-plugins
  [cmac]=libstrongswan-extra-plugins [chapoly]=libstrongswan-extra-plugins
  [curve25519]=libstrongswan-extra-plugins [kernel-libipsec]=libcharon-extra-plugins
  [vici]=strongswan-swanctl
)
CHARON=/usr/sbin/charon-systemd
IPA_FONT=/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf
VENV_PY=${VENV:-.venv}/bin/python

say() { echo "system-deps: $*"; }
failures=0
fail() { echo "system-deps: FAILED: $1 -> package $2" >&2; failures=$((failures + 1)); }

# install the packages of "$@" that are not installed yet ($1: what they are for, in messages)
install_packages() {
  local what=$1 missing=() p
  shift
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
      || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "system-deps: $what needs ${missing[*]}: run 'make system-deps' as root" >&2
    exit 1
  fi
  say "installing for $what: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
}

install_missing() { install_packages "the tests" "${PKGS[@]}"; }

# run CMD quietly; on failure name PACKAGE and show the command's last lines (never stops)
check() {
  local what=$1 pkg=$2 out
  shift 2
  if ! out=$("$@" 2>&1); then
    fail "$what ($(printf '%s' "$out" | tail -n 2 | tr '\n' ' '))" "$pkg"
  fi
  return 0
}

lab_plugins() {
  # the lab's own plugin list, read from its source (no second copy to drift), libipsec datapath
  python3 - <<'EOF'
import ast, pathlib
tree = ast.parse(pathlib.Path("src/ccsec/lab/charon.py").read_text(encoding="utf-8"))
for node in ast.walk(tree):
    if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "PLUGINS"
                                            for t in node.targets):
        print(ast.literal_eval(node.value).format(kernel="kernel-libipsec "))
        break
else:
    raise SystemExit("PLUGINS not found in src/ccsec/lab/charon.py")
EOF
}

check_strongswan() {
  local tmp=$1 want loaded missing p pid
  check "pki makes an ECDSA P-256 key" libstrongswan-standard-plugins \
    pki --gen --type ecdsa --size 256 --outform pem
  check "pki makes an RSA 2048 key" libstrongswan-standard-plugins \
    pki --gen --type rsa --size 2048 --outform pem
  [ -x "$CHARON" ] || { fail "$CHARON is missing" charon-systemd; return; }
  command -v swanctl >/dev/null || { fail "swanctl is missing" strongswan-swanctl; return; }
  [ -c /dev/net/tun ] || { fail "/dev/net/tun is missing (kernel-libipsec needs it)" \
    "none: load the kernel's tun module (modprobe tun)"; return; }
  want=$(lab_plugins)
  cat > "$tmp/strongswan.conf" <<EOF
charon {
  load_modular = no
  load = $want
  plugins {
    vici {
      socket = unix://$tmp/charon.vici
    }
  }
  filelog {
    check {
      path = $tmp/charon.log
      default = 1
    }
  }
}
EOF
  # a network namespace of its own: the check binds no port and touches no route of the host
  STRONGSWAN_CONF="$tmp/strongswan.conf" unshare --net "$CHARON" >"$tmp/charon.out" 2>&1 &
  pid=$!
  for _ in $(seq 100); do
    [ -S "$tmp/charon.vici" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  loaded=$(swanctl --stats --uri "unix://$tmp/charon.vici" 2>&1 | sed -n 's/^loaded plugins: //p')
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if [ -z "$loaded" ]; then
    fail "charon did not start with the lab's plugins ($(tail -n 2 "$tmp/charon.out" \
      "$tmp/charon.log" 2>/dev/null | tr '\n' ' '))" "strongswan-charon charon-systemd"
    return
  fi
  missing=()
  for p in $want; do
    [[ " $loaded " == *" $p "* ]] || missing+=("$p")
  done
  for p in "${missing[@]}"; do
    fail "charon cannot load the lab's plugin '$p'" "${PLUGIN_PKG[$p]:-strongswan-charon}"
  done
}

check_network() {
  check "ip starts" iproute2 ip -V
  check "nft loads a table (throwaway namespace)" nftables unshare --net nft -f - <<'EOF'
table inet ccsec_check { chain input { type filter hook input priority 0; policy accept; }; }
EOF
  check "tcpdump starts" tcpdump tcpdump --version
  check "conntrack starts" conntrack conntrack --version
  check "iperf3 starts" iperf3 iperf3 --version
  check "ping starts" iputils-ping ping -V
  check "nc starts" netcat-openbsd sh -c 'nc -h 2>&1 | grep -q OpenBSD'
  check "sysctl starts" procps sysctl --version
  check "/etc/protocols names udp" netbase getent protocols udp
}

check_browser() {
  local tmp=$1 dom
  if [ ! -x /usr/bin/chromium ]; then fail "/usr/bin/chromium is missing" chromium; return; fi
  # the flags of the browser test: no sandbox (root), nothing that reaches for the network
  dom=$(timeout 60 /usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-quic \
    --no-first-run --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$tmp/chromium" --dump-dom 'data:text/html,<p id="ok">rendered</p>' \
    2>"$tmp/chromium.err") || true
  [[ $dom == *'<p id="ok">rendered</p>'* ]] \
    || fail "chromium renders no page headless ($(tail -n 2 "$tmp/chromium.err" | tr '\n' ' '))" \
      chromium
  [ -f "$IPA_FONT" ] || fail "the Japanese font $IPA_FONT is missing" fonts-ipafont-gothic
  # (grep reads everything: -q would stop early and fail the pipe under pipefail)
  ldconfig -p | grep 'libatomic\.so\.1 ' >/dev/null \
    || fail "libatomic.so.1 is missing (playwright's driver needs it)" libatomic1
  if [ -x "$VENV_PY" ] && "$VENV_PY" -c 'import playwright' 2>/dev/null; then
    check "playwright's driver starts" "libatomic1 (or reinstall playwright: make clean test)" \
      "$VENV_PY" -m playwright --version
  fi
}

unpack_libreswan() {
  # libreswan conflicts with strongSwan as a package: unpacked, never installed
  local pluto="$LIBRESWAN_ROOT/usr/libexec/ipsec/pluto" dl
  [ -x "$pluto" ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "system-deps: libreswan is not unpacked at $LIBRESWAN_ROOT: run 'make system-deps' as root" >&2
    exit 1
  fi
  dl=$(mktemp -d "${TMPDIR:-/tmp}/ccsec-libreswan.XXXXXX")
  chmod 755 "$dl"  # apt-get download drops privileges to _apt for the fetch
  say "unpacking $LIBRESWAN_PKG into $LIBRESWAN_ROOT (it cannot be installed beside strongSwan)"
  if ! (cd "$dl" && apt-get download -q "$LIBRESWAN_PKG" >/dev/null 2>&1); then
    apt-get update -q >/dev/null
    (cd "$dl" && apt-get download -q "$LIBRESWAN_PKG" >/dev/null)
  fi
  mkdir -p "$LIBRESWAN_ROOT"
  dpkg -x "$dl"/"$LIBRESWAN_PKG"_*.deb "$LIBRESWAN_ROOT"
  dpkg-deb -f "$dl"/"$LIBRESWAN_PKG"_*.deb Version > "$LIBRESWAN_ROOT/.ccsec-version"
  rm -rf "$dl"
}

libreswan_depends() {
  # the libraries among the package's own Depends (first alternative of each, versions
  # dropped): they do not conflict with strongSwan, only the package itself does; pluto, as the
  # witness runs it, needs its shared libraries, not the tools (host, iptables) it may call
  apt-cache show --no-all-versions "$LIBRESWAN_PKG" 2>/dev/null | sed -n 's/^Depends: //p' \
    | tr ',' '\n' | sed -e 's/|.*//' -e 's/(.*)//' -e 's/:any//' | tr -d ' ' | grep '^lib' \
    || true
}

install_libreswan_depends() {
  local deps=()
  mapfile -t deps < <(libreswan_depends)
  if [ ${#deps[@]} -eq 0 ] && [ "$(id -u)" -eq 0 ]; then
    apt-get update -q >/dev/null
    mapfile -t deps < <(libreswan_depends)
  fi
  install_packages "libreswan's libraries" "${deps[@]}"
}

check_libreswan() {
  local tmp=$1 pluto="$LIBRESWAN_ROOT/usr/libexec/ipsec/pluto" pid
  local whack="$LIBRESWAN_ROOT/usr/libexec/ipsec/whack" pkg="$LIBRESWAN_PKG (unpacked: make system-deps)"
  [ -x "$pluto" ] || { fail "pluto is missing at $pluto" "$pkg"; return; }
  check "pluto finds every shared library it links" \
    "the Depends of $LIBRESWAN_PKG (apt-cache show $LIBRESWAN_PKG)" \
    sh -c "! ldd '$pluto' | grep 'not found'"
  check "pluto runs from $LIBRESWAN_ROOT" "$pkg" \
    sh -c "'$pluto' --version | grep -q '^Libreswan 4\.'"
  check "certutil makes an NSS database" libnss3-tools \
    sh -c "mkdir -p '$tmp/nss' && certutil -N -d 'sql:$tmp/nss' --empty-password"
  check "openssl starts" openssl openssl version
  mkdir -p "$tmp/ls/run"
  printf 'config setup\n    dnssec-enable=no\n    logfile=%s\n' "$tmp/ls/pluto.log" \
    > "$tmp/ls/ipsec.conf"
  : > "$tmp/ls/ipsec.secrets"
  # its own network and mount namespaces: the unpacked /usr/libexec is bound over the host's
  # there only (pluto runs its helpers from the compiled-in /usr/libexec/ipsec)
  unshare --net --mount --propagation private sh -c \
    'mount --bind "$1" /usr/libexec && shift && exec "$@"' sh "$LIBRESWAN_ROOT/usr/libexec" \
    "$pluto" --nofork --config "$tmp/ls/ipsec.conf" --nssdir "$tmp/nss" \
    --rundir "$tmp/ls/run" --secretsfile "$tmp/ls/ipsec.secrets" --ipsecdir "$tmp/ls" \
    --logfile "$tmp/ls/pluto.log" --no-dnssec >"$tmp/ls/pluto.out" 2>&1 &
  pid=$!
  for _ in $(seq 100); do
    grep -q "listening for IKE messages" "$tmp/ls/pluto.log" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  if ! grep -q "listening for IKE messages" "$tmp/ls/pluto.log" 2>/dev/null; then
    fail "pluto did not start in a namespace ($(tail -n 2 "$tmp/ls/pluto.out" \
      "$tmp/ls/pluto.log" 2>/dev/null | tr '\n' ' '))" "$pkg"
  elif ! "$whack" --rundir "$tmp/ls/run" --status >/dev/null 2>&1; then
    fail "pluto does not answer whack" "$pkg"
  fi
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

install_missing
unpack_libreswan
install_libreswan_depends
if [ "$(id -u)" -ne 0 ]; then
  say "not root: packages are installed; the checks need root (namespaces), as the lab does"
  exit 0
fi
start=${EPOCHREALTIME/./}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ccsec-system-deps.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
check_strongswan "$tmp"
check_network
check_browser "$tmp"
check_libreswan "$tmp"
ms=$(( (${EPOCHREALTIME/./} - start) / 1000 ))
if [ "$failures" -ne 0 ]; then
  echo "system-deps: $failures check(s) failed: install the package(s) named above" >&2
  exit 1
fi
say "all capabilities checked (${#PKGS[@]} packages, ${ms} ms)"

#!/usr/bin/env bash
# shellcheck disable=SC2317  # the clean-up functions run from traps
# The README's two set-up commands, run as a new user would: on a fresh minimal Debian 12 root,
# in a clean clone of the commit under test.  A green run here proves that the project's own
# files install everything it needs; a green run on a used machine proves nothing of the kind.
#
#   1. bare root: `debootstrap --variant=minbase` with only what a fresh Debian 12 machine is
#      assumed to have (BASE_PACKAGES below); built once and cached in $CCSEC_FRESH_CACHE
#      (default /var/cache/ccsec-fresh-root; `--rebuild` makes it again) from the Debian mirror
#      of the host's apt sources (or $CCSEC_FRESH_MIRROR)
#   2. in a private mount namespace (its mounts never reach the host, and vanish with it): a
#      tmpfs on an empty directory ${TMPDIR:-/tmp}/ccsec-fresh-run.XXXXXX holds a throwaway
#      copy of the bare root (so / is a mount point of its own, which `ip netns` needs), with
#      the host's package-registry settings carried in: pip's config files and PIP_* variables,
#      the CA bundles named by SSL_CERT_FILE/REQUESTS_CA_BUNDLE/..., apt's sources, keyrings and
#      Acquire settings; local package directories those settings point at are bind-mounted
#      read-only.  Installs then work as they do on the host.
#   3. a clean `git clone` of HEAD of the repository this script lives in (the commit only:
#      changes not committed are not tested, and a warning says so)
#   4. /dev, /proc, /sys and a fresh /run mounted; then, chrooted, `make demo` and `make test`,
#      each timed; their logs in $CCSEC_FRESH_LOGS (default <repo>/.fresh-check/)
#
# Every mount and every process of the run is removed on exit, also on failure and on Ctrl-C.
# It deletes nothing it did not make: the run's tmpfs goes with its namespace, the empty
# directory under it is removed with rmdir, and the cache is kept for the next run.
#
# usage: scripts/fresh-root-check.sh [--rebuild]      (as root; `make fresh-check`)
# exit:  0 both commands passed, lab and browser tests executed
#        1 the project failed on the fresh root (make demo, make test, or tests skipped)
#        2 wrong use (not root, unknown option)
#        3 infrastructure: the root could not be built or the Debian mirror is unreachable
set -euo pipefail

SUITE=bookworm
BASE_PACKAGES=python3,python3-venv,make,git,iproute2,netbase,ca-certificates
RUN_SIZE=8g  # upper bound of the run's tmpfs (a full `make test` leaves about 2 GB in it)
INFRA=3
SELF=$(readlink -f "$0")

now_ms() { echo $(( ${EPOCHREALTIME/./} / 1000 )); }
seconds_since() {
  local ms=$(( $(now_ms) - $1 ))
  printf '%d.%d s' $(( ms / 1000 )) $(( ms % 1000 / 100 ))
}
say() { echo "fresh-check: $*"; }
infra() { echo "fresh-check: INFRASTRUCTURE FAULT (not a project failure): $*" >&2; exit $INFRA; }

# ------------------------------------------------------------------- processes of the run

# processes whose root directory is the run root (or below it): the chroot's, and only those
rooted_pids() {
  local run=$1 p r
  for p in /proc/[0-9]*; do
    r=$(readlink "$p/root" 2>/dev/null) || continue
    if [[ $r == "$run" || $r == "$run"/* ]]; then echo "${p#/proc/}"; fi
  done
}

stop_rooted() {
  local run=$1 pids
  pids=$(rooted_pids "$run")
  [ -n "$pids" ] || return 0
  # shellcheck disable=SC2086  # a list of pids
  kill -TERM $pids 2>/dev/null || true
  for _ in $(seq 50); do
    [ -n "$(rooted_pids "$run")" ] || return 0
    sleep 0.1
  done
  pids=$(rooted_pids "$run")
  # shellcheck disable=SC2086
  [ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
  sleep 0.2
}

# ------------------------------------------------------------------- registry settings

# every token of pip's settings (config files, PIP_* variables) that is a local path or file://
pip_paths() {
  python3 - "$@" <<'EOF'
import configparser, os, sys
from urllib.parse import unquote, urlparse
values = [v for k, v in os.environ.items() if k.startswith("PIP_")]
for path in sys.argv[1:]:
    cp = configparser.RawConfigParser()
    try:
        cp.read(path, encoding="utf-8")
    except configparser.Error:
        continue
    values += [v for s in cp.sections() for _, v in cp.items(s)]
for value in values:
    for token in value.split():
        if token.startswith("file:"):
            token = unquote(urlparse(token).path)
        if token.startswith("/") and os.path.exists(token):
            print(os.path.normpath(token))
EOF
}

copy_in() {  # host path $1 to the same path in the root (a directory: its contents)
  local p=$1
  mkdir -p "$RUN$(dirname "$p")"
  if [ -d "$p" ]; then mkdir -p "$RUN$p" && cp -a "$p/." "$RUN$p/"; else cp -aL "$p" "$RUN$p"; fi
}

BINDS=()
bind_in() {  # a local directory of packages: bind-mounted read-only later (a PEP 503 "simple"
  local d=$1  # index links to ../files, so its parent goes in with it)
  [ "$(basename "$d")" != simple ] || d=$(dirname "$d")
  [[ " ${BINDS[*]} " == *" $d "* ]] || BINDS+=("$d")
}

carry_settings() {
  local f k p v pipconf=()
  # apt: sources, the keyrings they name, trusted keys, Acquire settings (proxies, checks)
  rm -f "$RUN/etc/apt/sources.list"
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    copy_in "$f"
    while IFS= read -r k; do
      if [ -f "$k" ]; then copy_in "$k"; fi
    done < <(grep -oiE '(signed-by[:=] *)/[^] ]+' "$f" | sed -E 's/^[^/]*//')
  done
  for f in /etc/apt/trusted.gpg.d/*; do
    if [ -f "$f" ]; then copy_in "$f"; fi
  done
  for f in /etc/apt/apt.conf.d/*; do
    if [ -f "$f" ] && grep -q '^[[:space:]]*Acquire::' "$f"; then copy_in "$f"; fi
  done
  cp -L /etc/resolv.conf "$RUN/etc/resolv.conf"  # name resolution, as on the host
  # CA bundles named by the environment, and the host's local CAs (kept if the root rebuilds
  # its bundle when a package triggers update-ca-certificates)
  for v in SSL_CERT_FILE SSL_CERT_DIR REQUESTS_CA_BUNDLE CURL_CA_BUNDLE HTTPLIB2_CA_CERTS \
           GIT_SSL_CAINFO PIP_CERT; do
    p=${!v:-}
    if [ -n "$p" ] && [ -e "$p" ]; then copy_in "$p"; fi
  done
  if [ -d /usr/local/share/ca-certificates ]; then copy_in /usr/local/share/ca-certificates; fi
  # pip: its config files, and what they (and PIP_*) point at
  for f in /etc/pip.conf /etc/xdg/pip/pip.conf /root/.config/pip/pip.conf /root/.pip/pip.conf \
           "${PIP_CONFIG_FILE:-}"; do
    if [ -n "$f" ] && [ -f "$f" ]; then copy_in "$f"; pipconf+=("$f"); fi
  done
  if [ -d /etc/xdg/pip ]; then copy_in /etc/xdg/pip; fi
  while IFS= read -r p; do
    [ -n "$p" ] || continue
    if [ -d "$p" ]; then bind_in "$p"; else copy_in "$p"; fi
  done < <(pip_paths "${pipconf[@]}")
  # the environment of the two commands: a login's, plus the registry settings
  CHROOT_ENV=(HOME=/root LANG=C.UTF-8
              PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)
  [ -z "${TERM:-}" ] || CHROOT_ENV+=("TERM=$TERM")  # the user's terminal type
  while IFS= read -r k; do
    CHROOT_ENV+=("$k=${!k}")
  done < <(env | cut -d= -f1 | grep -E '^(PIP_[A-Z_]+|SSL_CERT_FILE|SSL_CERT_DIR|REQUESTS_CA_BUNDLE|CURL_CA_BUNDLE|HTTPLIB2_CA_CERTS|GIT_SSL_CAINFO|https?_proxy|HTTPS?_PROXY|no_proxy|NO_PROXY)$' || true)
}

# ------------------------------------------------------------------- inside the namespace

inside_cleanup() {
  stop_rooted "$RUN"
  umount -R "$RUN" 2>/dev/null || umount -R -l "$RUN" 2>/dev/null || true
}

# one command of the README, in the root, timed; its output goes to $LOGS/NAME.log
readme_step() {
  local name=$1 start rc=0
  shift
  say "== $*"
  start=$(now_ms)
  chroot "$RUN" /usr/bin/env -i "${CHROOT_ENV[@]}" \
    bash -c 'cd /root/ccsec && exec "$@"' _ "$@" >"$LOGS/$name.log" 2>&1 </dev/null || rc=$?
  say "   $* took $(seconds_since "$start") (exit $rc)"
  return $rc
}

inside() {
  local start d
  trap inside_cleanup EXIT
  start=$(now_ms)
  mount -t tmpfs -o "size=$RUN_SIZE,mode=0755" ccsec-fresh-run "$RUN"
  cp -a "$BASE/." "$RUN/"
  carry_settings
  git clone -q --no-hardlinks "$SRC" "$RUN/root/ccsec"
  if ! git -C "$RUN/root/ccsec" cat-file -e "$REV^{commit}" 2>/dev/null; then
    git -C "$RUN/root/ccsec" fetch -q "$SRC" "$REV"
  fi
  git -C "$RUN/root/ccsec" -c advice.detachedHead=false checkout -q --detach "$REV"
  mount --rbind /dev "$RUN/dev"
  mount --make-rslave "$RUN/dev"
  mount -t proc proc "$RUN/proc"
  mount --rbind /sys "$RUN/sys"
  mount --make-rslave "$RUN/sys"
  mount -t tmpfs tmpfs "$RUN/run"
  for d in "${BINDS[@]}"; do
    mkdir -p "$RUN$d"
    mount -o bind,ro "$d" "$RUN$d"
  done
  say "   root copy, registry settings, mounts and clean clone took $(seconds_since "$start")"
  [ ${#BINDS[@]} -eq 0 ] || say "   read-only in the root: ${BINDS[*]}"
  readme_step demo make demo || exit 1
  readme_step test make test || exit 1
}

if [ "${1:-}" = "--inside" ]; then
  RUN=$2 BASE=$3 SRC=$4 REV=$5 LOGS=$6
  inside
  exit 0
fi

# ------------------------------------------------------------------- on the host

[ "$(id -u)" -eq 0 ] || { echo "fresh-check: run as root (debootstrap, chroot, mounts)" >&2; exit 2; }
REBUILD=no
case "${1:-}" in
  "") ;;
  --rebuild) REBUILD=yes ;;
  *) echo "usage: $0 [--rebuild]" >&2; exit 2 ;;
esac

SRC=$(git -C "$(dirname "$SELF")" rev-parse --show-toplevel)
REV=$(git -C "$SRC" rev-parse HEAD)
CACHE=${CCSEC_FRESH_CACHE:-/var/cache/ccsec-fresh-root}
LOGS=${CCSEC_FRESH_LOGS:-$SRC/.fresh-check}
T0=$(now_ms)

# the Debian mirror the host's apt uses (the first one serving the main archive)
apt_mirror() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    if [ -f "$f" ]; then awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}' "$f"; fi
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    if [ -f "$f" ]; then
      awk '$1 == "deb" && $0 ~ / '"$SUITE"' / && $0 !~ /security/ {
        for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) { print $i; exit } }' "$f"
    fi
  done
}

mirror_reachable() {
  python3 - "$1" "$SUITE" <<'EOF'
import sys, urllib.request
url = f"{sys.argv[1].rstrip('/')}/dists/{sys.argv[2]}/InRelease"
try:
    urllib.request.urlopen(url, timeout=30).read(64)
except Exception as exc:  # any failure here is the network's, reported by the caller
    sys.exit(f"{url}: {exc}")
EOF
}

# the cached bare root (built when missing); prints its path
base_root() {
  local key base build start
  key=$(printf '%s %s %s' "$SUITE" "$BASE_PACKAGES" "$(dpkg --print-architecture)" \
        | sha256sum | cut -c1-12)
  base="$CACHE/$SUITE-minbase-$key"
  if [ "$REBUILD" = yes ] && [ -d "$base" ]; then
    say "--rebuild: removing the cached root $base" >&2
    rm -rf --one-file-system "$base"
  fi
  if [ -x "$base/usr/bin/python3" ]; then
    mirror_reachable "$MIRROR" >&2 || infra "the Debian mirror cannot be reached"
    say "bare root: cached in $base" >&2
    echo "$base"
    return 0
  fi
  if ! command -v debootstrap >/dev/null; then
    say "installing debootstrap on the host" >&2
    { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap; } \
      >&2 || infra "debootstrap could not be installed"
  fi
  mkdir -p "$CACHE"
  build=$(mktemp -d "$CACHE/.building.XXXXXX")
  trap 'rm -rf --one-file-system "$build"' EXIT  # this subshell's: an unfinished build goes
  start=$(now_ms)
  say "bare root: debootstrap --variant=minbase $SUITE ($BASE_PACKAGES) into $base" >&2
  # in a mount namespace of its own: what debootstrap mounts in the target cannot outlive it
  if ! unshare --mount --propagation private debootstrap --variant=minbase \
       --include="$BASE_PACKAGES" "$SUITE" "$build" "$MIRROR" >"$build.log" 2>&1; then
    tail -n 15 "$build.log" >&2
    infra "debootstrap failed (its log: $build.log)"
  fi
  rm -f "$build.log"
  mv "$build" "$base"
  say "   debootstrap took $(seconds_since "$start")" >&2
  echo "$base"
}

outer_cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "${RUN:-}" ] && [ -d "$RUN" ]; then
    stop_rooted "$RUN"
    if [ -n "${INNER:-}" ]; then wait "$INNER" 2>/dev/null || true; fi
    # the tmpfs lived in the namespace only: here the directory is empty, so rmdir suffices
    rmdir "$RUN" 2>/dev/null || echo "fresh-check: $RUN is not empty; left in place" >&2
  fi
  exit "$rc"
}
on_signal() {
  echo "fresh-check: interrupted: stopping the run; its mounts go with its namespace" >&2
  if [ -n "${RUN:-}" ]; then stop_rooted "$RUN"; fi
  exit 130
}

MIRROR=${CCSEC_FRESH_MIRROR:-$(apt_mirror | head -n 1)}
[ -n "$MIRROR" ] || infra "no Debian mirror in the host's apt sources"
if [ -n "$(git -C "$SRC" status --porcelain --untracked-files=no)" ]; then
  say "WARNING: $SRC has changes not committed: they are NOT part of this check" >&2
fi
say "checking $REV ($(git -C "$SRC" log -1 --format=%s "$REV" | cut -c1-70))"

T=$(now_ms)
BASE=$(base_root)
say "   bare root ready in $(seconds_since "$T")"

mkdir -p "$LOGS"
rm -f "$LOGS/demo.log" "$LOGS/test.log"
trap outer_cleanup EXIT
trap on_signal INT TERM
RUN=$(mktemp -d "${TMPDIR:-/tmp}/ccsec-fresh-run.XXXXXX")
rc=0
unshare --mount --propagation private bash "$SELF" --inside "$RUN" "$BASE" "$SRC" "$REV" "$LOGS" &
INNER=$!
wait "$INNER" || rc=$?
INNER=

if [ "$rc" -eq 0 ]; then
  summary=$(grep -E '^=+ .*(passed|failed).* in [0-9.]+s' "$LOGS/test.log" | tail -n 1 || true)
  say "pytest's closing line on the fresh root:"
  echo "${summary:-(none)}"
  skipped=$(grep -E '^SKIPPED .*tests/(lab/|report/test_browser|report/test_report_lab)' \
            "$LOGS/test.log" || true)
  if [ -n "$skipped" ]; then
    echo "$skipped" >&2
    say "FAILED: lab or browser tests were skipped on the fresh root" >&2
    rc=1
  fi
else
  last=$LOGS/test.log
  [ -f "$last" ] || last=$LOGS/demo.log
  if [ -f "$last" ]; then { echo "--- last lines of $last"; tail -n 40 "$last"; } >&2; fi
  say "FAILED on the fresh root (exit $rc): logs in $LOGS" >&2
  rc=1
fi
say "total $(seconds_since "$T0"); logs in $LOGS"
exit "$rc"

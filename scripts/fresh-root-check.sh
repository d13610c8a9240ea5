#!/usr/bin/env bash
# shellcheck disable=SC2317  # the clean-up functions run from traps
# The README's two set-up commands, run as a new user would: on a fresh minimal Debian 12 root,
# in a clean clone of the commit under test.  A green run here proves that the project's own
# files install everything it needs; a green run on a used machine proves nothing of the kind.
#
#   1. bare root: `debootstrap --variant=minbase` with only what a fresh Debian 12 machine is
#      assumed to have (BASE_PACKAGES below); built once and cached in $CCSEC_FRESH_CACHE
#      (default /var/cache/ccsec-fresh-root; `--rebuild` makes it again)
#   2. a throwaway copy of it in ${TMPDIR:-/tmp}/ccsec-fresh-run.XXXXXX, into which the host's
#      package-registry settings are carried (pip's config files and PIP_* variables, the CA
#      bundles named by SSL_CERT_FILE/REQUESTS_CA_BUNDLE/..., apt's sources, keyrings and
#      Acquire settings; local directories those settings point at are bind-mounted read-only)
#      so that installs work as they do on the host
#   3. a clean `git clone` of HEAD of the repository this script lives in (commit only: changes
#      not committed are not tested, and a warning says so)
#   4. in a private mount namespace: the root bind-mounted onto itself (`ip netns` needs / to be
#      a mount point), /dev, /proc, /sys and a fresh /run; then, chrooted, `make demo` and
#      `make test`, each timed; logs in $CCSEC_FRESH_LOGS (default <repo>/.fresh-check/)
#
# Every mount and every process of the run is removed on exit, also on failure and on Ctrl-C;
# only the run directory it made is deleted (the cache is kept for the next run).
#
# usage: scripts/fresh-root-check.sh [--rebuild]      (as root; `make fresh-check`)
# exit:  0 both commands passed, lab and browser tests executed
#        1 the project failed on the fresh root (make demo, make test, or tests skipped)
#        3 infrastructure: the root could not be built or the Debian mirror is unreachable
set -euo pipefail

SUITE=bookworm
BASE_PACKAGES=python3,python3-venv,make,git,iproute2,netbase,ca-certificates
INFRA=3
SELF=$(readlink -f "$0")

now_ms() { echo $(( ${EPOCHREALTIME/./} / 1000 )); }
seconds_since() { printf '%d.%d s' $(( ($(now_ms) - $1) / 1000 )) $(( ($(now_ms) - $1) % 1000 / 100 )); }
say() { echo "fresh-check: $*"; }
infra() { echo "fresh-check: INFRASTRUCTURE FAULT (not a project failure): $*" >&2; exit $INFRA; }

# --------------------------------------------------------------- inside the private namespace

# processes whose root directory is the run root (or below it): the chroot's, and only those
kill_rooted() {
  local run=$1 sig=$2 p r
  for p in /proc/[0-9]*; do
    r=$(readlink "$p/root" 2>/dev/null) || continue
    if [[ $r == "$run" || $r == "$run"/* ]]; then kill "-$sig" "${p#/proc/}" 2>/dev/null || true; fi
  done
}

rooted_left() {
  local run=$1 p r
  for p in /proc/[0-9]*; do
    r=$(readlink "$p/root" 2>/dev/null) || continue
    [[ $r == "$run" || $r == "$run"/* ]] && return 0
  done
  return 1
}

stop_rooted() {
  local run=$1
  rooted_left "$run" || return 0
  kill_rooted "$run" TERM
  for _ in $(seq 50); do rooted_left "$run" || return 0; sleep 0.1; done
  kill_rooted "$run" KILL
  sleep 0.2
}

inside_cleanup() {
  local run=$1
  stop_rooted "$run"
  umount -R "$run" 2>/dev/null || umount -R -l "$run" 2>/dev/null || true
}

# one command of the README, in the root, timed; its output goes to /root/NAME.log in the root
readme_step() {
  local run=$1 name=$2 start rc=0
  shift 2
  say "== $*"
  start=$(now_ms)
  chroot "$run" /usr/bin/env -i "${CHROOT_ENV[@]}" \
    bash -c 'cd /root/ccsec && exec "$@"' _ "$@" >"$run/root/$name.log" 2>&1 || rc=$?
  say "   $* took $(seconds_since "$start") (exit $rc)"
  return $rc
}

inside() {
  local run=$1 d
  INSIDE_RUN=$run  # global: the EXIT trap runs after this function has returned
  trap 'inside_cleanup "$INSIDE_RUN"' EXIT
  mount --bind "$run" "$run"
  mount --make-private "$run"
  mount --rbind /dev "$run/dev"
  mount --make-rslave "$run/dev"
  mount -t proc proc "$run/proc"
  mount --rbind /sys "$run/sys"
  mount --make-rslave "$run/sys"
  mount -t tmpfs tmpfs "$run/run"
  while IFS= read -r d; do
    [ -n "$d" ] || continue
    mkdir -p "$run$d"
    mount -o bind,ro "$d" "$run$d"
  done <<<"${CCSEC_FRESH_BINDS:-}"
  mapfile -t CHROOT_ENV <<<"${CCSEC_FRESH_ENV}"
  readme_step "$run" demo make demo || exit 1
  readme_step "$run" test make test || exit 1
}

if [ "${1:-}" = "--inside" ]; then
  inside "$2"
  exit 0
fi

# --------------------------------------------------------------- on the host

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

# the Debian mirror the host's apt uses (first one serving the main archive)
apt_mirror() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] && awk '$1 == "deb" && $0 ~ / '"$SUITE"' / && $0 !~ /security/ {
      for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) { print $i; exit } }' "$f"
  done
  return 0
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
    return
  fi
  if ! command -v debootstrap >/dev/null; then
    say "installing debootstrap on the host" >&2
    { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap; } \
      >&2 || infra "debootstrap could not be installed"
  fi
  mkdir -p "$CACHE"
  build=$(mktemp -d "$CACHE/.building.XXXXXX")
  start=$(now_ms)
  say "bare root: debootstrap --variant=minbase $SUITE ($BASE_PACKAGES) into $base" >&2
  if ! debootstrap --variant=minbase --include="$BASE_PACKAGES" "$SUITE" "$build" "$MIRROR" \
       >"$build.log" 2>&1; then
    tail -n 15 "$build.log" >&2
    rm -rf --one-file-system "$build"
    infra "debootstrap failed (log: $build.log)"
  fi
  rm -f "$build.log"
  mv "$build" "$base"
  say "   debootstrap took $(seconds_since "$start")" >&2
  echo "$base"
}

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

copy_in() {  # copy host path $1 to the same path in the root (a directory: its contents)
  local p=$1
  mkdir -p "$RUN$(dirname "$p")"
  if [ -d "$p" ]; then mkdir -p "$RUN$p" && cp -a "$p/." "$RUN$p/"; else cp -aL "$p" "$RUN$p"; fi
}

BINDS=()
bind_in() {  # a local directory of packages: bind-mounted read-only (a PEP 503 "simple"
  local d=$1  # index links to ../files, so its parent goes in with it)
  [ "$(basename "$d")" = simple ] && d=$(dirname "$d")
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
      [ -f "$k" ] && copy_in "$k"
    done < <(grep -oiE '(signed-by[:=] *)/[^] ]+' "$f" | sed -E 's/^[^/]*//')
  done
  for f in /etc/apt/trusted.gpg.d/*; do [ -f "$f" ] && copy_in "$f"; done
  for f in /etc/apt/apt.conf.d/*; do
    [ -f "$f" ] && grep -q '^[[:space:]]*Acquire::' "$f" && copy_in "$f"
  done
  # name resolution, as on the host
  cp -L /etc/resolv.conf "$RUN/etc/resolv.conf"
  # CA bundles named by the environment, and the host's local CAs (kept if the root rebuilds
  # its bundle when a package triggers update-ca-certificates)
  for v in SSL_CERT_FILE SSL_CERT_DIR REQUESTS_CA_BUNDLE CURL_CA_BUNDLE HTTPLIB2_CA_CERTS \
           GIT_SSL_CAINFO PIP_CERT; do
    p=${!v:-}
    [ -n "$p" ] && [ -e "$p" ] && copy_in "$p"
  done
  [ -d /usr/local/share/ca-certificates ] && copy_in /usr/local/share/ca-certificates
  # pip: its config files, and what they (and PIP_*) point at
  for f in /etc/pip.conf /etc/xdg/pip/pip.conf /root/.config/pip/pip.conf /root/.pip/pip.conf \
           "${PIP_CONFIG_FILE:-}"; do
    [ -n "$f" ] && [ -f "$f" ] && { copy_in "$f"; pipconf+=("$f"); }
  done
  [ -d /etc/xdg/pip ] && copy_in /etc/xdg/pip
  while IFS= read -r p; do
    [ -n "$p" ] || continue
    if [ -d "$p" ]; then bind_in "$p"; else copy_in "$p"; fi
  done < <(pip_paths "${pipconf[@]}")
  # the environment of the two commands: a login's, plus the registry settings
  ENV=(HOME=/root LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)
  [ -z "${TERM:-}" ] || ENV+=("TERM=$TERM")  # the user's terminal type, as a login has it
  while IFS= read -r k; do
    ENV+=("$k=${!k}")
  done < <(env | cut -d= -f1 | grep -E '^(PIP_[A-Z_]+|SSL_CERT_FILE|SSL_CERT_DIR|REQUESTS_CA_BUNDLE|CURL_CA_BUNDLE|HTTPLIB2_CA_CERTS|GIT_SSL_CAINFO|https?_proxy|HTTPS?_PROXY|no_proxy|NO_PROXY)$' || true)
}

outer_cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "${RUN:-}" ] && [ -d "$RUN" ]; then
    stop_rooted "$RUN"
    if [ -n "${INNER:-}" ]; then wait "$INNER" 2>/dev/null || true; fi
    if rooted_left "$RUN" || grep -qF " $RUN" /proc/self/mountinfo; then
      echo "fresh-check: $RUN is still in use; left in place (remove it by hand)" >&2
    else
      rm -rf --one-file-system "$RUN"
    fi
  fi
  exit "$rc"
}
on_signal() {
  echo "fresh-check: interrupted: stopping the run and removing its mounts" >&2
  if [ -n "${RUN:-}" ]; then stop_rooted "$RUN"; fi
  exit 130
}

MIRROR=$(apt_mirror | head -n 1)
[ -n "$MIRROR" ] || infra "no Debian mirror in the host's apt sources"
if [ -n "$(git -C "$SRC" status --porcelain --untracked-files=no)" ]; then
  say "WARNING: $SRC has changes not committed: they are NOT part of this check" >&2
fi
say "checking $REV ($(git -C "$SRC" log -1 --format=%s "$REV" | cut -c1-70))"

T=$(now_ms)
BASE=$(base_root)
say "   bare root ready in $(seconds_since "$T")"

trap outer_cleanup EXIT
trap on_signal INT TERM
T=$(now_ms)
RUN=$(mktemp -d "${TMPDIR:-/tmp}/ccsec-fresh-run.XXXXXX")
cp -a "$BASE/." "$RUN/"
carry_settings
git clone -q --no-hardlinks "$SRC" "$RUN/root/ccsec"
if ! git -C "$RUN/root/ccsec" cat-file -e "$REV^{commit}" 2>/dev/null; then
  git -C "$RUN/root/ccsec" fetch -q "$SRC" "$REV"
fi
git -C "$RUN/root/ccsec" -c advice.detachedHead=false checkout -q --detach "$REV"
say "   copy of the root, registry settings and clean clone took $(seconds_since "$T")"
[ ${#BINDS[@]} -eq 0 ] || say "   read-only in the root: ${BINDS[*]}"

rc=0
CCSEC_FRESH_BINDS=$(printf '%s\n' "${BINDS[@]}") CCSEC_FRESH_ENV=$(printf '%s\n' "${ENV[@]}") \
  unshare --mount --propagation private bash "$SELF" --inside "$RUN" &
INNER=$!
wait "$INNER" || rc=$?
INNER=

mkdir -p "$LOGS"
rm -f "$LOGS/demo.log" "$LOGS/test.log"
for f in demo test; do
  if [ -f "$RUN/root/$f.log" ]; then cp "$RUN/root/$f.log" "$LOGS/$f.log"; fi
done
if [ -f "$LOGS/test.log" ] && [ "$rc" -eq 0 ]; then
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
elif [ "$rc" -ne 0 ]; then
  last=$LOGS/test.log
  [ -f "$last" ] || last=$LOGS/demo.log
  if [ -f "$last" ]; then { echo "--- last lines of $last"; tail -n 40 "$last"; } >&2; fi
  say "FAILED on the fresh root (exit $rc): logs in $LOGS" >&2
  rc=1
fi
say "total $(seconds_since "$T0"); logs in $LOGS"
exit "$rc"

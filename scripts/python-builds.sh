#!/usr/bin/env bash
# Prepare CPython interpreters that carry USDT (SystemTap) markers, one per
# version, for tests across CPython releases.
#
#   scripts/python-builds.sh [VERSION...]     default: 3.9 3.11 3.13 3.14 3.15
#
# Debian builds CPython --with-dtrace, so its packages already have the
# markers. Each version needs its own suite's libc, so it gets a minimal
# debootstrap'ed root of that suite:
#   <cache>/<version>/root        the root; run it with `chroot ROOT python3.X`
#   <cache>/<version>/info.json   {version, suite, root, python, libpython, ...}
#   <cache>/<version>/build.log   debootstrap output
# <cache> is .cache/pythons in the repository, or $PYTRACE_PYTHON_CACHE.
# $PYTRACE_DEBIAN_MIRROR overrides the mirror (default: the one apt uses).
# Needs root (debootstrap, chroot). Versions already prepared are skipped.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$HERE")
# shellcheck source=scripts/lib-apt-fetch.sh
source "$HERE/lib-apt-fetch.sh"

CACHE=${PYTRACE_PYTHON_CACHE:-$REPO/.cache/pythons}
mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)   # debootstrap wants absolute paths

VERSIONS=("$@")
((${#VERSIONS[@]})) || VERSIONS=(3.9 3.11 3.13 3.14 3.15)

# The oldest suite that ships each version (older suites mean smaller roots).
suite_of() {
  case $1 in
    3.9) echo bullseye ;;
    3.11) echo bookworm ;;
    3.12 | 3.13) echo trixie ;;
    *) echo sid ;;
  esac
}

IMPORT_CHECK='import gc, json, threading; print(1)'

is_ready() {   # is_ready VERSION: root exists, info written, interpreter runs
  local v=$1 dir=$CACHE/$1
  [[ -f $dir/info.json && -x $dir/root/usr/bin/python$v ]] || return 1
  [[ $(chroot "$dir/root" "/usr/bin/python$v" -c "$IMPORT_CHECK" 2>/dev/null) == 1 ]]
}

set_status() { echo "$2" >"$CACHE/$1/status"; }

write_info() {   # write_info VERSION SUITE DEBIAN_VERSION
  local v=$1 suite=$2 debver=$3 root=$CACHE/$1/root lib
  lib=$(cd "$root" && find usr/lib -maxdepth 2 -name "libpython$v.so.1.0" -print -quit)
  lib=${lib:+\"/$lib\"}
  cat >"$CACHE/$v/info.json" <<EOF
{
  "version": "$v",
  "suite": "$suite",
  "debianVersion": "$debver",
  "root": "$root",
  "python": "/usr/bin/python$v",
  "libpython": ${lib:-null}
}
EOF
}

# build_version VERSION SUITE DEBIAN_VERSION PACKAGES -- one debootstrap.
# Builds into root.partial and renames at the end, so a killed run never
# leaves a root that looks complete.
build_version() {
  local v=$1 suite=$2 debver=$3 pkgs=$4 dir=$CACHE/$1 t0=$SECONDS
  local part=$dir/root.partial
  for d in "$dir/root" "$part"; do
    umount_below "$d"
    rm -rf --one-file-system "$d"
  done
  mkdir -p "$CACHE/.debs/$suite"
  log "$v: debootstrap $suite (+$pkgs)"
  if ! debootstrap --variant=minbase --include="$pkgs" \
      --cache-dir="$CACHE/.debs/$suite" "$suite" "$part" "$MIRROR" \
      >"$dir/build.log" 2>&1; then
    umount_below "$part"
    set_status "$v" "failed: debootstrap $suite (see $dir/build.log)"
    return 0
  fi
  umount_below "$part"
  # Apt lists and the package cache are not needed to run Python.
  rm -rf "$part"/var/lib/apt/lists/* "$part"/var/cache/apt/*.bin
  mv "$part" "$dir/root"
  write_info "$v" "$suite" "$debver"
  if is_ready "$v"; then
    set_status "$v" ready
    log "$v: ready in $((SECONDS - t0)) s"
  else
    set_status "$v" "failed: python$v does not run in the root"
  fi
}

T0=$SECONDS
declare -A SUITE_PENDING=()   # suite -> "version|debver|pkgs ..." to build (Debian versions may hold ":")
PENDING=()
for v in "${VERSIONS[@]}"; do
  [[ $v =~ ^3\.[0-9]+$ ]] || die "not a version: $v (expected e.g. 3.13)"
  mkdir -p "$CACHE/$v"
  if is_ready "$v"; then set_status "$v" ready; else PENDING+=("$v"); fi
done

if ((${#PENDING[@]})); then
  [[ $(id -u) -eq 0 ]] || die "needs root (debootstrap, chroot)"
  ensure_cmds debootstrap:debootstrap
  MIRROR=$(debian_mirror)
  declare -A want=()
  for v in "${PENDING[@]}"; do want[$(suite_of "$v")]=1; done
  log "mirror $MIRROR; reading package lists of: ${!want[*]}"
  apt_alt_init "$CACHE/.apt" "$MIRROR" "${!want[@]}"

  query=()
  for v in "${PENDING[@]}"; do query+=("python$v-minimal" "libpython$v"); done
  apt_alt "$CACHE/.apt" apt-cache madison "${query[@]}" >"$CACHE/.apt/madison" 2>/dev/null || true

  for v in "${PENDING[@]}"; do
    suite=$(suite_of "$v")
    debver=$(madison_version "$CACHE/.apt/madison" "$suite" "python$v-minimal")
    if [[ -z $debver ]]; then
      set_status "$v" "unavailable: $suite has no python$v-minimal"
      continue
    fi
    pkgs=python$v-minimal,libpython$v-minimal,libpython$v-stdlib
    # The shared library (for --enable-shared style tracing), if packaged.
    [[ -n $(madison_version "$CACHE/.apt/madison" "$suite" "libpython$v") ]] && pkgs+=,libpython$v
    SUITE_PENDING[$suite]+="$v|$debver|$pkgs "
  done

  # One job per suite, in parallel: the work is mostly download and dpkg.
  # Versions sharing a suite run in turn so they share its package cache.
  pids=()
  for suite in "${!SUITE_PENDING[@]}"; do
    (
      for item in ${SUITE_PENDING[$suite]}; do
        IFS="|" read -r v debver pkgs <<<"$item"
        build_version "$v" "$suite" "$debver" "$pkgs"
      done
    ) &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || true; done
fi

rc=0
printf '\n%-6s %-44s %s\n' VERSION STATUS PYTHON
for v in "${VERSIONS[@]}"; do
  status=$(cat "$CACHE/$v/status" 2>/dev/null || echo "failed: no status")
  # Unavailable is not an error: the archive simply lacks that version.
  [[ $status == ready || $status == unavailable* ]] || rc=1
  python=-
  [[ $status == ready ]] && python=$CACHE/$v/root/usr/bin/python$v
  printf '%-6s %-44s %s\n' "$v" "$status" "$python"
done
log "done in $((SECONDS - T0)) s"
exit "$rc"

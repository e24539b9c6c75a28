#!/usr/bin/env bash
# Makes a minimal Debian root once and reuses it after:
#   scripts/debian-root.sh SUITE DIR [PACKAGE,PACKAGE,...] [APT_PACKAGE...]
# The first list goes to debootstrap; the APT_PACKAGEs are installed after, by
# apt-get in the root (debootstrap's own resolver fails on some dependency
# graphs, such as npm's).
# Builds into DIR.partial and renames at the end, so a killed run never leaves
# a root that looks complete. Downloaded packages are kept in DIR.debs.
# Needs root (debootstrap). $PYTRACE_DEBIAN_MIRROR overrides the mirror.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib-apt-fetch.sh
source "$HERE/lib-apt-fetch.sh"

suite=$1 dir=$2 packages=${3:-}
apt_packages=("${@:4}")
[[ -d $dir ]] && exit 0
ensure_cmds debootstrap:debootstrap
mkdir -p "$dir.debs"
dir=$(cd "$(dirname "$dir")" && pwd)/$(basename "$dir")
rm -rf --one-file-system "$dir.partial"
log "debootstrap $suite${packages:+ (+$packages)} into $dir"
t0=$SECONDS
debootstrap --variant=minbase ${packages:+--include="$packages"} \
  --cache-dir="$dir.debs" "$suite" "$dir.partial" "$(debian_mirror)" \
  >"$dir.log" 2>&1 || die "debootstrap $suite failed, see $dir.log"
if ((${#apt_packages[@]})); then
  log "apt-get install in the $suite root: ${apt_packages[*]}"
  mount -t proc proc "$dir.partial/proc"
  chroot "$dir.partial" sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq --no-install-recommends "$@" && apt-get clean' sh "${apt_packages[@]}" \
    >>"$dir.log" 2>&1 || { umount "$dir.partial/proc"; die "apt-get in the $suite root failed, see $dir.log"; }
  umount "$dir.partial/proc"
fi
mv "$dir.partial" "$dir"
log "$suite root ready in $((SECONDS - t0)) s"

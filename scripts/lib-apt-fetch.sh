# shellcheck shell=bash
# Shared helpers for scripts that fetch Debian packages or build roots.
# Source it; it defines functions only and changes no shell options.

# Log to stderr so stdout stays usable for results.
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# The Debian mirror the system already uses (so we hit the same host and
# proxy setup as apt does). PYTRACE_DEBIAN_MIRROR overrides; deb.debian.org
# is the fallback when nothing suitable is configured.
debian_mirror() {
  if [[ -n "${PYTRACE_DEBIAN_MIRROR:-}" ]]; then
    echo "${PYTRACE_DEBIAN_MIRROR%/}"; return
  fi
  local files=() f uri
  [[ -f /etc/apt/sources.list ]] && files+=(/etc/apt/sources.list)
  for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [[ -f "$f" ]] && files+=("$f")
  done
  if ((${#files[@]})); then
    # One-line style ("deb [opts] URI suite ...") and deb822 ("URIs: URI").
    # Keep only the main archive: a URI whose path ends in /debian.
    uri=$(sed -nE \
      -e 's/^[[:space:]]*deb[[:space:]]+(\[[^]]*\][[:space:]]+)?([a-z+]+:\/\/[^[:space:]]+).*/\2/p' \
      -e 's/^[[:space:]]*URIs:[[:space:]]*//p' "${files[@]}" \
      | tr ' ' '\n' | grep -E '^[a-z+]+://[^[:space:]]+/debian/?$' | head -n1 || true)
  fi
  uri=${uri:-http://deb.debian.org/debian}
  echo "${uri%/}"
}

# ensure_cmds CMD:PACKAGE ... -- installs the packages whose command is
# missing; runs `apt-get update` at most once per process, and only if needed.
_PYTRACE_APT_UPDATED=0
ensure_cmds() {
  local spec missing=()
  for spec in "$@"; do
    command -v "${spec%%:*}" >/dev/null 2>&1 || missing+=("${spec#*:}")
  done
  ((${#missing[@]})) || return 0
  [[ $(id -u) -eq 0 ]] || die "need root to install: ${missing[*]}"
  log "installing: ${missing[*]}"
  if ((_PYTRACE_APT_UPDATED == 0)); then
    apt-get update -qq >/dev/null
    _PYTRACE_APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}

# A private apt configuration: own sources.list, lists and cache, so package
# queries for other suites never touch the system's apt state.
#   apt_alt_init DIR MIRROR SUITE...   (writes DIR, runs `apt-get update`)
#   apt_alt DIR apt-cache|apt-get ARGS...
apt_alt_init() {
  local dir=$1 mirror=$2 suite; shift 2
  mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/parts"
  : >"$dir/status"
  : >"$dir/sources.list"
  for suite in "$@"; do
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main" \
      >>"$dir/sources.list"
  done
  apt_alt "$dir" apt-get update -qq >/dev/null
}
apt_alt() {
  local dir tool=$2
  dir=$(realpath "$1"); shift 2   # apt reads relative paths against /etc/apt
  "$tool" -o Dir::Etc::sourcelist="$dir/sources.list" -o Dir::Etc::sourceparts="$dir/parts" \
    -o Dir::State="$dir" -o Dir::State::Lists="$dir/lists" \
    -o Dir::State::status="$dir/status" -o Dir::Cache="$dir/cache" \
    -o APT::Get::List-Cleanup=0 -o Debug::NoLocking=1 "$@"
}

# madison_version FILE SUITE PACKAGE -- prints the version SUITE offers, or
# nothing. FILE holds `apt_alt DIR apt-cache madison PKG...` output (one
# call for all packages: each apt-cache run re-reads every index).
# Filters by suite so that a package found only in another suite does not
# count.
madison_version() {
  awk -F' *[|] *' -v p="$3" -v s=" $2/" \
    '$1 ~ "^ *" p "$" && index($3, s) { print $2; exit }' "$1"
}

# umount_below DIR -- undoes mounts left inside DIR by an interrupted
# debootstrap/chroot, so that removing DIR cannot reach the host's /proc.
umount_below() {
  local dir m
  dir=$(realpath -m "$1")
  awk -v d="$dir" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/mounts \
    | sort -r | while read -r m; do umount -l "$m" || true; done
}

#!/usr/bin/env bash
# Installs what pytrace needs to build, test and run on Debian (bookworm or
# later), then builds it. Idempotent: installs only what is missing, and runs
# `apt-get update` at most once. Run as root from the repository.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  clang llvm                      # compile the BPF program
  libbpf-dev libelf-dev zlib1g-dev pkg-config
  bpftool                         # BPF skeleton generation
  make g++ python3                # node-gyp
  nodejs npm
  python3.11-minimal libpython3.11 libpython3.11-dev  # a CPython with markers, and libpython for embedding
  systemtap-sdt-dev               # sys/sdt.h, for the test fixtures
  binutils                        # readelf, objcopy: tests compare against them
  clang-format shellcheck         # npm run lint
  bpftrace                        # the peer the benchmark compares against
  util-linux procps               # setpriv, unshare, ps for the tests
  chromium protobuf-compiler golang-go  # the profile formats' consumers: the HTML page, protoc, go tool pprof
  prometheus                      # scrapes the agent in its tests
)

missing=()
for p in "${packages[@]}"; do
  # node and npm may come from elsewhere than Debian: accept any on PATH.
  case $p in
    nodejs) command -v node >/dev/null && continue ;;
    npm) command -v npm >/dev/null && continue ;;
  esac
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "Installing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# From source: a checkout's install builds the addon even where a build or a
# prebuilt one would load (node-gyp-build's switch).
npm_config_build_from_source=true npm install --no-audit --no-fund

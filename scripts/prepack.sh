#!/usr/bin/env bash
# Before `npm pack` and `npm publish`: the package must carry a prebuilt addon
# made from these very sources, or users' `npm i` would load a stale one (or
# compile). Builds it with scripts/prebuild.sh when it is missing or older
# than any native source; keeps it otherwise (package-test.sh has just built it).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=prebuilds/linux-x64/node.napi.glibc.node
stale=
if [[ -f $out ]]; then
  stale=$(find native binding.gyp scripts/build-bpf.sh scripts/build-tools.sh -type f -newer "$out" -print -quit)
fi
if [[ ! -f $out || -n $stale ]]; then
  echo "prepack: building the prebuilt addon (${stale:-there is none yet}${stale:+ is newer than it})" >&2
  bash scripts/prebuild.sh
fi

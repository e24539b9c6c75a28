#!/usr/bin/env bash
# The package as users get it: builds the prebuilt addon, packs the package,
# checks what the tarball holds, and installs it in clean Debian roots that
# have no compiler, clang, bpftool or -dev package:
#   trixie     its own nodejs and npm, Python 3.13 (audit events: no call markers)
#   bookworm   Node alone (this machine's node and npm copied in), Python 3.11 (calls)
#   bullseye   the same, on the oldest glibc the prebuilt addon supports (2.31), Python 3.9
# In each: `npm i ./pytrace-*.tgz` must finish without compiling anything (no
# build/ directory made), and `npx pytrace run` must see exactly the events the
# script makes. Needs root (debootstrap, chroot, mount) and what
# scripts/setup.sh installs; the roots are kept under .cache/roots.
#   scripts/package-test.sh [trixie] [bookworm] [bullseye]     default: all
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$HERE")
# shellcheck source=scripts/lib-apt-fetch.sh
source "$HERE/lib-apt-fetch.sh"
# shellcheck source=scripts/lib-node-root.sh
source "$HERE/lib-node-root.sh"
cd "$REPO"

ROOTS=$REPO/.cache/roots
WORK=$REPO/.cache/package-test
CALLS=37
SUITES=("$@")
((${#SUITES[@]})) || SUITES=(trixie bookworm bullseye)
failures=0
fail() { log "FAIL: $*"; failures=$((failures + 1)); }
pass() { log "pass: $*"; }
t_start=$SECONDS

bash "$HERE/prebuild.sh"

log "packing"
rm -rf "$WORK"
mkdir -p "$WORK"
npm pack --pack-destination "$WORK" --json >"$WORK/pack.json" 2>"$WORK/pack.log"
tgz=$WORK/$(node -p 'require(process.argv[1])[0].filename' "$WORK/pack.json")
node -p 'require(process.argv[1])[0].files.map((f) => f.path).join("\n")' "$WORK/pack.json" >"$WORK/files"
for want in dist/index.js dist/index.d.ts dist/cli/main.js prebuilds/linux-x64/node.napi.glibc.node \
    binding.gyp native/bpf/usdt_event.bpf.c native/addon.cc scripts/build-bpf.sh scripts/build-tools.sh; do
  grep -qx "$want" "$WORK/files" || fail "the package lacks $want"
done
unwanted=$(grep -E '^(test|bench|build|\.cache|examples|\.ci)/|^scripts/(prebuild|package-test|setup)' "$WORK/files" || true)
[[ -z $unwanted ]] || fail "the package holds what users do not need: $(echo "$unwanted" | head -n3 | tr '\n' ' ')"
((failures)) || pass "tarball: $(wc -l <"$WORK/files") files, $(($(stat -c %s "$tgz") / 1024)) KiB"

mounted=()
cleanup() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[i]}" 2>/dev/null || true; done
}
trap cleanup EXIT
mount_in() {   # mount_in ROOT: what `pytrace run` needs of the machine
  local root=$1 d
  for d in proc sys dev; do
    mountpoint -q "$root/$d" && continue
    if [[ $d == proc ]]; then mount -t proc proc "$root/proc"; else mount --rbind "/$d" "$root/$d"; fi
    mounted+=("$root/$d")
  done
}

# install_and_trace NAME ROOT PYTHON calls|audit
# What the target does, what pytrace traces, and how a line of it matches:
# calls where the build has call markers (3.11), audit events where it does
# not (3.12 to 3.14 have none).
install_and_trace() {
  local name=$1 root=$2 python=$3 t0=$SECONDS app=/tmp/pytrace-app tools script events match
  case $4 in
    calls)
      script="def tick(): pass
for _ in range($CALLS): tick()"
      events=function-entry
      match='"type":"function-entry".*"filename":"<string>","function":"tick"' ;;
    audit)
      script="import sys
for i in range($CALLS): sys.audit('app.tick', i)"
      events=audit
      match='"type":"audit".*"event":"app.tick"' ;;
  esac
  # shellcheck disable=SC2016 # expanded in the root's shell
  tools=$(chroot "$root" sh -c 'for t in cc c++ gcc g++ clang bpftool make; do command -v $t; done' || true)
  [[ -z $tools ]] || { fail "$name: the root has build tools: $tools"; return; }
  # No -dev package a build would use. (Debian's npm depends on node-gyp, so
  # on libnode-dev, libuv1-dev and libssl-dev: those are the distribution's npm.)
  local dev
  # shellcheck disable=SC2016 # dpkg-query's format
  dev=$(chroot "$root" dpkg-query -W -f '${Package}\n' | grep -E -- '-dev$' | tr '\n' ' ' || true)
  if grep -qE '(^| )(libbpf|libelf|zlib1g|libc6|linux-libc)-dev ' <<<"$dev "; then
    fail "$name: the root has the build's -dev packages: $dev"
    return
  fi
  [[ -z $dev ]] || log "$name: -dev packages npm brings: $dev"
  rm -rf "${root:?}$app"
  mkdir -p "$root$app"
  cp "$tgz" "$root$app/"
  echo '{ "name": "app", "private": true }' >"$root$app/package.json"
  mount_in "$root"
  root_npm_env "$root"
  env=("${ROOT_ENV[@]}")
  log "$name: npm i $(basename "$tgz") ($(chroot "$root" node --version))"
  if ! chroot "$root" "${env[@]}" sh -c "cd $app && npm i --no-audit --no-fund --foreground-scripts ./$(basename "$tgz")" \
      >"$WORK/$name-install.log" 2>&1; then
    fail "$name: npm i failed: $(tail -n5 "$WORK/$name-install.log")"
    return
  fi
  if [[ -e $root$app/node_modules/pytrace/build ]] || grep -q 'gyp info' "$WORK/$name-install.log"; then
    fail "$name: npm i compiled the addon (see $WORK/$name-install.log)"
    return
  fi
  pass "$name: installed in $((SECONDS - t0)) s, nothing compiled"
  chroot "$root" "${env[@]}" sh -c "cd $app && npx pytrace run --events $events --json \
      -o $app/trace.ndjson -- $python -c \"$script\"" >"$WORK/$name-run.log" 2>&1 ||
    { fail "$name: pytrace run failed: $(tail -n5 "$WORK/$name-run.log")"; return; }
  local seen
  seen=$(grep -c "$match" "$root$app/trace.ndjson" || true)
  if [[ $seen == "$CALLS" ]]; then
    pass "$name: pytrace run saw $seen $events events of $CALLS, in $((SECONDS - t0)) s with the install"
  else
    fail "$name: pytrace run saw $seen $events events, the script made $CALLS (see $WORK/$name-run.log)"
  fi
}

test_trixie() {
  bash "$HERE/debian-root.sh" trixie "$ROOTS/trixie" python3.13-minimal,libelf1t64 nodejs npm
  install_and_trace trixie "$ROOTS/trixie" python3.13 audit
}

test_bookworm() {
  bash "$HERE/debian-root.sh" bookworm "$ROOTS/bookworm" python3.11-minimal,libelf1
  # Node alone: this machine's node and npm.
  if ! copy_host_node "$ROOTS/bookworm"; then
    fail "bookworm: no Node to copy into the root"
  else
    install_and_trace bookworm "$ROOTS/bookworm" python3.11 calls
    no_prebuilt_names_packages "$ROOTS/bookworm"
  fi
}

# Where no prebuilt addon loads and the build's tools are missing, the install
# fails with the packages to install. (The same tarball without prebuilds/.)
no_prebuilt_names_packages() {
  local root=$1 app=/tmp/pytrace-app-source
  rm -rf "$WORK/source" "${root:?}$app"
  mkdir -p "$WORK/source" "$root$app"
  tar -xzf "$tgz" -C "$WORK/source"
  rm -rf "$WORK/source/package/prebuilds"
  tar -czf "$root$app/pytrace-source.tgz" -C "$WORK/source" package
  echo '{ "name": "app", "private": true }' >"$root$app/package.json"
  if chroot "$root" "${env[@]}" sh -c "cd $app && npm i --no-audit --no-fund --foreground-scripts ./pytrace-source.tgz" \
      >"$WORK/bookworm-source-install.log" 2>&1; then
    fail "bookworm: npm i without a prebuilt addon succeeded without build tools"
  elif grep -q 'apt-get install clang' "$WORK/bookworm-source-install.log" &&
      grep -q 'dnf install clang' "$WORK/bookworm-source-install.log"; then
    pass "bookworm: without a prebuilt addon, npm i names the packages to install"
  else
    fail "bookworm: npm i without a prebuilt addon failed without naming packages (see $WORK/bookworm-source-install.log)"
  fi
}

test_bullseye() {
  bash "$HERE/debian-root.sh" bullseye "$ROOTS/bullseye" python3.9-minimal,libelf1
  if ! copy_host_node "$ROOTS/bullseye"; then
    fail "bullseye: no Node to copy into the root"
  else
    install_and_trace bullseye "$ROOTS/bullseye" python3.9 calls
  fi
}

for suite in "${SUITES[@]}"; do "test_$suite"; done

log "package test: $failures failure(s), $((SECONDS - t_start)) s"
((failures == 0))

#!/usr/bin/env bash
# Builds the prebuilt addon the package carries, prebuilds/linux-x64/node.napi.glibc.node:
# compiled and linked inside a Debian bullseye root (glibc 2.31), so that it loads
# on every distribution with glibc 2.31 or later; libbpf linked statically (the
# same libbpf whose bpftool generates the skeleton), libstdc++ and libgcc too, so
# that at run time it needs only glibc, libelf and zlib. The BPF program is
# compiled here with clang and bpftool, as in a source build: it does not
# depend on glibc. Needs root (debootstrap, chroot, mount) and what
# scripts/setup.sh installs. The build happens in a copy of the package's
# sources under .cache/prebuild, so a developer's build/ stays as it is.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$HERE")
# shellcheck source=scripts/lib-apt-fetch.sh
source "$HERE/lib-apt-fetch.sh"
cd "$REPO"

GLIBC_MAX=2.31
ROOT=$REPO/.cache/roots/bullseye-build
WORK=$REPO/.cache/prebuild
OUT=$REPO/prebuilds/linux-x64/node.napi.glibc.node   # prebuildify's name: node-gyp-build picks it by these tags
t0=$SECONDS

bash "$HERE/debian-root.sh" bullseye "$ROOT" g++,make,libelf-dev,zlib1g-dev

rm -rf "$WORK"
mkdir -p "$WORK/src" "$WORK/libbpf/include" "$WORK/bin" "$WORK/node/include"

# Static libbpf: the system libbpf-dev's version (the one the skeleton is made
# for), from its Debian source package, built in the root with -fPIC (Debian's
# libbpf.a is not position-independent, so it cannot go in a shared object).
# apt checks the source package's hashes against the signed Release file.
libbpf_version=$(dpkg-query -W -f='${source:Version}' libbpf-dev)
libbpf_src=$REPO/.cache/prebuild-libbpf/$libbpf_version
if [[ ! -f $libbpf_src/libbpf.a ]]; then
  apt_dir=$libbpf_src.apt
  rm -rf "$libbpf_src" "$apt_dir"
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$libbpf_src"
  codename=$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release)
  echo "deb-src $(debian_mirror) $codename main" >"$apt_dir/sources.list"
  apt_opts=(-o Dir::Etc::SourceList="$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o Dir::State::Lists="$apt_dir/lists" -o Dir::Cache="$apt_dir/cache")
  log "libbpf $libbpf_version: fetching the Debian source package"
  apt-get "${apt_opts[@]}" update -qq >/dev/null
  (cd "$apt_dir" && apt-get "${apt_opts[@]}" source -qq --download-only "libbpf=$libbpf_version" >/dev/null)
  dpkg-source -x "$apt_dir"/libbpf_*.dsc "$libbpf_src/source" >"$libbpf_src.log" 2>&1
  mkdir -p "$ROOT$libbpf_src"
  mount --bind "$libbpf_src" "$ROOT$libbpf_src"
  log "libbpf $libbpf_version: building it static, position-independent, in the root"
  chroot "$ROOT" make -s -C "$libbpf_src/source/src" BUILD_STATIC_ONLY=1 EXTRA_CFLAGS=-fPIC \
    OBJDIR="$libbpf_src/obj" DESTDIR="$libbpf_src/install" PREFIX=/ install >>"$libbpf_src.log" 2>&1 ||
    { umount "$ROOT$libbpf_src"; die "libbpf build failed, see $libbpf_src.log"; }
  umount "$ROOT$libbpf_src"
  cp "$libbpf_src/obj/libbpf.a" "$libbpf_src/libbpf.a"
fi
cp "$libbpf_src/libbpf.a" "$WORK/libbpf/"
cp -r "$libbpf_src/install/include/bpf" "$WORK/libbpf/include/"
# The kernel UAPI headers libbpf is built with, ahead of the old root's own
# (bullseye's linux/bpf.h predates the task iterator's link info).
cp -r "$libbpf_src/source/include/uapi/linux" "$WORK/libbpf/include/"

# Node's headers (N-API is C; any recent Node's headers with NAPI_VERSION set).
cp -r "$(node -p 'require("path").resolve(process.execPath, "../../include/node")')" \
  "$WORK/node/include/"

# The package's native sources only: no benchmark addon in the prebuild.
cp -r binding.gyp native "$WORK/src/"
mkdir -p "$WORK/src/scripts" "$WORK/src/node_modules"
cp scripts/build-bpf.sh "$WORK/src/scripts/"
cp -r node_modules/node-addon-api "$WORK/src/node_modules/"

# The compiler and linker node-gyp's Makefile calls: the root's gcc, run in
# the root, in the same directory (the work tree is mounted at the same path).
for tool in cc:gcc c++:g++; do
  cat >"$WORK/bin/${tool%%:*}" <<WRAP
#!/bin/sh
exec chroot "$ROOT" /bin/sh -c 'cd "\$0" && exec ${tool#*:} "\$@"' "\$PWD" "\$@"
WRAP
  chmod +x "$WORK/bin/${tool%%:*}"
done
mkdir -p "$ROOT$WORK"
mountpoint -q "$ROOT$WORK" || mount --bind "$WORK" "$ROOT$WORK"
trap 'umount "$ROOT$WORK"' EXIT

# npm's own node-gyp (npm names it to the scripts it runs).
node_gyp=${npm_config_node_gyp:-$(npm prefix -g)/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js}
log "building the addon in the bullseye root"
# Under npm (prepack), npm_config_nodedir would win over --nodedir: unset it.
(cd "$WORK/src" && env -u npm_config_nodedir CC="$WORK/bin/cc" CXX="$WORK/bin/c++" LINK="$WORK/bin/c++" \
  node "$node_gyp" rebuild --nodedir="$WORK/node" -- -Dlibbpf_static="$WORK/libbpf" \
    >"$WORK/build.log" 2>&1) || { tail -30 "$WORK/build.log"; die "build failed, see $WORK/build.log"; }
addon=$WORK/src/build/Release/pytrace.node

# What it needs at run time: glibc no newer than GLIBC_MAX, libelf, zlib.
needed=$(objdump -p "$addon" | awk '/NEEDED/ {print $2}' | sort | tr '\n' ' ')
newest=$(objdump -T "$addon" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -n1)
log "needs: $needed; newest glibc symbol version: $newest"
for lib in $needed; do
  case $lib in
    libc.so.6 | libm.so.6 | libpthread.so.0 | libdl.so.2 | ld-linux-x86-64.so.2 | libelf.so.1 | libz.so.1) ;;
    *) die "the addon needs $lib, which not every distribution has" ;;
  esac
done
[[ $(printf '%s\n%s\n' "$newest" "$GLIBC_MAX" | sort -V | tail -n1) == "$GLIBC_MAX" ]] ||
  die "the addon needs glibc $newest, newer than $GLIBC_MAX"

mkdir -p "$(dirname "$OUT")"
strip --strip-unneeded -o "$OUT" "$addon"
log "wrote $OUT ($(stat -c %s "$OUT") bytes) in $((SECONDS - t0)) s"

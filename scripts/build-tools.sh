#!/bin/sh
# Run by `npm install` only when no prebuilt addon loads (another platform or
# libc, or npm's --build-from-source): checks that the tools a source build
# needs are there, and when some are not, names the packages to install.
missing=""
for tool in make c++ python3 clang llvm-strip bpftool pkg-config; do
  command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
if command -v pkg-config >/dev/null 2>&1; then
  for lib in libbpf libelf zlib; do
    pkg-config --exists "$lib" || missing="$missing $lib"
  done
fi
[ -z "$missing" ] && exit 0
cat >&2 <<MSG
pytrace: no prebuilt addon loads here ($(uname -m), $(ldd --version 2>&1 | head -n1)),
and building it from source needs what is missing:$missing
Install the build's tools, then run npm install again:
  Debian, Ubuntu:        apt-get install clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev pkg-config make g++ python3
  Fedora, RHEL, CentOS:  dnf install clang llvm bpftool libbpf-devel elfutils-libelf-devel zlib-devel pkgconf-pkg-config make gcc-c++ python3
MSG
exit 1

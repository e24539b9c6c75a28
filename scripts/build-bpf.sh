#!/usr/bin/env bash
# Compiles the BPF program and turns it into a skeleton header that embeds the
# object in the addon. Called by binding.gyp: build-bpf.sh SRC OUT_DIR
set -euo pipefail
src=$1
out=$2
name=$(basename "$src" .bpf.c)
arch=$(uname -m | sed 's/x86_64/x86/; s/aarch64/arm64/')
multiarch=$(gcc -print-multiarch 2>/dev/null || echo "$(uname -m)-linux-gnu")
mkdir -p "$out"
clang -g -O2 -target bpf -D__TARGET_ARCH_"$arch" \
  -I/usr/include/"$multiarch" -I"$(dirname "$src")" \
  -c "$src" -o "$out/$name.bpf.o"
# Strip DWARF but keep BTF: the skeleton stays small.
llvm-strip -g "$out/$name.bpf.o"
bpftool gen skeleton "$out/$name.bpf.o" name "$name" > "$out/$name.skel.h"

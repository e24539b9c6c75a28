#!/usr/bin/env bash
# The smoke suite (test/kernels/smoke.js) on the kernels users run, each
# booted under qemu (software emulation: -accel tcg) on a Debian root made by
# debootstrap, with the packed package installed in it:
#   bookworm   Debian 12's 6.1 cloud kernel (no uprobe_multi: single uprobes)
#   bullseye   Debian 11's 5.10 cloud kernel (no BPF cookies: spec ids by address;
#              no bpf_loop: no stack sampling), with its python3.9
#   scripts/kernel-test.sh [bookworm] [bullseye]     default: every kernel above
# Uses the tarball scripts/package-test.sh packed (.cache/package-test), or
# packs one. Prints the guest's report and the time per kernel; exits 1 if a
# guest's suite fails. Needs root (debootstrap, chroot, mount) and network
# for npm in the root; the roots and disk images are kept under .cache.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$HERE")
# shellcheck source=scripts/lib-apt-fetch.sh
source "$HERE/lib-apt-fetch.sh"
# shellcheck source=scripts/lib-node-root.sh
source "$HERE/lib-node-root.sh"
cd "$REPO"

ROOTS=$REPO/.cache/roots
WORK=$REPO/.cache/kernel-test
KERNELS=("$@")
((${#KERNELS[@]})) || KERNELS=(bookworm bullseye)
ensure_cmds qemu-system-x86_64:qemu-system-x86 mkfs.ext4:e2fsprogs
mkdir -p "$WORK"

name=pytrace-$(node -p 'require("./package.json").version').tgz
tgz=$REPO/.cache/package-test/$name
if [[ ! -f $tgz ]]; then
  bash "$HERE/prebuild.sh"
  npm pack --pack-destination "$WORK" >/dev/null 2>"$WORK/pack.log"
  tgz=$WORK/$name
fi

# prepare_root SUITE PACKAGES LINK_KIND PYTHON -- the guest's root: a kernel with BTF (cloud),
# Python, Node alone, the package installed, the suite and an init that runs it.
prepare_root() {
  local suite=$1 root=$ROOTS/$1-vm app=/opt/pytrace-smoke link_kind=$3 python=$4
  bash "$HERE/debian-root.sh" "$suite" "$root" "$2"
  copy_host_node "$root" || die "no Node to copy into the $suite root"
  root_npm_env "$root"
  rm -rf "${root:?}$app"
  mkdir -p "$root$app"
  cp "$tgz" "$root$app/pytrace.tgz"
  cp test/kernels/smoke.js "$root$app/"
  echo '{ "name": "pytrace-smoke", "private": true }' >"$root$app/package.json"
  mount -t proc proc "$root/proc"
  mount --rbind /dev "$root/dev"
  chroot "$root" "${ROOT_ENV[@]}" sh -c "cd $app && npm i --no-audit --no-fund ./pytrace.tgz" \
    >"$WORK/$suite-install.log" 2>&1 || { umount -l "$root/dev" "$root/proc"; die "npm i in the $suite root failed, see $WORK/$suite-install.log"; }
  umount -l "$root/dev" "$root/proc"
  cat >"$root/pytrace-smoke.sh" <<INIT
#!/bin/sh
# The guest's init: what the suite needs mounted, the suite, then power off.
PYTRACE_LINK_KIND=$link_kind
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t bpf bpf /sys/fs/bpf
cd $app && PATH=/usr/local/bin:/usr/bin:/bin HOME=/root node smoke.js $python \$PYTRACE_LINK_KIND
echo "smoke-exit: \$?"
sync
echo o >/proc/sysrq-trigger
INIT
  chmod +x "$root/pytrace-smoke.sh"
}

# boot SUITE -- the root as an ext4 image, booted with its own kernel.
boot() {
  local suite=$1 root=$ROOTS/$1-vm img=$WORK/$1.img t0=$SECONDS kernel initrd
  kernel=("$root"/boot/vmlinuz-*)
  initrd=("$root"/boot/initrd.img-*)
  mkfs.ext4 -q -d "$root" -F "$img" 3G
  log "$suite: booting $(basename "${kernel[0]}")"
  timeout 300 qemu-system-x86_64 -accel tcg -cpu max -m 2048 -smp 2 -nographic -no-reboot \
    -kernel "${kernel[0]}" -initrd "${initrd[0]}" \
    -append 'console=ttyS0 root=/dev/vda rw init=/pytrace-smoke.sh panic=-1 quiet' \
    -drive file="$img",format=raw,if=virtio >"$WORK/$suite.console" 2>&1 || true
  rm -f "$img"
  grep -E '^(kernel|pass|FAIL|stats|smoke)' "$WORK/$suite.console" | tr -d '\r' >&2 || true
  if grep -q '^smoke: 0 failure(s)' "$WORK/$suite.console"; then
    log "$suite: passed, $((SECONDS - t0)) s for the image and the boot"
  else
    log "$suite: FAILED (console: $WORK/$suite.console)"
    return 1
  fi
}

status=0
for k in "${KERNELS[@]}"; do
  case $k in
    bookworm) prepare_root bookworm linux-image-cloud-amd64,systemd-sysv,python3.11-minimal,udev,libelf1 uprobe /usr/bin/python3.11 ;;
    bullseye) prepare_root bullseye linux-image-cloud-amd64,systemd-sysv,python3.9-minimal,udev,libelf1 uprobe /usr/bin/python3.9 ;;
    *) die "unknown kernel: $k" ;;
  esac
  boot "$k" || status=1
done
exit $status

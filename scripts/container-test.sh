#!/usr/bin/env bash
# Build the test image (Dockerfile) and run the test suite in it, privileged
# and in the host's PID namespace, which BPF tracing needs.
#
#   scripts/container-test.sh [COMMAND...]   default command: the image's CMD (npm test)
#
# Uses Docker when a Docker engine answers, else rootful podman (installed
# if missing, with a locally built Debian base (the Dockerfile's FROM) when no registry is
# reachable). The exit code is the command's.
#
# Environment:
#   PYTRACE_CONTAINER_ENGINE  docker | podman (default: detect)
#   PYTRACE_IMAGE             image tag (default: pytrace-test)
#   PYTRACE_PYTHON_CACHE      interpreter roots from scripts/python-builds.sh;
#                             mounted at the same path when present
#   PYTRACE_CA_BUNDLE         CA bundle trusted by npm during the build
#                             (default: the host's /etc/ssl/certs/ca-certificates.crt)
#   PYTRACE_NETWORK           network for build and run, e.g. host
#                             (default: the engine's own)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$HERE")
# shellcheck source=scripts/lib-apt-fetch.sh
source "$HERE/lib-apt-fetch.sh"

IMAGE=${PYTRACE_IMAGE:-pytrace-test}
# The Dockerfile's base, debian:SUITE.
SUITE=$(sed -n 's/^FROM debian:\([a-z]*\).*/\1/p' "$REPO/Dockerfile" | head -n1)
BASE=docker.io/library/debian:$SUITE
ENGINE=${PYTRACE_CONTAINER_ENGINE:-}
if [[ -z $ENGINE ]]; then
  if command -v docker >/dev/null && docker info >/dev/null 2>&1; then
    ENGINE=docker
  else
    ENGINE=podman
  fi
fi

TMP=$(mktemp -d)
# shellcheck disable=SC2317 # called by the trap
cleanup() {
  umount_below "$TMP"
  rm -rf --one-file-system "$TMP"
}
trap cleanup EXIT

NET=()
[[ -n ${PYTRACE_NETWORK:-} ]] && NET=(--network "$PYTRACE_NETWORK")
if [[ $ENGINE == docker ]]; then
  CT=(docker)
else
  [[ $(id -u) -eq 0 ]] || die "podman mode runs rootful: run as root"
  ensure_cmds podman:podman runc:runc debootstrap:debootstrap
  # Podman's default ulimits include values some kernels/runc refuse;
  # an empty list keeps the host's.
  printf '[containers]\ndefault_ulimits = []\n' >"$TMP/containers.conf"
  export CONTAINERS_CONF=$TMP/containers.conf
  # runc and cgroupfs work on hosts where crun/systemd cgroups do not.
  CT=(podman --runtime runc --cgroup-manager cgroupfs)

  # No registry may be reachable: build the base image from the Debian
  # archive instead of pulling it, so `FROM debian:$SUITE` resolves.
  if ! "${CT[@]}" image exists "$BASE"; then
    mirror=$(debian_mirror)
    log "building base image $BASE with debootstrap from $mirror"
    t0=$SECONDS
    debootstrap --variant=minbase "$SUITE" "$TMP/rootfs" "$mirror" >"$TMP/debootstrap.log" 2>&1 \
      || { tail -n 20 "$TMP/debootstrap.log" >&2; die "debootstrap failed"; }
    umount_below "$TMP/rootfs"
    # Point updates at the same mirror, like the official image does.
    echo "deb $mirror $SUITE-updates main" >>"$TMP/rootfs/etc/apt/sources.list"
    rm -rf "$TMP"/rootfs/var/lib/apt/lists/* "$TMP"/rootfs/var/cache/apt/*.bin
    tar -C "$TMP/rootfs" -c . | "${CT[@]}" import \
      --change 'CMD ["bash"]' --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      - "$BASE" >/dev/null
    rm -rf --one-file-system "$TMP/rootfs"
    log "base image ready in $((SECONDS - t0)) s"
  fi
fi

# Hand the host's CAs to npm: networks that intercept TLS sign with a CA
# only the host trusts. A build secret, so it stays out of the image.
BUILD=(build "${NET[@]}" -t "$IMAGE" -f "$REPO/Dockerfile")
CA=${PYTRACE_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
[[ -s $CA ]] && BUILD+=(--secret "id=ca,src=$CA")
[[ $ENGINE == docker ]] && export DOCKER_BUILDKIT=1   # RUN --mount needs BuildKit

log "building $IMAGE with ${CT[0]}"
t0=$SECONDS
"${CT[@]}" "${BUILD[@]}" "$REPO"
log "image built in $((SECONDS - t0)) s"

RUN=(run --rm --privileged --pid=host "${NET[@]}")
[[ -t 0 && -t 1 ]] && RUN+=(-it)
# Interpreter roots record absolute paths (info.json): mount them unchanged.
CACHE=${PYTRACE_PYTHON_CACHE:-$REPO/.cache/pythons}
if [[ -d $CACHE ]]; then
  CACHE=$(cd "$CACHE" && pwd)
  RUN+=(-v "$CACHE:$CACHE" -e "PYTRACE_PYTHON_CACHE=$CACHE")
fi

set +e
"${CT[@]}" "${RUN[@]}" "$IMAGE" "$@"
rc=$?
set -e
log "container exited with $rc"
exit "$rc"

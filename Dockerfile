# Privileged test harness: builds pytrace and runs its test suite against
# the host kernel's BPF. Run it with the host's PID namespace and full
# privileges, e.g. (or just use scripts/container-test.sh):
#
#   docker build -t pytrace-test . && docker run --rm --privileged --pid=host pytrace-test
FROM debian:trixie

# Debian 13's nodejs is 20.x, as package.json's engines want (and the
# Chromium checks need). The suite runs on Debian's python3.11 with markers,
# which trixie no longer has: it comes from bookworm, pinned below trixie so
# that nothing else does.
RUN mirror=$(sed -n 's/^URIs: *//p; s/^deb \([^ ]*\) .*/\1/p' /etc/apt/sources.list.d/debian.sources \
      /etc/apt/sources.list 2>/dev/null | head -n1) \
 && echo "deb $mirror bookworm main" >/etc/apt/sources.list.d/bookworm.list \
 && printf 'Package: *\nPin: release n=bookworm\nPin-Priority: 100\n' >/etc/apt/preferences.d/bookworm

# Same list as scripts/setup.sh, kept in its own layer so that source edits
# do not reinstall packages.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates \
      clang llvm libbpf-dev libelf-dev zlib1g-dev pkg-config bpftool \
      make gcc g++ python3 nodejs npm \
      python3.11-minimal libpython3.11 libpython3.11-dev systemtap-sdt-dev \
      binutils bpftrace util-linux procps \
      chromium protobuf-compiler golang-go prometheus \
      debootstrap \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src

# Dependencies first, for the same reason: only a lockfile change refetches.
# Networks that intercept TLS need their CA: pass the host's bundle as the
# optional build secret "ca" (scripts/container-test.sh does), e.g.
#   docker build --secret id=ca,src=/etc/ssl/certs/ca-certificates.crt .
COPY package.json package-lock.json ./
RUN --mount=type=secret,id=ca,required=false \
    if [ -s /run/secrets/ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/ca; fi; \
    npm ci --ignore-scripts --no-audit --no-fund

# `npm install` runs the install script (node-gyp with Debian's headers:
# BPF skeleton + addon) and prepare (tsc).
COPY . .
RUN --mount=type=secret,id=ca,required=false \
    if [ -s /run/secrets/ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/ca; fi; \
    npm install --no-audit --no-fund

# uprobes and bpftrace look for tracefs/debugfs, which a privileged
# container does not mount by itself.
CMD ["sh", "-c", "mountpoint -q /sys/kernel/tracing || mount -t tracefs tracefs /sys/kernel/tracing; mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug; exec npm test"]

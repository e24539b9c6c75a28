# shellcheck shell=bash
# Helpers for scripts that install the package in a Debian root with npm.
# Source it; it defines functions only and changes no shell options.

# copy_host_node ROOT -- this machine's node and npm into ROOT/usr/local, for a
# root with Node alone. Fails when this node links distribution libraries
# (libnode, libuv, ...) that the root may lack: nodejs.org builds do not.
copy_host_node() {
  local root=$1 node_bin npm_dir
  node_bin=$(readlink -f "$(command -v node)")
  if ldd "$node_bin" | grep -qE 'libnode|libuv|libicu|libssl'; then
    log "this machine's node links distribution libraries; a nodejs.org build copies"
    return 1
  fi
  npm_dir=$(npm prefix -g)/lib/node_modules/npm
  mkdir -p "$root/usr/local/bin" "$root/usr/local/lib/node_modules"
  cp "$node_bin" "$root/usr/local/bin/node"
  rm -rf "$root/usr/local/lib/node_modules/npm"
  cp -r "$npm_dir" "$root/usr/local/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
}

# root_npm_env ROOT -- sets ROOT_ENV, the `env` command to run npm in ROOT
# with: a clean environment, this machine's registry, and its CA bundle when
# npm or Node has one (copied into ROOT), plus its resolv.conf.
root_npm_env() {
  local root=$1 ca
  ROOT_ENV=(env -i HOME=/root PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8
    npm_config_registry="$(npm config get registry)")
  ca=$(npm config get cafile)
  [[ -f $ca ]] || ca=${NODE_EXTRA_CA_CERTS:-}
  if [[ -f $ca ]]; then
    cp "$ca" "$root/etc/pytrace-test-ca.crt"
    ROOT_ENV+=(npm_config_cafile=/etc/pytrace-test-ca.crt NODE_EXTRA_CA_CERTS=/etc/pytrace-test-ca.crt)
  fi
  cp /etc/resolv.conf "$root/etc/resolv.conf"
}

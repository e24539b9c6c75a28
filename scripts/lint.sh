#!/usr/bin/env bash
# The project's standing checks, each the ecosystem's own tool: types (the
# tests included), typescript-eslint, prettier, clang-format for C++ and BPF C,
# and shellcheck. With --fix it rewrites what the formatters can.
set -euo pipefail
cd "$(dirname "$0")/.."

c_files() { git ls-files -- 'native/*.cc' 'native/*.h' 'native/*.c' 'bench/native/*.cc' 'bench/native/*.h' 'test/fixtures/*.c'; }
shell_files() { git ls-files -- '*.sh' .ci/run; }

if [[ ${1:-} == --fix ]]; then
  npx prettier --log-level warn --write .
  npx eslint --fix .
  c_files | xargs clang-format -i
  exit 0
fi

status=0
step() { echo "== $1"; shift; "$@" || status=1; }
step "tsc (library and tests)" npx tsc -p tsconfig.test.json
step "tsc (benchmark)" npx tsc -p bench --noEmit
step "eslint" npx eslint --max-warnings 0 .
step "prettier" npx prettier --log-level warn --check .
echo "== clang-format"
c_files | xargs clang-format --dry-run -Werror || status=1
echo "== shellcheck"
shell_files | xargs shellcheck || status=1
exit $status

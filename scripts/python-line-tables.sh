#!/usr/bin/env bash
# Regenerates test/fixtures/line-tables/3.X.json: for each CPython given, the
# line tables of sample_source.py's code objects and the line of every
# instruction offset as that interpreter computes it (generate.py).
#
#   scripts/python-line-tables.sh PYTHON... [ROOT:PYTHON...]
#
# PYTHON is an interpreter on this system; ROOT:PYTHON one inside a root
# directory (run with chroot), e.g. the roots of scripts/python-builds.sh.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
FIXTURES=$HERE/../test/fixtures/line-tables
(($#)) || { echo "usage: $0 PYTHON... [ROOT:PYTHON...]" >&2; exit 1; }
for py in "$@"; do
  if [[ $py == *:* ]]; then
    root=${py%%:*} inner=${py#*:}
    work=$root/tmp/pytrace-line-tables
    mkdir -p "$work"
    cp "$FIXTURES/generate.py" "$FIXTURES/sample_source.py" "$work/"
    chroot "$root" "$inner" /tmp/pytrace-line-tables/generate.py /tmp/pytrace-line-tables
    cp "$work"/3.*.json "$FIXTURES/"
    rm -rf "$work"
  else
    "$py" "$FIXTURES/generate.py"
  fi
done

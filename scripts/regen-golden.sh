#!/usr/bin/env bash
# Rewrites the golden copies tests/golden/<name>.c from the rows of
# tests/golden/MANIFEST with a built nngen, run from the source directory.
# After a change to what nngen writes: run this, review `git diff
# tests/golden`, commit the copies with the change.
# Usage: scripts/regen-golden.sh [NNGEN]   (default: build/compiler/nngen)
set -euo pipefail
cd "$(dirname "$0")/.."
nngen=${1:-build/compiler/nngen}
case "$nngen" in /*) ;; *) nngen=$PWD/$nngen ;; esac
[ -x "$nngen" ] || { echo "regen-golden.sh: no nngen at $nngen (build it first)" >&2; exit 1; }
n=0
while read -r name args; do
  case "$name" in ''|'#'*) continue ;; esac
  # to standard output, so that the header's command line is `nngen ARGS`
  # shellcheck disable=SC2086 # ARGS are words
  "$nngen" $args >"tests/golden/$name.c.tmp"
  mv "tests/golden/$name.c.tmp" "tests/golden/$name.c"
  n=$((n + 1))
done <tests/golden/MANIFEST
echo "regen-golden.sh: $n golden copies written (git diff --stat tests/golden)"

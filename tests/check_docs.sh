#!/usr/bin/env bash
# The documentation that goes stale when the programs change (tests/docs.cmake):
#   1. docs/man/*.1 render with `man --warnings -l` without a warning;
#   2. nngen.1 names every option `nngen --help` lists, nngen-trainer.1
#      every flag a trainer's --help lists;
#   3. docs/spec.md's --summary example is what nngen prints.
# Usage: tests/check_docs.sh SOURCE_DIR NNGEN TRAINER
# Without man-db it skips (exit 77), unless CI=true.
set -euo pipefail
src=$1 nngen=$2 trainer=$3
fail() { echo "check_docs: $*" >&2; exit 1; }

if ! command -v man >/dev/null; then
  [ "${CI:-}" = true ] && fail "no man (scripts/install-deps.sh installs man-db)"
  echo "check_docs: no man; skipped"
  exit 77
fi

# 1.
for page in "$src"/docs/man/*.1; do
  warn=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null) || fail "man -l $page failed: $warn"
  [ -z "$warn" ] || fail "$page: man --warnings: $warn"
done

# 2. The options are the lines of --help that start with "  -", up to two
# spaces; the page's text is its roff with \- and font changes undone.
options() { # PROG: the options its --help lists, one a line
  "$1" --help | sed -n 's/^  \(-[^ ].*\)/\1/p' | sed 's/   .*//' | grep -oE -- '--?[a-z][-a-z0-9]*' | sort -u
}
covers() { # PAGE PROG
  local text missing=""
  text=$(sed 's/\\-/-/g; s/\\f[BIRP]//g' "$1")
  for o in $(options "$2"); do
    grep -qE -- "(^|[^-a-z])$o([^-a-z0-9]|\$)" <<<"$text" || missing+=" $o"
  done
  [ -z "$missing" ] || fail "$(basename "$1") lacks$missing (listed by $(basename "$2") --help)"
}
covers "$src/docs/man/nngen.1" "$nngen"
covers "$src/docs/man/nngen-trainer.1" "$trainer"

# 3.
want=$(cd "$src" && "$nngen" --summary models/cat.spec)
have=$(sed -n '/^\$ nngen --summary models\/cat.spec$/,/^```$/p' "$src/docs/spec.md" | sed '1d;$d')
[ "$have" = "$want" ] || fail "docs/spec.md's --summary example is not what nngen prints:
$(diff <(echo "$have") <(echo "$want") || true)"

echo "check_docs: man pages render without warnings and cover --help; docs/spec.md's --summary is current"

#!/usr/bin/env bash
# tests/repro.sh -- reproducible builds (tests/repro.cmake): the CMake
# consumer tests/consumer, configured against this build tree in two build
# directories of different names and depths, generates byte-identical C
# files with nngen_add_model (nngen runs in the source directory; an
# absolute -o path is recorded as its base name) and links identical
# trainers; neither the C nor the binary holds a build directory's path.
# Usage: repro.sh SOURCE_DIR BUILD_DIR
set -u
src=$1 build=$2
fail() { echo "repro: $*" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/nng-repro-XXXXXX")
trap 'rm -rf "$work"' EXIT
one=$work/one/build two=$work/second-tree/deeper/b2
for b in "$one" "$two"; do
  cmake -S "$src/tests/consumer" -B "$b" -DCMAKE_BUILD_TYPE=Release -Dnngen_DIR="$build" \
    >"$work/log.txt" 2>&1 || fail "configure $b failed: $(tail -5 "$work/log.txt")"
  cmake --build "$b" --target xor >"$work/log.txt" 2>&1 ||
    fail "build $b failed: $(tail -5 "$work/log.txt")"
done
cmp "$one/xor.c" "$two/xor.c" || fail "xor.c differs between $one and $two:
$(diff "$one/xor.c" "$two/xor.c" | head -10)"
for b in "$one" "$two"; do
  for f in xor.c xor; do
    ! grep -q -a -F "$work" "$b/$f" || fail "$b/$f holds the path of a build directory ($work/...)"
  done
done
grep -q '^ \*   command: nngen --isa all --dtype float -o xor.c xor.spec$' "$one/xor.c" ||
  fail "xor.c: the command line is not the relative one: $(grep -m1 'command:' "$one/xor.c")"
cmp "$one/xor" "$two/xor" || fail "the xor trainers differ between $one and $two"
echo "repro: two build directories, the same xor.c and the same trainer"

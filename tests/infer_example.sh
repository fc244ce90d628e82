#!/bin/bash
# infer_example.sh -- docs/inference.md's example program, as the page has
# it (the C block after `<!-- example: xor_demo.c -->`), built with the
# inference file of a trained xor and run (ctest infer_example): four rows,
# the XOR of each, and the path.
#
#   infer_example.sh NNGEN XOR_TRAINER SOURCE_DIR WORKDIR
set -u
nngen=$1 xor=$2 src=$3 work=$4
fail() { echo "infer_example: $*" >&2; exit 1; }
rm -rf "$work" && mkdir -p "$work" && cd "$work" || fail "cannot make $work"
awk '/<!-- example: xor_demo.c -->/ {on = 1; next} on && /^```c/ {inside = 1; next}
     inside && /^```/ {exit} inside {print}' "$src/docs/inference.md" >xor_demo.c
[ "$(wc -l <xor_demo.c)" -ge 10 ] || fail "no example in docs/inference.md"
"$xor" --train "$src/data/xor.csv" --save xor.nngw --quiet >/dev/null || fail "training xor failed"
"$nngen" --inference --weights xor.nngw "$src/models/xor.spec" -o xor_infer.c || fail "nngen failed"
for cc in gcc clang; do
    command -v $cc >/dev/null || continue
    $cc -std=c11 -O2 -Wall -Wextra -Wpedantic -Werror xor_demo.c -o xor_demo || fail "$cc: the example does not build"
    ./xor_demo >out.txt || fail "the example failed"
    cat out.txt
    for row in "0 xor 0: .* -> 0" "0 xor 1: .* -> 1" "1 xor 0: .* -> 1" "1 xor 1: .* -> 0" "^path: (avx512|avx2|neon|scalar)$"; do
        grep -q -E "$row" out.txt || fail "no line '$row' in its output"
    done
done
echo ok

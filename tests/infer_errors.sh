#!/bin/bash
# infer_errors.sh -- nngen --inference's bad inputs (ctest infer_errors):
# each gets one line on stderr naming the flag or file and the problem, a
# non-zero exit (2 usage, 1 file), nothing on stdout, and leaves an
# existing -o file as it was.
#
#   infer_errors.sh NNGEN GC_SIG_TRAINER TESTS_DIR WORKDIR
set -u
nngen=$1 trainer=$2 tests=$3 work=$4
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
spec=$tests/specs_emit/gc_sig.spec other=$tests/../models/xor.spec
awk 'BEGIN {srand(5); for (i = 0; i < 16; i++) {s = ""; for (j = 0; j < 7; j++) s = s sprintf("%.4f,", rand()); print s (rand() < 0.5)}}' >train.csv
"$trainer" --train train.csv --iterations 2 --quiet --save w.nngw >/dev/null || { echo "training failed"; exit 1; }
printf 'NNGWxxxx' >bad.nngw
bad=0
# case: expected exit, expected text in the line, then the arguments
check() {
    want=$1 text=$2
    shift 2
    echo old >out.c
    "$nngen" -o out.c "$@" >stdout.txt 2>stderr.txt
    rc=$?
    lines=$(wc -l <stderr.txt)
    if [ $rc -ne "$want" ] || [ "$lines" -ne 1 ] || ! grep -q -F -- "$text" stderr.txt ||
       [ -s stdout.txt ] || [ "$(cat out.c)" != old ] || ls out.c.tmp* >/dev/null 2>&1; then
        echo "FAIL: nngen $* -> exit $rc (want $want), $lines line(s): $(cat stderr.txt)"
        bad=1
    else
        echo "ok: exit $rc: $(cat stderr.txt)"
    fi
}
check 2 "--inference needs --weights FILE" --inference "$spec"
# a spec that writes the weights of only its first layer: no --weights, no file
sed '/^dense 1 step/,/^bias -0.7/{/^weights\|^bias/d}' "$tests/../models/gate_xor.spec" >half.spec
check 2 "the spec writes the weights of only some layers" --inference half.spec
check 2 "--weights is for --inference" --weights w.nngw "$spec"
check 2 "--dtype double is not supported" --inference --weights w.nngw --dtype double --isa scalar "$spec"
check 2 "--inference cannot be combined with --summary" --inference --weights w.nngw --summary "$spec"
check 2 "--weights: missing FILE" --inference "$spec" --weights
check 1 "missing.nngw: No such file or directory" --inference --weights missing.nngw "$spec"
check 1 "w.nngw: weights are for model 'gc_sig'" --inference --weights w.nngw "$other"
check 1 "bad.nngw:" --inference --weights bad.nngw "$spec"
check 1 "$spec: not an nngen weights file" --inference --weights "$spec" "$spec"
# and the good case writes the file
"$nngen" --inference --weights w.nngw "$spec" -o out.c && grep -q "gc_sig_predict" out.c || { echo "FAIL: the good case"; bad=1; }
# a spec that writes every layer's weights needs no --weights: gate_xor's
# inference file gives XOR's truth table
"$nngen" --inference "$tests/../models/gate_xor.spec" -o gx.c || { echo "FAIL: gate_xor --inference"; bad=1; }
cat >gx_main.c <<'EOF2'
#include <stdio.h>
#include "gx.c"
int main(void)
{
    const float x[4][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
    float y[4];
    gate_xor_predict(&x[0][0], 4, y);
    for (int i = 0; i < 4; i++)
        printf("%g\n", (double)y[i]);
    return 0;
}
EOF2
if cc -std=c11 -Wall -Wextra -Wpedantic -Werror -O2 gx_main.c -o gx_main && [ "$(./gx_main | tr '\n' ' ')" = "0 1 1 0 " ]; then
    echo "ok: gate_xor's weights from the spec: 0 1 1 0"
else
    echo "FAIL: gate_xor's inference file from the spec's weights: $(./gx_main 2>&1 | tr '\n' ' ')"
    bad=1
fi
exit $bad

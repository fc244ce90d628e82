#!/bin/sh
# tests/parity.sh -- the course's numbers from nngen (ctest parity_cat, parity_cat2;
# tests/parity.cmake).
#
#   parity.sh DOUBLE_TRAINER FLOAT_TRAINER DATA_DIR FIXTURE INIT ITERATIONS
#
# Trains the double-precision trainer (nngen --dtype double) and the float
# one on DATA_DIR/cat/{train,test}_catvnoncat.h5 from the notebook's initial
# weights (--init INIT --seed 1) for ITERATIONS full-batch steps, logging
# every 10, and checks:
#   - double: the cost at 0, 100, 200, ... equal to FIXTURE's (the float64
#     numpy run of scripts/course_parity.py) to 1e-7 relative, and (a whole
#     run) its train and test accuracy;
#   - float: the cost at 0, 10, ..., 250 equal to the double run's to 1e-5
#     relative (5 digits), and (a whole run) the same accuracies.
# Prints the largest differences found.  Exit 0, or 1 with one line per
# failure.
set -eu
D=$1 F=$2 DATA=$3/cat FIX=$4 INIT=$5 N=$6
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
run() { # trainer, log
    "$1" --train "$DATA/train_catvnoncat.h5" --test "$DATA/test_catvnoncat.h5" --init "$INIT" \
        --seed 1 --iterations "$N" --eval-every 10 --log "$2" --quiet > "$T/out" 2>&1 || {
        cat "$T/out"
        echo "parity.sh: $1 failed"
        exit 1
    }
}
if [ "$N" -lt 2500 ]; then
    echo "parity.sh: SHORT RUN: $N of the course's 2500 iterations (sanitizer build);" \
         "costs compared at the iterations below $N, accuracies not compared"
fi
run "$D" "$T/d.csv"
run "$F" "$T/f.csv"
# The log: step,epoch,train_loss,train_acc,test_loss,test_acc,seconds
awk -F'[ ,]' -v n="$N" -v fix="$FIX" -v dlog="$T/d.csv" -v flog="$T/f.csv" '
function rel(a, b) { d = a - b; if (d < 0) d = -d; return d / (b < 0 ? -b : b) }
FILENAME == fix && $1 == "cost" { cost[$2] = $3; next }
FILENAME == fix && $1 == "train_accuracy" { tracc = $2; next }
FILENAME == fix && $1 == "test_accuracy" { teacc = $2; next }
FILENAME == dlog && FNR > 1 { dl[$1] = $3; dtr[$1] = $4; dte[$1] = $6; next }
FILENAME == flog && FNR > 1 { fl[$1] = $3; ftr[$1] = $4; fte[$1] = $6; next }
END {
    bad = 0; md = 0; mf = 0; k = 0
    for (i = 0; i < n && i <= 2400; i += 100) {
        if (!(i in cost) || !(i in dl)) { print "parity.sh: no cost at iteration " i; bad++; continue }
        r = rel(dl[i], cost[i]); if (r > md) md = r; k++
        if (r > 1e-7) { printf "parity.sh: double, iteration %d: cost %.10g, numpy %.10g\n", i, dl[i], cost[i]; bad++ }
    }
    for (i = 0; i <= 250 && i <= n; i += 10) {
        if (!(i in fl) || !(i in dl)) { print "parity.sh: no float or double cost at step " i; bad++; continue }
        r = rel(fl[i], dl[i]); if (r > mf) mf = r
        if (r > 1e-5) { printf "parity.sh: float, step %d: cost %.9g, double %.10g\n", i, fl[i], dl[i]; bad++ }
    }
    printf "parity.sh: double: %d costs, largest relative difference from numpy %.3g\n", k, md
    printf "parity.sh: float: steps 0..250, largest relative difference from double %.3g\n", mf
    if (n == 2500) {
        printf "parity.sh: accuracies: numpy %.4f / %.4f, double %.4f / %.4f, float %.4f / %.4f\n", tracc, teacc, dtr[n], dte[n], ftr[n], fte[n]
        if (sprintf("%.4f %.4f", dtr[n], dte[n]) != sprintf("%.4f %.4f", tracc, teacc)) { print "parity.sh: double accuracies differ"; bad++ }
        if (sprintf("%.4f %.4f", ftr[n], fte[n]) != sprintf("%.4f %.4f", tracc, teacc)) { print "parity.sh: float accuracies differ"; bad++ }
    }
    exit bad > 0
}' "$FIX" "$T/d.csv" "$T/f.csv"

#!/bin/bash
# infer.sh -- the inference-only file of one spec against its trainer
# (ctest infer_<name>, tests/infer.cmake; docs/inference.md):
#
#   infer.sh NNGEN TRAINER SPEC DRIVER_C WORKDIR [math]
#
# 1. trains TRAINER 3 steps on synthetic CSV data (features in [-1, 1],
#    labels of the spec's loss; 0/1 for bce and perceptron) and saves the weights, as .npz when the
#    spec's name has an even length, else as nngen's own format (both
#    readers are exercised);
# 2. X.csv: 150 rows (37 for inputs wider than 1000), predicted in one
#    net_predict call (chunks of NAME_CH rows and a partial one; each row
#    alone gives the same bits) and by --predict in the trainer's chunks;
# 3. nngen --inference --weights W --name net, compiled with gcc and clang
#    (-std=c11 -ffp-contract=off -Wall -Wextra -Wpedantic -Werror) into tests/infer_driver.c,
#    and with -ffreestanding -fno-builtin: its object may need nothing but
#    libgcc's CPU-model symbols (and the linker's GOT); with
#    aarch64-linux-gnu-gcc too where it is installed (the NEON path); the
#    last two not for inputs wider than 1000 (what they check does not
#    depend on the size, and 12288-wide arrays take long to compile);
# 4. on every path (scalar forced, avx2, avx512, neon): each output equals
#    that of TRAINER --isa ISA --load W --predict X.csv (the same kernels:
#    the activations differ) to 1e-6 relative: |a - b| <= 1e-6 max(|a|, |b|)
#    + 1e-37 for the probabilities of bce and cce; for mse's outputs,
#    max(|a|, |b|) is at least the row's largest |output| (an output that
#    cancels to near 0 in its last dot product amplifies a 1-ulp difference
#    of a hidden activation: docs/inference.md); a path the CPU lacks is
#    skipped with one line, having been compiled;
# 5. with `math`: the activations against libm (infer_driver math).
set -u
nngen=$1 trainer=$2 spec=$3 driver=$4 work=$5 math=${6:-}
fail() { echo "infer.sh: $(basename "$spec"): $*" >&2; exit 1; }
rm -rf "$work" && mkdir -p "$work" && cd "$work" || fail "cannot make $work"

# the shape: n_in and the loss from --summary's first line, n_out from its last layer row
summary=$("$nngen" --summary "$spec") || fail "nngen --summary failed"
nin=$(sed -n '1s/.* = \([0-9]*\) features.*/\1/p' <<<"$summary")
loss=$(sed -n '1s/.*loss \([a-z]*\)$/\1/p' <<<"$summary")
nout=$(awk '$1 ~ /^[0-9]+$/ {o = $4} END {print o}' <<<"$summary")
name=$(sed -n '1s/^model \([A-Za-z0-9_]*\) .*/\1/p' <<<"$summary")
[ -n "$nin" ] && [ -n "$loss" ] && [ -n "$nout" ] && [ -n "$name" ] || fail "cannot read the shape"
gen() { # rows seed labels
    awk -v rows="$1" -v seed="$2" -v labels="$3" -v nin="$nin" -v nout="$nout" -v loss="$loss" 'BEGIN {
        srand(seed)
        for (i = 0; i < rows; i++) {
            s = ""
            for (j = 0; j < nin; j++) s = s (j ? "," : "") sprintf("%.6f", rand() * 2 - 1)
            if (labels) {
                k = loss == "cce" ? 1 : nout
                for (c = 0; c < k; c++)
                    s = s "," (loss == "cce" ? int(rand() * nout) : (loss == "bce" || loss == "perceptron") ? (rand() < 0.5) : sprintf("%.4f", rand()))
            }
            print s
        }
    }'
}
rows=150
[ "$nin" -gt 1000 ] && rows=37
gen 64 1 1 >train.csv
gen "$rows" 2 0 >x.csv
w=w.nngw
[ $(( ${#name} % 2 )) -eq 0 ] && w=w.npz
"$trainer" --train train.csv --iterations 3 --quiet --save "$w" >/dev/null || fail "training failed"
"$nngen" --inference --weights "$w" --name net "$spec" -o net.c || fail "nngen --inference failed"

ccs=""
for cc in gcc clang; do command -v $cc >/dev/null && ccs="$ccs $cc"; done
[ -n "$ccs" ] || fail "no gcc or clang"
defs=(-DINFER_FILE='"net.c"')
[ -n "$math" ] && defs+=(-DINFER_MATH)
for cc in $ccs; do
    $cc -std=c11 -O2 -ffp-contract=off -Wall -Wextra -Wpedantic -Werror -I. "${defs[@]}" "$driver" -o "drv_$cc" -lm \
        || fail "$cc: the driver around net.c does not compile warning-free"
    [ "$nin" -gt 1000 ] && continue # the wide inputs: compiled once per compiler (their arrays are long)
    $cc -std=c11 -O2 -ffp-contract=off -Wall -Wextra -Wpedantic -Werror -ffreestanding -fno-builtin -c net.c -o "net_$cc.o" \
        || fail "$cc -ffreestanding: net.c does not compile warning-free"
    extra=$(nm -u "net_$cc.o" | awk '{print $2}' | grep -v -x -E '__cpu_model|__cpu_indicator_init|_GLOBAL_OFFSET_TABLE_')
    [ -z "$extra" ] || fail "$cc -ffreestanding: net.c needs $(echo $extra)"
done
# the NEON path, which no x86-64 compiler sees: with the aarch64 cross compiler if there is one
if [ "$nin" -le 1000 ] && command -v aarch64-linux-gnu-gcc >/dev/null; then
    aarch64-linux-gnu-gcc -std=c11 -O2 -ffp-contract=off -Wall -Wextra -Wpedantic -Werror -c net.c -o net_a64.o \
        || fail "aarch64-linux-gnu-gcc: net.c (the NEON path) does not compile warning-free"
    ccs_note=" and aarch64-linux-gnu-gcc (neon)"
fi
echo "$(basename "$spec"): n_in $nin, n_out $nout, loss $loss, $rows rows, weights $w; compiled with$ccs${ccs_note:-}$([ "$nin" -le 1000 ] && echo " (and -ffreestanding: no undefined symbol but libgcc's CPU model)")"

ran=0
for isa in scalar avx2 avx512 neon; do
    for cc in $ccs; do
        ./"drv_$cc" predict $isa x.csv >"out_$isa.csv"
        rc=$?
        if [ $rc -eq 77 ]; then
            head -1 "out_$isa.csv"
            break
        fi
        [ $rc -eq 0 ] || fail "$cc: infer_driver predict $isa failed ($rc)"
        [ -f "ref_$isa.csv" ] || "$trainer" --isa $isa --load "$w" --predict x.csv --out "ref_$isa.csv" ||
            fail "--isa $isa --predict failed"
        awk -F, -v n="$nout" -v isa="$isa" -v cc="$cc" -v loss="$loss" '
            function abs(v) { return v < 0 ? -v : v }
            NR == FNR {for (j = 1; j <= n; j++) ref[FNR, j] = $j; nr = FNR; next}
            {
                rmax = 0
                for (j = 1; j <= n; j++) if (abs(ref[FNR, j]) > rmax) rmax = abs(ref[FNR, j])
                for (j = 1; j <= n; j++) {
                    a = ref[FNR, j] + 0; b = $j + 0; d = abs(a - b)
                    m = abs(a) > abs(b) ? abs(a) : abs(b)
                    if (d / (m + 1e-37) > worst) worst = d / (m + 1e-37)
                    if (d / (rmax + 1e-37) > nworst) nworst = d / (rmax + 1e-37)
                    s = loss == "mse" && rmax > m ? rmax : m
                    if (d > 1e-6 * s + 1e-37) { printf "row %d output %d: --predict %s, inference %s (%s, %s)\n", FNR, j, ref[FNR, j], $j, isa, cc; bad = 1 }
                }
                rows = FNR
            }
            END {
                if (rows != nr) { printf "%d rows, --predict wrote %d\n", rows, nr; bad = 1 }
                printf "  %-7s %-6s %d rows x %d outputs: largest relative difference %.3g, relative to the row'"'"'s largest output %.3g\n", isa, cc, rows, n, worst, nworst
                exit bad
            }' "ref_$isa.csv" "out_$isa.csv" || fail "the outputs differ from --predict's on $isa ($cc)"
        ran=$((ran + 1))
        if [ -n "$math" ]; then
            ./"drv_$cc" math $isa || fail "$cc: the $isa activations are off libm"
        fi
    done
done
[ $ran -gt 0 ] || fail "no path ran"
echo "ok"

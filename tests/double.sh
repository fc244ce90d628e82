#!/bin/sh
# tests/double.sh -- the double-precision trainer beside the float one
# (ctest double_trainer; tests/double.cmake, docs/double.md).
#
#   double.sh XOR_DOUBLE XOR_FLOAT XOR_CSV LIBNNRT NM
#
# - the double trainer trains, saves NNGW (version 3) and .npz (float64),
#   and predicts with %.17g;
# - NNGW across precisions is refused in one line (exit 1), both ways;
# - .npz converts both ways: float32 arrays into the double model, float64
#   into the float one, and the predictions agree to float precision;
# - a gzip'd IDX file trains the weights the plain one does, in both
#   precisions, on 1 and 2 threads (the in-place conversion);
# - --info says dtype double and the scalar path;
# - every object of libnnrt's double build exports only _d names.
set -u
D=$1 F=$2 CSV=$3 LIB=$4 NM=$5
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
bad=0
fail() { echo "double.sh: $*"; bad=1; }

"$D" --train "$CSV" --save "$T/d.nngw" --quiet > /dev/null 2>&1 || fail "double training failed"
"$D" --train "$CSV" --save "$T/d.npz" --quiet > /dev/null 2>&1 || fail "double: --save d.npz failed"
"$F" --train "$CSV" --save "$T/f.nngw" --quiet > /dev/null 2>&1 || fail "float training failed"
"$F" --train "$CSV" --save "$T/f.npz" --quiet > /dev/null 2>&1 || fail "float: --save f.npz failed"
head -c 8 "$T/d.nngw" | od -An -tx1 | grep -q '4e 4e 47 57 03 00 00 00' ||
    fail "d.nngw is not NNGW version 3"
head -c 8 "$T/f.nngw" | od -An -tx1 | grep -q '4e 4e 47 57 02 00 00 00' ||
    fail "f.nngw is not NNGW version 2"

# NNGW across precisions: one line, exit 1
for pair in "$F d.nngw float64" "$D f.nngw float32"; do
    set -- $pair
    "$1" --load "$T/$2" --predict "$CSV" > "$T/out" 2> "$T/err"
    rc=$?
    [ "$rc" = 1 ] || fail "$2 into the other precision: exit $rc, expected 1"
    [ "$(wc -l < "$T/err")" = 1 ] || fail "$2 into the other precision: not one line: $(cat "$T/err")"
    grep -q "$2: $3 weights, and model 'xor' is" "$T/err" ||
        fail "$2 into the other precision: unexpected message: $(cat "$T/err")"
done

# .npz converts: the double model's float64 weights into the float trainer and back
"$D" --load "$T/d.npz" --predict "$CSV" --out "$T/pd" 2> "$T/err" || fail "d.npz into double: $(cat "$T/err")"
"$F" --load "$T/d.npz" --predict "$CSV" --out "$T/pf" 2> "$T/err" || fail "d.npz into float: $(cat "$T/err")"
"$D" --load "$T/f.npz" --predict "$CSV" --out "$T/pfd" 2> "$T/err" || fail "f.npz into double: $(cat "$T/err")"
"$F" --load "$T/f.npz" --predict "$CSV" --out "$T/pff" 2> "$T/err" || fail "f.npz into float: $(cat "$T/err")"
# double predictions carry 17 digits; float ones 9; the same model agrees to float precision
awk -F, 'NR == FNR { d[FNR] = $1; n = FNR; next }
         { r = $1 - d[FNR]; if (r < 0) r = -r; if (r > 1e-6) { print "double.sh: sample " FNR ": double " d[FNR] ", float " $1; bad = 1 } }
         END { if (n != FNR || n == 0) { print "double.sh: " n " and " FNR " predictions"; bad = 1 } exit bad }' "$T/pd" "$T/pf" || bad=1
awk -F, 'NR == FNR { d[FNR] = $1; next }
         { r = $1 - d[FNR]; if (r < 0) r = -r; if (r > 1e-6) { print "double.sh: f.npz sample " FNR ": double " d[FNR] ", float " $1; bad = 1 } }
         END { exit bad }' "$T/pfd" "$T/pff" || bad=1
head -n 1 "$T/pd" | grep -Eq '^[0-9.e-]{15,}' || fail "double --predict prints few digits: $(head -n 1 "$T/pd")"

# A gzip'd IDX file is inflated into the tail of the float array and turned
# into reals in place (runtime/nnrt_idx.c): for doubles, bytes at 7/8 of the
# array.  Trained from it, both precisions give the weights the plain file
# gives, on 1 and 2 threads.  400 samples of 2 pixels, XOR-like labels.
m=400
{
    printf '\000\000\010\002\000\000\001\220\000\000\000\002'
    i=0
    while [ $i -lt $m ]; do
        printf "\\$(printf '%03o' $(( (i * 37) % 256 )))\\$(printf '%03o' $(( (i * 91 + 7) % 256 )))"
        i=$((i + 1))
    done
} > "$T/g-images-idx2-ubyte"
{
    printf '\000\000\010\001\000\000\001\220'
    i=0
    while [ $i -lt $m ]; do
        printf "\\$(( ((i * 37) % 256 >= 128) != ((i * 91 + 7) % 256 >= 128) ))"
        i=$((i + 1))
    done
} > "$T/g-labels-idx1-ubyte"
[ "$(wc -c < "$T/g-images-idx2-ubyte")" = 812 ] || fail "the test's IDX images are not 812 bytes"
gzip -c "$T/g-images-idx2-ubyte" > "$T/g-images-idx2-ubyte.gz"
for prog in "$D" "$F"; do
    for th in 1 2; do
        "$prog" --train "$T/g-images-idx2-ubyte" --epochs 3 --threads $th --save "$T/plain.nngw" \
            --quiet > /dev/null 2> "$T/err" || fail "$prog on plain IDX: $(cat "$T/err")"
        "$prog" --train "$T/g-images-idx2-ubyte.gz" --epochs 3 --threads $th --save "$T/gz.nngw" \
            --quiet > /dev/null 2> "$T/err" || fail "$prog on gzip'd IDX: $(cat "$T/err")"
        cmp -s "$T/plain.nngw" "$T/gz.nngw" ||
            fail "$prog, --threads $th: the gzip'd IDX file trains other weights than the plain one"
    done
done

"$D" --info > "$T/info" || fail "--info failed"
grep -q '^dtype double' "$T/info" || fail "--info has no 'dtype double' line"
grep -q '^isa scalar' "$T/info" || fail "--info: not the scalar path"

# The double build's objects: only _d names (nnrt_real.h's list is complete)
"$NM" -g --defined-only "$LIB" > "$T/nm" || fail "$NM $LIB failed"
awk '/^$/ { next } /:$/ { obj = $0; next } NF == 3 && obj ~ /_d\.c\.o:$/ && $3 !~ /_d$/ { print "double.sh: " obj " exports " $3; bad = 1 } END { exit bad }' "$T/nm" || bad=1
grep -q '_d\.c\.o:$' "$T/nm" || fail "no double objects in $LIB"
grep -q ' T nnrt_main_d$' "$T/nm" || fail "no nnrt_main_d in $LIB"
[ "$bad" = 0 ] && echo "double.sh: all checks passed"
exit "$bad"

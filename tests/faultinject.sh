#!/usr/bin/env bash
# tests/faultinject.sh -- every output file of nngen and of a trainer under
# injected failures and signals (docs/limits.md, "What a save guarantees"):
#
#   1. the fault matrix: each write path (--save, --save *.npz, --out, --log,
#      --plot, nngen -o)
#      with open, write, fsync, close and rename failing with ENOSPC, EIO and
#      EACCES: exit 1, one line naming the file and the reason, the old
#      file intact, no temporary left;
#   2. SIGKILL at 100 moments of a 2.8 MB save (every write, the fsync, the
#      close, the rename): the weights file is always the old one, whole;
#      the temporaries those kills leave are harmless to the next save;
#   3. SIGTERM, SIGINT and SIGHUP inside a save (and inside nngen -o): the
#      process dies of the signal, the temporary is removed, the old file
#      is intact (or, during the rename, the new one is whole);
#   4. outputs that are no regular file: /dev/null and a FIFO are written in
#      place and stay what they are; /dev/full fails with one line;
#      nngen -o /dev/stdout writes standard output; an output that is an
#      input (or the labels file an IDX input's name implies) is refused;
#      endless inputs from a FIFO end with one line.
#
# The faults come from faultinject.c, an LD_PRELOAD shim (NNG_FAULT).
# Usage: faultinject.sh SHIM NNGEN XOR_TRAINER FASHION_TRAINER XOR_SPEC
# Prints "N passed, M failed"; exit 1 if any check failed.
set -u
shim=$1 nngen=$2 xor=$3 big=$4 spec=$5
work=$(mktemp -d "${TMPDIR:-/tmp}/nng-fault-XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
# A sanitizer build: the shim (built without one) is loaded before its runtime.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"

pass=0 fail=0
check() { # description condition...
    local what=$1
    shift
    if "$@"; then pass=$((pass + 1)); else
        fail=$((fail + 1))
        echo "FAIL: $what" >&2
    fi
}
no_temps() { ! compgen -G "$work/*.tmp.*" >/dev/null; }
lines() { [ "$(wc -l <"$1")" -eq "$2" ]; }

# Runs "$@" with NNG_FAULT=$fault and the shim; status in $st, stderr in err.txt.
faulty() {
    local fault=$1
    shift
    NNG_FAULT=$fault LD_PRELOAD=$shim "$@" >out.txt 2>err.txt
    st=$?
}

# ---- fixtures ------------------------------------------------------------
printf 'x1,x2,xor\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n' >xor.csv
"$xor" --train xor.csv --epochs 2 --quiet --save old.nngw --log old.log >/dev/null || exit 1
"$xor" --load old.nngw --predict xor.csv --out old.out || exit 1
"$xor" --train xor.csv --epochs 2 --quiet --save old.npz >/dev/null || exit 1
"$xor" --train xor.csv --epochs 2 --quiet --plot old.svg >/dev/null || exit 1
"$nngen" "$spec" -o old.c || exit 1
awk 'BEGIN { srand(7); for (i = 0; i < 4; i++) { s = "";
       for (j = 0; j < 784; j++) s = s sprintf("%.3f,", rand()); print s (i % 10) } }' >f.csv
"$big" --train f.csv --batch full --iterations 1 --quiet --save big_old.nngw >/dev/null || exit 1
"$big" --train f.csv --batch full --iterations 1 --seed 2 --quiet --save big_new.nngw \
    >/dev/null || exit 1

# ---- 1. the fault matrix -------------------------------------------------
declare -A reason=([ENOSPC]="No space left on device" [EIO]="Input/output error"
                   [EACCES]="Permission denied")
matrix_case() { # path prog old-file output call errno -- command (writing the output)
    local name=$1 prog=$2 old=$3 out=$4 call=$5 errno=$6
    shift 7
    cp "$old" "$out"
    faulty "$call:1:$errno" "$@"
    local r=${reason[$errno]} want
    case $call in
        open) want="$prog: $out: cannot create a temporary file beside it: $r" ;;
        rename) want="$prog: $out: cannot replace it: $r (file left unchanged)" ;;
        *) want="$prog: $out: write failed: $r (file left unchanged)" ;;
    esac
    local what="$name, $call fails with $errno"
    check "$what: exit 1 (got $st)" [ "$st" -eq 1 ]
    check "$what: the one line '$want' (got '$(cat err.txt)')" \
        [ "$(cat err.txt)" = "$want" ]
    check "$what: the old file intact" cmp -s "$out" "$old"
    check "$what: no temporary left" no_temps
    printf '%-11s %-6s %-6s exit %s  %s\n' "$name" "$call" "$errno" "$st" "$(cat err.txt)" \
        >>matrix.txt
}
for call in open write fsync close rename; do
    for errno in ENOSPC EIO EACCES; do
        matrix_case --save xor old.nngw T "$call" "$errno" -- \
            "$xor" --train xor.csv --epochs 1 --quiet --save T
        matrix_case "--save .npz" xor old.npz T.npz "$call" "$errno" -- \
            "$xor" --train xor.csv --epochs 1 --quiet --save T.npz
        matrix_case --out xor old.out T "$call" "$errno" -- \
            "$xor" --load old.nngw --predict xor.csv --out T
        matrix_case --log xor old.log T "$call" "$errno" -- \
            "$xor" --train xor.csv --epochs 1 --quiet --log T
        matrix_case --plot xor old.svg T "$call" "$errno" -- \
            "$xor" --train xor.csv --epochs 1 --quiet --plot T
        matrix_case "nngen -o" nngen old.c T "$call" "$errno" -- "$nngen" "$spec" -o T
    done
done
cat matrix.txt
# EINTR is no failure: the write is tried again.
cp old.nngw T
faulty write:1:EINTR "$xor" --train xor.csv --epochs 1 --quiet --save T
check "write interrupted (EINTR): retried, saved" [ "$st" -eq 0 ]
check "write interrupted (EINTR): a loadable file" "$xor" --load T --predict xor.csv --out /dev/null

# ---- 2. SIGKILL at 100 moments of a save --------------------------------
save_big() { "$big" --train f.csv --batch full --iterations 1 --seed 2 --quiet --save W; }
rm -f calls.txt
cp big_old.nngw W
NNG_FAULT_LOG=$work/calls.txt LD_PRELOAD=$shim save_big >/dev/null 2>&1
nwrites=$(grep -c '^write' calls.txt)
check "the big save writes in pieces ($nwrites writes)" [ "$nwrites" -ge 20 ]
check "the big save is the reference" cmp -s W big_new.nngw
RANDOM=14
for i in $(seq 1 100); do
    k=$((RANDOM % (nwrites + 3)))
    if [ "$k" -lt "$nwrites" ]; then at=write:$((k + 1)):SIGKILL
    elif [ "$k" -eq "$nwrites" ]; then at=fsync:1:SIGKILL
    elif [ "$k" -eq $((nwrites + 1)) ]; then at=close:1:SIGKILL
    else at=rename:1:SIGKILL; fi
    cp big_old.nngw W
    (NNG_FAULT=$at LD_PRELOAD=$shim save_big >/dev/null 2>&1)
    st=$?
    check "SIGKILL at $at: killed (status $st)" [ "$st" -eq 137 ]
    check "SIGKILL at $at: the old weights, whole" cmp -s W big_old.nngw
done
stale=$(compgen -G "$work/W.tmp.*" | wc -l)
check "the kills left their temporaries ($stale)" [ "$stale" -ge 1 ]
save_big >/dev/null 2>&1
check "a save beside $stale stale temporaries: exit 0" [ $? -eq 0 ]
check "a save beside stale temporaries: the new weights" cmp -s W big_new.nngw
check "the stale temporaries are left alone" [ "$(compgen -G "$work/W.tmp.*" | wc -l)" -eq "$stale" ]
rm -f W.tmp.*

# ---- 3. SIGTERM, SIGINT, SIGHUP inside a save ----------------------------
declare -A signo=([SIGTERM]=15 [SIGINT]=2 [SIGHUP]=1)
for sig in SIGTERM SIGINT SIGHUP; do
    for at in write:1 write:$((nwrites / 2)) write:$nwrites fsync:1 close:1 rename:1; do
        cp big_old.nngw W
        (NNG_FAULT=$at:$sig LD_PRELOAD=$shim save_big >/dev/null 2>err.txt)
        st=$?
        what="$sig at $at of a save"
        check "$what: died of it (status $st)" [ "$st" -eq $((128 + ${signo[$sig]})) ]
        check "$what: no temporary left" no_temps
        if [ "${at%%:*}" = rename ]; then # blocked during the rename: the new file is in
            check "$what: the new weights, whole" cmp -s W big_new.nngw
        else
            check "$what: the old weights intact" cmp -s W big_old.nngw
        fi
    done
    cp old.c T
    (NNG_FAULT=write:1:$sig LD_PRELOAD=$shim "$nngen" "$spec" -o T 2>/dev/null)
    st=$?
    check "$sig inside nngen -o: died of it (status $st)" [ "$st" -eq $((128 + ${signo[$sig]})) ]
    check "$sig inside nngen -o: no temporary, old file intact" \
        bash -c "cmp -s T old.c && ! compgen -G '$work/*.tmp.*' >/dev/null"
done

# ---- 4. outputs that are no regular file, outputs that are inputs -------
# The devices are reached through links of our own: were they ever replaced
# (the bug this guards against), only the links would be.
ln -s /dev/null null
ln -s /dev/full full
ln -s /dev/stdout stdout
"$xor" --load old.nngw --predict xor.csv --out null 2>err.txt
check "--out /dev/null: exit 0, the link still leads to a device" \
    bash -c "[ $? -eq 0 ] && [ -L null ] && [ -c null ]"
"$xor" --train xor.csv --epochs 1 --quiet --save null --log null >/dev/null
check "--save/--log /dev/null: exit 0, still a device" bash -c "[ $? -eq 0 ] && [ -L null ] && [ -c null ]"
if [ -c /dev/full ] && [ -w /dev/full ]; then
    "$xor" --load old.nngw --predict xor.csv --out full 2>err.txt
    st=$?
    check "--out /dev/full: exit 1" [ "$st" -eq 1 ]
    check "--out /dev/full: one line" [ "$(cat err.txt)" = \
        "xor: full: write failed: No space left on device" ]
    check "/dev/full stays a device" bash -c "[ -L full ] && [ -c full ]"
fi
mkfifo pipe
cat pipe >got.txt &
"$xor" --load old.nngw --predict xor.csv --out pipe
st=$?
wait
check "--out FIFO: exit 0" [ "$st" -eq 0 ]
check "--out FIFO: the predictions went through it" cmp -s got.txt old.out
check "--out FIFO: still a FIFO, no temporary" bash -c "[ -p pipe ] && ! compgen -G 'pipe.tmp.*'"
# (the generated header names the command: -o stdout there, -o old.c here)
"$nngen" "$spec" -o stdout | sed 's#-o stdout#-o old.c#' >piped.c
check "nngen -o /dev/stdout into a pipe: the code" cmp -s piped.c old.c
"$nngen" "$spec" -o stdout >stdout.c
check "nngen -o /dev/stdout into a file: the code" \
    bash -c "sed 's#-o stdout#-o old.c#' stdout.c | cmp -s - old.c && [ -L stdout ]"
cp xor.csv in.csv
for flag in --save --log; do
    "$xor" --train in.csv --epochs 1 --quiet "$flag" in.csv >/dev/null 2>err.txt
    st=$?
    check "$flag naming --train: exit 2" [ "$st" -eq 2 ]
    check "$flag naming --train: one line" [ "$(cat err.txt)" = \
        "xor: $flag in.csv: is the same file as --train in.csv: it would be overwritten" ]
    check "$flag naming --train: the input intact" cmp -s in.csv xor.csv
done
ln -s in.csv link.csv
"$xor" --load old.nngw --predict link.csv --out in.csv 2>err.txt
check "--out naming --predict through a link: refused" bash -c "[ $? -eq 2 ] && cmp -s in.csv xor.csv"
# An IDX file's labels are an input too, named by the images file's name
# (t-images-idx3-ubyte -> t-labels-idx1-ubyte): one image of 1x2 pixels.
printf '\0\0\10\3\0\0\0\1\0\0\0\1\0\0\0\2\0\377' >t-images-idx3-ubyte
printf '\0\0\10\1\0\0\0\1\1' >t-labels-idx1-ubyte
cp t-labels-idx1-ubyte labels.keep
for flag in --save --log --plot; do
    for set in --train --test; do
        if [ "$set" = --train ]; then args=(--train t-images-idx3-ubyte)
        else args=(--train xor.csv --test t-images-idx3-ubyte); fi
        "$xor" "${args[@]}" --epochs 1 --quiet "$flag" t-labels-idx1-ubyte >/dev/null 2>err.txt
        st=$?
        what="$flag naming the labels of $set t-images-idx3-ubyte"
        check "$what: exit 2 (got $st)" [ "$st" -eq 2 ]
        check "$what: one line (got '$(cat err.txt)')" [ "$(cat err.txt)" = \
            "xor: $flag t-labels-idx1-ubyte: is the same file as $set's labels t-labels-idx1-ubyte: it would be overwritten" ]
        check "$what: the labels intact" cmp -s t-labels-idx1-ubyte labels.keep
    done
done
"$xor" --train t-images-idx3-ubyte --epochs 1 --quiet --plot other.svg >/dev/null 2>err.txt
check "an IDX pair with another --plot: trains (exit $?)" bash -c "[ -s other.svg ] && [ ! -s err.txt ]"
# Endless inputs through a FIFO (named .csv: read as CSV, once) end with one line.
endless() { # description expected-line -- feeder command...
    local what=$1 want=$2
    shift 3
    rm -f endless.csv
    mkfifo endless.csv
    "$@" >endless.csv &
    local feeder=$!
    "$xor" --train endless.csv 2>err.txt
    local st=$?
    kill "$feeder" 2>/dev/null
    wait
    check "$what: exit 1 (got $st)" [ "$st" -eq 1 ]
    check "$what: the one line '$want'" [ "$(cat err.txt)" = "$want" ]
}
endless "a FIFO of NUL bytes" "xor: endless.csv:1: a NUL byte at byte 1 of the line (not a text file?)" \
    -- head -c 100000000 /dev/zero
endless "a FIFO of one endless line" "xor: endless.csv:1: line longer than 67108864 bytes (not a CSV file?)" \
    -- bash -c "yes 1,2, | tr -d '\\n' | head -c 100000000"
"$xor" --train /dev/zero 2>err.txt
st=$?
check "--train /dev/zero: exit 1" [ "$st" -eq 1 ]
check "--train /dev/zero: one line" lines err.txt 1
"$xor" --load /dev/zero --predict xor.csv 2>err.txt
st=$?
check "--load /dev/zero: one line" bash -c "[ $st -eq 1 ] && [ \"\$(cat err.txt)\" = \
    'xor: /dev/zero: not an nngen weights file (bad magic)' ]"

echo "faultinject: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

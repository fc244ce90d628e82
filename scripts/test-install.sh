#!/usr/bin/env bash
# Checks the README's "use it outside the build tree" path: installs nngen,
# libnnrt.a, nnrt.h and nnrt.pc into a private prefix, then does exactly what
# a user does -- nngen SPEC > net.c, cc ... $(pkg-config --cflags --libs nnrt),
# also with -lnnrt -lsleef ... spelled out -- with gcc and clang at
# -std=c11 -Wall -Wextra -Wpedantic -Werror, and trains the result; no
# trainer links libhdf5, and one built the installed way reads .h5; the
# installed nngen-compare runs a spec and --dot.
# Usage: scripts/test-install.sh [BUILD_DIR]   (default build-install/)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
dir=${1:-$root/build-install}
prefix=$dir/prefix
jobs=${NNGEN_JOBS:-2}

cmake -S "$root" -B "$dir" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
      -DCMAKE_INSTALL_PREFIX="$prefix" >/dev/null
targets=(nngen nnrt)
[ "$(uname -m)" = x86_64 ] && targets+=(nngen-compare-peak)  # nngen-compare's peak helper
cmake --build "$dir" -j"$jobs" --target "${targets[@]}" >/dev/null
rm -rf "$prefix"
cmake --install "$dir" >/dev/null

export PATH="$prefix/bin:$PATH"
export PKG_CONFIG_PATH="$(dirname "$(find "$prefix" -name nnrt.pc)")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

strict="-std=c11 -Wall -Wextra -Wpedantic -Werror"
fail() { echo "test-install: $*" >&2; exit 1; }

# 1. The README's commands, with pkg-config.
nngen "$root/models/xor.spec" > xor_net.c
for cc in gcc clang; do
  # shellcheck disable=SC2046
  $cc -O2 -march=native $strict xor_net.c $(pkg-config --cflags --libs nnrt) -o "xor_$cc"
  out=$("./xor_$cc" --train "$root/data/xor.csv" --quiet)
  echo "$out" | grep -q "accuracy 1.0000 (4/4)" || fail "$cc: xor did not reach 4/4: $out"
  if grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo; then
    "./xor_$cc" --info | grep -qx "isa avx2" || fail "$cc: -march=native build does not run the avx2 path"
  fi
done

# 2. The same with the libraries spelled out (the README shows this form too).
nngen "$root/models/sex.spec" -o sex_net.c
# shellcheck disable=SC2046
gcc -O2 -march=native $strict sex_net.c -I"$prefix/include" -L"$(pkg-config --variable=libdir nnrt)" \
    -lnnrt -lsleef -lz -lm -o sex_train
./sex_train --train "$root/data/sex_train.csv" --quiet > /dev/null || fail "sex_train failed"
# libhdf5 is dlopen()ed on the first .h5 read, never linked.
case "$(ldd sex_train xor_gcc) $(pkg-config --libs nnrt)" in
  *hdf5*) fail "a trainer links libhdf5, or nnrt.pc names it" ;;
esac
cat_dir=$root/../shared/data/cat
if [ -f "$cat_dir/test_catvnoncat.h5" ]; then
  nngen "$root/models/logreg_cat.spec" -o logreg_cat.c
  # shellcheck disable=SC2046
  gcc -O2 -march=native $strict logreg_cat.c $(pkg-config --cflags --libs nnrt) -o logreg_cat
  ./logreg_cat --train "$cat_dir/test_catvnoncat.h5" --iterations 10 --quiet > /dev/null \
    || fail "logreg_cat could not read the cat data"
fi

# 3. Each --isa compiles warning-free on its own (neon only where it can).
for isa in scalar avx2 all; do
  nngen --isa "$isa" "$root/models/cat.spec" -o "cat_$isa.c"
  # shellcheck disable=SC2046
  gcc -O2 -mavx2 -mfma $strict -c "cat_$isa.c" $(pkg-config --cflags nnrt) -o "cat_$isa.o"
done
# 4. nngen-compare beside nngen: finds nngen, libnnrt.a, nnrt.h, its peak helper
#    and dot_timer.c relative to bin/, builds every variant and agrees.
out=$(nngen-compare "$root/models/xor.spec" --train "$root/data/xor.csv" --steps 20 --runs 1 2>&1) \
  || fail "nngen-compare failed: $out"
echo "$out" | grep -q "^loss check: after 1 step .*: ok$" || fail "nngen-compare: loss check: $out"
echo "$out" | grep -q "^auto-vectorized " || fail "nngen-compare: no auto-vectorized row: $out"
if [ "$(uname -m)" = x86_64 ]; then
  echo "$out" | grep -q "^  peak  *[0-9.]* GFLOP/s" || fail "nngen-compare: peak not measured: $out"
fi
out=$(nngen-compare --dot 1000 --steps 10 --runs 1 2>&1) || fail "nngen-compare --dot failed: $out"
echo "$out" | grep -q "^result: every variant computed .*: ok$" || fail "nngen-compare --dot: $out"
echo "test-install: installed nngen + libnnrt work from $prefix (gcc, clang; pkg-config and -l flags)"
echo "test-install: so does nngen-compare"

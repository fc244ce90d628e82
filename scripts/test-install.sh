#!/usr/bin/env bash
# Checks the README's "use it outside the build tree" path: installs nngen,
# libnnrt.a, nnrt.h and nnrt.pc into a private prefix, then does exactly what
# a user does -- nngen SPEC > net.c, cc ... $(pkg-config --cflags --libs nnrt),
# also with -lnnrt -lsleef ... spelled out -- with gcc and clang at
# -std=c11 -Wall -Wextra -Wpedantic -Werror, and trains the result; no
# trainer links libhdf5, and one built the installed way reads .h5.
# Usage: scripts/test-install.sh [BUILD_DIR]   (default build-install/)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
dir=${1:-$root/build-install}
prefix=$dir/prefix
jobs=${NNGEN_JOBS:-2}

cmake -S "$root" -B "$dir" -DCMAKE_BUILD_TYPE=Release -DNNGEN_TESTS=OFF \
      -DCMAKE_INSTALL_PREFIX="$prefix" >/dev/null
cmake --build "$dir" -j"$jobs" --target nngen nnrt >/dev/null
rm -rf "$prefix"
cmake --install "$dir" >/dev/null

export PATH="$prefix/bin:$PATH"
export PKG_CONFIG_PATH="$(dirname "$(find "$prefix" -name nnrt.pc)")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

strict="-std=c11 -Wall -Wextra -Wpedantic -Werror"
fail() { echo "test-install: $*" >&2; exit 1; }

# 1. The README's commands, with pkg-config, and no -m flags: the program
# runs the best path of the CPU (chosen at start-up).
nngen "$root/models/xor.spec" > xor_net.c
best=scalar
if grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo; then best=avx2; fi
if [ $best = avx2 ] && grep -qw avx512f /proc/cpuinfo; then best=avx512; fi
for cc in gcc clang; do
  # shellcheck disable=SC2046
  $cc -O2 $strict xor_net.c $(pkg-config --cflags --libs nnrt) -o "xor_$cc"
  out=$("./xor_$cc" --train "$root/data/xor.csv" --quiet)
  echo "$out" | grep -q "accuracy 1.0000 (4/4)" || fail "$cc: xor did not reach 4/4: $out"
  "./xor_$cc" --info | grep -qx "isa $best (best this CPU has)" \
    || fail "$cc: a build without -m flags does not run the $best path"
done

# 2. The same with the libraries spelled out (the README shows this form too).
nngen "$root/models/sex.spec" -o sex_net.c
# shellcheck disable=SC2046
gcc -O2 $strict sex_net.c -I"$prefix/include" -L"$(pkg-config --variable=libdir nnrt)" \
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
  gcc -O2 $strict logreg_cat.c $(pkg-config --cflags --libs nnrt) -o logreg_cat
  ./logreg_cat --train "$cat_dir/test_catvnoncat.h5" --iterations 10 --quiet > /dev/null \
    || fail "logreg_cat could not read the cat data"
fi

# 3. Each --isa compiles warning-free on its own (neon only where it can),
# with the flags its head names.
for isa in scalar avx2 avx512 all; do
  nngen --isa "$isa" "$root/models/cat.spec" -o "cat_$isa.c"
  flags=$(sed -n 's/^ \*   cc -std=c11 -O2 \(.*\)-ffp-contract=off THIS_FILE.c.*/\1/p' "cat_$isa.c")
  # shellcheck disable=SC2046,SC2086
  gcc -O2 $flags $strict -c "cat_$isa.c" $(pkg-config --cflags nnrt) -o "cat_$isa.o"
done
echo "test-install: installed nngen + libnnrt work from $prefix (gcc, clang; pkg-config and -l flags)"

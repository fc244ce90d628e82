#!/usr/bin/env bash
# Checks nngen used from outside its build tree, the ways the README shows:
#   1-3. installs nngen, libnnrt.a, nnrt.h and nnrt.pc into a private prefix
#        (`cmake --install --prefix`: the install relocates), then does what a
#        user does -- nngen SPEC > net.c, cc ... $(pkg-config --cflags --libs
#        nnrt), also with -lnnrt -lsleef ... spelled out -- with gcc and clang
#        at -std=c11 -Wall -Wextra -Wpedantic -Werror, and trains the result;
#        no trainer links libhdf5, and one built the installed way reads .h5;
#   4.   the installed nngen-compare runs a spec and --dot;
#   5.   the man pages (gzipped) and docs installed, the pages rendering
#        without warnings, and the path the --help texts name;
#   6.   the CMake consumer tests/consumer (find_package(nngen CONFIG),
#        nngen_add_model) against the prefix, against the build tree and with
#        add_subdirectory(): its trainer reaches 4/4 on XOR running the vector
#        path (--info's isa), its NO_MAIN library works in a program of its
#        own, and the trainer is the same bytes whichever way nngen was found;
#   7.   the .deb (cpack -G DEB): its Depends and contents (dpkg-deb: the
#        gzipped man pages, Debian's copyright file, the changelog), its
#        dependencies satisfied here (dpkg --no-act), unpacked into a scratch
#        root with dpkg, and the consumer built against that.
# Usage: scripts/test-install.sh [BUILD_DIR]   (default build-install/)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
dir=${1:-$root/build-install}
prefix=$dir/prefix
jobs=${NNGEN_JOBS:-2}

# Configured for /usr, the .deb's prefix (and Debian's multiarch libdir);
# installed into $prefix.
cmake -S "$root" -B "$dir" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
      -DNNGEN_BUILD_MODELS=OFF -DCMAKE_INSTALL_PREFIX=/usr >/dev/null
cmake --build "$dir" -j"$jobs" >/dev/null
rm -rf "$prefix"
cmake --install "$dir" --prefix "$prefix" >/dev/null

export PATH="$prefix/bin:$PATH"
export PKG_CONFIG_PATH="$(dirname "$(find "$prefix" -name nnrt.pc)")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

strict="-std=c11 -Wall -Wextra -Wpedantic -Werror"
fail() { echo "test-install: $*" >&2; exit 1; }
# The path a trainer runs: the best vector path this machine has, chosen
# at start-up by the generated file's dispatcher (no -m flags anywhere).
best=scalar
case "$(uname -m)" in
  x86_64)
    if grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo; then best=avx2; fi
    if [ $best = avx2 ] && grep -qw avx512f /proc/cpuinfo; then best=avx512; fi ;;
  aarch64) best=neon ;;
esac
vector_isa() { # PROG
  "$1" --info | grep -qx "isa $best (best this CPU has)" \
    || fail "$1 does not run the $best path: $("$1" --info | grep '^isa')"
}

# 1. The README's commands, with pkg-config, and no -m flags: the program
# runs the best path of the CPU (chosen at start-up).
nngen "$root/models/xor.spec" > xor_net.c
for cc in gcc clang; do
  # shellcheck disable=SC2046
  $cc -O2 $strict xor_net.c $(pkg-config --cflags --libs nnrt) -o "xor_$cc"
  out=$("./xor_$cc" --train "$root/data/xor.csv" --quiet)
  echo "$out" | grep -q "accuracy 1.0000 (4/4)" || fail "$cc: xor did not reach 4/4: $out"
  vector_isa "./xor_$cc"
done
# The build tree's nnrt.pc names the build's libnnrt.a and the source's nnrt.h.
# shellcheck disable=SC2046
gcc -O2 -march=native $strict xor_net.c $(PKG_CONFIG_PATH="$dir/runtime" pkg-config --cflags --libs nnrt) \
    -o xor_build_tree
case "$(PKG_CONFIG_PATH="$dir/runtime" pkg-config --cflags --libs nnrt)" in
  *"-I$root/runtime "*"-L$dir/runtime "*) ;;
  *) fail "the build tree's nnrt.pc does not name $root/runtime and $dir/runtime" ;;
esac

# 2. The same with the libraries spelled out (the README shows this form too).
nngen "$root/models/sex.spec" -o sex_net.c
# shellcheck disable=SC2046
gcc -O2 $strict sex_net.c -I"$prefix/include" -L"$(pkg-config --variable=libdir nnrt)" \
    -lnnrt -lsleef -ldeflate -lz -lm -o sex_train
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

# 5. Man pages and docs.
for page in nngen.1.gz nngen-trainer.1.gz; do
  f=$prefix/share/man/man1/$page
  [ -f "$f" ] || fail "$page not installed"
  warn=$(MANWIDTH=80 man --warnings -l "$f" 2>&1 >/dev/null) || fail "man -l $page failed: $warn"
  [ -z "$warn" ] || fail "man -l $page warns: $warn"
done
for d in README.md LICENSE copyright changelog.gz spec.md trainer.md generated-code.md; do
  [ -f "$prefix/share/doc/nngen/$d" ] || fail "share/doc/nngen/$d not installed"
done
# The --help texts name the docs where the configured prefix (/usr) has them.
for path in "$(nngen --help | grep -o '/[^ ()]*/spec\.md')" \
            "$(./xor_gcc --help | grep -o '/[^ ()]*/trainer\.md')"; do
  [ -f "$prefix/${path#/usr/}" ] || fail "--help names '$path', not installed as such"
done
echo "test-install: man pages render without warnings; --help names installed docs"

# 6. The CMake consumer.
consumer() { # NAME CMAKE-ARGS...: configures, builds and runs tests/consumer in $dir/consumer-NAME
  local name=$1 b=$dir/consumer-$1 out
  shift
  rm -rf "$b"
  cmake -S "$root/tests/consumer" -B "$b" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null \
    || fail "consumer ($name): configure failed"
  cmake --build "$b" -j"$jobs" >/dev/null || fail "consumer ($name): build failed"
  out=$("$b/xor" --train "$root/data/xor.csv" --save "$b/xor.nngw" --quiet)
  echo "$out" | grep -q "accuracy 1.0000 (4/4)" || fail "consumer ($name): xor did not reach 4/4: $out"
  vector_isa "$b/xor"
  out=$("$b/xor_embed" "$b/xor.nngw") || fail "consumer ($name): xor_embed: $out"
  echo "consumer ($name): xor 4/4, isa $("$b/xor" --info | sed -n 's/^isa //p'); xor_embed: ${out##*$'\n'}"
}
consumer prefix -DCMAKE_PREFIX_PATH="$prefix"
consumer build-tree -Dnngen_DIR="$dir"
cmp -s "$dir/consumer-prefix/xor" "$dir/consumer-build-tree/xor" \
  || fail "the consumer's trainer differs between two build directories"
consumer subdirectory -DNNGEN_SOURCE_DIR="$root"

# 7. The .deb.
rm -rf "$dir/deb"
(cd "$dir" && cpack -G DEB -B "$dir/deb" >/dev/null) || fail "cpack -G DEB failed"
deb=$(find "$dir/deb" -maxdepth 1 -name 'nngen_*.deb')
[ -n "$deb" ] || fail "cpack wrote no nngen_*.deb"
depends=$(dpkg-deb --field "$deb" Depends)
echo "test-install: $(basename "$deb"): Depends: $depends"
for p in libc6 libsleef3 libdeflate0 zlib1g libhdf5- libsleef-dev libdeflate-dev zlib1g-dev python3; do
  case ", $depends" in *", $p"*) ;; *) fail "Depends lacks $p: $depends" ;; esac
done
contents=$(dpkg-deb --contents "$deb" | awk '{print $NF}')
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
for f in usr/bin/nngen usr/bin/nngen-compare "usr/lib/$multiarch/libnnrt.a" usr/include/nnrt.h \
         "usr/lib/$multiarch/pkgconfig/nnrt.pc" "usr/lib/$multiarch/cmake/nngen/nngenConfig.cmake" \
         usr/share/man/man1/nngen.1.gz usr/share/man/man1/nngen-trainer.1.gz \
         usr/share/doc/nngen/spec.md usr/share/doc/nngen/LICENSE usr/share/doc/nngen/copyright \
         usr/share/doc/nngen/changelog.gz; do
  grep -qx "\./$f" <<<"$contents" || fail "$(basename "$deb") lacks /$f"
done
! grep -q '^\./usr/share/man/.*\.1$' <<<"$contents" || fail "$(basename "$deb"): a man page not gzipped"
# Debian's copyright file is the machine-readable format, with the license text
dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/share/doc/nngen/copyright >"$dir/copyright.txt"
grep -qx 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/' \
  "$dir/copyright.txt" && grep -qx 'License: Expat' "$dir/copyright.txt" &&
  grep -q '^ THE SOFTWARE IS PROVIDED "AS IS"' "$dir/copyright.txt" ||
  fail "$(basename "$deb"): usr/share/doc/nngen/copyright is not Debian's copyright format"
dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/share/doc/nngen/changelog.gz | gzip -dc |
  head -1 | grep -q "^nngen ($(dpkg-deb --field "$deb" Version)) " ||
  fail "$(basename "$deb"): the changelog does not start with this version"
echo "test-install: $(basename "$deb"): man pages gzipped, copyright, changelog"
# Installable here: every dependency present (what dpkg -i checks first).
if [ "$(id -u)" = 0 ]; then
  dpkg --no-act -i "$deb" >/dev/null || fail "dpkg --no-act -i $(basename "$deb") failed"
fi
# Installed into a scratch root (its own dpkg database), then used.
sroot=$dir/deb/root
mkdir -p "$sroot/var/lib/dpkg/info" "$sroot/var/lib/dpkg/updates"
touch "$sroot/var/lib/dpkg/status"
dpkg --root="$sroot" --log=/dev/null --force-depends --force-not-root -i "$deb" >/dev/null 2>&1 \
  || fail "dpkg --root -i $(basename "$deb") failed"
consumer deb -DCMAKE_PREFIX_PATH="$sroot/usr"
echo "test-install: the .deb installs into a scratch root and builds the consumer"

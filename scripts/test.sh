#!/usr/bin/env bash
# The test command: installs what the tests need, then builds and runs every
# test suite nngen has:
#   1. gcc, Release, warnings as errors: all ctest tests (unit, e2e on the real data)
#   1b. install into a private prefix, build models the README's way, the CMake
#       consumer (tests/consumer) four ways, the .deb (scripts/test-install.sh)
#   2. gcc, AddressSanitizer + UBSan: the same tests
#   3. clang, warnings as errors: all ctest tests
#   4. aarch64 cross build, tests under qemu-aarch64 (scripts/test-arm.sh)
#   5. the libFuzzer targets, each for 30 s (scripts/fuzz.sh; NNGEN_FUZZ_SECS):
#      any crash, leak, UB report, timeout or out-of-memory fails the run
# Usage: scripts/test.sh [--no-asan] [--no-clang] [--no-arm] [--no-fuzz]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
jobs=${NNGEN_JOBS:-2}

do_asan=1 do_clang=1 do_arm=1 do_fuzz=1
for a in "$@"; do
  case "$a" in
    --no-asan) do_asan=0 ;;
    --no-clang) do_clang=0 ;;
    --no-arm) do_arm=0 ;;
    --no-fuzz) do_fuzz=0 ;;
    *) echo "test.sh: unknown option '$a'" >&2; exit 2 ;;
  esac
done

if [ $do_arm = 1 ]; then scripts/install-deps.sh --arm; else scripts/install-deps.sh; fi

stage() { printf '\n==== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }
t0=$(date +%s)

run_suite() { # name build-dir cmake-args...
  local name=$1 dir=$2; shift 2
  stage "$name: configure + build ($dir)"
  cmake -S "$root" -B "$dir" -DNNGEN_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j"$jobs"
  stage "$name: ctest"
  (cd "$dir" && ctest --output-on-failure -j"$jobs" --timeout 900)
}

run_suite "gcc Release" build -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=gcc
stage "installed: nngen + libnnrt from a prefix and the .deb, as the README uses them"
scripts/test-install.sh "$root/build-install"
if [ $do_asan = 1 ]; then
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_suite "gcc ASan+UBSan" build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=gcc \
      -DNNGEN_SANITIZE=ON
fi
if [ $do_clang = 1 ]; then
  run_suite "clang Release" build-clang -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=clang
fi
if [ $do_arm = 1 ]; then
  stage "aarch64 under qemu"
  scripts/test-arm.sh --host-nngen "$root/build/compiler/nngen"
fi
if [ $do_fuzz = 1 ]; then
  stage "fuzz: every target for ${NNGEN_FUZZ_SECS:-30} s (build-fuzz)"
  scripts/fuzz.sh all "${NNGEN_FUZZ_SECS:-30}"
fi
stage "all test suites passed in $(( $(date +%s) - t0 )) s"

#!/usr/bin/env bash
# Cross-builds nngen + libnnrt + the tests for aarch64 and runs them under
# qemu-aarch64 (docs/arm.md):
#   1. a host (x86-64) nngen in build-host/, unless --host-nngen gives one:
#      nngen_add_model runs it at build time to write the models' C;
#   2. the cross build in build-arm/ (cmake/aarch64-linux-gnu.cmake),
#      warnings as errors;
#   3. proof that the NEON path is compiled in: the disassembly of a model
#      built with the default ISA selection holds fmla v.4s and calls
#      nnrt_neon_*, libnnrt's NEON math calls SLEEF's Sleef_*f4, and the
#      xor/sex/house programs report `isa neon` (--info, under qemu);
#   4. ctest under qemu, all tests but those labelled slow or hdf5
#      (cat / Fashion-MNIST training: too slow emulated; no arm64 HDF5).
# Usage: scripts/test-arm.sh [--host-nngen PATH] [--ctest-args "ARGS..."]
# Env:   NNGEN_JOBS (default 2), NNGEN_ARM_BUILD (default build-arm),
#        NNGEN_HOST_BUILD (default build-host).
# Packages: scripts/install-deps.sh --arm.  Needs no stdin; fine with CI=true.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
jobs=${NNGEN_JOBS:-2}
arm_dir=${NNGEN_ARM_BUILD:-$root/build-arm}
host_dir=${NNGEN_HOST_BUILD:-$root/build-host}
host_nngen=""
ctest_args=(-LE "slow|hdf5")

while [ $# -gt 0 ]; do
  case "$1" in
    --host-nngen) host_nngen=${2:?--host-nngen needs a path}; shift 2 ;;
    --host-nngen=*) host_nngen=${1#*=}; shift ;;
    --ctest-args) read -r -a ctest_args <<<"${2:?--ctest-args needs a value}"; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "test-arm.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done

stage() { printf '\n==== arm: %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }
fail() { echo "test-arm.sh: $*" >&2; exit 1; }
t0=$(date +%s)

for tool in aarch64-linux-gnu-gcc aarch64-linux-gnu-objdump qemu-aarch64 pkg-config cmake; do
  command -v "$tool" >/dev/null || fail "$tool not found (scripts/install-deps.sh --arm installs it)"
done
for pc in sleef cmocka libdeflate zlib; do
  PKG_CONFIG_LIBDIR=/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig \
    pkg-config --exists "$pc" || fail "arm64 $pc.pc not found (scripts/install-deps.sh --arm)"
done

# 1. The host nngen.
if [ -z "$host_nngen" ]; then
  stage "host nngen ($host_dir)"
  cmake -S "$root" -B "$host_dir" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
  if [ -f "$root/compiler/main.c" ]; then
    cmake --build "$host_dir" --target nngen -j"$jobs"
    host_nngen=$host_dir/compiler/nngen
  else
    echo "test-arm.sh: no nngen target yet (compiler/main.c missing); no models built" >&2
  fi
fi
if [ -n "$host_nngen" ]; then
  [ -x "$host_nngen" ] || fail "host nngen '$host_nngen' is not an executable"
  host_nngen=$(cd "$(dirname "$host_nngen")" && pwd)/$(basename "$host_nngen")
fi
t1=$(date +%s)

# 2. The cross build.
stage "cross configure + build ($arm_dir)"
cmake -S "$root" -B "$arm_dir" -DCMAKE_TOOLCHAIN_FILE="$root/cmake/aarch64-linux-gnu.cmake" \
  -DCMAKE_BUILD_TYPE=Release -DNNGEN_WERROR=ON -DNNGEN_HOST_NNGEN="$host_nngen" >/dev/null
cmake --build "$arm_dir" -j"$jobs"
t2=$(date +%s)

# 3. The NEON path is what got compiled.  -ffp-contract=off (CMakeLists.txt)
# means the compiler never fuses a*b+c by itself, so every fmla comes from
# the emitter's explicit vfmaq_f32.
stage "disassembly: NEON in the generated model and the runtime"
objdump=aarch64-linux-gnu-objdump
model_obj=$(find "$arm_dir/tests" -path '*isa_report_model.dir*' -name '*.o' | head -n 1)
if [ -n "$model_obj" ]; then
  dis=$($objdump -dr "$model_obj")
  n_fmla=$(grep -cE 'fmla[[:space:]]+v[0-9]+\.4s' <<<"$dis" || true)
  calls=$(grep -oE 'R_AARCH64_(CALL|JUMP)26[[:space:]]+(nnrt_neon_[a-z_]+|Sleef_[A-Za-z0-9_]+f4[A-Za-z0-9_]*)' \
            <<<"$dis" | awk '{print $2}' | sort | uniq -c | tr -s ' ' || true)
  echo "$(basename "$model_obj"): $n_fmla fmla v.4s; calls:"
  echo "${calls:-  (none)}"
  [ "$n_fmla" -gt 0 ] || fail "no fmla v.4s in $model_obj: the NEON path was not compiled in"
  [ -n "$calls" ] || fail "no calls to nnrt_neon_* / Sleef_*f4 in $model_obj"
  # its paths are neon and scalar; nothing of the x86 dispatch (no avx
  # functions, no CPU model of libgcc) is there
  syms=$(aarch64-linux-gnu-nm "$model_obj")
  grep -q ' isa_report_neon_forward$' <<<"$syms" || fail "no neon path in $model_obj"
  grep -q ' isa_report_scalar_forward$' <<<"$syms" || fail "no scalar path in $model_obj"
  if grep -qE 'avx|__cpu_model|__cpu_indicator_init' <<<"$syms"; then
    fail "x86 dispatch code in $model_obj: $(grep -E 'avx|__cpu_' <<<"$syms" | head -n 3 | tr '\n' ' ')"
  fi
  echo "$(basename "$model_obj"): paths neon and scalar, no x86 code"
else
  echo "test-arm.sh: no isa_report_model object (no nngen or models/xor.spec yet); model check skipped" >&2
fi
neon_obj=$(find "$arm_dir/runtime" -name 'nnrt_math_neon.c.o' | head -n 1)
if [ -n "$neon_obj" ]; then
  sleef=$($objdump -dr "$neon_obj" | grep -oE 'R_AARCH64_(CALL|JUMP)26[[:space:]]+Sleef_[A-Za-z0-9_]*f4[A-Za-z0-9_]*' \
            | awk '{print $2}' | sort -u | tr '\n' ' ' || true)
  echo "nnrt_math_neon.c.o calls: ${sleef:-(none)}"
  [ -n "$sleef" ] || fail "libnnrt's NEON math calls no Sleef_*f4 function"
else
  echo "test-arm.sh: no runtime/nnrt_math_neon.c yet; runtime check skipped" >&2
fi

# ... and the training programs the e2e tests run say so themselves.
# The emulator command is the one CMake put in front of test_isa_report.
read -r -a emu <<<"$(sed -n 's|^add_test(\[=\[test_isa_report\]=\] \(.*\) "[^"]*/test_isa_report")$|\1|p' \
                      "$arm_dir/tests/CTestTestfile.cmake" 2>/dev/null | tr -d '"')"
[ ${#emu[@]} -gt 0 ] || emu=(qemu-aarch64)
for m in xor sex house; do
  prog=$arm_dir/models/$m
  [ -x "$prog" ] || continue
  isa=$("${emu[@]}" "$prog" --info | sed -n 's/^isa \([a-z0-9]*\).*/\1/p')
  echo "models/$m --info (under ${emu[*]}): isa $isa"
  [ "$isa" = neon ] || fail "models/$m reports isa '$isa', not neon"
done

# 4. The tests, under qemu (CMAKE_CROSSCOMPILING_EMULATOR from the toolchain file).
stage "ctest under qemu-aarch64 (${ctest_args[*]})"
(cd "$arm_dir" && ctest --output-on-failure -j"$jobs" --timeout 900 "${ctest_args[@]}")
t3=$(date +%s)

stage "passed: host nngen $((t1 - t0)) s, cross build $((t2 - t1)) s, checks + ctest $((t3 - t2)) s; total $((t3 - t0)) s"

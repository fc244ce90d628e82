#!/usr/bin/env bash
# The libFuzzer targets of tests/fuzz/ (docs/limits.md, "Fuzzing"):
#
#   scripts/fuzz.sh TARGET|all SECONDS      run each target for SECONDS
#
# Targets: spec (parser + emitter, round trip), csv, idx, hdf5, weights, npy
# (.npy/.npz data and .npz weights); and
# hdf5raw, not in "all": fuzz_hdf5 on raw file bytes (FUZZ_HDF5_RAW=1), which
# fuzzes libhdf5's own parser -- it crashes inside libhdf5 1.10 within
# seconds (docs/limits.md); its seeds are the files fuzz_hdf5 writes from
# tests/fuzz/seeds/hdf5 (made in build-fuzz/seeds/hdf5raw).
# Builds build-fuzz/ first (clang, -DNNGEN_FUZZ=ON: ASan + UBSan + libFuzzer
# coverage).  Each target starts from its committed seeds
# (tests/fuzz/seeds/TARGET) and a working corpus kept in
# build-fuzz/corpus/TARGET; a crash, leak, UB report, timeout (10 s per
# input) or out-of-memory (2 GB) stops the run, leaves the input in
# build-fuzz/artifacts/ and makes the script exit 1.  The last line per
# target: executions, executions per second, corpus size.
# Environment: NNGEN_JOBS (build jobs, default 2), FUZZ_FLAGS (more libFuzzer
# flags, e.g. -jobs=2), FUZZ_NICE=1 to run under nice.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
all=(spec csv idx hdf5 weights npy)
if [ $# -ne 2 ]; then
  echo "usage: scripts/fuzz.sh TARGET|all SECONDS  (targets: ${all[*]})" >&2
  exit 2
fi
if [ "$1" = all ]; then targets=("${all[@]}"); else targets=("$1"); fi
secs=$2
for t in "${targets[@]}"; do
  case " ${all[*]} hdf5raw " in *" $t "*) ;; *) echo "fuzz.sh: unknown target '$t' (${all[*]})" >&2; exit 2 ;; esac
done

b=$root/build-fuzz
cmake -S "$root" -B "$b" -DCMAKE_C_COMPILER=clang -DNNGEN_FUZZ=ON -DBUILD_TESTING=OFF \
  -DNNGEN_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$b" -j"${NNGEN_JOBS:-2}" --target $(printf 'fuzz_%s ' "${targets[@]/hdf5raw/hdf5}") \
  >/dev/null

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$root/tests/lsan.supp
nice=()
[ "${FUZZ_NICE:-0}" = 1 ] && nice=(nice -n 19)
status=0
for t in "${targets[@]}"; do
  corpus=$b/corpus/$t
  mkdir -p "$corpus" "$b/artifacts"
  log=$b/fuzz_$t.log
  # libhdf5 1.10 mallocs sizes it reads from a file's metadata before it
  # checks them (a 2.9 GB local heap for a 2 KB file, never touched): a
  # single malloc may exceed the 2 GB limit there; the RSS limit still holds.
  malloc_mb=2048
  [ "$t" = hdf5raw ] && malloc_mb=65536
  exe=$b/tests/fuzz/fuzz_${t/hdf5raw/hdf5}
  seeds=$root/tests/fuzz/seeds/$t
  if [ "$t" = hdf5raw ]; then
    # the raw run's seeds: the files libhdf5 writes from fuzz_hdf5's own
    # seeds (FUZZ_HDF5_WRITE), made here rather than kept in the repository
    seeds=$b/seeds/hdf5raw
    mkdir -p "$seeds"
    for s in "$root"/tests/fuzz/seeds/hdf5/*; do
      FUZZ_HDF5_WRITE=$seeds/$(basename "$s").h5 "$exe" "$s" >/dev/null 2>&1 ||
        { echo "fuzz.sh: cannot make the hdf5raw seed from $s" >&2; exit 1; }
    done
  fi
  set +e
  # shellcheck disable=SC2086
  FUZZ_HDF5_RAW=$([ "$t" = hdf5raw ] && echo 1 || echo 0) \
  "${nice[@]}" "$exe" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
    -malloc_limit_mb=$malloc_mb \
    -print_final_stats=1 -artifact_prefix="$b/artifacts/$t-" ${FUZZ_FLAGS:-} \
    "$corpus" "$seeds" >"$log" 2>&1
  rc=$?
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  files=$(find "$corpus" -type f | wc -l)
  if [ $rc -ne 0 ]; then
    status=1
    echo "fuzz $t: FAILED (exit $rc) after ${execs:-?} executions; see $log and $b/artifacts/" >&2
    grep -E "^==[0-9]+==ERROR|runtime error|SUMMARY|Test unit written" "$log" | head -5 >&2 || true
  else
    echo "fuzz $t: ${execs:-?} executions in $secs s (${rate:-?}/s), corpus $files inputs, no crash"
  fi
done
exit $status

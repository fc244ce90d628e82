#!/usr/bin/env bash
# bench/run.sh -- builds and runs every benchmark, and writes the results
# (docs/bench.md):
#   1. configures build-bench/ with -DNNGEN_BENCH=ON and builds nngen, libnnrt,
#      the model trainers (AVX2, scalar, scalar -fno-tree-vectorize), peak,
#      fann_bench and bench_micro;
#   2. peak: one-core FMA peak (AVX2, AVX-512) and triad bandwidth -> peak.json;
#   3. bench_micro (Google Benchmark) -> micro.json;
#   4. whole programs, nngen vs numpy / PyTorch / FANN (whole.py, hyperfine,
#      /usr/bin/time -v) -> whole.json, whole.csv, hyperfine/*.json;
#   5. report.py -> results.md, loop_vs_vector.png, nngen_vs_peers.png.
#
# Usage: bench/run.sh [--quick] [--no-build] [--out DIR] [--runs N]
#                     [--only peak,micro,whole] [--groups cat4,xor,...] [--merge]
#   --quick   a smoke run: short trainings, one run each, short micro timings;
#             written to build-bench/bench/results-quick/ unless --out is given
#             (bench/results/ holds the full run's results).
#   --groups  run only these whole-program groups; with --merge, the other
#             groups already in OUT/whole.json are kept (re-running a subset).
# Environment: NNGEN_JOBS (build parallelism, default 2), NNGEN_CAT_DIR,
# NNGEN_FASHION_DIR.
set -euo pipefail
self=$(realpath "$0")
cd "$(dirname "$self")/.."
root=$PWD
build=$root/build-bench
py=/usr/bin/python3   # the Debian interpreter, which has numpy/h5py/torch

quick=0 do_build=1 out="" runs="" only="peak,micro,whole" groups="" merge=0
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --no-build) do_build=0 ;;
    --out) out=$2; shift ;;
    --runs) runs=$2; shift ;;
    --only) only=$2; shift ;;
    --groups) groups=$2; shift ;;
    --merge) merge=1 ;;
    -h|--help) sed -n '2,/^set -e/p' "$self" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/run.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
if [ -z "$out" ]; then
  if [ $quick = 1 ]; then out=$build/bench/results-quick; else out=$root/bench/results; fi
fi
mkdir -p "$out"
want() { case ",$only," in *,"$1",*) return 0 ;; *) return 1 ;; esac; }

if [ $do_build = 1 ]; then
  echo "== build ($build)"
  cmake -S . -B "$build" -DNNGEN_BENCH=ON -DCMAKE_BUILD_TYPE=Release >/dev/null
  targets=(nngen nnrt peak fann_bench bench_micro)
  for m in logreg_cat cat2 cat xor sex fashion; do
    [ -f "models/$m.spec" ] && targets+=("$m" "${m}_scalar" "${m}_scalar_novec")
  done
  cmake --build "$build" -j"${NNGEN_JOBS:-2}" --target "${targets[@]}"
fi

# The machine, for the report.
{
  cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
  printf '{\n  "cpu": "%s",\n' "$cpu"
  printf '  "cores": "%s CPUs",\n' "$(nproc)"
  # "Model name" alone says "AMD EPYC" for every generation: family/model,
  # AVX-512 and the caches tell the machines apart.
  printf '  "cpu_family": "%s",\n' "$(lscpu | sed -n 's/^CPU family: *//p' | head -1)"
  printf '  "cpu_model": "%s",\n' "$(lscpu | sed -n 's/^Model: *//p' | head -1)"
  printf '  "avx512": "%s",\n' "$(grep -qw avx512f /proc/cpuinfo && echo yes || echo no)"
  cache() { cat "/sys/devices/system/cpu/cpu0/cache/index$1/size" 2>/dev/null || echo "?"; }
  printf '  "caches": "L1d %s, L2 %s, L3 %s",\n' "$(cache 0)" "$(cache 2)" "$(cache 3)"
  printf '  "kernel": "%s",\n' "$(uname -sr)"
  printf '  "date": "%s",\n' "$(date -u +%Y-%m-%dT%H:%MZ)"
  printf '  "cc": "%s",\n' "$(cc --version | head -1)"
  printf '  "numpy": "%s",\n' "$($py -c 'import numpy; print(numpy.__version__)' 2>/dev/null || echo none)"
  printf '  "torch": "%s",\n' "$($py -c 'import torch; print(torch.__version__)' 2>/dev/null || echo none)"
  printf '  "openblas": "%s",\n' "$(dpkg-query -W -f='${Version}' libopenblas0-pthread 2>/dev/null || echo none)"
  printf '  "nngen_commit": "%s"\n}\n' "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
} > "$out/machine.json"

if want peak; then
  echo "== peak"
  "$build/bench/peak" $([ $quick = 1 ] && echo --quick) | tee "$out/peak.json"
fi
peak_of() { $py -c "import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2]) or 0)" \
              "$out/peak.json" "$1" 2>/dev/null || echo 0; }
peak_gflops=$(peak_of avx2_fma_gflops)
peak512_gflops=$(peak_of avx512_fma_gflops)

if want micro; then
  echo "== bench_micro"
  min_time=0.5
  [ $quick = 1 ] && min_time=0.01
  NNGEN_PEAK_GFLOPS=$peak_gflops NNGEN_PEAK_AVX512_GFLOPS=$peak512_gflops "$build/bench/bench_micro" \
    --benchmark_min_time=$min_time --benchmark_out="$out/micro.json" \
    --benchmark_out_format=json --benchmark_counters_tabular=false
fi

if want whole; then
  echo "== whole programs"
  args=(--build "$build" --out "$out")
  [ $quick = 1 ] && args+=(--quick)
  [ -n "$runs" ] && args+=(--runs "$runs")
  [ -n "$groups" ] && args+=(--groups "$groups")
  [ $merge = 1 ] && args+=(--merge)
  $py bench/whole.py "${args[@]}"
fi

$py bench/report.py --out "$out"
echo "== results in $out/results.md"

#!/usr/bin/env bash
# Installs what nngen needs from Debian's packages (run as root, or with sudo
# available).  Idempotent: packages already present are not fetched again.
#   scripts/install-deps.sh            build + test + run (x86-64)
#   scripts/install-deps.sh --arm      also the aarch64 cross toolchain, qemu-user, arm64 SLEEF/cmocka
#   scripts/install-deps.sh --bench    also the benchmark peers (numpy, h5py, torch, FANN, hyperfine)
set -euo pipefail

want_arm=0 want_bench=0
for a in "$@"; do
  case "$a" in
    --arm) want_arm=1 ;;
    --bench) want_bench=1 ;;
    *) echo "install-deps.sh: unknown option '$a' (expected --arm or --bench)" >&2; exit 2 ;;
  esac
done

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

pkgs=(build-essential cmake pkg-config clang
      libclang-rt-14-dev  # clang's sanitizer and libFuzzer runtimes (tests/fuzz, scripts/fuzz.sh)
      libsleef-dev        # vector exp/log/tanh for the runtime
      libcmocka-dev       # unit tests
      libhdf5-dev         # the cat images (.h5)
      libdeflate-dev      # gzip'd IDX (Fashion-MNIST) inflated whole, twice zlib's speed
      zlib1g-dev          # streamed gzip: .npz members, a damaged .gz's messages
      dataset-fashion-mnist   # the main job's data set
      python3-numpy       # tests/numpy_check.py: nngen against numpy itself
      python3-h5py        # tests/parity.cmake: the course notebooks' code reads the cat .h5 files
      man-db groff-base   # the man pages' test (man --warnings -l)
      librsvg2-bin        # tests/plot.sh renders --plot's SVG (rsvg-convert)
      dpkg-dev)           # the .deb's Depends (dpkg-shlibdeps, cmake/nngen-cpack.cmake.in)
if [ $want_bench = 1 ]; then
  pkgs+=(libbenchmark-dev g++ hyperfine python3-torch
         python3-matplotlib libopenblas0-pthread libfann-dev time linux-perf valgrind)
fi
arm_pkgs=()
if [ $want_arm = 1 ]; then
  pkgs+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user)
  arm_pkgs=(libsleef-dev:arm64 libcmocka-dev:arm64 libdeflate-dev:arm64 zlib1g-dev:arm64)
fi

missing=()
for p in "${pkgs[@]}" "${arm_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#pkgs[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
if [ $want_arm = 1 ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
  $SUDO dpkg --add-architecture arm64
fi
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${pkgs[@]}" "${arm_pkgs[@]}"

#!/usr/bin/env bash
# The main job: installs the dependencies, builds nngen and libnnrt, compiles
# models/fashion.spec into a standalone trainer and trains it on Debian's
# Fashion-MNIST, printing progress and the final accuracy.  If the course's
# cat images are beside the checkout (../shared/data/cat) or NNGEN_CAT_DIR
# names them, the 4-layer cat classifier is trained too.
# Usage: scripts/run.sh [--no-install] [extra trainer flags for the Fashion-MNIST run]
set -euo pipefail
cd "$(dirname "$0")/.."

install=1
if [ "${1:-}" = "--no-install" ]; then install=0; shift; fi
[ $install = 1 ] && scripts/install-deps.sh

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"${NNGEN_JOBS:-2}" --target nngen nnrt fashion cat

fm=${NNGEN_FASHION_DIR:-/usr/share/datasets/fashion-mnist}
echo
echo "== nngen models/fashion.spec: 784-256-128-10 MLP on Fashion-MNIST"
build/compiler/nngen --summary models/fashion.spec
build/models/fashion --train "$fm/train-images-idx3-ubyte.gz" --test "$fm/t10k-images-idx3-ubyte.gz" "$@"

cat_dir=${NNGEN_CAT_DIR:-../shared/data/cat}
if [ -f "$cat_dir/train_catvnoncat.h5" ] && [ -f "$cat_dir/test_catvnoncat.h5" ]; then
  echo
  echo "== nngen models/cat.spec: the course's 4-layer cat classifier"
  build/models/cat --train "$cat_dir/train_catvnoncat.h5" --test "$cat_dir/test_catvnoncat.h5"
else
  echo
  echo "(cat data not found in $cat_dir: skipping the cat model; set NNGEN_CAT_DIR to run it)"
fi

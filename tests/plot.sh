#!/usr/bin/env bash
# tests/plot.sh -- --plot draws (tests/plot.cmake): a trainer's SVG,
# rendered by rsvg-convert (librsvg2-bin), is a picture with both curves in
# it (tests/png_ink.py counts the pixels of each curve's colour); a blank
# picture fails that check; an SVG of NaN, infinite and huge values
# (test_plot --svg) is valid enough for the renderer and still drawn.
# Usage: plot.sh XOR_TRAINER TEST_PLOT PNG_INK.  Without rsvg-convert or
# python3 it skips (exit 77), unless CI=true.
set -u
xor=$1 tool=$2 ink=$3
fail() { echo "plot: $*" >&2; exit 1; }
for p in rsvg-convert python3; do
  if ! command -v $p >/dev/null; then
    [ "${CI:-}" = true ] && fail "no $p (scripts/install-deps.sh installs librsvg2-bin, python3)"
    echo "plot: no $p; skipped"
    exit 77
  fi
done
work=$(mktemp -d "${TMPDIR:-/tmp}/nng-plot-XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

train=1f77b4 test=d62728 # nnrt_plot.c's colours
printf 'x1,x2,xor\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n' >xor.csv
printf 'x1,x2,xor\n0,0,1\n0,1,1\n1,0,1\n1,1,0\n' >flip.csv # one label wrong: the curves part
"$xor" --train xor.csv --test flip.csv --epochs 400 --quiet --plot run.svg >/dev/null ||
  fail "xor --plot run.svg failed"
grep -q '>xor: loss and accuracy, train and test against step</text>' run.svg ||
  fail "run.svg: no title"
[ "$(grep -c '<polyline' run.svg)" -eq 4 ] || fail "run.svg: not 4 curves"
rsvg-convert run.svg -o run.png || fail "rsvg-convert run.svg failed"
python3 "$ink" run.png $train:400 $test:400 || fail "run.png: the curves are not drawn"

# the check fails on a picture without the curves, or without anything
sed '/<polyline/d; /<circle/d' run.svg >nocurves.svg
rsvg-convert nocurves.svg -o nocurves.png || fail "rsvg-convert nocurves.svg failed"
python3 "$ink" nocurves.png $train:400 $test:400 && fail "png_ink passes a plot without curves"
printf '<svg xmlns="http://www.w3.org/2000/svg" width="720" height="570"><rect width="100%%" height="100%%" fill="#ffffff"/></svg>\n' >blank.svg
rsvg-convert blank.svg -o blank.png || fail "rsvg-convert blank.svg failed"
python3 "$ink" blank.png && fail "png_ink passes a blank picture"

# bad values: valid SVG, the good points drawn
"$tool" --svg bad.svg || fail "test_plot --svg failed"
rsvg-convert bad.svg -o bad.png || fail "rsvg-convert refuses the SVG of bad values"
python3 "$ink" bad.png $train:200 $test:100 || fail "bad.png: the good points are not drawn"
echo "plot: the SVG renders with both curves; blank pictures fail the check; bad values render"

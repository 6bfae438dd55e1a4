#!/usr/bin/env bash
# How close repro's figures look to the paper's PDFs, and how close the paper's own plot.py comes
# when re-run on today's matplotlib (the baseline): page sizes, SSIM (bench/compare_figures.py),
# and side-by-side PNGs (paper left, ours right) to look at.
#
#   bench/look.sh                 # everything under .cache/look/
#   LOOK=/tmp/look bench/look.sh  # somewhere else
#
# Figures 1, 2, 7, 9, 10, 12, 14 are drawn from the paper's published data; the others (3–6, 8,
# 11, 13, 15, 17) from a fake-engine run (README "Without a GPU"), whose numbers differ from the
# paper's, so their SSIM against the paper is lower for both repro and plot.py. plot.py is also
# re-run on that fake data (not figure 17: it needs the paper's trained predictor files), which
# gives a same-data comparison: `ours vs plot.py`.
#
# Needs poppler-utils; a venv with numpy, scikit-image, matplotlib, scipy, scikit-learn is made
# under .cache/look-venv on first use (pip).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
REF=${REF:-$ROOT/../shared/reference/vllm-profiling}
LOOK=${LOOK:-$ROOT/.cache/look}
VENV=$ROOT/.cache/look-venv
REPRO=${REPRO:-$ROOT/target/debug/repro}

[ -d "$REF/figures" ] || { echo "no published figures at $REF/figures (set REF=)" >&2; exit 1; }
command -v pdftoppm >/dev/null || { echo "needs pdftoppm: apt-get install poppler-utils" >&2; exit 1; }
if [ ! -x "$VENV/bin/python" ]; then
    echo "== creating $VENV" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet numpy scikit-image matplotlib scipy scikit-learn tabulate
fi
PY=$VENV/bin/python
[ -x "$REPRO" ] || cargo build --quiet --manifest-path "$ROOT/Cargo.toml"
mkdir -p "$LOOK"

# Fake-engine data for the figures the paper published no data for (made once).
FAKE=$LOOK/fake
if [ ! -d "$FAKE/figure-rest" ]; then
    echo "== fake-engine runs into $FAKE" >&2
    "$REPRO" -q figure all --engine fake --iterations 2 --results "$FAKE"
    for part in "10 --gpu 0" "10 --gpu 1" "11 --cpu 0" "11 --cpu 1" "13 --case 0" "13 --case 1"; do
        # shellcheck disable=SC2086
        "$REPRO" -q figure $part --engine fake --iterations 2 --results "$FAKE"
    done
fi

echo "== repro render" >&2
rm -rf "$LOOK/ours"
mkdir -p "$LOOK/ours"
"$REPRO" -q render all --results "$REF/figures" --out "$LOOK/ours" 2>/dev/null || true
"$REPRO" -q render all --results "$FAKE" --out "$LOOK/ours-fake" 2>/dev/null || true
# The same without the FAKE ENGINE banner (a scratch copy without the run manifests it comes
# from), to compare the look with plot.py's pages on equal terms.
rm -rf "$LOOK/fake-plain" "$LOOK/ours-plain"
cp -r "$FAKE" "$LOOK/fake-plain"
find "$LOOK/fake-plain" -type d -name manifests -prune -exec rm -rf {} +
"$REPRO" -q render all --results "$LOOK/fake-plain" --out "$LOOK/ours-plain-fake" 2>/dev/null || true
mkdir -p "$LOOK/ours-plain"
cp "$LOOK/ours"/*.pdf "$LOOK/ours-plain/"
for f in 3 4 5 6 8 11 13 15 17; do
    cp "$LOOK/ours-fake/figure$f.pdf" "$LOOK/ours/" 2>/dev/null || true
    cp "$LOOK/ours-plain-fake/figure$f.pdf" "$LOOK/ours-plain/" 2>/dev/null || true
done

# plot.py on a copy of the paper's folder (it writes its PDF beside itself); `utils.py` imports
# torch only for clear_cache(), which no plot calls: a stub module stands in.
paper_plots() {
    local data=$1 out=$2 copy
    copy=$(mktemp -d)
    cp -r "$REF"/*.py "$REF/models_config.json" "$REF/predictor" "$copy/"
    cp -r "$REF/figures" "$copy/figures"
    chmod -R u+w "$copy"
    if [ -n "$data" ]; then
        for dir in "$data"/figure-*; do
            cp -r "$dir"/. "$copy/figures/$(basename "$dir")/"
        done
    fi
    mkdir -p "$copy/stub" "$out"
    printf 'class Tensor:\n    pass\n' > "$copy/stub/torch.py"
    for plot in "$copy"/figures/figure-*/plot.py; do
        (cd "$(dirname "$plot")" && PYTHONPATH=$copy/stub MPLBACKEND=Agg "$PY" plot.py >/dev/null 2>&1) || true
    done
    find "$copy/figures" -name 'figure*.pdf' -newer "$copy/stub/torch.py" -exec cp {} "$out/" \;
    rm -rf "$copy"
}

echo "== the paper's plot.py, re-run" >&2
rm -rf "$LOOK/baseline" "$LOOK/baseline-fake"
paper_plots "" "$LOOK/baseline"
paper_plots "$FAKE" "$LOOK/baseline-fake"
for f in 3 4 5 6 8 11 13 15; do
    cp "$LOOK/baseline-fake/figure$f.pdf" "$LOOK/baseline/" 2>/dev/null || true
done

echo "== plot.py re-run vs the paper's PDFs (baseline)"
"$PY" "$ROOT/bench/compare_figures.py" --ours "$LOOK/baseline" --paper "$REF/figures"
echo "== repro vs the paper's PDFs (figures 3-6, 8, 11, 13, 15, 17 from fake data, with its banner)"
"$PY" "$ROOT/bench/compare_figures.py" --ours "$LOOK/ours" --paper "$REF/figures" --beside "$LOOK/beside"
echo "== repro vs the paper's PDFs, fake data without the banner (compare with the baseline)"
"$PY" "$ROOT/bench/compare_figures.py" --ours "$LOOK/ours-plain" --paper "$REF/figures"
echo "== repro vs plot.py on the same fake data, without the banner"
mkdir -p "$LOOK/same-data"
for f in 3 4 5 6 8 11 13 15; do
    mkdir -p "$LOOK/same-data/figure-$f"
    cp "$LOOK/baseline-fake/figure$f.pdf" "$LOOK/same-data/figure-$f/" 2>/dev/null || true
done
"$PY" "$ROOT/bench/compare_figures.py" --ours "$LOOK/ours-plain" --paper "$LOOK/same-data" \
    --only 3,4,5,6,8,11,13,15 --beside "$LOOK/beside-same-data"
echo "side by side (paper or plot.py left, repro right): $LOOK/beside/ and $LOOK/beside-same-data/" >&2

#!/usr/bin/env bash
# Speed of `repro render all` (release build) against the paper's own pipeline on the same
# published data: compare_logs.py per run folder + avg_results.py per group + every plot.py that
# has data (figures 1, 2, 7, 9, 10, 12, 14). Both run on fresh copies of the data.
#
#   bench/render.sh            # RUNS=5 timed runs of repro, RUNS_PY=3 of the Python pipeline
#
# The Python side needs numpy, matplotlib, scipy, scikit-learn, tabulate: a venv is made under
# .cache/bench-venv on first use (pip). `utils.py` imports torch only for `clear_cache()`, which
# no plot calls; a one-line stub module stands in for it so torch need not be installed.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
REF=${REF:-$ROOT/../shared/reference/vllm-profiling}
RUNS=${RUNS:-5}
RUNS_PY=${RUNS_PY:-3}
VENV=$ROOT/.cache/bench-venv

[ -d "$REF/figures" ] || { echo "no published data at $REF/figures (set REF=)" >&2; exit 1; }

echo "== building repro (release)" >&2
cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml"
REPRO=$ROOT/target/release/repro

if [ ! -x "$VENV/bin/python" ]; then
    echo "== creating $VENV" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet numpy matplotlib scipy scikit-learn tabulate
fi
PY=$VENV/bin/python

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/stub"
printf '# stands in for torch: utils.py imports it, no plot uses it\nclass Tensor:  # scipy looks for torch.Tensor once torch is imported\n    pass\n' > "$WORK/stub/torch.py"

now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc -l; }

# One run of the paper's pipeline on a fresh copy; prints its seconds.
paper_pipeline() {
    local copy=$WORK/paper-$1
    rm -rf "$copy"; mkdir -p "$copy"
    cp -r "$REF"/*.py "$REF/models_config.json" "$REF/predictor" "$copy/"
    cp -r "$REF/figures" "$copy/figures"
    chmod -R u+w "$copy"
    local start end
    start=$(now)
    (
        cd "$copy"
        export PYTHONPATH=$WORK/stub MPLBACKEND=Agg
        for group in $(find figures -type d -name iterations -printf '%h\n' | sort); do
            for run in "$group"/uncached "$group"/iterations/*; do
                compgen -G "$run/output_model_*" >/dev/null || continue
                "$PY" compare_logs.py "$run"/output_model_* "$run/comparison_results.json" >/dev/null
            done
            if compgen -G "$group/iterations/*/output_model_*" >/dev/null; then
                "$PY" avg_results.py "$group/iterations" >/dev/null
            fi
        done
        for fig in 1 2 7 9 10 12 14; do
            "$PY" "figures/figure-$fig/plot.py" >/dev/null
        done
    )
    end=$(now)
    elapsed "$start" "$end"
}

# One run of repro on a fresh copy; prints its seconds.
repro_render() {
    local copy=$WORK/repro-$1
    rm -rf "$copy"; cp -r "$REF/figures" "$copy"
    local start end
    start=$(now)
    "$REPRO" -q render all --results "$copy" --out "$WORK/out-$1" 2>/dev/null
    end=$(now)
    elapsed "$start" "$end"
}

best() { sort -g | head -1; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "== repro render all ($RUNS runs)" >&2
repro_render warm >/dev/null
REPRO_TIMES=$(for i in $(seq "$RUNS"); do repro_render "$i"; done)
echo "== paper pipeline ($RUNS_PY runs)" >&2
paper_pipeline warm >/dev/null
PY_TIMES=$(for i in $(seq "$RUNS_PY"); do paper_pipeline "$i"; done)

R_MED=$(echo "$REPRO_TIMES" | median); R_MIN=$(echo "$REPRO_TIMES" | best)
P_MED=$(echo "$PY_TIMES" | median); P_MIN=$(echo "$PY_TIMES" | best)
printf 'repro render all : median %.3f s  (best %.3f s, %s runs)\n' "$R_MED" "$R_MIN" "$RUNS"
printf 'paper pipeline   : median %.3f s  (best %.3f s, %s runs)\n' "$P_MED" "$P_MIN" "$RUNS_PY"
printf 'speed-up         : %.1fx (medians)\n' "$(echo "$P_MED / $R_MED" | bc -l)"

#!/usr/bin/env bash
# The analysis path at a lab's scale: a tree of COPIES copies of the published data (each copy
# a folder of figure folders, as a lab keeps experiments side by side), tabled and drawn from
# raw logs (their comparison_results.json removed), CPU seconds and peak memory measured with
# /usr/bin/time. With BASE=path/to/an/older/repro, the same data through that binary, beside:
# one `table DIR` / `render DIR` call per figure folder where it cannot take the tree at once.
#
#   bench/lab.sh                     # COPIES=66 (21,186 logs), RUNS=3
#   BASE=/tmp/repro-old bench/lab.sh # and the older binary, alternated with this one
#   BASE_TREE=1 BASE=… bench/lab.sh    # an older binary that takes the tree at once too
#
# Also checks that every copy's tables are the same bytes, and the same as one `table all`.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
COPIES=${COPIES:-66}
RUNS=${RUNS:-3}
BASE=${BASE:-}
BASE_TREE=${BASE_TREE:-}

echo "== building repro (release)" >&2
cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml"
REPRO=$ROOT/target/release/repro

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
"$REPRO" -q merge "$ROOT/data/published.tar.zst" --results "$WORK/one"
find "$WORK/one" -name '*comparison_results.json' -delete
mkdir -p "$WORK/lab"
for i in $(seq 1 "$COPIES"); do cp -r "$WORK/one" "$WORK/lab/copy-$i"; done
logs=$(find "$WORK/lab" -name 'output_*' | wc -l)
echo "== $COPIES copies, $logs logs, $(du -sh "$WORK/lab" | cut -f1)" >&2

# `cpu-seconds peak-MB` of one command on a fresh copy of the tree.
measure() {
    rm -rf "$WORK/run"; cp -r "$WORK/lab" "$WORK/run"
    (cd "$WORK" && /usr/bin/time -f "%U %S %M" -o "$WORK/t" "$@" >/dev/null 2>"$WORK/err") \
        || { cat "$WORK/err" >&2; exit 1; }
    awk '{printf "%.2f %.0f\n", $1 + $2, $3 / 1024}' "$WORK/t"
}

# The older binary takes one figure folder a call.
per_folder() {
    local bin=$1 what=$2
    shift 2
    for dir in run/copy-*/figure-*; do
        "$bin" -q "$what" "./$dir" "$@" || true
    done
}

# One binary that takes the tree at once: a cold table, the table again (its parse cache
# warm), the drawing after the table (render reads that cache), and the drawing from raw logs.
tree_round() {
    local bin=$1 name=$2 c m
    read -r c m < <(measure "$bin" -q table run)
    printf '%-10s %-14s %12s %10s\n' "$name" table "$c" "$m"
    (cd "$WORK" && /usr/bin/time -f "%U %S %M" -o "$WORK/t" "$bin" -q table run >/dev/null 2>&1)
    printf '%-10s %-14s %12s %10s\n' "$name" table-again $(awk '{printf "%.2f %.0f", $1 + $2, $3 / 1024}' "$WORK/t")
    (cd "$WORK" && /usr/bin/time -f "%U %S %M" -o "$WORK/t" "$bin" -q render run --out "$WORK/figs" --format svg >/dev/null 2>&1)
    printf '%-10s %-14s %12s %10s\n' "$name" render-tabled $(awk '{printf "%.2f %.0f", $1 + $2, $3 / 1024}' "$WORK/t")
    read -r c m < <(measure "$bin" -q render run --out "$WORK/figs" --format svg)
    printf '%-10s %-14s %12s %10s\n' "$name" render "$c" "$m"
}

printf '%-10s %-14s %12s %10s\n' binary step cpu_s peak_MB
for r in $(seq 1 "$RUNS"); do
    tree_round "$REPRO" new
    if [ -n "$BASE" ] && [ -n "$BASE_TREE" ]; then
        tree_round "$BASE" base
    elif [ -n "$BASE" ]; then
        export -f per_folder
        read -r c m < <(measure bash -c 'per_folder "$0" table' "$BASE")
        printf '%-10s %-14s %12s %10s\n' base table "$c" "$m"
        read -r c m < <(measure bash -c 'per_folder "$0" render --out figs --format svg' "$BASE")
        printf '%-10s %-14s %12s %10s\n' base render "$c" "$m"
    fi
done

# The tables: every copy's the same bytes, and those of one `table all` of the same data.
rm -rf "$WORK/run"; cp -r "$WORK/lab" "$WORK/run"
"$REPRO" -q table "$WORK/run"
cp -r "$WORK/one" "$WORK/all"; "$REPRO" -q table all --results "$WORK/all"
for i in $(seq 1 "$COPIES"); do
    diff -r -x manifests -x '.repro*' "$WORK/all" "$WORK/run/copy-$i" >/dev/null \
        || { echo "copy-$i's tables differ from table all's" >&2; exit 1; }
done
echo "== every copy's tables equal one table all's" >&2

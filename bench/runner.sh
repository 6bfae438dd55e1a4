#!/usr/bin/env bash
# The runner's own costs (release build), for issue 15's budget: planning a 100,000-task sweep
# (wall time and peak memory; budget < 100 MB) and the overhead per run of 1,000 fake-engine
# runs whose sleeps are removed (budget < 2.5 ms a run beyond the engine's own start).
#
#   bench/runner.sh            # prints both; RUNS=1000 TASKS=100000 to change the sizes
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-1000}
cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml"
REPRO=$ROOT/target/release/repro
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/figures"

# 100 × 200 × 5 = 100,000 tasks, planned and explained by a dry run (every line printed).
A=$(seq -s, 0 99); B=$(seq -f '"v%g"' -s, 0 199)
cat > "$WORK/figures/big.toml" <<TOML
title = "big"
[run]
vllm = "0.10.1.1"
warmup = false
iterations = 5
env = { VLLM_USE_V1 = "1" }
default_params = { max-num-seqs = [$A], tag = [$B] }
configs = [{ model = "qwen-4b" }]
TOML
cd "$WORK"
/usr/bin/time -f "plan 100k (dry run): %e s wall, %M KB peak" \
    "$REPRO" figure big --engine fake --dry-run > /dev/null

# $RUNS runs of the fake engine, sleeps removed: the whole command over the run count, beside
# the fake engine alone started as many times (the child's own cost), the difference being the
# runner's (spawning, staging, hashing, manifests, tables).
S=$(seq -s, 1 "$RUNS")
cat > "$WORK/figures/many.toml" <<TOML
title = "many"
[run]
vllm = "0.10.1.1"
warmup = false
iterations = 1
default_params = { max-num-seqs = [$S] }
configs = [{ model = "qwen-0.5b" }]
TOML
export REPRO_FAKE_SPEEDUP=1e12 REPRO_NO_PROGRESS=1
start=$(date +%s.%N)
"$REPRO" -q figure many --engine fake --results r
total=$(echo "$(date +%s.%N) - $start" | bc)
start=$(date +%s.%N)
for i in $(seq 1 "$RUNS"); do
    "$REPRO" __fake-engine --model models/qwen-0.5b --max-num-seqs "$i" > /dev/null
done
child=$(echo "$(date +%s.%N) - $start" | bc)
printf '%s runs: %.1f s in all, %.2f ms a run; the fake engine alone %.2f ms; the runner %.2f ms a run\n' \
    "$RUNS" "$total" "$(echo "$total * 1000 / $RUNS" | bc -l)" "$(echo "$child * 1000 / $RUNS" | bc -l)" \
    "$(echo "($total - $child) * 1000 / $RUNS" | bc -l)"

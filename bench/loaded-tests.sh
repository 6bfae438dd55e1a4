#!/usr/bin/env bash
# The suite on a loaded machine: a clean clone's `cargo test --locked`, RUNS times in a row,
# while BUSY busy loops share the cores with it (as CI's and a developer's runs share theirs).
# A test that waits for a fixed time instead of a sign fails here first.
#
#   bench/loaded-tests.sh            # RUNS=2, BUSY=6
#
# The clone is made beside this checkout (../loaded-check) and removed after; its build
# directory is kept between the runs, so the second run only tests.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-2}
BUSY=${BUSY:-6}
CLONE=$ROOT/../loaded-check

rm -rf "$CLONE"
git clone -q "$ROOT" "$CLONE"
pids=()
for _ in $(seq "$BUSY"); do
    (while :; do :; done) &
    pids+=($!)
done
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$CLONE"' EXIT

failed=0
for run in $(seq "$RUNS"); do
    start=$(date +%s)
    if (cd "$CLONE" && cargo test --locked >"$CLONE.run$run.log" 2>&1); then
        verdict=green
    else
        verdict=FAILED
        failed=1
    fi
    echo "run $run: $verdict in $(($(date +%s) - start)) s, $BUSY busy loops beside it" \
        "($(grep -h '^test result' "$CLONE.run$run.log" | tr '\n' ' '))"
    [ "$verdict" = green ] || grep -h -A 20 '^failures:' "$CLONE.run$run.log" | head -40
done
rm -f "$CLONE".run*.log
exit "$failed"

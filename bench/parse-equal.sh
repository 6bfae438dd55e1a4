#!/usr/bin/env bash
# Two repro binaries read every log the same way: `repro parse --json` and `repro parse
# --ledger --json` (stdout, stderr and exit status) of every log of the published data and of
# tests/fixtures, whole and each cut at CUTS random bytes (seeded, so a rerun cuts the same).
#
#   BASE=/path/to/old/repro bench/parse-equal.sh [NEW=target/release/repro] [CUTS=6]
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BASE=${BASE:?set BASE= to the older repro binary}
NEW=${NEW:-$ROOT/target/release/repro}
CUTS=${CUTS:-6}

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
"$NEW" -q merge "$ROOT/data/published.tar.zst" --results "$WORK/published"
mkdir -p "$WORK/logs"
n=0
while IFS= read -r -d '' log; do
    n=$((n + 1))
    cp "$log" "$WORK/logs/$n.log"
done < <(find "$WORK/published" "$ROOT/tests/fixtures" -type f \
    \( -name 'output_*' -o -name '*.log' -o -name '*.txt' \) -not -path '*/manifests/*' -print0 | sort -z)
# Each log cut at CUTS byte offsets drawn from a seeded generator.
python3 - "$WORK/logs" "$CUTS" <<'EOF'
import os, random, sys
folder, cuts = sys.argv[1], int(sys.argv[2])
rng = random.Random(26)
for name in sorted(os.listdir(folder)):
    data = open(os.path.join(folder, name), "rb").read()
    for k in range(cuts):
        at = rng.randrange(len(data) + 1)
        open(os.path.join(folder, f"{name}.cut{k}"), "wb").write(data[:at])
EOF
total=$(find "$WORK/logs" -type f | wc -l)
echo "== $n logs, $total with the cuts" >&2

failed=0
for mode in "" "--ledger"; do
    for bin in base new; do
        exe=$BASE; [ "$bin" = new ] && exe=$NEW
        (cd "$WORK/logs" && find . -type f | sort | xargs "$exe" parse $mode --json \
            >"$WORK/$bin.out" 2>"$WORK/$bin.err"; echo "exit $?" >>"$WORK/$bin.err") || true
    done
    if cmp -s "$WORK/base.out" "$WORK/new.out" && cmp -s "$WORK/base.err" "$WORK/new.err"; then
        echo "parse $mode --json: identical ($(wc -c <"$WORK/new.out") bytes of JSON)" >&2
    else
        echo "parse $mode --json: DIFFERENT" >&2
        diff "$WORK/base.out" "$WORK/new.out" | head -20 >&2 || true
        diff "$WORK/base.err" "$WORK/new.err" | head -20 >&2 || true
        failed=1
    fi
done
exit $failed

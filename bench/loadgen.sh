#!/usr/bin/env bash
# How fast can `repro bench` send? Finds the highest Poisson rate at which the achieved send rate
# stays within 1% of the schedule's and the p99 send lag stays under 1 ms, against the mock
# server (`repro __mock-server`, loopback only). Also measures the mock alone (with `ab`, if
# installed: apt-get install apache2-utils) so it is known not to be the cap, and, if a vLLM
# environment is given, `vllm bench serve` against the same mock for comparison (run before the
# sweep, whose overloaded top rates leave the mock busy for a while).
#
# Send lag = actual start of the request − its scheduled time; "timer" = the hand-over to the async
# runtime − scheduled time (the generator's own timer; the rest is the runtime starting the task).
#
#   bench/loadgen.sh                      # rates 250 … 16000 req/s, ~4 s each
#   RATES="1000 2000" SECONDS_PER_RATE=2 bench/loadgen.sh
#   VLLM=/path/to/env/bin/vllm TOKENIZER=/path/to/model bench/loadgen.sh
#
# Every loop is bounded: at most MAX_REQUESTS per rate, the mock exits by itself after 10 min.
set -euo pipefail
cd "$(dirname "$0")/.."
REPRO=${REPRO:-target/debug/repro}
RATES=${RATES:-"250 500 1000 2000 4000 8000 16000"}
SECONDS_PER_RATE=${SECONDS_PER_RATE:-4}
MAX_REQUESTS=${MAX_REQUESTS:-40000}
OUTPUT_TOKENS=${OUTPUT_TOKENS:-2}
[ -x "$REPRO" ] || { echo "no $REPRO: cargo build first (or REPRO=path)" >&2; exit 1; }
REPRO=$(realpath "$REPRO")

work=$(mktemp -d)
mock_pid=
cleanup() { [ -n "$mock_pid" ] && kill "$mock_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

"$REPRO" __mock-server --ttft-ms 0 --gap-ms 0 --threads 1 --lifetime-s 600 > "$work/mock.out" 2>&1 &
mock_pid=$!
for _ in $(seq 50); do grep -q listening "$work/mock.out" && break; sleep 0.1; done
addr=$(sed -n 's/^listening on //p' "$work/mock.out")
echo "mock on $addr (pid $mock_pid, 1 worker thread); machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

if command -v ab > /dev/null; then
  printf '{"model":"mock","prompt":"a b c","max_tokens":%s,"stream":false}' "$OUTPUT_TOKENS" > "$work/body.json"
  ab -q -k -c 32 -n 40000 -p "$work/body.json" -T application/json "http://$addr/v1/completions" > "$work/ab.txt" 2>&1 || true
  echo "mock alone (ab -k -c 32, non-streamed): $(grep 'Requests per second' "$work/ab.txt" | awk '{print $4}') req/s"
else
  echo "mock alone: ab not installed (apt-get install apache2-utils), skipped"
fi

mkdir -p "$work/benchmarks"
cat > "$work/benchmarks/loadgen.toml" <<TOML
title = "load generator ceiling against the mock"
[server]
kind = "url"
url = "http://$addr"
model = "mock"
health_timeout = "10s"
[workload]
arrival = "poisson"
requests = 1
prompt = { kind = "synthetic", len = { dist = "fixed", value = 8 } }
output_len = { dist = "fixed", value = $OUTPUT_TOKENS }
max_duration = "60s"
request_timeout = "30s"
TOML
# One recipe per rate (the request count follows the rate).
for rate in $RATES; do
  n=$(( rate * SECONDS_PER_RATE )); [ "$n" -gt "$MAX_REQUESTS" ] && n=$MAX_REQUESTS
  sed "s/^requests = 1$/requests = $n\nrate = $rate.0/" "$work/benchmarks/loadgen.toml" > "$work/benchmarks/lg-$rate.toml"
done
rm "$work/benchmarks/loadgen.toml"

echo "closed loop (client + mock together, concurrency 64, 20000 requests):"
sed 's/^arrival = "poisson"$/arrival = "closed"\nconcurrency = 64/; s/^requests = .*/requests = 20000/; /^rate = /d' \
  "$work/benchmarks/lg-$(echo $RATES | awk '{print $1}').toml" > "$work/benchmarks/closed.toml"
(cd "$work" && "$REPRO" -q bench closed > /dev/null 2>&1) || true
python3 - "$work/results/bench-closed/default/summary.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print(f"  {s['request_throughput']:.0f} req/s, ok {s['outcomes']['ok']}/{s['requests']}, e2e p50 {s['e2e']['p50']*1e3:.2f} ms")
PY

if [ -n "${VLLM:-}" ]; then
  tok=${TOKENIZER:?set TOKENIZER to a model folder with a tokenizer}
  n=${VLLM_PROMPTS:-2000}
  echo "vllm bench serve, request rate inf, $n prompts:"
  "$VLLM" bench serve --backend openai --base-url "http://$addr" --model mock --tokenizer "$tok" \
    --dataset-name random --random-input-len 8 --random-output-len "$OUTPUT_TOKENS" --ignore-eos \
    --num-prompts "$n" --request-rate inf --seed 0 2>&1 | grep -E "Request throughput|Successful|Benchmark duration" || true
  for rate in ${VLLM_RATES:-}; do
    echo "vllm bench serve at $rate req/s, $n prompts:"
    "$VLLM" bench serve --backend openai --base-url "http://$addr" --model mock --tokenizer "$tok" \
      --dataset-name random --random-input-len 8 --random-output-len "$OUTPUT_TOKENS" --ignore-eos \
      --num-prompts "$n" --request-rate "$rate" --seed 0 2>&1 | grep -E "Request throughput|Benchmark duration" || true
  done
fi

best=0
best_valid=0
printf '%8s %8s %10s %10s %8s %11s %11s %12s %6s %7s\n' target n scheduled achieved "err%" "lag p50 ms" "lag p99 ms" "timer p99 ms" ok "self ok"
for rate in $RATES; do
  (cd "$work" && "$REPRO" -q bench "lg-$rate" > /dev/null 2>&1) || true
  line=$(python3 - "$work/results/bench-lg-$rate/default/summary.json" "$rate" <<'PY'
import json, sys
try:
    s = json.load(open(sys.argv[1]))
except OSError:
    print("missing"); sys.exit()
a = s["arrivals"]
sched, ach = a["scheduled_rate"], a["achieved_rate"] or 0.0
err = abs(ach / sched - 1) * 100
p50, p99 = a["send_lag"]["p50"] * 1e3, a["send_lag"]["p99"] * 1e3
timer = a["dispatch_lag"]["p99"] * 1e3
good = err <= 1.0 and p99 < 1.0 and s["outcomes"]["ok"] == s["requests"]
# The run's own verdict (`client` in summary.json): was the load generator the limit?
c = s.get("client") or {}
valid = "yes" if c.get("valid") else ("no" if c else "-")
print(f"{sys.argv[2]:>8} {s['requests']:>8} {sched:>10.1f} {ach:>10.1f} {err:>8.3f} {p50:>11.3f} {p99:>11.3f} {timer:>12.3f} {'yes' if good else 'no':>6} {valid:>7}")
for why in c.get("tripped", []):
    print(f"{'':>8} self-check: {why}")
PY
)
  echo "$line"
  first=$(echo "$line" | head -1)
  case "$first" in *" yes "*) best=$rate ;; esac
  case "$first" in *" yes") best_valid=$rate ;; esac
done
echo "highest rate meeting both (achieved within 1% of schedule, p99 send lag < 1 ms, all ok): $best req/s"
echo "highest rate the load generator's own self-check calls valid (summary.json client.valid): $best_valid req/s"


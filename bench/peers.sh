#!/usr/bin/env bash
# repro beside its peers, GuideLLM 0.8.1 and AIPerf 0.13.0, on repro's mock server (loopback,
# many slots, 1 ms to the first token, 1 ms gaps): the same seeded Poisson targets for each tool,
# 8-word prompts, 4 output tokens, streamed /v1/completions; tools alternated (repro, GuideLLM,
# AIPerf at each rate, then a second round in the reverse order). Prints markdown tables: every
# run (achieved send rate, send lag, client peak memory), the highest on-schedule rate of each
# tool in both rounds, and each tool's own metrics at METRIC_RATE. Two verdicts per run:
#   on schedule:     achieved send rate within 5% of the target, every request ok (asked for);
#   on its own plan: achieved within 5% of the rate of the tool's own seeded draw, every request
#                    ok, and p90 send lag <= max(10 ms, half a mean gap) (repro's self-check bound).
# Each tool climbs the ladder per round until a run meets neither.
#
#   bench/peers.sh                                  # ~20 min on 2 loaded cores
#   RATES="25 50" REPRO_RATES="1000 2000" MIN_REQUESTS=100 ROUNDS=1 bench/peers.sh   # ~4 min
#   TOOLS="repro aiperf" bench/peers.sh             # leave a tool out
#   KEEP_RESULTS=rows.jsonl bench/peers.sh          # keep every run's row; bench/peers.py table
#                                                   #   rows.jsonl 100 prints the tables again
#
# The peers are installed once, pinned, from PyPI into PEERS_VENV (default .cache/peers-venv,
# ignored by git; reused when present; GuideLLM pulls ~3 GB of CUDA wheels, so ≥ 15 GB free is
# asked for first). Both need a Hugging Face tokenizer and the hub is not reachable: a tiny
# byte-level BPE is trained offline (`tokenizers`) into PEERS_VENV/tokenizer and both load it.
# AIPerf refuses a local tokenizer folder under HF_HUB_OFFLINE=1, so the offline variables are
# unset (a local path never reaches the hub).
#
# Client memory: repro is one process (/usr/bin/time -v's maximum RSS); the peers start worker
# processes, so their whole process tree's RSS is summed every 100 ms (bench/peers.py measure).
# The mock is started afresh for every run, so an overloaded run never slows the next.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
REPRO=${REPRO:-target/release/repro}
VENV=${PEERS_VENV:-.cache/peers-venv}
TOOLS=${TOOLS:-"repro guidellm aiperf"}
# The peers' ladder; repro goes on up REPRO_RATES once the shared one is done.
RATES=${RATES:-"10 25 50 100 250 500 1000"}
REPRO_RATES=${REPRO_RATES:-"2000 4000 8000 16000"}
# requests = rate × SECONDS_PER_RATE within MIN_REQUESTS..MAX_REQUESTS. A Poisson draw of n gaps
# has its own rate within ~1/sqrt(n) of the target (3% at 1000): the target verdict is noisy on
# small runs, the plan verdict is not. A peer run costs ~30-60 s of start-up besides.
SECONDS_PER_RATE=${SECONDS_PER_RATE:-10}
MIN_REQUESTS=${MIN_REQUESTS:-250}
MAX_REQUESTS=${MAX_REQUESTS:-40000}
METRIC_RATE=${METRIC_RATE:-100}
ROUNDS=${ROUNDS:-2}
SEED=${SEED:-0}
PROMPT_WORDS=8
OUTPUT_TOKENS=4
GUIDELLM_VERSION=0.8.1
AIPERF_VERSION=0.13.0
TOKENIZERS_VERSION=0.23.3

[ -x "$REPRO" ] || { echo "no $REPRO: cargo build --release first (or REPRO=path)" >&2; exit 1; }
REPRO=$(realpath "$REPRO")
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }

installed() {
  [ -x "$VENV/bin/python" ] && "$VENV/bin/python" - "$GUIDELLM_VERSION" "$AIPERF_VERSION" <<'PY' 2>/dev/null
import sys
from importlib.metadata import version
sys.exit(0 if (version("guidellm"), version("aiperf")) == tuple(sys.argv[1:3]) else 1)
PY
}
if ! installed; then
  free_gb=$(df -P -BG "$(dirname "$VENV")" 2>/dev/null | awk 'NR == 2 {print $4 + 0}')
  mkdir -p "$(dirname "$VENV")"
  free_gb=${free_gb:-$(df -P -BG . | awk 'NR == 2 {print $4 + 0}')}
  [ "$free_gb" -ge 15 ] || { echo "only ${free_gb} GB free for $VENV; the peers need ~15 GB" >&2; exit 1; }
  echo "installing guidellm==$GUIDELLM_VERSION aiperf==$AIPERF_VERSION into $VENV (several GB, minutes)" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet "guidellm==$GUIDELLM_VERSION" "aiperf==$AIPERF_VERSION" "tokenizers==$TOKENIZERS_VERSION"
fi
VENV=$(realpath "$VENV")
PY="$VENV/bin/python"
TOKENIZER="$VENV/tokenizer"
if [ ! -f "$TOKENIZER/tokenizer.json" ]; then
  "$PY" bench/peers.py tokenizer "$TOKENIZER" README.md benchmarks/README.md benchmarks/prompts.txt
fi
unset HF_HUB_OFFLINE TRANSFORMERS_OFFLINE HF_DATASETS_OFFLINE

work=$(mktemp -d)
mock_pid=
stop_mock() { if [ -n "$mock_pid" ]; then kill "$mock_pid" 2>/dev/null || true; wait "$mock_pid" 2>/dev/null || true; mock_pid=; fi; }
cleanup() { stop_mock; rm -rf "$work"; }
trap cleanup EXIT

start_mock() { # dir: the mock's log goes there
  "$REPRO" __mock-server --slots 100000 --ttft-ms 1 --gap-ms 1 --threads 1 --lifetime-s 900 --quiet \
    > "$1/mock.out" 2>&1 &
  mock_pid=$!
  for _ in $(seq 100); do grep -q listening "$1/mock.out" && break; sleep 0.1; done
  addr=$(sed -n 's/^listening on //p' "$1/mock.out")
  [ -n "$addr" ] || { echo "the mock did not start: $(cat "$1/mock.out")" >&2; exit 1; }
}

requests_for() {
  local n=$(( $1 * SECONDS_PER_RATE ))
  [ "$n" -lt "$MIN_REQUESTS" ] && n=$MIN_REQUESTS
  [ "$n" -gt "$MAX_REQUESTS" ] && n=$MAX_REQUESTS
  echo "$n"
}

run_repro() { # rate n dir
  mkdir -p "$3/benchmarks"
  cat > "$3/benchmarks/peer.toml" <<TOML
title = "repro beside its peers: Poisson $1 req/s on the mock"
[server]
kind = "url"
url = "http://$addr"
model = "mock"
health_timeout = "10s"
[workload]
endpoint = "completions"
arrival = "poisson"
rate = $1.0
requests = $2
prompt = { kind = "synthetic", len = { dist = "fixed", value = $PROMPT_WORDS } }
output_len = { dist = "fixed", value = $OUTPUT_TOKENS }
seed = $SEED
max_duration = "5m"
request_timeout = "60s"
TOML
  (cd "$3" && /usr/bin/time -v "$REPRO" -q bench peer > "$3/log" 2> "$3/time.txt") || true
  python3 - "$3/time.txt" "$3/mem.json" <<'PY'
import json, re, sys
text = open(sys.argv[1]).read()
kb = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", text)
secs = sum(float(x) * 60**i for i, x in enumerate(reversed(wall.group(1).split(":")))) if wall else None
json.dump({"peak_rss_bytes": int(kb.group(1)) * 1024 if kb else None, "processes_most": 1,
           "wall_s": secs}, open(sys.argv[2], "w"))
PY
  echo "$3/results/bench-peer/default"
}

run_guidellm() { # rate n dir
  "$PY" bench/peers.py measure "$3/mem.json" -- "$VENV/bin/guidellm" run \
    --backend "kind=openai_http,target=http://$addr,model=mock,request_format=/v1/completions" \
    --profile "kind=poisson,rate=$1" --constraint "kind=max_requests,count=$2" \
    --tokenizer "kind=hf_auto,model=$TOKENIZER" --seed "kind=static,value=$SEED" \
    --data "kind=synthetic_text,prompt_tokens=$PROMPT_WORDS,output_tokens=$OUTPUT_TOKENS" \
    --output "kind=json,path=$3/out/benchmarks.json" --disable-console-interactive > "$3/log" 2>&1 || true
  echo "$3/out"
}

run_aiperf() { # rate n dir
  "$PY" bench/peers.py measure "$3/mem.json" -- "$VENV/bin/aiperf" profile \
    --model mock --url "http://$addr" --endpoint-type completions --streaming \
    --tokenizer "$TOKENIZER" --request-rate "$1" --arrival-pattern poisson --request-count "$2" \
    --isl "$PROMPT_WORDS" --isl-stddev 0 \
    --output-tokens-mean "$OUTPUT_TOKENS" --output-tokens-stddev 0 --extra-inputs ignore_eos:true \
    --random-seed "$SEED" --artifact-dir "$3/out" --ui-type none > "$3/log" 2>&1 || true
  echo "$3/out"
}

results=${KEEP_RESULTS:-$work/results.jsonl}
: > "$results"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 2^20}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg); repro $("$REPRO" --version 2>/dev/null | awk '{print $2}'), $(date -u '+%Y-%m-%d %H:%M UTC')" >&2
for round in $(seq "$ROUNDS"); do
  order=$TOOLS
  [ $(( round % 2 )) -eq 0 ] && order=$(echo "$TOOLS" | tr ' ' '\n' | tac | tr '\n' ' ')
  declare -A missed=()
  for rate in $RATES $REPRO_RATES; do
    for tool in $order; do
      [ -n "${missed[$tool]:-}" ] && continue
      case " $REPRO_RATES " in *" $rate "*) [ "$tool" = repro ] || continue ;; esac
      n=$(requests_for "$rate")
      dir="$work/$tool-$rate-r$round"
      mkdir -p "$dir"
      start_mock "$dir"
      out=$("run_$tool" "$rate" "$n" "$dir")
      # A run whose mock went away is the mock's failure, not the tool's: said, and its log shown.
      if ! kill -0 "$mock_pid" 2>/dev/null; then
        echo "the mock exited during $tool at $rate req/s (round $round); its log:" >&2
        tail -5 "$dir/mock.out" >&2
      fi
      stop_mock
      row=$(PEERS_SEED=$SEED "$PY" bench/peers.py parse "$tool" "$rate" "$out" "$dir/mem.json" "$round")
      echo "$row" >> "$results"
      if ! echo "$row" | grep -qE '"on_(schedule|plan)": true'; then
        missed[$tool]=1
        case "$row" in *'"note": "no result'*) tail -5 "$dir/log" >&2 || true ;; esac
      fi
    done
  done
  unset missed
done
python3 bench/peers.py table "$results" "$METRIC_RATE"
cat <<'DEFS'

Definitions, each tool's own:
- **achieved send req/s** (this script, the same for every tool): (requests − 1) / (last request start − first), from each tool's per-request start times (repro `sent`, GuideLLM `request_start`, AIPerf `request_start_ns`). **schedule's own**: the same over the tool's planned send times where it records them (repro `scheduled`, GuideLLM `targeted_start` ≥ 0); AIPerf's pacer resets its deadline to "now" when behind and records no plan, so its seeded draw is made again with its own generator (`timing.request.poisson_interval`), anchored at its first credit; the i-th send is set against the draw's i-th time for its send lag. GuideLLM's send lag = `request_start − targeted_start`. Its worker processes each seed their own generator with the same seed and add their draws to one shared clock, so its plan repeats each gap once per worker (10 by default): n / 10 independent gaps, and its plan's rate sits off the target (seed 0: 17.5% below at every rate), so it is judged against its plan.
- **repro**: request throughput = ok requests / (first send → last end); output = their usage.completion_tokens / the same; TTFT = first chunk with text − send; E2E = end of stream − send.
- **GuideLLM 0.8.1**: `requests_per_second` and `output_tokens_per_second` (successful, mean over the run); `time_to_first_token_ms` = first token iteration − request start; `request_latency` = request end − start; its distributions are weighted by token, and its TPOT = (last token − request start) / tokens includes TTFT.
- **AIPerf 0.13.0**: `request_throughput` and `output_token_throughput` (over the profiling window); `time_to_first_token` = first response chunk − request start; `request_latency` = last response − request start; its "ITL" is per request (last − first token) / (tokens − 1), what vLLM calls TPOT.
DEFS

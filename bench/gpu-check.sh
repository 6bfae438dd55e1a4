#!/usr/bin/env bash
# The checks that need a real NVIDIA GPU and nothing from the network (no vLLM, no model):
#   - `repro doctor` sees the GPUs through NVML;
#   - a real-engine figure passes its GPU check (dry run);
#   - a fake-engine figure run records GPU samples in its manifest;
#   - a tenants benchmark of two mock servers, each holding GPU memory through PyTorch
#     (bench/gpu_tenant.py), samples each tenant's memory by its process group, with and
#     without NVIDIA MPS (the real nvidia-cuda-mps-control: private folders, the clients
#     attached, quit after the servers);
#   - a kill -9 of repro during a tenants run under MPS leaves no daemon, server or tenant
#     behind, and the rerun quits what held the daemon's folders (`stale_quit`). (This last
#     step was added after the H200 run recorded in bench/RESULTS.md and has not run on a GPU
#     yet; the same lifecycle is tested with a stand-in daemon in tests/tenants.rs.)
# Usage: bench/gpu-check.sh [REPRO] [OUT_DIR]   (python3 with PyTorch on CUDA for the tenants)
set -u
repro=$(realpath "${1:-target/release/repro}")
out=$(realpath -m "${2:-gpu-check}")
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
work=$(mktemp -d)
step() { echo; echo "== $*"; }

step "the GPU"
nvidia-smi -L
command -v nvidia-cuda-mps-control || echo "no nvidia-cuda-mps-control on PATH"

step "repro doctor"
"$repro" doctor
"$repro" doctor --json > "$out/doctor.json"; echo "rc=$?"

step "figure 2, real engine, dry run (the GPU check)"
"$repro" figure 2 --dry-run --results "$work/real" 2>&1 | head -20

step "figure 2, fake engine, one iteration: GPU samples in the manifests"
"$repro" -q figure 2 --engine fake --iterations 1 --results "$work/fake"; echo "rc=$?"
m=$(find "$work/fake" -path '*manifests/*.json' | head -1)
python3 - "$m" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
print(sys.argv[1].split("/")[-1], {k: (str(v)[:300]) for k, v in m.items() if "gpu" in k})
PY

cat > "$work/gpu-tenants.toml" <<TOML
title = "Two mock tenants holding GPU memory, without and with MPS"
solo = false
stagger = "100ms"

[matrix]
sharing = ["none", "mps"]

[[tenant]]
name = "a"
mps_thread_percentage = 30
[tenant.server]
kind = "command"
model = "mock-a"
command = ["python3", "$here/gpu_tenant.py", "1024", "{repro}", "__mock-server", "--port", "{port}", "--ttft-ms", "5", "--gap-ms", "2", "--lifetime-s", "120"]
health_timeout = "60s"
stop_grace = "5s"
[tenant.workload]
arrival = "poisson"
rate = 20.0
requests = 40
prompt = { kind = "synthetic", len = { dist = "fixed", value = 8 } }
output_len = { dist = "fixed", value = 16 }
max_duration = "30s"
request_timeout = "10s"

[[tenant]]
name = "b"
mps_thread_percentage = 70
[tenant.server]
kind = "command"
model = "mock-b"
command = ["python3", "$here/gpu_tenant.py", "3072", "{repro}", "__mock-server", "--port", "{port}", "--ttft-ms", "2", "--gap-ms", "5", "--lifetime-s", "120"]
health_timeout = "60s"
stop_grace = "5s"
[tenant.workload]
arrival = "closed"
concurrency = 2
requests = 20
prompt = { kind = "synthetic", len = { dist = "fixed", value = 8 } }
output_len = { dist = "fixed", value = 16 }
max_duration = "30s"
request_timeout = "10s"
TOML

step "tenants on the GPU, sharing none and mps"
"$repro" bench "$work/gpu-tenants.toml" --results "$work/bench" 2>&1 | tail -30; echo "rc=$?"
for f in $(find "$work/bench" -name aggregate.json -o -name run.json | sort); do
  echo "-- ${f#$work/}"
  python3 - "$f" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
keep = ("status", "sharing", "gpu", "mps", "device_request_throughput", "failed_tenant", "error")
print(json.dumps({k: d[k] for k in keep if k in d}, indent=1)[:2500])
PY
done
ls /tmp | grep -i mps || true
pgrep -fa "nvidia-cuda-mps|__mock-server|gpu_tenant" || echo "nothing left running"

step "kill -9 of repro during a tenants run under MPS, then a rerun"
sed -e 's/^sharing = .*/sharing = ["mps"]/' -e 's/^requests = 40$/requests = 100000/' \
    -e 's/^max_duration = .*/max_duration = "60s"/' "$work/gpu-tenants.toml" > "$work/gpu-kill.toml"
"$repro" bench "$work/gpu-kill.toml" --results "$work/kill" > "$work/kill.log" 2>&1 &
victim=$!
for _ in $(seq 1 60); do grep -q "sending" "$work/kill.log" && break; sleep 0.5; done
sleep 2
echo "running before the kill:"; pgrep -fa "nvidia-cuda-mps|gpu_tenant" | cut -c1-120
kill -9 "$victim"; wait "$victim" 2>/dev/null
sleep 8
echo "left 8 s after kill -9 of repro:"
pgrep -fa "nvidia-cuda-mps|__mock-server|gpu_tenant" | cut -c1-120 || echo "nothing left running"
nvidia-smi --query-compute-apps=pid,used_memory --format=csv,noheader || true
sed -i 's/^requests = 100000$/requests = 40/' "$work/gpu-kill.toml"
"$repro" -q bench "$work/gpu-kill.toml" --results "$work/kill"; echo "rerun rc=$?"
python3 - "$work/kill/bench-gpu-kill/sharing_mps/run.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
print({k: m[k] for k in ("status", "sharing")}, "mps:", {k: m["mps"][k] for k in ("stale_quit", "servers", "quit")})
PY
pgrep -fa "nvidia-cuda-mps|__mock-server|gpu_tenant" || echo "nothing left running"
tar -C "$work" -czf "$out/work.tar.gz" bench fake 2>/dev/null
rm -rf "$work"

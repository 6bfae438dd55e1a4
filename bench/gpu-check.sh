#!/usr/bin/env bash
# The checks that need a real NVIDIA GPU and nothing from the network (no vLLM, no model):
#   - `repro doctor` sees the GPUs through NVML;
#   - a real-engine figure passes its GPU check (dry run);
#   - a fake-engine figure run records GPU samples in its manifest;
#   - a tenants benchmark of two mock servers, each holding GPU memory through PyTorch
#     (bench/gpu_tenant.py), samples each tenant's memory by its process group, with and
#     without NVIDIA MPS (the real nvidia-cuda-mps-control: private folders, the clients
#     attached, quit after the servers).
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
tar -C "$work" -czf "$out/work.tar.gz" bench fake 2>/dev/null
rm -rf "$work"

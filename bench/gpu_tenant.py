"""A mock tenant that holds GPU memory, for bench/gpu-check.sh: PyTorch makes a CUDA context and
allocates MIB MiB on the GPU (a client of the MPS daemon, where CUDA_MPS_PIPE_DIRECTORY names
one), then repro's mock server serves while the memory is held. SIGTERM ends both.

    python3 gpu_tenant.py MIB REPRO __mock-server --port PORT ...
"""

import signal
import subprocess
import sys

import torch

mib = int(sys.argv[1])
held = torch.empty(mib * 2**20, dtype=torch.uint8, device="cuda")
held.fill_(1)
torch.cuda.synchronize()
print(f"holding {mib} MiB on {torch.cuda.get_device_name()}", flush=True)
server = subprocess.Popen(sys.argv[2:])
signal.signal(signal.SIGTERM, lambda *_: server.terminate())
sys.exit(server.wait())

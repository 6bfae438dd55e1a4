#!/usr/bin/env python3
"""Let vLLM's CPU build (0.10.1.1) run figure 14's load formats and time them as on the GPU.

Two source edits in the installed `vllm` package, found without importing it:

1. model_executor/model_loader/tensorizer.py: `deserialize_tensorizer_model` hard-codes a CUDA
   (or XPU) device for the TensorDeserializer, so `--load-format tensorizer` fails on the CPU with
   "Found no NVIDIA driver". Deserialize to 'cpu' on the CPU platform.
2. v1/worker/cpu_model_runner.py: the GPU runner logs "Model loading took X GiB and Y seconds"
   (the paper's `model_loading` stage, figure 14's metric); the CPU runner logs nothing. Time
   `get_model` the same way and log the same line (GiB: the model's parameter bytes).

All or nothing: every edit is checked first (original text found, or already edited); a file
that has neither is an error and nothing is changed. The original files are kept under
<site-packages>/.repro-cpu-fixes/. Idempotent.

Run it with the environment's python. Prints one JSON object:
  {"format": 1, "fix": "cpu-loaders", "action": "applied"|"unchanged", "files": {...}}
"""

import hashlib
import importlib.util
import json
import os
import sys
import tempfile

FORMAT = 1
KEEP_DIR = ".repro-cpu-fixes"

TENSORIZER_OLD = """                device=f'xpu:{torch.xpu.current_device()}'
                if current_platform.is_xpu() else
"""
TENSORIZER_NEW = """                device='cpu' if current_platform.is_cpu() else
                f'xpu:{torch.xpu.current_device()}'
                if current_platform.is_xpu() else
"""

RUNNER_OLD = """        logger.info("Starting to load model %s...", self.model_config.model)
        self.model = get_model(vllm_config=self.vllm_config)

        if self.lora_config:
            self.model = self.load_lora_model(self.model, self.model_config,
                                              self.scheduler_config,
                                              self.lora_config, self.device)
"""
RUNNER_NEW = """        logger.info("Starting to load model %s...", self.model_config.model)
        import time  # repro: time the load as gpu_model_runner does
        time_before_load = time.perf_counter()
        self.model = get_model(vllm_config=self.vllm_config)

        if self.lora_config:
            self.model = self.load_lora_model(self.model, self.model_config,
                                              self.scheduler_config,
                                              self.lora_config, self.device)
        time_after_load = time.perf_counter()
        model_bytes = sum(p.numel() * p.element_size()
                          for p in self.model.parameters())
        logger.info("Model loading took %.4f GiB and %.6f seconds",
                    model_bytes / (1 << 30), time_after_load - time_before_load)
"""

EDITS = [
    ("vllm/model_executor/model_loader/tensorizer.py", TENSORIZER_OLD, TENSORIZER_NEW),
    ("vllm/v1/worker/cpu_model_runner.py", RUNNER_OLD, RUNNER_NEW),
]


def site_packages():
    spec = importlib.util.find_spec("vllm")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("error: no `vllm` package in this Python")
    return os.path.dirname(list(spec.submodule_search_locations)[0])


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def write_atomic(path, data, mode=0o644):
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".repro-")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def main():
    site = site_packages()
    plan = []
    for rel, old, new in EDITS:
        path = os.path.join(site, rel)
        with open(path, "rb") as f:
            data = f.read()
        text = data.decode("utf-8")
        if new in text:
            plan.append((rel, path, data, None))
        elif text.count(old) == 1:
            plan.append((rel, path, data, text.replace(old, new).encode("utf-8")))
        else:
            raise SystemExit(
                "error: %s has neither the expected vLLM 0.10.1.1 code nor repro's edit "
                "(modified by someone else, or another vLLM version); nothing was changed" % path
            )
    files = {}
    for rel, path, data, edited in plan:
        if edited is None:
            files[rel] = {"action": "unchanged", "sha256": sha256(data)}
            continue
        keep = os.path.join(site, KEEP_DIR, rel)
        os.makedirs(os.path.dirname(keep), exist_ok=True)
        if not os.path.exists(keep):
            write_atomic(keep, data)
        write_atomic(path, edited, os.stat(path).st_mode & 0o777)
        files[rel] = {"action": "applied", "before": sha256(data), "after": sha256(edited)}
    action = "applied" if any(f["action"] == "applied" for f in files.values()) else "unchanged"
    print(json.dumps({"format": FORMAT, "fix": "cpu-loaders", "action": action, "files": files},
                     indent=2, sort_keys=True))


if __name__ == "__main__":
    sys.exit(main())

"""`vllm bench startup` of vLLM 0.13.0 with one fix (docs/cpu-engine.md §11, a maintainer's tool).

As shipped it fails on every start: it passes `dataclasses.asdict(EngineArgs)` to `LLM(...)`, which
carries the 7 `init=False` fields of CompilationConfig, and pydantic rejects them ("7 validation
errors for CompilationConfig ... Unexpected keyword argument"). This drops them in the child.

Usage: <env>/bin/python vllm_bench_startup_fixed.py --model DIR --num-iters-cold 1 ...
"""
import dataclasses
import sys

import vllm.benchmarks.startup as startup
from vllm.config.compilation import CompilationConfig

_orig = startup.run_startup_in_subprocess
_no_init = {f.name for f in dataclasses.fields(CompilationConfig) if not f.init}


def fixed(engine_args_dict, result_queue):
    cc = engine_args_dict.get("compilation_config")
    if isinstance(cc, dict):
        engine_args_dict["compilation_config"] = {k: v for k, v in cc.items() if k not in _no_init}
    return _orig(engine_args_dict, result_queue)


startup.run_startup_in_subprocess = fixed

if __name__ == "__main__":
    # The benchmark's children are spawned: they import this file without running this.
    sys.argv = ["vllm", "bench", "startup"] + sys.argv[1:]
    from vllm.entrypoints.cli.main import main

    main()

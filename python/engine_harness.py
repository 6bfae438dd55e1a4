#!/usr/bin/env python3
"""Engine harness: build vLLM's LLMEngine once, time it, exit (the paper's engine.py).

Run inside a vLLM venv. Every argument is one of vLLM's own engine arguments
(`EngineArgs.add_cli_args`), e.g.

  VLLM_LOGGING_CONFIG_PATH=python/vllm_logging_config.json VLLM_LOGGING_LEVEL=DEBUG VLLM_USE_V1=1 \\
      .venv/bin/python python/engine_harness.py --model models/qwen-0.5b --max-model-len 2048

Behaviour, as the paper's engine.py: parse the arguments with vLLM's FlexibleArgumentParser (plain
argparse on vLLM versions without it), `LLMEngine.from_engine_args(EngineArgs.from_cli_args(args))`,
time that call with time.time(), print exactly `initialize_engine took {seconds:.2f} seconds`,
delete the engine, collect garbage, exit 0. vLLM's imports stay under the
`if __name__ == "__main__":` guard: on CPU (and with the V1 multiprocessing engine core) the
engine core is a spawned process that re-imports this file. Works with vLLM 0.3.1 ... 0.11.0.
`--help` prints vLLM's engine arguments (it imports vLLM, so it takes a few seconds).
"""

import argparse
import gc
import time


def initialize_engine(args: argparse.Namespace) -> "LLMEngine":
    """Initialize the LLMEngine from the command line arguments."""
    engine_args = EngineArgs.from_cli_args(args)
    return LLMEngine.from_engine_args(engine_args)


def parse_args():
    parser = FlexibleArgumentParser(description=__doc__.split("\n\n")[0])
    parser = EngineArgs.add_cli_args(parser)
    return parser.parse_args()


def main(args: argparse.Namespace):
    start = time.time()
    engine = initialize_engine(args)
    end = time.time()
    print(f"initialize_engine took {end - start:.2f} seconds", flush=True)

    del engine
    gc.collect()


if __name__ == "__main__":
    from vllm import EngineArgs, LLMEngine

    # Backward-compatible import (as the paper's engine.py), plus the newer home of the class.
    try:
        from vllm.utils import FlexibleArgumentParser
    except ImportError:
        try:
            from vllm.utils.argparse_utils import FlexibleArgumentParser
        except ImportError:
            # Fallback for older vLLM versions
            FlexibleArgumentParser = argparse.ArgumentParser

    args = parse_args()
    main(args)

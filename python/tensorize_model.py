#!/usr/bin/env python3
"""Serialize a local model with tensorizer for vLLM's `--load-format tensorizer` (figure 14).

The paper's `tensorize.py --model <hub id> serialize --serialized-directory DIR`, for a model that
is already on disk: vLLM loads it (`tensorize_vllm_model`), writes DIR/model.tensors, and copies
the model's other files (config, tokenizer) beside it. vLLM copies those from the hub
(`serialize_extra_artifacts` calls `snapshot_download`); here they come from the local folder,
with the same patterns left out, so no network is needed.

Run inside a vLLM environment that has `tensorizer` (the paper's pins it: tensorizer==2.10.1):

  .venv/bin/python tensorize_model.py --model models/yi-6b --out models/.yi-6b-tensorized.partial \\
      [-- <more vLLM engine arguments, e.g. --max-model-len 2048>]

--out must not exist. The engine core runs in this process (VLLM_ENABLE_V1_MULTIPROCESSING=0) so
the local copy of the artifacts is what vLLM calls. The last line printed is a JSON report:
{"vllm": ..., "tensorizer": ..., "seconds": ...}.
"""

import argparse
import importlib.metadata as md
import json
import os
import shutil
import sys
import time

# vLLM's serialize_extra_artifacts leaves these out of the copy.
LEFT_OUT = ("*.pt", "*.safetensors", "*.bin", "*.cache", "*.gitattributes", "*.md")


def left_out(name):
    import fnmatch

    if name.startswith(".") or name == "repro-synth.json":
        return True  # repro's own records, not the model's
    return any(fnmatch.fnmatch(name, pattern) for pattern in LEFT_OUT)


def copy_artifacts(source, out):
    """The files vLLM would take from the hub: the folder's top level, weights left out."""
    for entry in sorted(os.scandir(source), key=lambda e: e.name):
        if entry.is_file() and not left_out(entry.name):
            shutil.copyfile(entry.path, os.path.join(out, entry.name))
            print("copied artifact %s" % entry.name, flush=True)


def version(dist):
    for name in (dist, dist + "-cpu"):
        try:
            return md.version(name)
        except md.PackageNotFoundError:
            pass
    return "unknown"


def main(argv):
    if "--" in argv:
        split = argv.index("--")
        ours, engine = argv[:split], argv[split + 1 :]
    else:
        ours, engine = argv, []
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="the local model folder")
    parser.add_argument("--out", required=True, help="where model.tensors goes (must not exist)")
    args = parser.parse_args(ours)
    source = os.path.abspath(args.model)
    out = os.path.abspath(args.out)
    if os.path.exists(out):
        raise SystemExit("error: %s exists" % out)

    os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
    import vllm.model_executor.model_loader.tensorizer as tz
    from vllm.engine.arg_utils import EngineArgs
    from vllm.utils import FlexibleArgumentParser

    try:
        import tensorizer  # noqa: F401
    except ImportError:
        raise SystemExit(
            "error: this environment has no `tensorizer` package (the paper's pins tensorizer==2.10.1)"
        )

    engine_parser = EngineArgs.add_cli_args(FlexibleArgumentParser())
    engine_args = EngineArgs.from_cli_args(
        engine_parser.parse_args(["--model", source] + engine)
    )
    tz.serialize_extra_artifacts = lambda _args, _name: copy_artifacts(source, out)

    os.makedirs(out)
    config = tz.TensorizerConfig(tensorizer_uri=os.path.join(out, "model.tensors"))
    start = time.time()
    tz.tensorize_vllm_model(engine_args, config)
    seconds = time.time() - start
    if not os.path.isfile(os.path.join(out, "model.tensors")):
        raise SystemExit("error: vLLM did not write %s/model.tensors" % out)
    print(
        json.dumps(
            {
                "vllm": version("vllm"),
                "tensorizer": version("tensorizer"),
                "seconds": round(seconds, 3),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main(sys.argv[1:])

#!/usr/bin/env python3
"""Make a random-weight model of a given shape locally (no download), loadable by vLLM.

Run with a python that has torch, transformers, tokenizers and safetensors (the vLLM venv).
The shape comes from a JSON spec (file or inline) and/or flags; flags win:

  python synth_model.py --out models/qwen-0.5b-l2 --architecture Qwen2ForCausalLM \\
      --model-type qwen2 --hidden-size 1024 --num-hidden-layers 24 --num-attention-heads 16 \\
      --num-key-value-heads 16 --intermediate-size 2816 --vocab-size 151936 \\
      --max-position-embeddings 32768 --layers 2
  python synth_model.py --out models/x --spec shape.json --layers 2

Spec keys: `architecture` (or `architectures`: [..]), `model_type`, `hidden_size`,
`num_hidden_layers` (alias `layers`), `num_attention_heads`, `num_key_value_heads` (default:
num_attention_heads), `intermediate_size` (alias `ffn_dim`), `vocab_size`,
`max_position_embeddings` (default 4096). Any other key is passed to the transformers config
(e.g. `tie_word_embeddings`, `rope_theta`, `head_dim`), except repro's models.toml descriptive
keys (repo, revision, display, size, tokenizer_size, compiled_graph_sizes, local_dir), which are
ignored, so a models.toml entry can be passed as the spec as is. A HF config.json also works.
`--layers N` makes a shallower copy (num_hidden_layers = N; the full depth is recorded).

What it writes into --out (through a temp dir next to it, renamed into place at the end, so a
crash leaves no half-written model):
  config.json, generation_config.json, model.safetensors (or shards; bf16 by default), from
      `save_pretrained` of `transformers.<architecture>(config)` with its random init (seeded);
  tokenizer.json + tokenizer_config.json + special_tokens_map.json: a `tokenizers` WordLevel
      tokenizer with exactly vocab_size entries (`<unk>`=0, `<s>`=1, `</s>`=2, then `t3`, `t4`,
      ...), whitespace pre-tokenizer. `<unk>` has an id of its own: `vllm bench serve
      --dataset-name random` decodes and re-encodes random ids, which fails with "Missing [UNK]
      token" if `<unk>` shares an id with another word;
  repro-synth.json: {"synthetic": true, the shape, the seed, files with sizes and sha256}.
An existing --out is an error unless --force (then it is replaced only after the new one is
complete). Prints the repro-synth.json content on success.
"""

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time

FORMAT = 1
IGNORED_KEYS = {"repo", "revision", "display", "size", "tokenizer_size", "compiled_graph_sizes",
                "local_dir", "name", "_name_or_path", "transformers_version", "torch_dtype"}
ALIASES = {"layers": "num_hidden_layers", "ffn_dim": "intermediate_size"}
REQUIRED = ["hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "vocab_size"]
FLAGS = [  # (flag, config key, type)
    ("--hidden-size", "hidden_size", int),
    ("--num-hidden-layers", "num_hidden_layers", int),
    ("--num-attention-heads", "num_attention_heads", int),
    ("--num-key-value-heads", "num_key_value_heads", int),
    ("--intermediate-size", "intermediate_size", int),
    ("--vocab-size", "vocab_size", int),
    ("--max-position-embeddings", "max_position_embeddings", int),
]
SPECIALS = ["<unk>", "<s>", "</s>"]


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 epilog="See the module docstring (head of this file) for the spec keys and output.",
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="output model directory")
    ap.add_argument("--spec", help="JSON spec: a file path, or an inline JSON object starting with '{'")
    ap.add_argument("--architecture", help="transformers model class, e.g. Qwen2ForCausalLM, LlamaForCausalLM")
    ap.add_argument("--model-type", help="config model_type, e.g. qwen2, llama")
    for flag, key, typ in FLAGS:
        ap.add_argument(flag, dest=key, type=typ)
    ap.add_argument("--layers", type=int, help="make a shallower copy with this many layers")
    ap.add_argument("--dtype", default="bfloat16", choices=["bfloat16", "float16", "float32"])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-shard-size", default="5GB", help="save_pretrained max_shard_size (default 5GB)")
    ap.add_argument("--force", action="store_true", help="replace an existing --out")
    return ap.parse_args(argv)


def load_spec(args):
    spec = {}
    if args.spec:
        text = args.spec if args.spec.lstrip().startswith("{") else open(args.spec).read()
        spec = json.loads(text)
        if not isinstance(spec, dict):
            raise SystemExit("error: --spec must be a JSON object")
    cfg = {}
    arch = None
    model_type = None
    for k, v in spec.items():
        k = ALIASES.get(k, k)
        if k in IGNORED_KEYS:
            continue
        if k == "architecture":
            arch = v
        elif k == "architectures":
            arch = v[0] if isinstance(v, list) else v
        elif k == "model_type":
            model_type = v
        else:
            cfg[k] = v
    if args.architecture:
        arch = args.architecture
    if args.model_type:
        model_type = args.model_type
    for _flag, key, _t in FLAGS:
        if getattr(args, key) is not None:
            cfg[key] = getattr(args, key)
    missing = [k for k in REQUIRED if k not in cfg]
    if arch is None:
        missing.insert(0, "architecture")
    if model_type is None:
        missing.insert(1 if arch is None else 0, "model_type")
    if missing:
        raise SystemExit("error: the model shape lacks " + ", ".join(missing)
                         + " (give them in --spec or as flags; see --help)")
    cfg.setdefault("num_key_value_heads", cfg["num_attention_heads"])
    cfg.setdefault("max_position_embeddings", 4096)
    return arch, model_type, cfg


def build_tokenizer(vocab_size, model_max_length):
    from tokenizers import Tokenizer, models, pre_tokenizers, decoders
    from transformers import PreTrainedTokenizerFast

    if vocab_size < len(SPECIALS) + 1:
        raise SystemExit("error: vocab_size must be at least %d" % (len(SPECIALS) + 1))
    vocab = {tok: i for i, tok in enumerate(SPECIALS)}
    for i in range(len(SPECIALS), vocab_size):
        vocab["t%d" % i] = i
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.decoder = decoders.WordPiece(prefix="##", cleanup=False)  # joins words with spaces
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="<unk>", bos_token="<s>", eos_token="</s>",
        model_max_length=model_max_length, clean_up_tokenization_spaces=False)
    if len(fast) != vocab_size:
        raise RuntimeError("tokenizer has %d entries, expected %d" % (len(fast), vocab_size))
    return fast


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main(argv=None):
    args = parse_args(argv)
    arch, model_type, cfg = load_spec(args)
    out = os.path.abspath(args.out)
    if os.path.exists(out) and not args.force:
        raise SystemExit("error: %s exists (use --force to replace it)" % out)
    full_layers = cfg["num_hidden_layers"]
    if args.layers is not None:
        if args.layers < 1:
            raise SystemExit("error: --layers must be >= 1")
        cfg["num_hidden_layers"] = args.layers

    import torch
    import transformers
    from transformers import AutoConfig

    model_cls = getattr(transformers, arch, None)
    if model_cls is None:
        raise SystemExit("error: transformers %s has no class %s" % (transformers.__version__, arch))
    dtype = getattr(torch, args.dtype)
    cfg.setdefault("bos_token_id", 1)
    cfg.setdefault("eos_token_id", 2)
    config = AutoConfig.for_model(model_type, **cfg)
    config.architectures = [arch]
    config.torch_dtype = dtype

    t0 = time.time()
    parent = os.path.dirname(out)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(dir=parent, prefix="." + os.path.basename(out) + ".tmp-")
    try:
        torch.manual_seed(args.seed)
        prev = torch.get_default_dtype()
        torch.set_default_dtype(dtype)  # random init directly in the target dtype: half the memory
        try:
            model = model_cls(config)
        finally:
            torch.set_default_dtype(prev)
        model = model.to(dtype).eval()
        n_params = sum(p.numel() for p in model.parameters())
        model.save_pretrained(tmp, safe_serialization=True, max_shard_size=args.max_shard_size)
        del model
        tokenizer = build_tokenizer(cfg["vocab_size"], cfg["max_position_embeddings"])
        tokenizer.save_pretrained(tmp)

        files = {}
        for name in sorted(os.listdir(tmp)):
            p = os.path.join(tmp, name)
            os.chmod(p, 0o644)  # some writers create 0600 files
            files[name] = {"bytes": os.path.getsize(p), "sha256": sha256(p)}
        shape = {k: cfg[k] for k in ["hidden_size", "num_hidden_layers", "num_attention_heads",
                                     "num_key_value_heads", "intermediate_size", "vocab_size",
                                     "max_position_embeddings"]}
        info = {
            "format": FORMAT,
            "synthetic": True,
            "note": "random weights and a synthetic WordLevel tokenizer, made locally by repro's synth_model.py",
            "architecture": arch,
            "model_type": model_type,
            "shape": shape,
            "full_num_hidden_layers": full_layers,
            "extra_config": {k: v for k, v in cfg.items() if k not in shape},
            "dtype": args.dtype,
            "seed": args.seed,
            "parameters": n_params,
            "tokenizer": {"kind": "WordLevel", "vocab_size": cfg["vocab_size"], "unk_token": "<unk>"},
            "versions": {"torch": torch.__version__, "transformers": transformers.__version__},
            "files": files,
            "seconds": round(time.time() - t0, 2),
        }
        with open(os.path.join(tmp, "repro-synth.json"), "w") as f:
            json.dump(info, f, indent=2, sort_keys=True)
            f.write("\n")
        os.chmod(tmp, 0o755)
        if os.path.exists(out):  # --force: swap only now that the new model is complete
            old = tempfile.mkdtemp(dir=parent, prefix="." + os.path.basename(out) + ".old-")
            os.rename(out, os.path.join(old, "m"))
            os.rename(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    print(json.dumps(info, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""repro's offline harness: vLLM's `LLM.generate`, timed, driven by a JSON request.

  python offline_harness.py REQUEST.json RESULT.json

REQUEST (written by repro, `bench::offline`):
  {"mode": "latency" | "throughput", "model": "<path or id>", "served_name": "<name>",
   "engine_args": {"max_model_len": 1024, ...}  (keyword arguments of `vllm.LLM`),
   "seed": 0, "ignore_eos": true,
   latency:    "batch_size": 8, "input_len": 32, "output_len": 32, "warmup": 2, "iterations": 5
   throughput: "requests": [{"prompt": "...", "output_len": 32, "priority": null | int}, ...],
               "keep_text": false}
RESULT (written once, whole, when the run is done):
  {"mode": ..., "vllm_version": "...", "engine_init_s": 12.3,
   latency:    "warmup_s": [...], "latencies_s": [...]   (one `generate` of the batch each)
   throughput: "elapsed_s": 4.5, "requests": [{"prompt_tokens": 20, "output_tokens": 32,
               "text": "..." (with keep_text)}, ...]}

With `"backend": "transformers"` the same request runs a plain Hugging Face `transformers`
`generate` baseline instead (`engine_args`: only `dtype` is used; throughput mode generates the
prompts one at a time, unbatched, as a naive server would), answering `"backend"` with its
version and `vllm_version` null.

Latency mode follows vLLM's `benchmarks/benchmark_latency.py`: a batch of random token ids of
`input_len`, `max_tokens = output_len` with end-of-sequence ignored, `warmup` untimed
generations, then `iterations` timed ones. Throughput mode follows `benchmark_throughput.py`:
every request in one `generate` call, timed from the call to its return.

vLLM's V1 engine core is a spawned process that re-imports this file: everything runs under
`if __name__ == "__main__"`.
"""

import json
import os
import random
import sys
import time


def sampling(SamplingParams, max_tokens, ignore_eos):
    return SamplingParams(
        n=1, temperature=1.0, top_p=1.0, ignore_eos=ignore_eos, max_tokens=max_tokens
    )


def latency(llm, SamplingParams, req):
    rng = random.Random(req.get("seed", 0))
    try:
        vocab = llm.get_tokenizer().vocab_size
    except Exception:
        vocab = 10000
    high = max(2, min(10000, vocab))
    prompts = [
        {"prompt_token_ids": [rng.randrange(high) for _ in range(req["input_len"])]}
        for _ in range(req["batch_size"])
    ]
    params = sampling(SamplingParams, req["output_len"], req.get("ignore_eos", True))

    def once():
        start = time.perf_counter()
        llm.generate(prompts, sampling_params=params, use_tqdm=False)
        return time.perf_counter() - start

    warmup = [once() for _ in range(req.get("warmup", 0))]
    timed = [once() for _ in range(req["iterations"])]
    return {"warmup_s": warmup, "latencies_s": timed}


def throughput(llm, SamplingParams, req):
    ignore_eos = req.get("ignore_eos", True)
    prompts = [r["prompt"] for r in req["requests"]]
    params = [sampling(SamplingParams, r["output_len"], ignore_eos) for r in req["requests"]]
    priorities = [r.get("priority") for r in req["requests"]]
    kwargs = {}
    if any(p is not None for p in priorities):
        kwargs["priority"] = [p or 0 for p in priorities]
    start = time.perf_counter()
    outputs = llm.generate(prompts, sampling_params=params, use_tqdm=False, **kwargs)
    elapsed = time.perf_counter() - start
    answers = []
    for o in outputs:
        answer = {
            "prompt_tokens": len(o.prompt_token_ids or []),
            "output_tokens": len(o.outputs[0].token_ids),
        }
        if req.get("keep_text"):
            answer["text"] = o.outputs[0].text
        answers.append(answer)
    return {"elapsed_s": elapsed, "requests": answers}


def hf_baseline(req):
    """The `transformers` generation baseline: the same modes, the same answer."""
    import torch
    import transformers
    from transformers import AutoModelForCausalLM, AutoTokenizer

    started = time.perf_counter()
    dtype = getattr(torch, str(req.get("engine_args", {}).get("dtype", "float32")))
    tokenizer = AutoTokenizer.from_pretrained(req["model"])
    model = AutoModelForCausalLM.from_pretrained(req["model"], torch_dtype=dtype)
    model.eval()
    init_s = time.perf_counter() - started
    torch.manual_seed(req.get("seed", 0))
    ignore_eos = req.get("ignore_eos", True)

    def generate(input_ids, max_new):
        with torch.no_grad():
            out = model.generate(
                input_ids,
                attention_mask=torch.ones_like(input_ids),
                max_new_tokens=max_new,
                min_new_tokens=max_new if ignore_eos else 0,
                do_sample=True,
                top_k=0,
                pad_token_id=tokenizer.eos_token_id or 0,
            )
        return out[:, input_ids.shape[1]:]

    if req["mode"] == "latency":
        high = max(2, min(10000, tokenizer.vocab_size))
        ids = torch.randint(0, high, (req["batch_size"], req["input_len"]))

        def once():
            start = time.perf_counter()
            generate(ids, req["output_len"])
            return time.perf_counter() - start

        warmup = [once() for _ in range(req.get("warmup", 0))]
        result = {"warmup_s": warmup, "latencies_s": [once() for _ in range(req["iterations"])]}
    else:
        answers = []
        start = time.perf_counter()
        for r in req["requests"]:
            ids = tokenizer(r["prompt"], return_tensors="pt").input_ids
            new = generate(ids, r["output_len"])[0]
            if tokenizer.eos_token_id is not None and not ignore_eos:
                stops = (new == tokenizer.eos_token_id).nonzero()
                if len(stops):
                    new = new[: int(stops[0]) + 1]
            answer = {"prompt_tokens": int(ids.shape[1]), "output_tokens": int(len(new))}
            if req.get("keep_text"):
                answer["text"] = tokenizer.decode(new, skip_special_tokens=True)
            answers.append(answer)
        result = {"elapsed_s": time.perf_counter() - start, "requests": answers}
    result.update(
        backend=f"transformers {transformers.__version__}", vllm_version=None, engine_init_s=init_s
    )
    return result


def main(request_path, result_path):
    with open(request_path) as f:
        req = json.load(f)
    if req.get("backend") == "transformers":
        result = hf_baseline(req)
        result["mode"] = req["mode"]
        write(result, result_path)
        return
    import vllm
    from vllm import LLM, SamplingParams

    started = time.perf_counter()
    llm = LLM(
        model=req["model"],
        served_model_name=req.get("served_name"),
        seed=req.get("seed", 0),
        **req.get("engine_args", {}),
    )
    init_s = time.perf_counter() - started
    if req["mode"] == "latency":
        result = latency(llm, SamplingParams, req)
    elif req["mode"] == "throughput":
        result = throughput(llm, SamplingParams, req)
    else:
        raise SystemExit(f"unknown mode {req['mode']!r}")
    result.update(
        mode=req["mode"],
        backend=f"vllm {vllm.__version__}",
        vllm_version=vllm.__version__,
        engine_init_s=init_s,
    )
    write(result, result_path)


def write(result, result_path):
    tmp = result_path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(result, f)
    os.replace(tmp, result_path)
    print(f"offline harness: {result['mode']} done, result in {result_path}", flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit("usage: offline_harness.py REQUEST.json RESULT.json")
    main(sys.argv[1], sys.argv[2])

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


def main(request_path, result_path):
    with open(request_path) as f:
        req = json.load(f)
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
    result.update(mode=req["mode"], vllm_version=vllm.__version__, engine_init_s=init_s)
    tmp = result_path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(result, f)
    os.replace(tmp, result_path)
    print(f"offline harness: {req['mode']} done, result in {result_path}", flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit("usage: offline_harness.py REQUEST.json RESULT.json")
    main(sys.argv[1], sys.argv[2])

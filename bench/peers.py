#!/usr/bin/env python3
"""Helpers of bench/peers.sh; run with the peers' venv (`tokenizer` needs `tokenizers`, AIPerf's
plan is drawn again with AIPerf's own generator), the rest is the standard library.

  peers.py tokenizer DIR TEXT...                 train a tiny byte-level BPE tokenizer into DIR
  peers.py measure OUT.json -- CMD...            run CMD, sample the RSS of its whole process tree
  peers.py parse TOOL RATE DIR MEM.json ROUND    one run's row (JSON line): rates, lag, metrics,
                                                 memory, verdicts (PEERS_SEED: the run's seed)
  peers.py table ROWS.jsonl METRIC_RATE          the markdown tables of all rows (verdicts remade)
"""
import glob
import json
import os
import subprocess
import sys
import time


def train_tokenizer(folder, texts):
    """A byte-level BPE tokenizer both peers load with AutoTokenizer (no hub access here)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=4096,
        special_tokens=["<|endoftext|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train(texts, trainer)
    os.makedirs(folder, exist_ok=True)
    tok.save(os.path.join(folder, "tokenizer.json"))
    config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": "<|endoftext|>",
        "eos_token": "<|endoftext|>",
        "unk_token": "<|endoftext|>",
        "model_max_length": 4096,
    }
    with open(os.path.join(folder, "tokenizer_config.json"), "w") as f:
        json.dump(config, f, indent=1)
    with open(os.path.join(folder, "special_tokens_map.json"), "w") as f:
        json.dump({k: config[k] for k in ("bos_token", "eos_token", "unk_token")}, f)


def tree_rss(root):
    """Resident bytes of `root` and all its descendants (from /proc)."""
    children = {}
    rss = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                stat = f.read()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{d}/statm") as f:
                pages = int(f.read().split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(d))
        rss[int(d)] = pages * os.sysconf("SC_PAGE_SIZE")
    total, procs, todo = 0, 0, [root]
    while todo:
        pid = todo.pop()
        if pid in rss:
            total += rss[pid]
            procs += 1
        todo.extend(children.get(pid, []))
    return total, procs


def measure(out, cmd):
    """Run cmd; every 100 ms sum the RSS of its process tree; write the peak and the wall time."""
    start = time.monotonic()
    child = subprocess.Popen(cmd)
    peak, peak_procs, most_procs = 0, 0, 0
    while child.poll() is None:
        total, procs = tree_rss(child.pid)
        if total > peak:
            peak, peak_procs = total, procs
        most_procs = max(most_procs, procs)
        time.sleep(0.1)
    with open(out, "w") as f:
        json.dump(
            {
                "peak_rss_bytes": peak,
                "processes_at_peak": peak_procs,
                "processes_most": most_procs,
                "wall_s": time.monotonic() - start,
                "exit": child.returncode,
            },
            f,
        )
    return child.returncode


def achieved(starts):
    """(n - 1) / (last start - first start): the same send-rate definition for every tool."""
    starts = sorted(starts)
    if len(starts) < 2 or starts[-1] <= starts[0]:
        return None
    return (len(starts) - 1) / (starts[-1] - starts[0])


def quantile(xs, q):
    """Linear interpolation between nearest ranks (numpy's default, as repro's summaries)."""
    xs = sorted(xs)
    pos = q * (len(xs) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def parse_repro(folder):
    summary = json.load(open(os.path.join(folder, "summary.json")))
    sends = [
        json.loads(line)["sent"]
        for line in open(os.path.join(folder, "records.jsonl"))
        if line.strip()
    ]
    a = summary["arrivals"]
    return {
        "requests": summary["requests"],
        "ok": summary["outcomes"].get("ok", 0),
        "achieved": achieved([s for s in sends if s is not None]),
        "schedule": a.get("scheduled_rate"),
        "lag_p50_ms": a["send_lag"]["p50"] * 1e3,
        "lag_p90_ms": a["send_lag"]["p90"] * 1e3,
        "req_tput": summary["request_throughput"],
        "out_tput": summary["output_throughput"],
        "ttft_p50_ms": summary["ttft"]["p50"] * 1e3,
        "e2e_p50_ms": summary["e2e"]["p50"] * 1e3,
        "note": "",
    }


def find_one(folder, pattern):
    hits = sorted(glob.glob(os.path.join(folder, "**", pattern), recursive=True))
    if not hits:
        raise FileNotFoundError(f"no {pattern} under {folder}")
    return hits[0]


def parse_guidellm(folder):
    """GuideLLM 0.8's benchmarks.json: one benchmark, its requests and its metrics."""
    doc = json.load(open(find_one(folder, "*.json")))
    bench = doc["benchmarks"][0]
    reqs = bench["requests"]
    ok = reqs.get("successful") or []
    every = ok + (reqs.get("errored") or []) + (reqs.get("incomplete") or [])
    info = [r.get("info") or r.get("request_info") or r for r in every]
    timings = [i.get("timings") or i for i in info]
    starts = [t.get("request_start") for t in timings if t.get("request_start") is not None]
    targeted = [t.get("targeted_start") for t in timings if t.get("targeted_start") is not None]
    # Some requests come with a relative, negative targeted_start: left out of lag figures.
    negative = sum(1 for t in targeted if t < 0)
    lags = [
        t["request_start"] - t["targeted_start"]
        for t in timings
        if t.get("request_start") is not None and (t.get("targeted_start") or -1) >= 0
    ]
    pos = [t for t in targeted if t >= 0]
    m = bench["metrics"]

    def med(name, scale=1.0):
        stat = m[name]["successful"]
        return stat["median"] * scale if stat.get("median") is not None else None

    return {
        "requests": len(every),
        "ok": len(ok),
        "achieved": achieved(starts),
        "schedule": achieved(pos),
        "lag_p50_ms": quantile(lags, 0.5) * 1e3 if lags else None,
        "lag_p90_ms": quantile(lags, 0.9) * 1e3 if lags else None,
        "req_tput": m["requests_per_second"]["successful"]["mean"],
        "out_tput": m["output_tokens_per_second"]["successful"]["mean"],
        "ttft_p50_ms": med("time_to_first_token_ms"),
        "e2e_p50_ms": med("request_latency", 1e3),
        "note": f"{negative} negative targeted_start left out of lag" if negative else "",
    }


def parse_aiperf(folder):
    """AIPerf's profile_export.jsonl (per request) and profile_export_aiperf.json (its metrics)."""
    starts, credits, ok, total = [], [], 0, 0
    for line in open(find_one(folder, "profile_export.jsonl")):
        if not line.strip():
            continue
        rec = json.loads(line)
        meta = rec.get("metadata") or {}
        total += 1
        if not rec.get("error"):
            ok += 1
        ns = meta.get("request_start_ns")
        if ns is not None:
            starts.append(ns / 1e9)
        if meta.get("credit_issued_ns") is not None:
            credits.append(meta["credit_issued_ns"] / 1e9)
    doc = json.load(open(find_one(folder, "profile_export_aiperf.json")))
    metrics = doc.get("records") or doc
    gaps = aiperf_gaps(total)
    plan_rate, lags = None, []
    if gaps and len(starts) == total > 1:
        plan_rate = (total - 1) / sum(gaps[1:])
        # The i-th send against the draw's i-th time, the draw anchored at the first credit
        # (the pacer's hand-out of the first request; the first send comes after it).
        starts.sort()
        at = min(credits) if credits else starts[0]
        for start, gap in zip(starts, [0.0] + gaps[1:]):
            at += gap
            lags.append(start - at)

    def stat(name, key):
        v = metrics.get(name) or {}
        return v.get(key)

    return {
        "requests": total,
        "ok": ok,
        "achieved": achieved(starts),
        "schedule": plan_rate,
        "lag_p50_ms": quantile(lags, 0.5) * 1e3 if lags else None,
        "lag_p90_ms": quantile(lags, 0.9) * 1e3 if lags else None,
        "req_tput": stat("request_throughput", "avg"),
        "out_tput": stat("output_token_throughput", "avg"),
        "ttft_p50_ms": stat("time_to_first_token", "p50"),
        "e2e_p50_ms": stat("request_latency", "p50"),
        "note": "",
    }


def aiperf_gaps(n):
    """AIPerf's own seeded Poisson draw: its pacer records no plan (it resets its deadline to
    "now" when behind), so the draw is made again with AIPerf's own generator."""
    try:
        from aiperf.common import random_generator as rg
    except ImportError:
        return None
    rate = float(os.environ["PEERS_RATE"])
    rg.reset()
    rg.init(int(os.environ.get("PEERS_SEED", "0")))
    gen = rg.derive("timing.request.poisson_interval")
    # The first draw is the wait before the first request; the n - 1 after it space the sends.
    return [gen.expovariate(rate) for _ in range(n)]


PARSERS = {"repro": parse_repro, "guidellm": parse_guidellm, "aiperf": parse_aiperf}


def parse(tool, rate, folder, mem_file, rnd):
    os.environ["PEERS_RATE"] = rate
    row = {"tool": tool, "rate": float(rate), "round": int(rnd)}
    try:
        row.update(PARSERS[tool](folder))
    except (OSError, KeyError, ValueError, IndexError, TypeError) as e:
        row.update({"achieved": None, "note": f"no result: {type(e).__name__}: {e}"})
    try:
        row.update(json.load(open(mem_file)))
    except OSError:
        pass
    judge(row)
    return row


def judge(row):
    """The verdicts of one run (kept in the row, and made again by `table`)."""
    a, plan, rate = row.get("achieved"), row.get("schedule") or row["rate"], row["rate"]
    all_ok = row.get("ok") == row.get("requests")
    # Asked for: achieved within 5% of the target, every request ok.
    row["on_schedule"] = bool(a and abs(a / rate - 1) <= 0.05 and all_ok)
    # Beside it, keeping up with the tool's own seeded plan (a small draw, or GuideLLM's workers
    # all drawing the same gaps, can put the plan itself off target): achieved within 5% of the
    # plan's rate and, where the lag is known, p90 send lag within max(10 ms, half a mean gap),
    # the bound of repro's own self-check.
    lag = row.get("lag_p90_ms")
    lag_ok = lag is None or lag <= max(10.0, 500.0 / rate)
    row["on_plan"] = bool(a and abs(a / plan - 1) <= 0.05 and all_ok and lag_ok)


TOOL_NAMES = {"repro": "repro", "guidellm": "GuideLLM 0.8.1", "aiperf": "AIPerf 0.13.0"}


def fmt(v, digits=1):
    return "–" if v is None else f"{v:,.{digits}f}"


def mib_range(rows):
    mems = [r["peak_rss_bytes"] / 2**20 for r in rows if r.get("peak_rss_bytes")]
    if not mems:
        return "–"
    lo, hi = min(mems), max(mems)
    return f"{lo:,.0f} MiB" if round(lo) == round(hi) else f"{lo:,.0f}–{hi:,.0f} MiB"


def ceiling(rows, verdict):
    """(highest rate passing `verdict` in every round, highest passing in any one round)."""
    rounds = {r["round"] for r in rows}
    passed = {(r["round"], r["rate"]) for r in rows if r.get(verdict)}
    rates = {r["rate"] for r in rows}
    both = [x for x in rates if all((rnd, x) in passed for rnd in rounds)]
    return max(both, default=0.0), max((x for _, x in passed), default=0.0)


def table(path, metric_rate):
    rows = [json.loads(line) for line in open(path) if line.strip()]
    for r in rows:
        judge(r)
    tools = [t for t in TOOL_NAMES if any(r["tool"] == t for r in rows)]
    print("| tool | round | target req/s | requests | ok | achieved send req/s | schedule's own req/s "
          "| send lag p50 / p90 ms | client peak RSS | processes | wall s | on schedule (target) | on its own plan | note |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        mem = r.get("peak_rss_bytes")
        print(
            f"| {TOOL_NAMES[r['tool']]} | {r['round']} | {r['rate']:,.0f} | {r.get('requests', '–')} "
            f"| {r.get('ok', '–')} | {fmt(r.get('achieved'))} | {fmt(r.get('schedule'))} "
            f"| {fmt(r.get('lag_p50_ms'), 2)} / {fmt(r.get('lag_p90_ms'), 2)} | {fmt(mem / 2**20 if mem else None, 0)} MiB "
            f"| {r.get('processes_most', '–')} | {fmt(r.get('wall_s'))} "
            f"| {'yes' if r['on_schedule'] else 'no'} | {'yes' if r.get('on_plan') else 'no'} "
            f"| {r.get('note', '')} |"
        )
    print()
    print("| tool | highest on-schedule rate, both rounds | best single round "
          "| the same against its own plan | client peak RSS, runs on its plan | the same, every run |")
    print("|---|---|---|---|---|---|")
    ceilings = {"on_schedule": {}, "on_plan": {}}
    for t in tools:
        mine = [r for r in rows if r["tool"] == t]
        both, single = ceiling(mine, "on_schedule")
        plan_both, plan_single = ceiling(mine, "on_plan")
        ceilings["on_schedule"][t], ceilings["on_plan"][t] = both, plan_both
        print(
            f"| {TOOL_NAMES[t]} | {fmt(both, 0)} req/s | {fmt(single, 0)} req/s "
            f"| {fmt(plan_both, 0)} (single round {fmt(plan_single, 0)}) "
            f"| {mib_range([r for r in mine if r['on_plan']])} | {mib_range(mine)} |"
        )
    print()
    lowest = min(r["rate"] for r in rows)
    for verdict, words in (("on_schedule", "within 5% of the target"), ("on_plan", "within 5% of its own plan")):
        c = ceilings[verdict]
        peers = {t: v for t, v in c.items() if t != "repro"}
        if "repro" not in c or not peers:
            continue
        best = max(peers.values())
        if best == 0:
            print(f"- {words}: repro {c['repro']:,.0f} req/s; no peer at the lowest rate tried ({lowest:g} req/s)")
            continue
        ratio = c["repro"] / best
        verdict_words = "at least 10×: kept" if ratio >= 10 else "LESS than 10×"
        print(f"- {words}: repro {c['repro']:,.0f} req/s, best peer {best:,.0f}: {ratio:.1f}× ({verdict_words})")
    print()
    print(f"Metrics at {metric_rate:g} req/s, each tool's own figures (one row per round):")
    print()
    print("| tool | round | requests | request throughput req/s | output throughput tok/s | TTFT p50 ms | E2E p50 ms |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        if r["rate"] == metric_rate and r.get("req_tput") is not None:
            print(
                f"| {TOOL_NAMES[r['tool']]} | {r['round']} | {r.get('requests')} | {fmt(r['req_tput'])} "
                f"| {fmt(r['out_tput'])} | {fmt(r['ttft_p50_ms'], 2)} | {fmt(r['e2e_p50_ms'], 2)} |"
            )


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    cmd = argv[1]
    if cmd == "tokenizer":
        train_tokenizer(argv[2], argv[3:])
    elif cmd == "measure":
        sep = argv.index("--")
        sys.exit(measure(argv[2], argv[sep + 1 :]))
    elif cmd == "parse":
        row = parse(*argv[2:7])
        print(json.dumps(row))
        print(
            f"round {row['round']} {row['tool']:>8} {row['rate']:>7.0f} req/s x {row.get('requests')}: "
            f"achieved {row.get('achieved') or 0:.1f}, ok {row.get('ok')}, on schedule "
            f"{row['on_schedule']}, on its own plan {row['on_plan']} {row.get('note', '')}",
            file=sys.stderr,
        )
    elif cmd == "table":
        table(argv[2], float(argv[3]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)

//! `repro bench` of an offline benchmark (`kind = "offline"`), its harness answered by a
//! stand-in python that speaks the harness's JSON.

use crate::bench::json;
use crate::common::*;

/// A stand-in for the vLLM environment's python: checks it was given repro's harness, then
/// answers its request as the harness would — latencies 10 ms, 20 ms, … per timed iteration; a
/// throughput run of 0.5 s, a token per prompt word — and keeps what it was asked in
/// `seen.json`. `FAIL` in the engine's environment makes it fail as a broken vLLM would.
const STAND_IN: &str = r#"#!/usr/bin/env python3
import json, os, sys
harness, request, result = sys.argv[1:4]
assert "LLM(" in open(harness).read() and harness.endswith("offline_harness.py"), harness
req = json.load(open(request))
if os.environ.get("FAIL"):
    print("RuntimeError: no engine here", file=sys.stderr)
    sys.exit(1)
out = {"mode": req["mode"], "backend": req["backend"] + " stand-in", "vllm_version": "0.0.0+stand-in", "engine_init_s": 1.5}
if req["mode"] == "latency":
    out["warmup_s"] = [0.5] * req["warmup"]
    out["latencies_s"] = [0.01 * (i + 1) for i in range(req["iterations"])]
else:
    out["elapsed_s"] = 0.5
    # Without ignore_eos the "model" stops early: three tokens per prompt word.
    cap = lambda r: r["output_len"] if req["ignore_eos"] else min(r["output_len"], 3 * len(r["prompt"].split()))
    out["requests"] = [{"prompt_tokens": len(r["prompt"].split()), "output_tokens": cap(r)} for r in req["requests"]]
seen = {"engine_args": req["engine_args"], "kv": os.environ.get("VLLM_CPU_KVCACHE_SPACE"), "model": req["model"]}
json.dump(seen, open(os.path.join(os.path.dirname(result), "seen.json"), "w"))
json.dump(out, open(result, "w"))
"#;

fn recipe(offline: &str, rest: &str) -> String {
    format!(
        r#"title = "offline"
kind = "offline"
[engine]
vllm = "0.10.1.1"
device = "cpu"
model = "some/model"
python = "bin/python"
args = {{ max_model_len = 512 }}
env = {{ VLLM_CPU_KVCACHE_SPACE = "1" }}
[offline]
{offline}
{rest}
"#
    )
}

fn with_stand_in(t: Test) -> Test {
    let t = t.write("bin/python", STAND_IN);
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(t.path("bin/python"), std::fs::Permissions::from_mode(0o755)).unwrap();
    t
}

#[test]
fn latency_runs_sweep_engine_arguments_and_report_percentiles() {
    let text = recipe(
        "mode = \"latency\"\ninput_len = 8\noutput_len = 4\nwarmup = 2\niterations = 5",
        "[matrix]\nscheduling-policy = [\"fcfs\", \"priority\"]\nbatch_size = [1, 4]",
    );
    let t = with_stand_in(Test::new().write("benchmarks/lat.toml", text));
    let dry = t.run_with(["bench", "lat", "--dry-run"]).success();
    assert!(
        dry.stdout
            .contains("scheduling-policy_priority_batch_size_4: would run")
            && dry
                .stdout
                .contains("latency: a batch of 4 × 8 tokens → 4 tokens, 2 warm-up + 5 timed")
            && dry.stdout.contains("scheduling_policy=priority"),
        "{}",
        dry.stdout
    );
    let out = t.run_with(["bench", "lat"]).success();
    assert!(
        out.stdout
            .contains("lat/scheduling-policy_fcfs_batch_size_1")
            && out.stdout.contains("latency p50 30.0 ms, p99 49.6 ms"),
        "{}",
        out.stdout
    );
    let dir = t.path("results/bench-lat/scheduling-policy_priority_batch_size_4");
    for file in [
        "request.json",
        "result.json",
        "offline.json",
        "harness.log",
        "run.json",
    ] {
        assert!(dir.join(file).is_file(), "{file} missing");
    }
    let s = json(&dir.join("offline.json"));
    let l = &s["latency"];
    assert_eq!(l["batch_size"], 4);
    assert_eq!(l["latency_s"]["count"], 5);
    assert!(
        (l["percentiles_s"]["50"].as_f64().unwrap() - 0.03).abs() < 1e-12,
        "{l}"
    );
    assert!(
        (l["percentiles_s"]["90"].as_f64().unwrap() - 0.046).abs() < 1e-12,
        "{l}"
    );
    // 4 prompts × 4 tokens per mean latency of 30 ms.
    assert!(
        (l["output_tokens_per_s"].as_f64().unwrap() - 16.0 / 0.03).abs() < 1e-6,
        "{l}"
    );
    assert_eq!(l["warmup_s"], serde_json::json!([0.5, 0.5]));
    assert_eq!(s["vllm_version"], "0.0.0+stand-in");
    let seen = json(&dir.join("seen.json"));
    assert_eq!(
        seen["engine_args"],
        serde_json::json!({"max_model_len": 512, "scheduling_policy": "priority"})
    );
    // The recipe's environment wins over repro's default for the CPU build.
    assert_eq!(seen["kv"], "1");
    assert_eq!(json(&dir.join("run.json"))["status"], "complete");
    let render = t
        .run_with([
            "render",
            "bench-lat",
            "--results",
            "results",
            "--out",
            "figs",
        ])
        .success();
    let pdf = t.path("figs/bench-lat-offline-latency.pdf");
    assert!(pdf.is_file(), "{}\n{}", render.stdout, render.stderr);
    if let Some(text) = crate::render::pdftotext(&pdf) {
        for needle in [
            "Batch latency (ms)",
            "p99",
            "scheduling-policy_priority_batch_size_4",
        ] {
            assert!(text.contains(needle), "no {needle:?} in\n{text}");
        }
    }
    let again = t.run_with(["bench", "lat"]).success();
    assert!(
        again
            .stderr
            .contains("scheduling-policy_fcfs_batch_size_4: done before, skipped"),
        "{}",
        again.stderr
    );
}

#[test]
fn throughput_runs_count_requests_and_tokens_per_second() {
    let text = recipe(
        "mode = \"throughput\"\nrequests = 6\noutput_len = 10\nprompt = { kind = \"synthetic\", len = { dist = \"fixed\", value = 5 } }",
        "",
    );
    // The same request drives the transformers baseline.
    let text = text.replace(
        "python = \"bin/python\"",
        "python = \"bin/python\"\nbackend = \"transformers\"",
    );
    let t = with_stand_in(Test::new().write("benchmarks/tp.toml", text));
    let out = t.run_with(["bench", "tp"]).success();
    assert!(
        out.stdout
            .contains("12.00 req/s, 60.0 in tok/s, 120.0 out tok/s"),
        "{}",
        out.stdout
    );
    let dir = t.path("results/bench-tp/default");
    let request = json(&dir.join("request.json"));
    let prompts = request["requests"].as_array().unwrap();
    assert_eq!(prompts.len(), 6);
    assert!(prompts
        .iter()
        .all(|p| p["output_len"] == 10 && p["prompt"].as_str().unwrap().split(' ').count() == 5));
    assert_eq!(request["backend"], "transformers");
    assert_eq!(
        json(&dir.join("offline.json"))["backend"],
        "transformers stand-in"
    );
    let s = json(&dir.join("offline.json"))["throughput"].clone();
    assert_eq!(
        (s["requests"].clone(), s["output_tokens"].clone()),
        (6.into(), 60.into())
    );
    assert_eq!(s["total_tokens_per_s"], 180.0);
}

#[test]
fn a_failing_harness_fails_the_run_with_its_log() {
    let text = recipe(
        "mode = \"latency\"\nbatch_size = 1\ninput_len = 8\noutput_len = 4",
        "",
    )
    .replace("VLLM_CPU_KVCACHE_SPACE = \"1\"", "FAIL = \"1\"");
    let t = with_stand_in(Test::new().write("benchmarks/f.toml", text));
    let out = t.run_with(["bench", "f"]);
    assert_eq!(out.code, Some(3), "{}", out.stderr);
    assert!(
        out.stderr.contains("the harness failed (exit status 1)")
            && out.stderr.contains("RuntimeError: no engine here"),
        "{}",
        out.stderr
    );
    let kept = t.path("results/bench-f/default.failed");
    assert_eq!(json(&kept.join("run.json"))["status"], "failed");
    assert!(kept.join("harness.log").is_file());
    assert!(!t.path("results/bench-f/default").exists());
}

#[test]
fn offline_recipe_errors_name_what_is_missing() {
    let text = recipe("mode = \"throughput\"\nrequests = 3", "");
    Test::new()
        .write("benchmarks/e.toml", text)
        .args(["bench", "e"])
        .run()
        .failure()
        .stderr_has("throughput mode needs `prompt =")
        .stderr_has("benchmarks/e.toml:");
}

/// An oracle dataset from prompts (a bad line named by number), then a workload whose requests
/// ask for the oracle's lengths and are prioritized by them: records and per-class summaries.
#[test]
fn an_oracle_dataset_feeds_priorities_to_a_workload() {
    let t = with_stand_in(Test::new())
        .write(
            "prompts.jsonl",
            "{\"prompt\": \"one\"}\n{\"prompt\": \"two words\"}\n\n{\"text\": \"a b c d e f\"}\n",
        )
        .write("bad.jsonl", "{\"prompt\": \"one\"}\n{\"reply\": 2}\n");
    let bad = t.run_with([
        "bench",
        "dataset",
        "--prompts",
        "bad.jsonl",
        "--out",
        "data/o.jsonl",
        "--model",
        "m",
        "--python",
        "bin/python",
    ]);
    assert_ne!(bad.code, Some(0));
    assert!(
        bad.stderr.contains("bad.jsonl` line 2: not a prompt"),
        "{}",
        bad.stderr
    );
    assert!(!t.path("data/o.jsonl").exists());
    let made = t
        .run_with([
            "bench",
            "dataset",
            "--prompts",
            "prompts.jsonl",
            "--out",
            "data/o.jsonl",
            "--model",
            "m",
            "--python",
            "bin/python",
            "--max-tokens",
            "12",
            "--engine-arg",
            "max_model_len=256",
        ])
        .success();
    assert!(
        made.stdout.contains("wrote 3 records to data/o.jsonl"),
        "{}",
        made.stdout
    );
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(t.path("data/o.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let lens: Vec<u64> = lines
        .iter()
        .map(|l| l["output_len"].as_u64().unwrap())
        .collect();
    // 3 tokens a word, at most 12.
    assert_eq!(lens, [3, 6, 12]);
    assert_eq!(lines[2]["input"], "a b c d e f");
    assert!(
        std::fs::read_dir(t.path("data")).unwrap().count() == 1,
        "the work folder is gone"
    );
    // The dataset's lengths, binned into priorities, sent to a mock server.
    let recipe = format!(
        r#"title = "p"
[server]
kind = "command"
model = "mock"
command = [{REPRO:?}, "__mock-server", "--port", "{{port}}", "--ttft-ms", "1", "--gap-ms", "1", "--lifetime-s", "30"]
health_timeout = "10s"
stop_grace = "2s"
[workload]
arrival = "closed"
concurrency = 2
requests = 30
prompt = {{ kind = "dataset", path = "data/o.jsonl" }}
priority = {{ from = "output_len", bins = [4, 8] }}
request_timeout = "10s"
"#
    );
    let t = t.write("benchmarks/p.toml", recipe);
    t.run_with(["bench", "p"]).success();
    let dir = t.path("results/bench-p/default");
    let records = crate::bench::records(&dir.join("records.jsonl"));
    for r in &records {
        let expected = match r["max_tokens"].as_u64().unwrap() {
            3 => 0,
            6 => 1,
            12 => 2,
            other => panic!("{other} is no oracle length"),
        };
        assert_eq!(r["priority"], expected, "{r}");
        assert_eq!(r["completion_tokens"], r["max_tokens"]);
    }
    let classes = json(&dir.join("priority.json"));
    let counts: u64 = ["0", "1", "2"]
        .iter()
        .map(|c| classes[c]["requests"].as_u64().unwrap())
        .sum();
    assert_eq!(counts, 30, "{classes}");
    assert!(classes["2"]["e2e"]["mean"].as_f64() > classes["0"]["e2e"]["mean"].as_f64());
}

//! vLLM's result format: a mock-server run writes `vllm-bench.json`, which `repro bench import`
//! reads back into a run whose numbers equal the run's own where the definitions agree, drawn
//! beside the benchmark's runs; bad files are refused naming the file and the key.

use serde_json::Value;

use crate::bench::json;
use crate::common::*;

fn recipe() -> String {
    format!(
        r#"title = "mock"
[server]
kind = "command"
model = "mock"
command = [{REPRO:?}, "__mock-server", "--port", "{{port}}", "--lifetime-s", "60", "--ttft-ms", "5", "--gap-ms", "1"]
health_timeout = "10s"
stop_grace = "2s"
[workload]
arrival = "poisson"
requests = 30
rate = 100.0
prompt = {{ kind = "synthetic", len = {{ dist = "uniform", min = 4, max = 16 }} }}
output_len = {{ dist = "fixed", value = 6 }}
max_duration = "30s"
request_timeout = "10s"
[slo]
ttft = "2s"
"#
    )
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[track_caller]
fn close(a: f64, b: f64, what: &str) {
    assert!(
        (a - b).abs() <= 1e-9 * b.abs().max(1.0),
        "{what}: {a} != {b}"
    );
}

#[test]
fn a_runs_vllm_file_has_vllms_keys_and_imports_back_to_the_same_numbers() {
    let t = Test::new().write("benchmarks/v.toml", recipe());
    t.run_with(["bench", "v"]).success();
    let run = t.path("results/bench-v/default");
    let file = json(&run.join("vllm-bench.json"));
    let summary = json(&run.join("summary.json"));
    for key in [
        "date",
        "backend",
        "model_id",
        "tokenizer_id",
        "num_prompts",
        "request_rate",
        "burstiness",
        "max_concurrency",
        "duration",
        "completed",
        "total_input_tokens",
        "total_output_tokens",
        "request_throughput",
        "request_goodput",
        "output_throughput",
        "total_token_throughput",
        "input_lens",
        "output_lens",
        "ttfts",
        "itls",
        "generated_texts",
        "errors",
    ] {
        assert!(file.get(key).is_some(), "no `{key}` in {file}");
    }
    for metric in ["ttft", "tpot", "itl", "e2el"] {
        for stat in ["mean", "median", "std", "p99"] {
            assert!(
                file[format!("{stat}_{metric}_ms")].is_number(),
                "{stat}_{metric}_ms"
            );
        }
    }
    assert_eq!(file["model_id"], "mock");
    assert_eq!(file["backend"], "openai");
    assert_eq!(file["num_prompts"], 30);
    assert_eq!(file["request_rate"], 100.0);
    assert_eq!(file["max_concurrency"], Value::Null);
    assert_eq!(file["completed"], summary["outcomes"]["ok"]);
    assert_eq!(file["total_output_tokens"], summary["output_tokens"]);
    close(
        num(&file["duration"]),
        num(&summary["duration"]),
        "duration",
    );
    for k in ["request_throughput", "output_throughput"] {
        close(num(&file[k]), num(&summary[k]), k);
    }
    // Where the definitions agree, the file's statistics are the summary's in ms.
    close(
        num(&file["mean_ttft_ms"]),
        num(&summary["ttft"]["mean"]) * 1e3,
        "ttft mean",
    );
    close(
        num(&file["median_ttft_ms"]),
        num(&summary["ttft"]["p50"]) * 1e3,
        "ttft p50",
    );
    close(
        num(&file["p99_ttft_ms"]),
        num(&summary["ttft"]["p99"]) * 1e3,
        "ttft p99",
    );
    close(
        num(&file["mean_itl_ms"]),
        num(&summary["itl"]["mean"]) * 1e3,
        "itl mean",
    );
    close(
        num(&file["p99_itl_ms"]),
        num(&summary["itl"]["p99"]) * 1e3,
        "itl p99",
    );
    close(
        num(&file["request_goodput"]),
        num(&summary["goodput"]),
        "goodput",
    );
    // vLLM's latency ends at the last chunk, repro's E2E at [DONE]: never longer.
    assert!(num(&file["mean_e2el_ms"]) <= num(&summary["e2e"]["mean"]) * 1e3 + 1e-6);
    let ttfts = file["ttfts"].as_array().unwrap();
    assert_eq!(ttfts.len(), 30);

    // Imported: a run of repro's layout under imported/vllm-bench/, the same numbers back.
    let source = "results/bench-v/default/vllm-bench.json";
    let out = t
        .run_with([
            "bench",
            "import",
            source,
            "--name",
            "v",
            "--results",
            "results",
        ])
        .success();
    assert!(
        out.stdout.contains("30/30 ok, records and summary"),
        "{}",
        out.stdout
    );
    let back_dir = t.path("results/imported/vllm-bench/bench-v/default");
    let back = json(&back_dir.join("summary.json"));
    assert_eq!(back["requests"], summary["requests"]);
    assert_eq!(back["outcomes"]["ok"], summary["outcomes"]["ok"]);
    assert_eq!(back["output_tokens"], summary["output_tokens"]);
    for k in [
        "duration",
        "request_throughput",
        "output_throughput",
        "goodput",
    ] {
        close(num(&back[k]), num(&summary[k]), k);
    }
    for metric in ["ttft", "itl"] {
        assert_eq!(back[metric]["count"], summary[metric]["count"], "{metric}");
        for stat in ["mean", "min", "p50", "p90", "p99", "max"] {
            let what = format!("{metric} {stat}");
            close(num(&back[metric][stat]), num(&summary[metric][stat]), &what);
        }
    }
    let run_json = json(&back_dir.join("run.json"));
    assert_eq!(run_json["tool"], "vllm-bench");
    assert_eq!(run_json["params"]["rate"], 100.0);
    assert!(back_dir.join("records.jsonl").is_file() && back_dir.join("cdf.json").is_file());

    // Again without --force: refused, the first import kept.
    t.run_with([
        "bench",
        "import",
        source,
        "--name",
        "v",
        "--results",
        "results",
    ])
    .failure()
    .stderr_has("--force");

    // render draws the imported run beside the benchmark's own.
    let out = t
        .run_with(["render", "bench-v", "--results", "results", "--out", "out"])
        .success();
    assert!(
        out.stdout.contains("out/bench-v-compare.pdf"),
        "{}",
        out.stdout
    );
    if let Some(text) = crate::render::pdftotext(&t.path("out/bench-v-compare.pdf")) {
        assert!(text.contains("vllm-bench/default"), "{text}");
        assert!(text.contains("default"), "{text}");
    }
}

#[test]
fn a_bad_result_file_is_refused_naming_the_file_and_the_key_and_nothing_is_written() {
    let good = r#"{"duration": 1.0, "completed": 1, "failed": 0, "request_rate": 1.0,
        "total_input_tokens": 4, "total_output_tokens": 2, "request_throughput": 1.0,
        "output_throughput": 2.0, "total_token_throughput": 6.0"#;
    let t = Test::new()
        .write("ok.json", format!("{good}}}"))
        .write("cut.json", &good[..40])
        .write(
            "nokey.json",
            format!("{}}}", good.replace("\"duration\": 1.0, ", "")),
        )
        .write("typed.json", format!("{good}, \"ttfts\": [\"slow\"]}}"));
    for (file, needle) in [
        ("cut.json", "cut.json"),
        ("nokey.json", "key `duration` is missing"),
        ("typed.json", "key `ttfts` is not a list of numbers"),
    ] {
        let out = t
            .run_with(["bench", "import", "ok.json", file, "--results", "results"])
            .failure();
        assert!(
            out.stderr.contains(file) && out.stderr.contains(needle),
            "{}",
            out.stderr
        );
        assert!(!t.path("results").exists(), "{file}: something was written");
    }
    let out = t
        .run_with(["bench", "import", "ok.json", "--results", "results"])
        .success();
    assert!(out.stdout.contains("summary only"), "{}", out.stdout);
    assert!(t
        .path("results/imported/vllm-bench/bench-ok/ok/summary.json")
        .is_file());
}

/// AIPerf's per-request export (a fixture written from its documented format).
#[test]
fn aiperfs_per_request_export_imports_as_records() {
    let t = Test::new();
    let fixture = fixture("aiperf/c4/profile_export.jsonl");
    t.run_with(["bench", "import"]).failure();
    let path = fixture.to_str().unwrap();
    let out = t
        .run_with(["bench", "import", path, "--name", "peers"])
        .success();
    assert!(out.stdout.contains("(aiperf): 3/4 ok"), "{}", out.stdout);
    let dir = t.path("results/imported/aiperf/bench-peers/c4");
    let summary = json(&dir.join("summary.json"));
    assert_eq!(summary["outcomes"]["error"], 1);
    close(num(&summary["ttft"]["p50"]), 0.020, "ttft p50");
    assert_eq!(summary["output_tokens"], 12);
    assert!(dir.join("profile_export.jsonl").is_file());
}

/// GuideLLM's report (a fixture written from its schema): a run per benchmark of the sweep.
#[test]
fn guidellms_report_imports_as_a_run_per_benchmark() {
    let t = Test::new();
    let fixture = fixture("guidellm/sweep.json");
    let path = fixture.to_str().unwrap();
    let out = t
        .run_with(["bench", "import", path, "--name", "peers"])
        .success();
    assert!(out.stdout.contains("(guidellm): 2/3 ok"), "{}", out.stdout);
    let dir = t.path("results/imported/guidellm/bench-peers");
    let first = json(&dir.join("sweep-1-constant-10/summary.json"));
    close(num(&first["ttft"]["mean"]), 0.025, "ttft mean");
    // (e2e − ttft) / 3: (0.06 − 0.02) / 3 and (0.07 − 0.03) / 3
    close(num(&first["tpot"]["mean"]), 0.04 / 3.0, "tpot mean");
    assert_eq!(first["outcomes"]["error"], 1);
    assert_eq!(
        json(&dir.join("sweep-1-constant-10/run.json"))["params"]["rate"],
        10.0
    );
    assert!(dir.join("sweep-2-synchronous/summary.json").is_file());
}

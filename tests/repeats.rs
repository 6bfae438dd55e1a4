//! Repeats of a benchmark's points (`--repeats N`, `workload.repeats`): each repeat a seeded,
//! resumable run of its own; the point's summary the mean with each metric's spread and
//! Student-t interval; one point per repeated point on the curves.

use crate::bench::{json, records};
use crate::common::*;

fn recipe(repeats: &str) -> String {
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
requests = 12
seed = 5
{repeats}
prompt = {{ kind = "synthetic", len = {{ dist = "uniform", min = 4, max = 16 }} }}
output_len = {{ dist = "fixed", value = 4 }}
max_duration = "30s"
request_timeout = "10s"
[matrix]
rate = [100.0, 200.0]
"#
    )
}

#[test]
fn each_point_runs_n_seeded_times_and_its_summary_has_the_spread() {
    let t = Test::new().write("benchmarks/r.toml", recipe(""));
    let out = t.run_with(["bench", "r", "--repeats", "2"]).success();
    assert!(out.stderr.contains("rate_100.0/repeat_2"), "{}", out.stderr);
    let point = t.path("results/bench-r/rate_100.0");
    let scheduled = |k: u32| -> Vec<f64> {
        records(&point.join(format!("repeat_{k}/records.jsonl")))
            .iter()
            .map(|r| r["scheduled"].as_f64().unwrap())
            .collect()
    };
    assert_ne!(scheduled(1), scheduled(2), "the repeats' seeds differ");
    for k in [1, 2] {
        assert!(point.join(format!("repeat_{k}/vllm-bench.json")).is_file());
    }
    let summary = json(&point.join("summary.json"));
    let repeats = &summary["repeats"];
    assert_eq!(repeats["n"], 2);
    assert!(repeats["interval"]
        .as_str()
        .unwrap()
        .contains("Student's t"));
    let ttft = &repeats["metrics"]["ttft.p50"];
    let (lo, mean, hi) = (
        ttft["ci95"][0].as_f64().unwrap(),
        ttft["mean"].as_f64().unwrap(),
        ttft["ci95"][1].as_f64().unwrap(),
    );
    assert!(lo <= mean && mean <= hi, "{ttft}");
    assert_eq!(ttft["values"].as_array().unwrap().len(), 2);
    assert!(ttft["std"].is_number() && ttft.get("cv").is_some());
    // One point per repeated point on the curves.
    let curves = std::fs::read_to_string(t.path("results/bench-r/curves.csv")).unwrap();
    assert_eq!(curves.lines().count(), 3, "{curves}");
    assert!(curves.contains("\nrate_100.0,") && curves.contains("\nrate_200.0,"));

    // One more repeat in the recipe: only the new one runs.
    let t = t.write("benchmarks/r.toml", recipe("repeats = 3"));
    let out = t.run_with(["bench", "r"]).success();
    assert!(
        out.stderr.contains("rate_100.0/repeat_1: done before")
            && out.stderr.contains("rate_100.0/repeat_3: healthy"),
        "{}",
        out.stderr
    );
    assert_eq!(json(&point.join("summary.json"))["repeats"]["n"], 3);

    t.run_with(["render", "bench-r", "--results", "results", "--out", "out"])
        .success()
        .stdout_has("out/bench-r-ttft.pdf");
}

#[test]
fn repeats_out_of_range_are_refused() {
    let t = Test::new().write("benchmarks/r.toml", recipe("repeats = 0"));
    t.run_with(["bench", "r", "--dry-run"])
        .failure()
        .stderr_has("`repeats` must be 1 to 100");
    t.run_with(["bench", "r", "--repeats", "0", "--dry-run"])
        .failure();
}

#[test]
fn a_run_made_without_repeats_is_moved_aside_for_the_repeated_point() {
    let t = Test::new().write("benchmarks/r.toml", recipe(""));
    t.run_with(["bench", "r"]).success();
    let point = t.path("results/bench-r/rate_100.0");
    assert!(point.join("records.jsonl").is_file());
    let out = t.run_with(["bench", "r", "--repeats", "2"]).success();
    assert!(
        out.stderr
            .contains("held a run made without repeats: moved to"),
        "{}",
        out.stderr
    );
    assert!(
        !point.join("records.jsonl").exists(),
        "the plain run is aside"
    );
    assert_eq!(json(&point.join("summary.json"))["repeats"]["n"], 2);
    let replaced = t.path("results/replaced");
    let kept = walkdir::WalkDir::new(&replaced)
        .into_iter()
        .flatten()
        .any(|e| e.file_name() == "records.jsonl");
    assert!(kept, "the plain run's records are kept under replaced/");
}

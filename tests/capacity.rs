//! `repro bench` capacity searches against the mock server with slots (50 ms a request: 20 req/s
//! a slot, known in advance). The tests use fewer slots than the shipped recipe: lower rates
//! leave the load generator room on a busy 2-core machine, where its self-check would
//! otherwise (rightly) call a fast probe invalid.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::*;

/// The shipped `mock-capacity` recipe with `edits` applied (shorter probes for the suite).
fn mock_capacity(edits: &[(&str, &str)]) -> String {
    let mut text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("benchmarks/mock-capacity.toml"),
    )
    .unwrap();
    for (from, to) in edits {
        assert!(text.contains(from), "`{from}` is not in the recipe");
        text = text.replace(from, to);
    }
    text
}

fn json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// Probe folders with a summary, by name.
fn finished_probes(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().join("summary.json").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Interrupted after a few probes, the search resumes without running them again and finds the
/// mock's capacity (2 slots: 40 req/s) within 10 % in a bounded number of probes.
#[test]
fn capacity_is_found_and_an_interrupted_search_reruns_no_probe() {
    let text = mock_capacity(&[
        ("\"--slots\", \"4\"", "\"--slots\", \"2\""),
        ("probe_duration = \"2s\"", "probe_duration = \"1s\""),
        ("start_rate = 20.0", "start_rate = 10.0"),
    ]);
    let t = Test::new().write("benchmarks/cap.toml", text);
    let probes = t.path("results/bench-cap/capacity/default");
    let mut child = t
        .command()
        .args(["bench", "cap"])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while finished_probes(&probes).len() < 2 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no two probes finished"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(130));
    // Probes the client could not deliver (a starved machine) are rerun by design; the others
    // must never run again.
    let valid = |p: &str| json(&probes.join(p).join("summary.json"))["client"]["valid"] == true;
    let before: Vec<String> = finished_probes(&probes)
        .into_iter()
        .filter(|p| valid(p))
        .collect();
    let stamps: Vec<serde_json::Value> = before
        .iter()
        .map(|p| json(&probes.join(p).join("run.json"))["started_unix_s"].clone())
        .collect();

    let out = t.command().args(["bench", "cap"]).output().unwrap();
    let mut stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    for probe in &before {
        assert!(
            stderr.contains(&format!("{probe}: done before, skipped")),
            "{probe} was not reused:\n{stderr}"
        );
    }
    let file = json(&t.path("results/bench-cap/capacity.json"));
    let all = file["configs"][0]["probes"].as_array().unwrap().clone();
    let started = stderr.matches(": starting the server").count();
    let reused = all.iter().filter(|p| p["reused"] == true).count();
    assert_eq!(
        started + reused,
        all.len(),
        "each probe ran once:\n{stderr}"
    );
    // On a machine too busy for the load generator the search stops at `client_limit` (the
    // self-check doing its job); each rerun tries the invalid probe again, up to twice more.
    for _ in 0..2 {
        if json(&t.path("results/bench-cap/capacity.json"))["configs"][0]["stop"] != "client_limit"
        {
            break;
        }
        let out = t.command().args(["bench", "cap"]).output().unwrap();
        stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(0), "{stderr}");
    }
    for (probe, stamp) in before.iter().zip(&stamps) {
        assert_eq!(
            &json(&probes.join(probe).join("run.json"))["started_unix_s"],
            stamp,
            "{probe} ran again"
        );
    }
    let file = json(&t.path("results/bench-cap/capacity.json"));
    let config = &file["configs"][0];
    let all = config["probes"].as_array().unwrap();
    let capacity = config["capacity_rps"].as_f64().unwrap();
    // 40 req/s is the most the mock can serve; a loaded machine serves less (the mock's 50 ms
    // stretch, never shrink), so the bound below keeps a margin such a machine keeps.
    assert!(
        (24.0..=44.0).contains(&capacity),
        "capacity {capacity} req/s, known at most 40:\n{stderr}"
    );
    assert!(all.len() <= 12, "{} probes", all.len());
    assert_eq!(config["stop"], "precision", "{stderr}");
    assert!(t.path("results/bench-cap/capacity.svg").is_file());
    // The probes' own rates are in their folders and summaries.
    let first = &all[0];
    assert_eq!(first["rate"], 10.0);
    assert_eq!(first["dir"], "capacity/default/rate_10.0");
}

/// Even the lowest rate (60 req/s) over-saturates the server (1 slot: 20 req/s): one probe,
/// which stops sending once 12 requests are in flight, failed as saturated, and the search says
/// so.
#[test]
fn a_search_stops_at_over_saturation() {
    let text = mock_capacity(&[
        ("\"--slots\", \"4\"", "\"--slots\", \"1\""),
        (
            "probe_duration = \"2s\"",
            "probe_duration = \"1s\"\nmax_in_flight = 12",
        ),
        ("min_rate = 10.0", "min_rate = 60.0"),
        ("start_rate = 20.0", "start_rate = 60.0"),
    ]);
    let t = Test::new().write("benchmarks/sat.toml", text);
    // A machine too busy for the load generator makes the probe invalid instead (the
    // self-check's job); the rerun tries it again, up to twice.
    let mut outcome = t.run_with(["bench", "sat", "--results", "r"]).success();
    for _ in 0..2 {
        if json(&t.path("r/bench-sat/capacity.json"))["configs"][0]["stop"] != "client_limit" {
            break;
        }
        outcome = t.run_with(["bench", "sat", "--results", "r"]).success();
    }
    outcome
        .stderr_has("over-saturated: stopped sending with")
        .stderr_has("even min_rate over-saturates the server");
    let file = json(&t.path("r/bench-sat/capacity.json"));
    let config = &file["configs"][0];
    assert_eq!(config["stop"], "saturated_at_min_rate");
    assert_eq!(config["capacity_rps"], serde_json::Value::Null);
    let probes = config["probes"].as_array().unwrap();
    assert_eq!(probes.len(), 1);
    assert!(probes[0]["saturated"].is_string());
    let summary = json(&t.path("r/bench-sat/capacity/default/rate_60.0/summary.json"));
    let not_sent = summary["outcomes"]["not_sent"].as_u64().unwrap();
    assert!(not_sent > 0 && not_sent < 60, "{not_sent} of 60 not sent");
}

/// A starved load generator (kept busy 30 ms before each send, at 40 req/s: 25 ms apart) is the
/// limit: its probe is marked invalid, kept, and the search stops rather than judge the server.
#[test]
fn a_starved_client_marks_its_run_invalid_and_stops_the_search() {
    let text = mock_capacity(&[
        ("probe_duration = \"2s\"", "probe_duration = \"1s\""),
        ("start_rate = 20.0", "start_rate = 40.0"),
    ]);
    let t = Test::new().write("benchmarks/slow.toml", text);
    t.run_with(["bench", "slow", "--client-slowdown-ms", "30"])
        .success()
        .stderr_has("INVALID, the client was the limit");
    let file = json(&t.path("results/bench-slow/capacity.json"));
    let config = &file["configs"][0];
    assert_eq!(config["stop"], "client_limit");
    assert_eq!(config["probes"].as_array().unwrap().len(), 1);
    let summary = json(&t.path("results/bench-slow/capacity/default/rate_40.0/summary.json"));
    let client = &summary["client"];
    assert_eq!(client["valid"], false);
    let tripped: Vec<&str> = client["tripped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        tripped.iter().any(|t| t.starts_with("send lag")),
        "{tripped:?}"
    );
    assert!(
        tripped.iter().any(|t| t.starts_with("achieved rate")),
        "{tripped:?}"
    );
    // The next search runs the invalid probe again rather than reuse it.
    t.run_with(["bench", "slow", "--client-slowdown-ms", "30"])
        .success()
        .stderr_has("rate_40.0: starting the server")
        .stderr_has("INVALID, the client was the limit");
}

/// A prefill profile of a mock whose first token takes 5 ms + 0.2 ms per prompt word: one
/// request at a time, each length in turn, the fastest TTFT of each fitted by a line.
#[test]
fn a_prefill_profile_fits_ttft_against_prompt_length() {
    let text = format!(
        r#"title = "prefill"
[server]
kind = "command"
model = "mock"
command = [{REPRO:?}, "__mock-server", "--port", "{{port}}", "--ttft-ms", "5", "--prefill-us-per-token", "200", "--lifetime-s", "60"]
health_timeout = "10s"
stop_grace = "2s"
[workload]
arrival = "closed"
requests = 1
prompt = {{ kind = "synthetic", len = {{ dist = "fixed", value = 4 }} }}
output_len = {{ dist = "fixed", value = 8 }}
request_timeout = "10s"
[prefill_profile]
lens = [8, 64, 256]
repeats = 2
degree = 1
"#
    );
    let t = Test::new().write("benchmarks/pre.toml", text);
    t.run_with(["bench", "pre"])
        .success()
        .stderr_has("default: prefill ≈");
    let file = json(&t.path("results/bench-pre/prefill.json"));
    let config = &file["configs"][0];
    let points = config["points"].as_array().unwrap();
    let lens: Vec<u64> = points
        .iter()
        .map(|p| p["prompt_len"].as_u64().unwrap())
        .collect();
    assert_eq!(lens, [8, 64, 256]);
    assert_eq!(points[0]["ttfts"].as_array().unwrap().len(), 2);
    // One at a time, with 2 tokens each, whatever the recipe's workload said.
    let summary = json(&t.path("results/bench-pre/default/summary.json"));
    assert_eq!(summary["requests"], 6);
    assert_eq!(summary["arrivals"]["concurrency"], 1);
    assert_eq!(summary["output_tokens"], 12);
    let fit = &config["fit"];
    assert_eq!(fit["degree"], 1);
    let c: Vec<f64> = fit["coefficients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    // The mock sleeps at least 0.2 ms a word: 248 more words, at least ~50 ms more.
    let predict = |n: f64| c[0] + c[1] * n;
    assert!(predict(256.0) - predict(8.0) > 0.04, "{c:?}");
    assert!(t.path("results/bench-pre/prefill.svg").is_file());
}

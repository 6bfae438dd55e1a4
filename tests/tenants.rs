//! `repro bench` with several `[[tenant]]`s, against mock servers run at once; MPS through a
//! stand-in `nvidia-cuda-mps-control` on PATH.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use crate::bench::{json, processes_with, records, wait_for};
use crate::common::*;

/// A tenant whose server is the mock (seeded `seed`, so its processes can be found), behind a
/// shell that prints the MPS variables it was given into its log.
fn tenant(name: &str, seed: u32, mock_flags: &str, workload: &str, extra: &str) -> String {
    let flags: String = mock_flags
        .split_whitespace()
        .map(|f| format!(", {f:?}"))
        .collect();
    format!(
        r#"
[[tenant]]
name = "{name}"
{extra}
[tenant.server]
kind = "command"
model = "mock-{name}"
command = ["sh", "-c", "echo \"pct=$CUDA_MPS_ACTIVE_THREAD_PERCENTAGE pipe=$CUDA_MPS_PIPE_DIRECTORY\"; exec \"$0\" \"$@\"", {REPRO:?}, "__mock-server", "--port", "{{port}}", "--lifetime-s", "60", "--seed", "{seed}"{flags}]
health_timeout = "5s"
stop_grace = "2s"
[tenant.workload]
prompt = {{ kind = "synthetic", len = {{ dist = "fixed", value = 4 }} }}
output_len = {{ dist = "fixed", value = 4 }}
max_duration = "30s"
request_timeout = "5s"
{workload}
"#
    )
}

fn recipe(head: &str, tenants: &[String]) -> String {
    format!("title = \"tenants\"\n{head}\n{}", tenants.concat())
}

/// The servers of the tenants seeded `seeds`, still running.
fn servers_left(seeds: &[&str]) -> Vec<u32> {
    seeds
        .iter()
        .flat_map(|s| processes_with(&["__mock-server", "--seed", s]))
        .collect()
}

#[test]
fn two_tenants_run_at_once_beside_their_solo_runs() {
    let text = recipe(
        "stagger = \"100ms\"\n[slo]\nttft = \"2s\"",
        &[
            tenant(
                "a",
                7101,
                "--ttft-ms 5 --gap-ms 1",
                "arrival = \"poisson\"\nrate = 100.0\nrequests = 20",
                "",
            ),
            tenant(
                "b",
                7102,
                "--ttft-ms 2 --gap-ms 3",
                "arrival = \"closed\"\nconcurrency = 2\nrequests = 10",
                "",
            ),
        ],
    );
    let t = Test::new().write("benchmarks/two.toml", text);
    let dry = t.run_with(["bench", "two", "--dry-run"]).success();
    assert!(
        dry.stdout.contains("solo-a: would run")
            && dry
                .stdout
                .contains("shared: would run — 2 tenants at once, sharing none")
            && dry.stdout.contains("b: 10 requests from 0.1s"),
        "{}",
        dry.stdout
    );
    let out = t.command().args(["bench", "two"]).output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("two/shared/a")
            && stdout.contains("two/solo-b")
            && stdout.contains("20/20"),
        "{stdout}"
    );
    assert!(
        stdout.contains("two/shared (sharing none): device throughput"),
        "{stdout}"
    );
    let bench = t.path("results/bench-two");
    let shared = bench.join("shared");
    for file in [
        "a.records.jsonl",
        "a.summary.json",
        "a.cdf.json",
        "a.server.log",
        "b.records.jsonl",
        "b.summary.json",
        "aggregate.json",
        "config.json",
        "cpu.json",
        "gpu.json",
        "run.json",
    ] {
        assert!(shared.join(file).is_file(), "{file} missing");
    }
    assert_eq!(records(&shared.join("a.records.jsonl")).len(), 20);
    assert_eq!(json(&shared.join("b.summary.json"))["outcomes"]["ok"], 10);
    let a = json(&shared.join("aggregate.json"));
    let tenants = a["tenants"].as_array().unwrap();
    assert_eq!(tenants.len(), 2);
    // b's load starts a stagger after a's.
    assert!(tenants[1]["load_started_s"].as_f64().unwrap() >= 0.1, "{a}");
    // Device throughput: all ok requests over the longest completion.
    let longest = a["longest_completion_s"].as_f64().unwrap();
    let completions: Vec<f64> = tenants
        .iter()
        .map(|t| t["completion_s"].as_f64().unwrap())
        .collect();
    assert_eq!(longest, completions[0].max(completions[1]));
    let device = a["device_request_throughput"].as_f64().unwrap();
    assert!((device - 30.0 / longest).abs() < 1e-9, "{a}");
    let slowest = if completions[0] > completions[1] {
        "a"
    } else {
        "b"
    };
    assert_eq!(a["slowest_tenant"], slowest);
    // Each tenant beside its solo run: the same workload alone.
    for (t, solo) in tenants.iter().zip(["solo-a", "solo-b"]) {
        assert_eq!(t["solo"]["label"], solo, "{t}");
        let solo_summary = json(&bench.join(solo).join("summary.json"));
        let expected =
            t["e2e_mean"].as_f64().unwrap() / solo_summary["e2e"]["mean"].as_f64().unwrap();
        assert!(
            (t["slowdown"].as_f64().unwrap() - expected).abs() < 1e-9,
            "{t}"
        );
    }
    let manifest = json(&shared.join("run.json"));
    assert_eq!(manifest["status"], "complete");
    assert_eq!(manifest["tenants"][0]["server_stop"]["how"], "sigterm");
    let csv = std::fs::read_to_string(bench.join("tenants.csv")).unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(
        csv.lines()
            .nth(2)
            .unwrap()
            .starts_with("shared,none,b,mock-b,10,10,"),
        "{csv}"
    );
    assert!(servers_left(&["7101", "7102"]).is_empty());
    // Drawn with the one-server charts: each tenant shared beside its solo run.
    let render = t.run_with([
        "render",
        "bench-two",
        "--results",
        "results",
        "--out",
        "figs",
    ]);
    let render = render.success();
    let pdf = t.path("figs/bench-two-cdf.pdf");
    assert!(pdf.is_file(), "{}", render.stdout);
    if let Some(text) = crate::render::pdftotext(&pdf) {
        for needle in ["solo-a", "shared/a", "shared/b"] {
            assert!(text.contains(needle), "no {needle:?} in\n{text}");
        }
    }
    // A rerun skips every run.
    let again = t.run_with(["bench", "two"]).success();
    assert!(
        again.stderr.contains("shared: done before, skipped")
            && again.stderr.contains("solo-a: done before, skipped"),
        "{}",
        again.stderr
    );
}

#[test]
fn a_tenant_that_never_becomes_healthy_fails_the_run_by_name_and_stops_the_others() {
    let text = recipe(
        "solo = false",
        &[
            tenant(
                "ok",
                7201,
                "",
                "arrival = \"closed\"\nconcurrency = 1\nrequests = 2",
                "",
            ),
            tenant(
                "sick",
                7202,
                "--unhealthy",
                "arrival = \"closed\"\nconcurrency = 1\nrequests = 2",
                "",
            ),
        ],
    )
    .replace("health_timeout = \"5s\"", "health_timeout = \"1s\"");
    let t = Test::new().write("benchmarks/h.toml", text);
    let out = t.run_with(["bench", "h"]);
    assert_eq!(out.code, Some(3), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("tenant `sick`: the server at http://127.0.0.1:")
            && out.stderr.contains("was not healthy after 1s"),
        "{}",
        out.stderr
    );
    let kept = t.path("results/bench-h/shared.failed");
    let manifest = json(&kept.join("run.json"));
    assert_eq!(manifest["status"], "not_healthy");
    assert_eq!(manifest["failed_tenant"], "sick");
    // The healthy one was stopped, not left running.
    assert_eq!(manifest["tenants"][0]["server_stop"]["how"], "sigterm");
    assert!(kept.join("ok.server.log").is_file() && kept.join("sick.server.log").is_file());
    assert!(servers_left(&["7201", "7202"]).is_empty());
}

#[test]
fn a_tenant_dying_mid_run_stops_the_others_and_keeps_every_record() {
    let text = recipe(
        "solo = false",
        &[
            // 400 requests at 100/s: four seconds of load, cut short when b dies.
            tenant(
                "a",
                7301,
                "--ttft-ms 1 --gap-ms 1",
                "arrival = \"poisson\"\nrate = 100.0\nrequests = 400",
                "",
            ),
            tenant(
                "b",
                7302,
                "--ttft-ms 1 --gap-ms 1 --die-after 5",
                "arrival = \"closed\"\nconcurrency = 1\nrequests = 50",
                "",
            ),
        ],
    );
    let t = Test::new().write("benchmarks/d.toml", text);
    let out = t.run_with(["bench", "d"]);
    assert_eq!(out.code, Some(3), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("tenant `b`: the server died during the run")
            && out.stderr.contains("dying after 5"),
        "{}",
        out.stderr
    );
    let kept = t.path("results/bench-d/shared.failed");
    assert_eq!(json(&kept.join("run.json"))["status"], "server_died");
    assert_eq!(json(&kept.join("run.json"))["failed_tenant"], "b");
    // Every request of both is recorded; a's load stopped early: the rest were not sent.
    let a = json(&kept.join("a.summary.json"));
    assert_eq!(a["requests"], 400);
    assert!(
        a["outcomes"]["not_sent"].as_u64().unwrap() > 0,
        "{}",
        a["outcomes"]
    );
    let b = records(&kept.join("b.records.jsonl"));
    assert_eq!(b.len(), 50);
    assert_eq!(b.iter().filter(|r| r["outcome"] == "ok").count(), 5);
    assert!(kept.join("aggregate.json").is_file());
    assert!(servers_left(&["7301", "7302"]).is_empty());
}

/// A stand-in for `nvidia-cuda-mps-control`: `-f` is the daemon (it makes the control pipe,
/// waits for `quit`), anything else reads one command from stdin; every step is logged.
fn stand_in_mps(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join("nvidia-cuda-mps-control");
    std::fs::write(
        &path,
        r#"#!/bin/sh
log="$REPRO_TEST_MPS_LOG"
if [ "$1" = "-f" ]; then
  if [ -n "$REPRO_TEST_MPS_FAIL" ]; then echo "no CUDA-capable device" >&2; exit 1; fi
  echo "daemon pipe=$CUDA_MPS_PIPE_DIRECTORY log=$CUDA_MPS_LOG_DIRECTORY" >> "$log"
  echo "control daemon up" > "$CUDA_MPS_LOG_DIRECTORY/control.log"
  touch "$CUDA_MPS_PIPE_DIRECTORY/control"
  while [ ! -e "$CUDA_MPS_PIPE_DIRECTORY/quit" ]; do sleep 0.05; done
  echo "daemon quit" >> "$log"
  exit 0
fi
read cmd
echo "command $cmd" >> "$log"
case "$cmd" in
  quit) touch "$CUDA_MPS_PIPE_DIRECTORY/quit" ;;
  get_server_list) echo 4242 ;;
esac
"#,
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn mps_recipe(requests: u32) -> String {
    recipe(
        "sharing = \"mps\"\nsolo = false",
        &[
            tenant(
                "a",
                7401,
                "--ttft-ms 1 --gap-ms 1",
                &format!("arrival = \"closed\"\nconcurrency = 1\nrequests = {requests}"),
                "mps_thread_percentage = 30",
            ),
            tenant(
                "b",
                7402,
                "--ttft-ms 1 --gap-ms 1",
                "arrival = \"closed\"\nconcurrency = 1\nrequests = 3",
                "mps_thread_percentage = 70",
            ),
        ],
    )
}

#[test]
fn under_mps_one_private_daemon_serves_the_tenants_and_is_quit_after_them() {
    let t = Test::new().write("benchmarks/m.toml", mps_recipe(3));
    let bin = t.path("bin");
    stand_in_mps(&bin);
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let log = t.path("mps.log");
    let tmp = t.path("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let run = |extra: &[(&str, &str)]| {
        let mut cmd = t.command();
        cmd.args(["bench", "m", "--force"])
            .env("PATH", &path)
            .env("TMPDIR", &tmp)
            .env("REPRO_TEST_MPS_LOG", &log);
        for (k, v) in extra {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    };
    let out = run(&[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shared = t.path("results/bench-m/shared");
    let steps = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = steps.lines().collect();
    assert!(
        lines[0].starts_with("daemon pipe=") && lines[0].contains("/repro-mps-"),
        "{steps}"
    );
    let pipe = lines[0]
        .strip_prefix("daemon pipe=")
        .unwrap()
        .split(' ')
        .next()
        .unwrap();
    assert!(
        pipe.starts_with(tmp.to_str().unwrap()),
        "a private folder: {pipe}"
    );
    assert_eq!(
        lines[1..],
        ["command get_server_list", "command quit", "daemon quit"],
        "{steps}"
    );
    // Each server was pointed at the daemon with its share of the SMs.
    for (tenant, pct) in [("a", 30), ("b", 70)] {
        let server_log =
            std::fs::read_to_string(shared.join(format!("{tenant}.server.log"))).unwrap();
        assert!(
            server_log.starts_with(&format!("pct={pct} pipe={pipe}\n")),
            "{server_log}"
        );
    }
    let manifest = json(&shared.join("run.json"));
    let mps = &manifest["mps"];
    assert_eq!(mps["quit"], true, "{mps}");
    assert_eq!(mps["servers"], "4242\n");
    assert_eq!(mps["stale_quit"], false);
    assert_eq!(
        manifest["tenants"][1]["env"]["CUDA_MPS_ACTIVE_THREAD_PERCENTAGE"],
        "70"
    );
    assert_eq!(
        std::fs::read_to_string(shared.join("mps.control.log")).unwrap(),
        "control daemon up\n"
    );
    // The private folders are gone with the daemon.
    assert!(std::fs::read_dir(&tmp).unwrap().next().is_none());

    // A daemon that will not start fails the run before any server starts.
    std::fs::remove_file(&log).unwrap();
    let out = run(&[("REPRO_TEST_MPS_FAIL", "1")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("the MPS control daemon `nvidia-cuda-mps-control` exited")
            && stderr.contains("no CUDA-capable device"),
        "{stderr}"
    );
    assert!(!t
        .path("results/bench-m/shared.failed/a.server.log")
        .exists());
}

#[test]
fn a_killed_repro_leaves_no_mps_daemon_and_the_next_run_clears_its_folders() {
    let t = Test::new().write("benchmarks/k.toml", mps_recipe(100_000));
    let bin = t.path("bin");
    stand_in_mps(&bin);
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let (log, tmp) = (t.path("mps.log"), t.path("tmp"));
    std::fs::create_dir_all(&tmp).unwrap();
    let mut child = t
        .command()
        .args(["bench", "k"])
        .env("PATH", &path)
        .env("TMPDIR", &tmp)
        .env("REPRO_TEST_MPS_LOG", &log)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for("the loads to start", Duration::from_secs(20), || {
        std::fs::read_to_string(&log).is_ok_and(|l| l.contains("get_server_list"))
    });
    let script = bin.join("nvidia-cuda-mps-control");
    // The daemon itself, not the guard around it.
    let daemon = || {
        processes_with(&[script.to_str().unwrap(), "-f"])
            .into_iter()
            .filter(|pid| {
                std::fs::read(format!("/proc/{pid}/cmdline"))
                    .is_ok_and(|c| !String::from_utf8_lossy(&c).contains("__server-guard"))
            })
            .count()
    };
    // (At least one: the daemon's shell forks for each `sleep`, and a fork shows its command line
    // until it execs.)
    assert!(daemon() >= 1);
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    child.wait().unwrap();
    wait_for(
        "the daemon to die with repro",
        Duration::from_secs(15),
        || daemon() == 0,
    );
    wait_for(
        "the servers to die with repro",
        Duration::from_secs(15),
        || servers_left(&["7401", "7402"]).is_empty(),
    );
    // Its folders are left (nobody quit it); the next run quits what may hold them and clears them.
    assert_eq!(std::fs::read_dir(&tmp).unwrap().count(), 1);
    std::fs::write(t.path("benchmarks/k.toml"), mps_recipe(3)).unwrap();
    let out = t
        .command()
        .args(["bench", "k"])
        .env("PATH", &path)
        .env("TMPDIR", &tmp)
        .env("REPRO_TEST_MPS_LOG", &log)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let manifest = json(&t.path("results/bench-k/shared/run.json"));
    assert_eq!(manifest["mps"]["stale_quit"], true);
    assert!(std::fs::read_dir(&tmp).unwrap().next().is_none());
}

#[test]
fn tenant_recipe_errors_name_the_tenant_and_line() {
    let text = recipe(
        "",
        &[tenant(
            "a",
            1,
            "",
            "arrival = \"poisson\"\nrequests = 2",
            "",
        )],
    );
    Test::new()
        .write("benchmarks/e.toml", text)
        .args(["bench", "e"])
        .run()
        .failure()
        .stderr_has("tenant `a`: run `default`: a `poisson` or `gamma` arrival needs `rate` > 0")
        .stderr_has("benchmarks/e.toml:");
}

#[test]
fn ctrl_c_stops_every_tenant_and_keeps_nothing_of_the_run() {
    let text = recipe(
        "solo = false",
        &[
            tenant(
                "a",
                7501,
                "--ttft-ms 1 --gap-ms 1",
                "arrival = \"poisson\"\nrate = 50.0\nrequests = 5000",
                "",
            ),
            tenant(
                "b",
                7502,
                "--ttft-ms 1 --gap-ms 1",
                "arrival = \"closed\"\nconcurrency = 1\nrequests = 100000",
                "",
            ),
        ],
    );
    let t = Test::new().write("benchmarks/c.toml", text);
    let mut child = t
        .command()
        .args(["bench", "c"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    while !seen.contains("shared/b: sending") {
        let mut line = String::new();
        if std::io::BufRead::read_line(&mut stderr, &mut line).unwrap() == 0 {
            panic!("repro ended before the loads: {seen}");
        }
        seen.push_str(&line);
    }
    // The shared loads are being sent: the interrupt lands in them, whenever it comes.
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(130));
    wait_for("the servers to stop", Duration::from_secs(10), || {
        servers_left(&["7501", "7502"]).is_empty()
    });
    let bench = t.path("results/bench-c");
    let left: Vec<_> = std::fs::read_dir(&bench)
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(
        left.is_empty(),
        "an interrupted run keeps nothing: {left:?}"
    );
}

/// Engines side by side: `together = false` runs each tenant alone under the recipe's one
/// seeded workload, never at once; one CSV and one chart hold them all.
#[test]
fn servers_side_by_side_run_one_workload_in_turn() {
    let shared_workload = "[workload]\narrival = \"poisson\"\nrate = 100.0\nrequests = 12\nseed = 3\nprompt = { kind = \"synthetic\", len = { dist = \"fixed\", value = 4 } }\noutput_len = { dist = \"fixed\", value = 4 }\nmax_duration = \"30s\"\nrequest_timeout = \"5s\"\n";
    // The tenants' own workloads are dropped: they take the recipe's.
    let strip = |t: String| t[..t.find("[tenant.workload]").unwrap()].to_string();
    let text = recipe(
        &format!("together = false\n{shared_workload}"),
        &[
            // Seeds of their own: the interrupt test above finds its servers by 7501/7502, and
            // would wait on these if they ran at once. The slow server's first token comes 200 ms
            // late, a gap a loaded machine's scheduling cannot close (20 ms did, once).
            strip(tenant("fast", 7701, "--ttft-ms 1 --gap-ms 1", "", "")),
            strip(tenant("slow", 7702, "--ttft-ms 200 --gap-ms 5", "", "")),
        ],
    );
    let t = Test::new().write("benchmarks/side.toml", text);
    let dry = t.run_with(["bench", "side", "--dry-run"]).success();
    assert!(
        dry.stdout.contains("solo-fast: would run")
            && dry.stdout.contains("solo-slow: would run")
            && !dry.stdout.contains("shared"),
        "{}",
        dry.stdout
    );
    t.run_with(["bench", "side"]).success();
    let bench = t.path("results/bench-side");
    let (fast, slow) = (
        json(&bench.join("solo-fast/summary.json")),
        json(&bench.join("solo-slow/summary.json")),
    );
    assert_eq!(fast["outcomes"]["ok"], 12);
    assert_eq!(slow["outcomes"]["ok"], 12);
    // One seeded schedule for both (what was achieved differs by the clock's jitter).
    assert_eq!(
        fast["arrivals"]["scheduled_rate"],
        slow["arrivals"]["scheduled_rate"]
    );
    assert!(slow["ttft"]["p50"].as_f64() > fast["ttft"]["p50"].as_f64());
    assert!(!bench.join("shared").exists());
    // A run whose load generator judged itself the limit (`client.valid: false`, as six busy
    // loops on two cores can make it) is left out of the curves, by design: follow its verdict.
    let measured = |s: &serde_json::Value| s["client"]["valid"].as_bool() != Some(false);
    let runs = [("solo-fast", &fast), ("solo-slow", &slow)];
    let csv = std::fs::read_to_string(bench.join("curves.csv")).unwrap();
    let expected = 1 + runs.iter().filter(|(_, s)| measured(s)).count();
    assert_eq!(csv.lines().count(), expected, "{csv}");
    for (label, summary) in runs {
        assert_eq!(csv.contains(label), measured(summary), "{label}: {csv}");
    }
    t.run_with(["render", "bench-side", "--out", "figs", "--format", "svg"])
        .success();
    let compare = std::fs::read_to_string(t.path("figs/bench-side-compare.svg")).unwrap();
    for (label, summary) in runs {
        assert!(!measured(summary) || compare.contains(label), "{label}");
    }
}

#[test]
fn side_by_side_recipe_errors_say_what_to_change() {
    let base = |head: &str, with_workload: bool| {
        let mut a = tenant(
            "a",
            7601,
            "",
            "arrival = \"closed\"\nconcurrency = 1\nrequests = 1",
            "",
        );
        if !with_workload {
            a = a[..a.find("[tenant.workload]").unwrap()].to_string();
        }
        recipe(head, &[a])
    };
    for (head, with_workload, message) in [
        ("together = false\nsolo = false", true, "nothing would run"),
        (
            "together = false\nsharing = \"mps\"",
            true,
            "with `together = false` they never do",
        ),
        (
            "",
            false,
            "tenant `a` has no `[tenant.workload]` and the recipe no `[workload]`",
        ),
    ] {
        Test::new()
            .write("benchmarks/e.toml", base(head, with_workload))
            .run_with(["bench", "e", "--dry-run"])
            .failure()
            .stderr_has(message)
            .stderr_has("benchmarks/e.toml:");
    }
}

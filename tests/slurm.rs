//! `repro figure … --on MACHINE` and `repro bench … --on MACHINE`: machine checks, and a real
//! single-node Slurm (Debian's slurmctld + slurmd + munge, started as root in a temporary
//! folder) running a split figure and a benchmark.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::*;

const MACHINES: &str = r#"
[machines.n1]
runs = ["figure-10/gpu0"]

[machines.batch]
description = "a Slurm partition"
runs = ["figure-10/gpu1"]
executor = { kind = "slurm", partition = "debug", time = "00:10:00" }
"#;

#[test]
fn on_an_unknown_machine_lists_the_known_ones() {
    Test::new()
        .write("machines.toml", MACHINES)
        .args([
            "figure", "10", "--gpu", "1", "--engine", "fake", "--on", "n9",
        ])
        .run()
        .failure()
        .stderr_has("no machine `n9` in machines.toml (known: n1, batch)");
}

#[test]
fn on_the_wrong_machine_names_the_one_that_runs_the_part() {
    Test::new()
        .write("machines.toml", MACHINES)
        .args([
            "figure", "10", "--gpu", "1", "--engine", "fake", "--on", "n1",
        ])
        .run()
        .failure()
        .stderr_has(
            "`figure-10/gpu1` runs on machine `batch` per machines.toml, not `n1`: pass --on batch",
        );
}

#[test]
fn on_a_slurm_machine_without_slurm_says_what_to_install() {
    let t = Test::new().write("machines.toml", MACHINES);
    let results = t.path("results");
    t.args([
        "figure", "10", "--gpu", "1", "--engine", "fake", "--on", "batch",
    ])
    .arg("--results")
    .arg(&results)
    .env("PATH", "/nonexistent")
    .run()
    .failure()
    .stderr_has("`sbatch` not found on PATH: install slurm-client")
    .stderr_has("run on that machine without --on");
    assert!(
        !results.exists(),
        "nothing is written when Slurm is missing"
    );
}

#[test]
fn on_a_local_machine_runs_here() {
    // The built-in machines.toml: n2 runs figure 10's gpu1, locally.
    let t = Test::new();
    let results = t.path("results");
    let t = t
        .args([
            "figure",
            "10",
            "--gpu",
            "1",
            "--engine",
            "fake",
            "--iterations",
            "1",
        ])
        .args(["--on", "n2", "--results"])
        .arg(&results);
    t.run()
        .success()
        .stdout_has("figure-10: 22 ran (22 ok, 0 failed)");
    assert!(results
        .join("figure-10/gpu1/avg_comparison_results.json")
        .is_file());
    assert!(!results.join("figure-10/gpu1/slurm-jobs.json").exists());
}

#[test]
fn on_submits_one_figure_at_a_time() {
    Test::new()
        .write("machines.toml", MACHINES)
        .args([
            "figure",
            "all",
            "--engine",
            "fake",
            "--on",
            "batch",
            "--dry-run",
        ])
        .run()
        .failure()
        .stderr_has("--on submits one figure at a time");
}

/// A benchmark of a few requests to the mock server.
const MOCK_BENCH: &str = r#"
title = "mock"
[server]
kind = "command"
model = "mock"
command = ["{repro}", "__mock-server", "--port", "{port}", "--ttft-ms", "1", "--gap-ms", "1", "--lifetime-s", "60"]
health_timeout = "20s"
stop_grace = "2s"
[workload]
arrival = "closed"
concurrency = 1
requests = 5
prompt = { kind = "synthetic", len = { dist = "fixed", value = 4 } }
output_len = { dist = "fixed", value = 4 }
max_duration = "20s"
request_timeout = "5s"
"#;

/// The one summary.json under `dir` (a benchmark's folder).
fn bench_summary(dir: &Path) -> serde_json::Value {
    let run = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path().join("summary.json"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("no run with a summary in {}", dir.display()));
    serde_json::from_slice(&std::fs::read(run).unwrap()).unwrap()
}

#[test]
fn a_benchmark_on_a_local_machine_runs_here_and_on_slurm_needs_sbatch() {
    let t = Test::new()
        .write("machines.toml", MACHINES)
        .write("benchmarks/mock.toml", MOCK_BENCH);
    t.run_with(["bench", "mock", "--on", "n1"]).success();
    assert_eq!(
        bench_summary(&t.path("results/bench-mock"))["outcomes"]["ok"],
        5
    );
    assert!(!t.path("results/bench-mock/slurm-jobs.json").exists());
    let out = t
        .command()
        .args(["bench", "mock", "--force", "--on", "batch"])
        .env("PATH", "/nonexistent")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("`sbatch` not found on PATH: install slurm-client"),
        "{stderr}"
    );
    t.run_with(["bench", "all", "--on", "batch"])
        .failure()
        .stderr_has("--on submits one benchmark at a time");
    t.run_with(["bench", "mock", "--on", "n9"])
        .failure()
        .stderr_has("no machine `n9` in machines.toml (known: n1, batch)");
}

#[test]
fn wait_needs_on() {
    Test::new()
        .args(["figure", "10", "--gpu", "1", "--engine", "fake", "--wait"])
        .run()
        .failure()
        .stderr_has("--on <MACHINE>");
}

/// The Debian programs a local cluster needs.
const DAEMONS: [&str; 5] = ["munged", "mungekey", "slurmctld", "slurmd", "sbatch"];

fn find(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// The daemons' programs, installing them first where that is allowed (root and CI=true);
/// `None` after a loud SKIPPED line otherwise.
fn slurm_programs() -> Option<()> {
    if !is_root() {
        eprintln!(
            "SKIPPED: a local Slurm cluster needs root (SlurmUser=root); run the tests as root"
        );
        return None;
    }
    if DAEMONS.iter().all(|d| find(d).is_some()) {
        return Some(());
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        let ok = Command::new("sh")
            .args(["-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurmctld slurmd slurm-client munge"])
            .status()
            .is_ok_and(|s| s.success());
        if ok && DAEMONS.iter().all(|d| find(d).is_some()) {
            return Some(());
        }
    }
    eprintln!(
        "SKIPPED: Slurm is not installed (missing: {}); `apt-get install slurmctld slurmd slurm-client munge` to run this test",
        DAEMONS.iter().filter(|d| find(d).is_none()).copied().collect::<Vec<_>>().join(", ")
    );
    None
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A single-node cluster in a temporary folder; its daemons are stopped by pid file on drop,
/// also when the test fails.
struct Cluster {
    dir: tempfile::TempDir,
    conf: PathBuf,
}

impl Cluster {
    fn start() -> Cluster {
        let dir = tempfile::tempdir().unwrap();
        let d = &dir.path().to_path_buf();
        for sub in ["state", "spool", "munge"] {
            std::fs::create_dir_all(d.join(sub)).unwrap();
        }
        let conf = d.join("slurm.conf");
        let host = nix::unistd::gethostname().unwrap().into_string().unwrap();
        let host = host.split('.').next().unwrap().to_string();
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        let cluster = Cluster {
            dir,
            conf: conf.clone(),
        };
        let text = include_str!("fixtures/slurm/slurm.conf.in")
            .replace("@DIR@", &d.display().to_string())
            .replace("@HOST@", &host)
            .replace("@CPUS@", &cpus.to_string())
            .replace("@CTLD_PORT@", &free_port().to_string())
            .replace("@SLURMD_PORT@", &free_port().to_string());
        std::fs::write(&conf, text).unwrap();
        let key = d.join("munge/munge.key");
        cluster.run("mungekey", &["-c", "-k", key.to_str().unwrap()]);
        let m = |f: &str| d.join("munge").join(f).display().to_string();
        cluster.run(
            "munged",
            &[
                "--force",
                &format!("--key-file={}", key.display()),
                &format!("--socket={}", m("munge.sock")),
                &format!("--pid-file={}", m("munged.pid")),
                &format!("--log-file={}", m("munged.log")),
                &format!("--seed-file={}", m("munged.seed")),
            ],
        );
        let conf_s = conf.display().to_string();
        cluster.run("slurmctld", &["-c", "-f", &conf_s]);
        cluster.run("slurmd", &["-f", &conf_s]);
        cluster.wait_idle();
        cluster
    }

    /// Run a daemon or tool; a failure shows the logs.
    fn run(&self, name: &str, args: &[&str]) {
        let program = find(name).unwrap_or_else(|| name.into());
        let out = Command::new(program)
            .args(args)
            .env("SLURM_CONF", &self.conf)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name} {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            self.logs()
        );
    }

    fn logs(&self) -> String {
        ["slurmctld.log", "slurmd.log", "munge/munged.log"]
            .iter()
            .map(|f| {
                let text = std::fs::read_to_string(self.dir.path().join(f)).unwrap_or_default();
                let lines: Vec<&str> = text.lines().collect();
                format!(
                    "--- {f}\n{}",
                    lines[lines.len().saturating_sub(15)..].join("\n")
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Until the node takes jobs (slurmd registered with slurmctld).
    fn wait_idle(&self) {
        let start = Instant::now();
        loop {
            let out = Command::new("sinfo")
                .args(["-h", "-o", "%t"])
                .env("SLURM_CONF", &self.conf)
                .output()
                .unwrap();
            let state = String::from_utf8_lossy(&out.stdout).trim().to_string();
            if state.starts_with("idle") {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "the node did not become idle (sinfo: {state:?}, {})\n{}",
                String::from_utf8_lossy(&out.stderr),
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

fn stop_by_pid_file(path: &Path) {
    let Some(pid) = std::fs::read_to_string(path)
        .ok()
        .and_then(|s| s.trim().parse::<i32>().ok())
    else {
        return;
    };
    let pid = nix::unistd::Pid::from_raw(pid);
    let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
    let start = Instant::now();
    while nix::sys::signal::kill(pid, None).is_ok() && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let d = self.dir.path();
        for pid_file in ["slurmd.pid", "slurmctld.pid", "munge/munged.pid"] {
            stop_by_pid_file(&d.join(pid_file));
        }
    }
}

#[test]
fn a_split_part_runs_through_a_real_slurm_and_its_job_is_recorded() {
    if slurm_programs().is_none() {
        return;
    }
    let cluster = Cluster::start();
    let t = Test::new().write("machines.toml", MACHINES);
    let results = t.path("results");
    let t = t
        .args([
            "figure",
            "10",
            "--gpu",
            "1",
            "--engine",
            "fake",
            "--iterations",
            "1",
        ])
        .args(["--on", "batch", "--wait", "--results"])
        .arg(&results)
        .env("SLURM_CONF", &cluster.conf);
    let out = t.run();
    assert_eq!(
        out.code,
        Some(0),
        "stdout:\n{}\nstderr:\n{}\n{}",
        out.stdout,
        out.stderr,
        cluster.logs()
    );
    let out = out
        .stdout_has("figure-10/gpu1: submitted slurm job")
        .stdout_has("completed");
    assert!(out.stderr.contains(": COMPLETED"), "{}", out.stderr);

    let part = results.join("figure-10/gpu1");
    let jobs: serde_json::Value =
        serde_json::from_slice(&std::fs::read(part.join("slurm-jobs.json")).unwrap()).unwrap();
    assert_eq!(jobs["schema"], 1);
    let job = &jobs["jobs"][0];
    let id = job["id"].as_u64().expect("a job id");
    assert_eq!(job["name"], "repro-10-gpu1");
    assert_eq!(job["machine"], "batch");
    assert_eq!(job["last_state"], "COMPLETED");
    assert!(!job["command"]
        .as_array()
        .unwrap()
        .iter()
        .any(|w| w == "--on" || w == "--wait"));
    // The job ran the part: its logs, manifests and tables, on this node.
    for dir in ["uncached", "iterations/1"] {
        let log = part.join(dir).join("output_model_qwen-0.5b.txt");
        assert!(log.is_file(), "{} missing", log.display());
        let m: serde_json::Value = serde_json::from_slice(
            &std::fs::read(part.join(dir).join("manifests/output_model_qwen-0.5b.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(m["status"], "ok");
    }
    assert!(part.join("avg_comparison_results.json").is_file());
    let output = std::fs::read_to_string(part.join(format!("slurm/slurm-{id}.out"))).unwrap();
    assert!(output.contains("repro-exit-status: 0"), "{output}");

    // `repro status` follows the recorded job next to the run counts.
    Test::new()
        .args(["status", "--results"])
        .arg(&results)
        .env("SLURM_CONF", &cluster.conf)
        .run()
        .success()
        .stdout_has(&format!("slurm job {id} on batch: COMPLETED"));

    // A benchmark goes the same way: the job runs it, its folder keeps the record.
    let t = Test::new()
        .write("machines.toml", MACHINES)
        .write("benchmarks/mock.toml", MOCK_BENCH)
        .env("SLURM_CONF", &cluster.conf);
    let out = t.run_with(["bench", "mock", "--on", "batch", "--wait"]);
    assert_eq!(
        out.code,
        Some(0),
        "stdout:\n{}\nstderr:\n{}\n{}",
        out.stdout,
        out.stderr,
        cluster.logs()
    );
    out.stdout_has("bench-mock: submitted slurm job")
        .stdout_has("completed");
    let bench = t.path("results/bench-mock");
    assert_eq!(bench_summary(&bench)["outcomes"]["ok"], 5);
    let jobs: serde_json::Value =
        serde_json::from_slice(&std::fs::read(bench.join("slurm-jobs.json")).unwrap()).unwrap();
    assert_eq!(jobs["jobs"][0]["name"], "repro-bench-mock");
    assert_eq!(jobs["jobs"][0]["last_state"], "COMPLETED");
    drop(cluster);
}

//! Resume after `kill -9` of repro: nothing lost, nothing duplicated, no temporary files.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::common::*;

fn count(dir: &Path, pred: impl Fn(&Path) -> bool) -> usize {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file() && pred(e.path()))
        .count()
}

#[test]
fn kill_9_mid_run_then_rerun_completes_exactly_once() {
    let (t, results) = Test::new().fake_figure("9", &["--iterations", "1"]);
    let t = t
        // ~0.3 s a run: 14 runs take ~4 s, the kill lands somewhere in the middle.
        .env("REPRO_FAKE_SPEEDUP", "100");
    // When the kill lands is drawn, printed, and taken back from REPRO_TEST_KILL_MS: a failure
    // is replayed with the same moment. (Wherever it lands, the rerun must complete.)
    let millis = std::env::var("REPRO_TEST_KILL_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .subsec_nanos();
            400 + u64::from(nanos % 2500)
        });
    let delay = Duration::from_millis(millis);
    let mut child = t.command().spawn().unwrap();
    std::thread::sleep(delay);
    child.kill().unwrap(); // SIGKILL: no cleanup runs in repro
    child.wait().unwrap();
    eprintln!("killed repro after {millis} ms (replay: REPRO_TEST_KILL_MS={millis})");

    t.run().success();
    let temp = count(&results, |p| {
        p.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with(".repro-tmp-")
    });
    assert_eq!(temp, 0, "temporary files left in results");
    for dir in ["uncached", "iterations/1"] {
        let run_dir = results.join("figure-9").join(dir);
        let logs: Vec<_> = std::fs::read_dir(&run_dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                let name = p.file_name().unwrap().to_string_lossy();
                name.starts_with("output_model_") && name.ends_with(".txt")
            })
            .collect();
        assert_eq!(logs.len(), 7, "{dir}: {logs:?}");
        for log in &logs {
            let parsed = repro::parse::parse_file(log).unwrap();
            assert!(
                parsed.initialize_engine.is_some(),
                "{} is incomplete",
                log.display()
            );
            let stem = log.file_stem().unwrap().to_string_lossy();
            let manifest = run_dir.join("manifests").join(format!("{stem}.json"));
            let m: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&manifest).unwrap()).unwrap();
            assert_eq!(m["status"], "ok", "{}", manifest.display());
        }
        let manifests = std::fs::read_dir(run_dir.join("manifests"))
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|x| x == "json")
                    && e.as_ref().unwrap().file_name() != "tables.json"
            })
            .count();
        assert_eq!(
            manifests, 7,
            "{dir}: one manifest per run (beside each run's stderr)"
        );
    }
    // A third run has nothing left to do.
    let out = t.run().success();
    drop(out);
    let out = Test::new()
        .args([
            "figure",
            "9",
            "--engine",
            "fake",
            "--iterations",
            "1",
            "--dry-run",
            "--results",
        ])
        .arg(&results)
        .run()
        .success();
    assert!(
        out.stdout.contains("14 tasks, 14 done, 0 to run"),
        "{}",
        out.stdout
    );
}

#[test]
fn ctrl_c_stops_the_run_keeps_finished_runs_and_exits_130() {
    let t = Test::new();
    let results = t.path("results");
    let t = t
        .args([
            "figure",
            "9",
            "--engine",
            "fake",
            "--iterations",
            "1",
            "--results",
        ])
        .arg(&results)
        .env("REPRO_FAKE_SPEEDUP", "60");
    let child = t
        .command()
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The sign: a run finished (its manifest says ok) and the next is under way (its staging
    // folder is there), never a fixed time.
    let started = std::time::Instant::now();
    let names = |dir: &Path| -> Vec<String> {
        walkdir::WalkDir::new(dir)
            .into_iter()
            .flatten()
            .map(|e| e.path().to_string_lossy().into_owned())
            .collect()
    };
    loop {
        let seen = names(&results);
        let finished = seen.iter().any(|p| {
            p.contains("/manifests/")
                && std::fs::read_to_string(p).is_ok_and(|s| s.contains("\"status\": \"ok\""))
        });
        if finished && seen.iter().any(|p| p.contains("/.repro-tmp-")) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no run finished: {seen:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).unwrap();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    let ok = count(&results, |p| {
        p.to_string_lossy().contains("/manifests/")
            && std::fs::read_to_string(p)
                .unwrap()
                .contains("\"status\": \"ok\"")
    });
    let interrupted = count(&results, |p| {
        std::fs::read_to_string(p)
            .map(|s| s.contains("\"status\": \"interrupted\""))
            .unwrap_or(false)
    });
    assert!(ok >= 1, "finished runs are kept");
    assert_eq!(interrupted, 1, "{stderr}");
    let temp = count(&results, |p| {
        p.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with(".repro-tmp-")
    });
    assert_eq!(temp, 0);
    // The rerun does the rest, the interrupted run included.
    let out = t.run().success();
    assert!(
        out.stdout.contains(&format!("{ok} already done")),
        "{}",
        out.stdout
    );
}

//! `repro kick-the-tires`: every path an evaluator uses, run for real, and the checklist.

use std::path::Path;

use crate::common::*;

/// A project of the test's own, with only the bundled data: never the checkout's `figures/`,
/// where a user's recipes (the README's `my-sweep`) would add figures to the counts.
#[test]
fn kick_the_tires_runs_every_path_and_prints_a_checklist() {
    let bundled = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/published.tar.zst");
    let t = Test::new().write(
        "project/data/published.tar.zst",
        std::fs::read(bundled).unwrap(),
    );
    let project = t.path("project");
    let mut args = vec![
        "--project".into(),
        project.clone().into_os_string(),
        "kick-the-tires".into(),
        "--dir".into(),
        "kick".into(),
    ];
    // Under CI the CPU engine's check runs for real: on the checkout's cache, where
    // tests/cpu_engine.rs sets vLLM's CPU build up (one setup waits for the other).
    let ci = std::env::var_os("CI").is_some();
    let t = if ci {
        args.push("--setup-cpu".into());
        let cache = Path::new(env!("CARGO_MANIFEST_DIR")).join(".cache");
        t.env("REPRO_CACHE", cache)
    } else {
        t
    };
    let out = t.run_with(&args).success();
    for line in [
        "pass  the paper's data: merged, tabled byte for byte, drawn",
        "366 files, every table rewritten byte for byte, 7 figures drawn",
        "pass  every figure through the fake engine, drawn",
        "16 figures drawn from fake-engine runs",
        "pass  pack → merge between two results folders",
        "pass  a serving benchmark against the mock server, drawn",
        "pass  the paper's claims and the report",
    ] {
        assert!(out.stdout.contains(line), "no {line:?} in:\n{}", out.stdout);
    }
    // The CPU engine's check runs where its environment is set up, else says why not; under
    // CI a skip is a failure.
    let cpu = "a real cold start on vLLM's CPU build";
    let passed = out.stdout.contains(&format!("pass  {cpu}"));
    if ci {
        assert!(passed, "under CI the CPU check must pass:\n{}", out.stdout);
    } else if !passed {
        assert!(
            out.stdout.contains(&format!("skip  {cpu}")),
            "{}",
            out.stdout
        );
        eprintln!("SKIPPED: kick-the-tires' CPU engine check (set CI to run it for real)");
    }
    assert!(t.path("kick/report/report.html").is_file());
    assert!(t.path("kick/logs/fake.log").is_file());
}

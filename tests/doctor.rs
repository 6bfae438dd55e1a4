//! `repro doctor`: a full report on any machine, exit 0, `--json` for scripts.

use std::path::PathBuf;

use crate::common::*;

/// A folder on the disk (not tmpfs, where pages cannot leave memory) for the eviction check.
fn disk_dir() -> tempfile::TempDir {
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    std::fs::create_dir_all(&base).unwrap();
    tempfile::tempdir_in(base).unwrap()
}

fn report(t: &Test) -> serde_json::Value {
    let out = t.run().success();
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout))
}

fn check<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == name)
        .unwrap_or_else(|| panic!("no check {name} in {report}"))
}

#[test]
fn doctor_reports_every_check_and_passes_on_this_machine() {
    let models = disk_dir();
    let t = Test::new();
    let results = t.path("results");
    let out = t
        .args(["doctor", "--models-dir"])
        .arg(models.path())
        .arg("--results")
        .arg(&results)
        .run()
        .success();
    for name in [
        "gpus",
        "cuda_visible_devices",
        "disk_models",
        "disk_results",
        "page_cache",
        "drop_caches",
        "python",
        "envs",
        "cpu_engine",
        "slurm",
        "machine",
    ] {
        assert!(
            out.stdout
                .lines()
                .any(|l| l.split_whitespace().nth(1) == Some(name)
                    && ["ok", "warn", "missing"].contains(&l.split_whitespace().next().unwrap())),
            "no line for {name}:\n{}",
            out.stdout
        );
    }
    if let repro::samplers::gpu::GpuInventory::Unavailable(_) = repro::samplers::gpu::inventory() {
        // No GPU here: it says so, and which engines can run.
        assert!(out.stdout.contains("missing  gpus"), "{}", out.stdout);
        assert!(
            out.stdout
                .contains("only with --engine fake or --device cpu"),
            "{}",
            out.stdout
        );
    }
    assert!(!results.exists(), "doctor writes nothing into --results");
}

#[test]
fn doctor_json_parses_and_eviction_works_in_a_temp_dir() {
    let models = disk_dir();
    let t = Test::new()
        .args(["doctor", "--json", "--models-dir"])
        .arg(models.path());
    let report = report(&t);
    assert_eq!(report["schema"], 1);
    for c in report["checks"].as_array().unwrap() {
        assert!(["ok", "warn", "missing"].contains(&c["level"].as_str().unwrap()));
        assert!(c["detail"].is_string());
    }
    let page_cache = check(&report, "page_cache");
    let detail = page_cache["detail"].as_str().unwrap();
    assert!(
        detail.contains(&models.path().display().to_string()),
        "{detail}"
    );
    if page_cache["level"] == "warn" && detail.contains("keeps nothing") {
        eprintln!("SKIPPED: this filesystem keeps nothing in the page cache: {detail}");
        return;
    }
    assert_eq!(page_cache["level"], "ok", "{detail}");
    assert!(
        detail.contains("0 after posix_fadvise (mincore)"),
        "{detail}"
    );
    // The probe file is gone.
    assert_eq!(std::fs::read_dir(models.path()).unwrap().count(), 0);
}

#[test]
fn doctor_names_the_machine_and_its_parts() {
    let report_n2 = report(&Test::new().args(["doctor", "--json", "--machine", "n2"]));
    let machine = check(&report_n2, "machine");
    let detail = machine["detail"].as_str().unwrap();
    assert!(
        detail.contains("`n2` (by --machine): runs figure-10/gpu1"),
        "{detail}"
    );

    let unknown = report(&Test::new().args(["doctor", "--json", "--machine", "n9"]));
    let machine = check(&unknown, "machine");
    assert_eq!(machine["level"], "missing");
    assert!(machine["hint"]
        .as_str()
        .unwrap()
        .contains("known: n1, n2, n3, n4, cpu"));
}

#[test]
fn doctor_passes_without_python_or_slurm_and_names_incomplete_envs() {
    let t = Test::new().write("cache/envs/vllm-0.10.1.1/bin/.keep", "");
    let cache = t.path("cache");
    let t = t
        .args(["doctor", "--json"])
        .env("PATH", "/nonexistent")
        .env("REPRO_CACHE", &cache);
    let report = report(&t);
    assert_eq!(check(&report, "python")["level"], "missing");
    assert_eq!(check(&report, "slurm")["level"], "missing");
    let cpu = check(&report, "cpu_engine");
    assert_eq!(cpu["level"], "missing");
    assert!(
        cpu["detail"].as_str().unwrap().contains("g++ on PATH"),
        "{cpu}"
    );
    let envs = check(&report, "envs");
    assert_eq!(envs["level"], "warn");
    assert!(
        envs["detail"]
            .as_str()
            .unwrap()
            .contains("incomplete (no repro-env.json): vllm-0.10.1.1"),
        "{envs}"
    );
}

#[test]
fn doctor_finds_this_machine_by_its_hostname() {
    let host = nix::unistd::gethostname().unwrap().into_string().unwrap();
    let short = host.split('.').next().unwrap().to_string();
    let machines = format!(
        "[machines.here]\ndescription = \"{short}\"\nruns = [\"figure-13/case1\"]\ndevice = \"cpu\"\n"
    );
    let report = report(
        &Test::new()
            .write("machines.toml", machines)
            .args(["doctor", "--json"]),
    );
    let machine = check(&report, "machine");
    assert_eq!(machine["level"], "ok", "{machine}");
    let detail = machine["detail"].as_str().unwrap();
    assert!(
        detail.contains("`here` (by hostname): runs figure-13/case1"),
        "{detail}"
    );
    assert!(detail.contains("with --device cpu"), "{detail}");
}

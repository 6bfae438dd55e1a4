//! What `repro figure` prepares before its runs (downloads, tensorizer copies), and `repro
//! models tensorize`, with a local hub and a stand-in Python (the real one: tests/cpu_engine.rs).

use std::collections::HashMap;
use std::path::Path;

use crate::common::hub::{model_entry, Behaviour, HubServer, RepoFile};
use crate::common::*;

fn models_toml() -> String {
    model_entry("tiny", "test/tiny") + "\n[tensorized.tiny-tensorized]\nfrom = \"tiny\"\n"
}

const RECIPE: &str = r#"
title = "load formats"
folder = "figure-14"
[run]
vllm = "0.10.1.1"
warmup = false
iterations = 1
configs = [
    { model = "tiny", load-format = "safetensors" },
    { model = "tiny-tensorized", load-format = "tensorizer" },
]
"#;

fn repos() -> HashMap<String, Vec<RepoFile>> {
    HashMap::from([(
        "test/tiny".to_string(),
        vec![
            RepoFile {
                path: "config.json".into(),
                content: b"{\"model_type\": \"llama\"}".to_vec(),
                lfs: false,
            },
            RepoFile {
                path: "model.safetensors".into(),
                content: vec![7u8; 100_000],
                lfs: true,
            },
        ],
    )])
}

/// A stand-in Python: `tensorize_model.py` copies config.json and writes model.tensors (or
/// fails when `TENSORIZE_FAILS` is set); the engine harness hands over to the fake engine.
fn stand_in_python(path: &Path) {
    let script = format!(
        r#"#!/bin/sh
script="$1"; shift
case "$script" in
*tensorize_model.py)
    [ -n "$TENSORIZE_FAILS" ] && {{ echo "RuntimeError: boom"; exit 1; }}
    while [ $# -gt 0 ]; do
        case "$1" in --model) m="$2"; shift 2;; --out) o="$2"; shift 2;; *) shift;; esac
    done
    mkdir "$o" && cp "$m/config.json" "$o/" && printf tensors > "$o/model.tensors" || exit 2
    echo "$m" >> "$(dirname "$0")/tensorized-from"
    echo '{{"vllm": "0.10.1.1", "tensorizer": "stand-in", "seconds": 0.1}}'
    ;;
*) exec {REPRO} __fake-engine "$@";;
esac
"#
    );
    std::fs::write(path, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn project(hub: &HubServer) -> Test {
    let t = Test::new()
        .write("models.toml", models_toml())
        .write("figures/14.toml", RECIPE)
        .env("HF_ENDPOINT", &hub.url)
        .env("HF_TOKEN", "")
        .env("HF_HOME", "/nonexistent");
    stand_in_python(&t.path("python"));
    t
}

fn manifest(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join(".repro-model.json")).unwrap()).unwrap()
}

#[test]
fn figure_downloads_and_tensorizes_before_its_runs_and_only_once() {
    let hub = HubServer::start(repos(), Behaviour::default());
    let t = project(&hub);
    let python = t.path("python");
    let dry = t
        .command()
        .args(["figure", "14", "--dry-run", "--python"])
        .arg(&python)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&dry.stdout);
    assert!(text.contains("prepare: 2 steps, 0 done, 2 to do"), "{text}");
    assert!(
        text.contains("will do   model tiny  (missing: download test/tiny@main"),
        "{text}"
    );
    assert!(
        text.contains("will do   model tiny-tensorized (tensorizer copy of tiny)"),
        "{text}"
    );
    assert!(!t.path("models").exists(), "a dry run changes nothing");

    let run = t.args(["figure", "14", "--python"]).arg(&python);
    let out = run.run().success();
    assert!(
        out.stderr.contains("prepare [1/2] model tiny"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("prepare [2/2] model tiny-tensorized"));
    let copy = run.path("models/tiny-tensorized");
    assert_eq!(
        std::fs::read(copy.join("model.tensors")).unwrap(),
        b"tensors"
    );
    assert!(copy.join("config.json").is_file());
    let m = manifest(&copy);
    assert_eq!(m["origin"]["tensorized"]["from"], "tiny");
    assert_eq!(m["origin"]["tensorized"]["tensorizer"], "stand-in");
    assert!(!run.path("models/.tiny-tensorized.partial").exists());
    assert!(run
        .path("results/figure-14/iterations/1/output_model_tiny-tensorized_load-format_tensorizer.txt")
        .is_file());

    // Done once: the second call neither downloads nor tensorizes, and runs nothing.
    let requests = hub.requests.lock().unwrap().len();
    let out = run.run().success();
    assert!(!out.stderr.contains("prepare ["), "{}", out.stderr);
    // The keys the runs got when planned before preparation are the keys they have after it.
    assert!(
        out.stdout
            .contains("figure-14: 0 ran (0 ok, 0 failed), 2 already done"),
        "{}",
        out.stdout
    );
    assert_eq!(hub.requests.lock().unwrap().len(), requests);
    let made = std::fs::read_to_string(run.path("tensorized-from")).unwrap();
    assert_eq!(made.lines().count(), 1, "{made}");

    // The copy is verified like a download.
    run.run_with(["models", "verify"])
        .success()
        .stdout_has("tiny-tensorized: ok");
    std::fs::write(copy.join("model.tensors"), b"tensorz").unwrap();
    run.run_with(["models", "verify"])
        .failure()
        .stdout_has("model.tensors`: sha256");
}

#[test]
fn a_failed_preparation_runs_nothing_and_leaves_nothing_half_made() {
    let hub = HubServer::start(repos(), Behaviour::default());
    let t = project(&hub);
    let python = t.path("python");
    let run = t
        .args(["figure", "14", "--python"])
        .arg(&python)
        .env("TENSORIZE_FAILS", "1");
    run.run()
        .failure()
        .stderr_has("preparing model tiny-tensorized")
        .stderr_has("RuntimeError: boom")
        .stderr_has("tensorize-tiny-tensorized.log");
    assert!(
        run.path("models/tiny/.repro-model.json").is_file(),
        "the download is kept"
    );
    assert!(!run.path("models/tiny-tensorized").exists());
    assert!(!run.path("models/.tiny-tensorized.partial").exists());
    assert!(
        !run.path("results/figure-14/iterations").exists(),
        "no run started"
    );
}

#[test]
fn tensorize_makes_a_copy_once_and_again_when_its_source_changes() {
    let hub = HubServer::start(repos(), Behaviour::default());
    let t = project(&hub);
    let tensorize = |name: &str| tensorize(&t, name);
    t.run_with(["models", "fetch", "tiny"]).success();
    tensorize("tiny").success().stdout_has("tiny-tensorized: ");
    tensorize("tiny-tensorized")
        .success()
        .stdout_has("already made from the present `tiny`");

    // The source changes (here: its manifest): the copy is stale, `list` says so, and it is
    // made again.
    let source = t.path("models/tiny/.repro-model.json");
    let text = std::fs::read_to_string(&source).unwrap();
    std::fs::write(&source, text.replace("\"main\"", "\"v2\"")).unwrap();
    t.run_with(["models", "list"])
        .success()
        .stdout_has("stale: `tiny` changed");
    tensorize("all").success();
    let made = std::fs::read_to_string(t.path("tensorized-from")).unwrap();
    assert_eq!(made.lines().count(), 2, "{made}");
}

#[test]
fn tensorize_refuses_what_it_cannot_or_must_not_do() {
    let hub = HubServer::start(repos(), Behaviour::default());
    let t = project(&hub);
    let tensorize = |name: &str| tensorize(&t, name);
    tensorize("nosuch")
        .failure()
        .stderr_has("`nosuch` has no tensorizer copy")
        .stderr_has("tiny-tensorized");
    tensorize("tiny").failure().stderr_has("fetch it first");
    // A folder repro did not make is never replaced.
    t.run_with(["models", "fetch", "tiny"]).success();
    let mine = t.path("models/tiny-tensorized/mine.txt");
    std::fs::create_dir_all(mine.parent().unwrap()).unwrap();
    std::fs::write(&mine, "keep me").unwrap();
    tensorize("tiny").failure().stderr_has("not made by repro");
    assert_eq!(std::fs::read_to_string(&mine).unwrap(), "keep me");
}

/// `repro models tensorize NAME` with the stand-in Python.
fn tensorize(t: &Test, name: &str) -> Outcome {
    let python = t.path("python");
    t.run_with([
        std::ffi::OsStr::new("models"),
        "tensorize".as_ref(),
        name.as_ref(),
        "--python".as_ref(),
        python.as_os_str(),
    ])
}

#[test]
fn what_cannot_be_prepared_here_stops_the_figure_before_anything() {
    let t = Test::new().args(["figure", "1", "--device", "cpu", "--results", "r"]);
    t.run()
        .failure()
        .stderr_has("cannot be prepared here")
        .stderr_has("repro has no lock file for 0.3.1");
    assert!(!t.path(".cache/envs").exists());
    assert!(!t.path("r/figure-1").exists());
    t.run_with(["figure", "1", "--device", "cpu", "--dry-run"])
        .success()
        .stdout_has("cannot    environment vLLM 0.4.0 (CPU build)");
}

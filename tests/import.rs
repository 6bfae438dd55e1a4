//! `repro import ENV_JSON`: the paper's env.json becomes a recipe that plans exactly the runs
//! `run_test.py` makes, under its log names.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use repro::config::machines::Device;
use repro::config::Models;
use repro::plan::{self, EngineKind, Phase, PlanRequest};
use repro::project::Project;
use repro::recipe::Recipe;

use crate::common::{fixture, shared_reference, Test};

/// Every env.json shape, with what `run_test.py` does with it (`<name>.run_test.json`).
const SHAPES: [&str; 8] = [
    "numbers-and-duplicates",
    "env-values",
    "sweeps",
    "dashes-underscores",
    "models",
    "flags-and-words",
    "comments",
    "no-params",
];

fn models() -> Models {
    Project::new("/nonexistent").models().unwrap()
}

/// One run as `run_test.py` makes it.
#[derive(serde::Deserialize)]
struct Recorded {
    log: String,
    args: Vec<String>,
}

fn recorded(name: &str) -> Vec<Recorded> {
    let text = std::fs::read_to_string(fixture(&format!("import/{name}.run_test.json"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The timed first iteration's tasks of a recipe file, planned as `repro figure` plans them.
fn planned(path: &Path, part: Option<u32>) -> Vec<(String, Vec<String>, Option<String>)> {
    let text = std::fs::read_to_string(path).unwrap();
    let models = models();
    let recipe = Recipe::parse(path, &text, Some(&models)).unwrap();
    plan_recipe(&recipe, &models, part)
        .into_iter()
        .map(|(log, args, model, _)| (log, args, model))
        .collect()
}

fn plan_recipe(
    recipe: &Recipe,
    models: &Models,
    part: Option<u32>,
) -> Vec<(String, Vec<String>, Option<String>, String)> {
    let request = PlanRequest {
        recipe,
        models,
        results: Path::new("results"),
        part,
        engine: EngineKind::Real,
        iterations: None,
        models_dir: Path::new("/models"),
        patch_hash: None,
        device: Device::Gpu,
        only_models: &[],
        only_vllm: &[],
        cpu_kv_cache_gib: 4,
    };
    plan::plan(&request)
        .unwrap()
        .tasks
        .iter()
        .filter(|t| t.phase == Phase::Iteration(1))
        .map(|t| {
            let log = t
                .paths
                .log
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let model = t.config.key.model.as_ref().map(|m| m.name.clone());
            (log, t.config.engine_args.clone(), model, t.key.0.clone())
        })
        .collect()
}

/// The engine's arguments agree with run_test.py's, but for the model: a models.toml entry is
/// loaded from its local copy (`/models/<name>`), anything else as given.
fn assert_same_args(planned: &[String], given: &[String], model: Option<&str>, log: &str) {
    assert_eq!(
        planned.len(),
        given.len(),
        "{log}: {planned:?} vs {given:?}"
    );
    for (i, (p, g)) in planned.iter().zip(given).enumerate() {
        if i > 0 && planned[i - 1] == "--model" {
            match model {
                Some(name) => assert_eq!(p, &format!("/models/{name}"), "{log}"),
                None => assert_eq!(p, g, "{log}"),
            }
        } else {
            assert_eq!(p, g, "{log}: argument {i}");
        }
    }
}

#[test]
fn every_shape_plans_run_test_py_s_runs_and_arguments() {
    for name in SHAPES {
        let t = Test::new()
            .args(["-q", "import"])
            .arg(fixture(&format!("import/{name}.json")))
            .args(["-o", "figures/7.toml"]);
        t.run().success();
        let expected = recorded(name);
        let runs = planned(&t.path("figures/7.toml"), None);
        let logs: Vec<&str> = runs.iter().map(|(log, _, _)| log.as_str()).collect();
        let want: Vec<&str> = expected.iter().map(|r| r.log.as_str()).collect();
        assert_eq!(logs, want, "{name}");
        for ((log, args, model), run) in runs.iter().zip(&expected) {
            assert_same_args(args, &run.args, model.as_deref(), log);
        }
        // `--runs` prints the same names.
        let printed = t
            .run_with([
                "import".as_ref(),
                fixture(&format!("import/{name}.json")).as_os_str(),
                "--runs".as_ref(),
            ])
            .success()
            .stdout;
        assert_eq!(printed.lines().collect::<Vec<_>>(), want, "{name}");
    }
}

#[test]
fn models_are_mapped_to_models_toml_where_their_name_or_repo_is_there() {
    let out = Test::new()
        .arg("import")
        .arg(fixture("import/models.json"))
        .run()
        .success();
    let recipe = out.stdout;
    for line in [
        r#"{ model = "falcon-7b" },  # /mnt/nvme/models/falcon-7b"#,
        r#"{ model = "yi-6b-tensorized", load-format = "tensorizer" },  # ../models/yi-6b-tensorized/"#,
        r#"{ model = "Qwen/Qwen1.5-4B" },  # models.toml's qwen-4b"#,
        r#"{ model = "01-ai/Yi-9B" },  # /data/hf/Yi-9B: models.toml's yi-9b"#,
        r#"{ model = "HuggingFaceTB/SmolLM2-135M" },"#,
        r#"{ model = "/scratch/me/my-finetune-7b" },"#,
    ] {
        assert!(recipe.contains(line), "{line}\n{recipe}");
    }
    assert!(
        out.stderr
            .contains("`HuggingFaceTB/SmolLM2-135M` is not in models.toml: vLLM downloads it"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("`/scratch/me/my-finetune-7b` is not in models.toml: the runs load that folder as given"), "{}", out.stderr);
    // Planned: entries from their local copy, the rest as given.
    let t = Test::new().write("r.toml", &recipe);
    let runs = planned(&t.path("r.toml"), None);
    let models: Vec<Option<&str>> = runs.iter().map(|(_, _, m)| m.as_deref()).collect();
    assert_eq!(
        models,
        [
            Some("falcon-7b"),
            Some("yi-6b-tensorized"),
            Some("qwen-4b"),
            Some("llama2-7b-hf"),
            Some("yi-9b"),
            None,
            None
        ]
    );
}

#[test]
fn comments_are_dropped_and_named() {
    let out = Test::new()
        .arg("import")
        .arg(fixture("import/comments.json"))
        .run()
        .success();
    for needle in [
        "warning: `_about` ignored",
        "warning: `notes` ignored",
        "warning: `default_params._why` ignored (run_test.py would pass it to vLLM as `--_why`",
        "warning: `configs[0].notes` ignored",
        "warning: `configs[1]._skip` ignored",
    ] {
        assert!(out.stderr.contains(needle), "{needle}\n{}", out.stderr);
    }
    assert!(!out.stdout.contains("_why"), "{}", out.stdout);
}

#[test]
fn logs_the_paper_s_glob_misses_are_a_warning() {
    Test::new()
        .arg("import")
        .arg(fixture("import/sweeps.json"))
        .run()
        .success()
        .stderr_has("7 of the 15 logs do not start with `output_model_`");
}

#[test]
fn the_same_flag_spelled_twice_is_a_warning() {
    Test::new()
        .arg("import")
        .arg(fixture("import/dashes-underscores.json"))
        .run()
        .success()
        .stderr_has("`configs[1]`: `max_model_len` and `max-model-len` are one vLLM flag");
}

#[test]
fn bad_env_json_is_refused_naming_the_file_and_key_and_nothing_is_written() {
    let cases = [
        ("bad-list", "is a list, not an object with `configs`"),
        ("bad-no-configs", "has no `configs`, so run_test.py would run nothing"),
        ("bad-not-json", "is not JSON: expected value at line 3 column 13"),
        ("bad-null", "key `configs[0].enforce-eager`: is null"),
        ("bad-object-value", "key `configs[0].compilation-config`: is a JSON object"),
        ("bad-unknown-model", "key `configs[0].model`: model `qwen-99b` is not in models.toml"),
        ("bad-duplicate-log", "key `configs[1]`: a run of it is logged as `output_model_qwen-4b.txt`, as one of configs[0] is"),
        ("bad-unclosed-quote", "key `configs[0].cuda-graph-sizes`: \"1 '2\" does not split into arguments (Python's shlex.split: No closing quotation)"),
        ("bad-unknown-key", "key `iterations`: run_test.py reads only `env`, `default_params` and `configs`"),
    ];
    for (name, message) in cases {
        let file = fixture(&format!("import/{name}.json"));
        let t = Test::new().arg("import").arg(&file).args(["-o", "r.toml"]);
        let out = t.run().failure();
        assert!(
            out.stderr.contains(&format!("`{}`", file.display())),
            "{name}: the file is not named\n{}",
            out.stderr
        );
        assert!(
            out.stderr.contains(message),
            "{name}: {message}\n{}",
            out.stderr
        );
        assert!(!t.path("r.toml").exists(), "{name}: wrote a recipe");
    }
    Test::new()
        .args(["import", "missing.json"])
        .run()
        .failure()
        .stderr_has("cannot read `missing.json`");
}

#[test]
fn output_is_never_overwritten_without_force() {
    let t = Test::new().write("r.toml", "mine");
    let env = fixture("import/sweeps.json");
    t.run_with([
        "import".as_ref(),
        env.as_os_str(),
        "-o".as_ref(),
        "r.toml".as_ref(),
    ])
    .failure()
    .stderr_has("`r.toml` exists: pass --force to replace it");
    assert_eq!(std::fs::read_to_string(t.path("r.toml")).unwrap(), "mine");
    let out = t
        .run_with([
            "import".as_ref(),
            env.as_os_str(),
            "-o".as_ref(),
            "r.toml".as_ref(),
            "--force".as_ref(),
        ])
        .success();
    assert!(
        out.stderr.contains("wrote `r.toml`: 15 runs"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    let written = std::fs::read_to_string(t.path("r.toml")).unwrap();
    assert!(written.contains("folder = \"r\""), "{written}");
}

#[test]
fn an_imported_recipe_runs_under_repro_figure() {
    // Until recipes are found under any name, an imported one stands in for a figure id.
    let t = Test::new();
    t.run_with([
        "-q".as_ref(),
        "import".as_ref(),
        fixture("import/models.json").as_os_str(),
        "-o".as_ref(),
        t.path("project/figures/7.toml").as_os_str(),
        "--folder".as_ref(),
        "my-models".as_ref(),
    ])
    .success();
    let project = t.path("project");
    let dry = t
        .run_with([
            "figure".as_ref(),
            "7".as_ref(),
            "--project".as_ref(),
            project.as_os_str(),
            "--engine".as_ref(),
            "fake".as_ref(),
            "--dry-run".as_ref(),
        ])
        .success()
        .stdout;
    assert!(dry.contains("42 tasks, 0 done, 42 to run"), "{dry}");
    for run in recorded("models") {
        for dir in ["uncached", "iterations/1", "iterations/5"] {
            let path = format!("my-models/{dir}/{}", run.log);
            assert!(dry.contains(&path), "{path}\n{dry}");
        }
    }
    let (t, results) = t.fake_figure(
        "7",
        &["--project", project.to_str().unwrap(), "--iterations", "1"],
    );
    t.run().success();
    let logs: BTreeSet<String> = std::fs::read_dir(results.join("my-models/iterations/1"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("output"))
        .collect();
    let want: BTreeSet<String> = recorded("models").into_iter().map(|r| r.log).collect();
    assert_eq!(logs, want);
}

/// The published run folders beside an env.json (`uncached/`, `iterations/<i>/`, in split parts
/// too) and the log names in each.
fn published_logs(dir: &Path) -> Vec<(PathBuf, BTreeSet<String>)> {
    let mut found = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.unwrap();
        if !entry.file_type().is_dir() {
            continue;
        }
        let logs: BTreeSet<String> = std::fs::read_dir(entry.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("output") && n.ends_with(".txt"))
            .collect();
        if !logs.is_empty() {
            found.push((entry.path().to_path_buf(), logs));
        }
    }
    found
}

#[test]
fn every_published_env_json_plans_the_published_logs() {
    let Some(paper) = shared_reference() else {
        return;
    };
    let models = models();
    let mut checked = 0;
    for entry in walkdir::WalkDir::new(paper.join("figures")).sort_by_file_name() {
        let entry = entry.unwrap();
        if entry.file_name() != "env.json" {
            continue;
        }
        let dir = entry.path().parent().unwrap();
        let id = dir
            .file_name()
            .unwrap()
            .to_string_lossy()
            .trim_start_matches("figure-")
            .to_string();
        let t = Test::new();
        t.run_with([
            "-q".as_ref(),
            "import".as_ref(),
            entry.path().as_os_str(),
            "-o".as_ref(),
            "r.toml".as_ref(),
            "--folder".as_ref(),
            dir.file_name().unwrap(),
        ])
        .success();
        let text = std::fs::read_to_string(t.path("r.toml")).unwrap();
        let recipe = Recipe::parse(&t.path("r.toml"), &text, Some(&models)).unwrap();
        let runs = plan_recipe(&recipe, &models, None);
        let names: BTreeSet<String> = runs.iter().map(|r| r.0.clone()).collect();
        assert_eq!(names.len(), runs.len(), "{id}: two runs with one log name");
        let published = published_logs(dir);
        for (folder, logs) in &published {
            assert_eq!(&names, logs, "{id}: {}", folder.display());
        }
        // The shipped recipe of the same experiment: the same runs (for a split one, those of
        // the part whose configs are env.json's); unsplit, the very same task keys.
        let shipped = Recipe::load(Path::new("/nonexistent"), &id, Some(&models)).unwrap();
        match &shipped.split {
            None => {
                let keys: Vec<&String> = runs.iter().map(|r| &r.3).collect();
                let shipped_runs = plan_recipe(&shipped, &models, None);
                let shipped_keys: Vec<&String> = shipped_runs.iter().map(|r| &r.3).collect();
                assert_eq!(keys, shipped_keys, "{id}: not the shipped recipe's tasks");
            }
            Some(split) => {
                let matches_a_part = split.parts.iter().any(|part| {
                    let logs: Vec<String> = plan_recipe(&shipped, &models, Some(part.index))
                        .into_iter()
                        .map(|r| r.0)
                        .collect();
                    logs == runs.iter().map(|r| r.0.clone()).collect::<Vec<_>>()
                });
                assert!(
                    matches_a_part,
                    "{id}: no part of the shipped recipe has these runs"
                );
            }
        }
        eprintln!(
            "{id}: {} runs; published run folders checked: {}",
            runs.len(),
            published.len()
        );
        checked += 1;
    }
    assert_eq!(checked, 9, "the paper's copy has nine env.json files");
}

#[test]
fn help_shows_examples() {
    Test::new()
        .args(["import", "--help"])
        .run()
        .success()
        .stdout_has("repro import env.json -o figures/my-sweep.toml");
}

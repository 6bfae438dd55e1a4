//! Experiments beyond the paper's figures: any recipe by name or path runs, tables, renders,
//! packs and reports like a paper figure; any folder in the paper's layout tables as the
//! paper's scripts table it.

use std::path::Path;

use crate::common::*;

/// A researcher's sweep: figure 7's models, swept over `max-num-seqs`, no `[[plot]]`.
const SWEEP: &str = r#"
title = "KV cache profiling vs max-num-seqs"
[run]
vllm = "0.10.1.1"
iterations = 2
env = { VLLM_USE_V1 = "1", VLLM_LOGGING_LEVEL = "DEBUG" }
default_params = { max-num-seqs = [16, 160] }
configs = [{ model = "qwen-0.5b" }, { model = "qwen-4b" }]
"#;

#[test]
fn a_recipe_of_any_name_runs_tables_renders_and_packs_like_a_figure() {
    let t = Test::new().write("figures/my-sweep.toml", SWEEP);
    t.run_with(["figure", "my-sweep", "--engine", "fake", "--dry-run"])
        .success()
        .stdout_has("my-sweep (KV cache profiling vs max-num-seqs): 12 tasks, 0 done, 12 to run")
        .stdout_has("my-sweep/iterations/2/output_model_qwen-4b_max-num-seqs_160.txt");
    t.run_with(["figure", "my-sweep", "--engine", "fake"])
        .success()
        .stdout_has("my-sweep: 12 ran (12 ok, 0 failed)");
    let group = t.path("results/my-sweep");
    assert!(group.join("avg_comparison_results.json").is_file());
    // Resumable like any figure.
    t.run_with(["figure", "my-sweep", "--engine", "fake"])
        .success()
        .stdout_has("0 ran (0 ok, 0 failed), 12 already done");
    t.run_with(["status", "my-sweep"]).success().stdout_has(
        "my-sweep         12 of 12 present (warm-up + iterations 1–2): 12 made here (fake engine)",
    );
    t.run_with(["-q", "table", "my-sweep"]).success();
    // Without a [[plot]]: a stacked bar per run and the stages against the swept parameter,
    // one chart per model (a 0.5B and a 4B model's times are not averaged into one point).
    t.run_with(["render", "my-sweep", "--out", "figs", "--format", "svg"])
        .success()
        .stdout_has("my-sweep: wrote figs/my-sweep-stages.svg")
        .stdout_has("my-sweep: wrote figs/my-sweep-max-num-seqs-qwen-0.5b.svg")
        .stdout_has("my-sweep: wrote figs/my-sweep-max-num-seqs-qwen-4b.svg");
    let small =
        std::fs::read_to_string(t.path("figs/my-sweep-max-num-seqs-qwen-0.5b.svg")).unwrap();
    assert!(
        small.contains("max-num-seqs (qwen-0.5b)"),
        "the title names the model"
    );
    let stages = std::fs::read_to_string(t.path("figs/my-sweep-stages.svg")).unwrap();
    assert!(stages.contains("qwen-4b, 160"), "a tick per run");
    assert!(stages.contains("FAKE ENGINE"));
    // `render all` covers the project's recipe too.
    t.run_with(["render", "all", "--out", "all", "--format", "svg"])
        .success()
        .stdout_has("my-sweep: wrote all/my-sweep-stages.svg");
    t.run_with(["-q", "pack", "--figure", "my-sweep", "-o", "sweep.tar.zst"])
        .success();
    t.run_with(["-q", "merge", "sweep.tar.zst", "--results", "elsewhere"])
        .success();
    assert_eq!(
        snapshot(&t.path("elsewhere/my-sweep")),
        snapshot(&group),
        "the pack carries the recipe's folder whole"
    );
}

#[test]
fn a_recipe_file_anywhere_runs_into_its_folder() {
    let t = Test::new().write(
        "elsewhere/batch.toml",
        SWEEP.replace("title", "folder = \"batch-study\"\ntitle"),
    );
    let recipe = t.path("elsewhere/batch.toml");
    t.run_with([
        "-q".as_ref(),
        "figure".as_ref(),
        recipe.as_os_str(),
        "--engine".as_ref(),
        "fake".as_ref(),
        "--iterations".as_ref(),
        "1".as_ref(),
    ])
    .success();
    assert!(t
        .path("results/batch-study/iterations/1/output_model_qwen-0.5b_max-num-seqs_16.txt")
        .is_file());
    t.run_with(["status".as_ref(), recipe.as_os_str()])
        .success()
        .stdout_has("batch-study      8 of 8 present (warm-up + iteration 1; the recipe has 2)");
}

#[test]
fn recipes_that_cannot_be_run_say_why() {
    let t = Test::new();
    let e = t.run_with(["figure", "nope", "--engine", "fake"]).failure();
    assert!(
        e.stderr
            .contains("no recipe `nope`: expected `./figures/nope.toml`"),
        "{}",
        e.stderr
    );
    // A copy of figure 7 that kept its folder would write into the paper's figure 7.
    let seven =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("figures/7.toml"))
            .unwrap();
    let t = t.write("figures/my-seven.toml", seven);
    let e = t
        .run_with(["figure", "my-seven", "--engine", "fake"])
        .failure();
    assert!(
        e.stderr.contains(
            "`./figures/my-seven.toml` writes its results to `figure-7`, the folder of recipe `7`"
        ),
        "{}",
        e.stderr
    );
    assert!(e.stderr.contains("leave `folder` out"), "{}", e.stderr);
    let t = t.write(
        "figures/x.toml",
        SWEEP.replace("title", "folder = \"../up\"\ntitle"),
    );
    t.run_with(["figure", "x", "--engine", "fake"])
        .failure()
        .stderr_has("must be one folder name")
        .stderr_has("figures/x.toml:2:");
    assert!(!t.path("results").exists(), "nothing was written");
}

/// A sweep run in part (one model of two, as the README's CPU run does with `--model`) is drawn:
/// the stages of what ran, the chart of the model that ran, and a warning naming the model that
/// has no runs yet; exit 0. Before, `render` failed with `no run of the average has a value of
/// `max-num-seqs`` after writing two of its charts (issue 27).
#[test]
fn a_sweep_run_in_part_draws_what_has_data_and_names_what_is_missing() {
    let t = Test::new().write("figures/my-sweep.toml", SWEEP);
    t.run_with([
        "-q",
        "figure",
        "my-sweep",
        "--engine",
        "fake",
        "--model",
        "qwen-0.5b",
    ])
    .success();
    t.run_with(["-q", "table", "my-sweep"]).success();
    let out = t
        .run_with(["render", "my-sweep", "--out", "figs", "--format", "svg"])
        .success()
        .stdout_has("my-sweep: wrote figs/my-sweep-stages.svg")
        .stdout_has("my-sweep: wrote figs/my-sweep-max-num-seqs-qwen-0.5b.svg")
        .stderr_has("warning: my-sweep: none of qwen-4b's runs is in the average yet, so their chart against `max-num-seqs` is not drawn");
    assert!(!out.stdout.contains("qwen-4b.svg"), "{}", out.stdout);
    assert!(!t.path("figs/my-sweep-max-num-seqs-qwen-4b.svg").exists());

    // One value of the sweep missing for a model: its chart is drawn without it, and says so.
    let one_value = SWEEP.replace("[16, 160]", "[16, 160, 256]");
    let t = t.write("figures/my-sweep.toml", one_value);
    t.run_with(["render", "my-sweep", "--out", "figs", "--format", "svg"])
        .success()
        .stderr_has("qwen-0.5b's runs against `max-num-seqs` drawn without max-num-seqs = 256: no run of those yet");
}

/// A lab's tree: folders in the paper's layout at any depth under one folder (and a second
/// folder beside it) are each tabled as the paper's scripts table them and drawn, in one call;
/// a folder of logs outside the layout, and a broken folder, are named and the rest goes on.
#[test]
fn a_tree_of_experiments_tables_and_draws_in_one_call() {
    let t = Test::new();
    for at in ["lab/a/exp", "lab/b/deeper/exp", "more/exp"] {
        copy_tree(&fixture("layout/exp"), &t.path(at));
    }
    // Logs not in iterations/<i>/, and an iteration without logs.
    let t = t.write(
        "lab/loose/output_model_x.txt",
        "INFO 01-01 10:00:00 [x.py:1] hello\n",
    );
    std::fs::create_dir_all(t.path("lab/broken/iterations/1")).unwrap();
    let out = t.run_with(["table", "lab", "./more"]).success();
    for line in [
        "lab: 3 folder(s) in the paper's layout",
        "warning: `lab/loose` holds output_* logs outside the paper's layout",
        "lab/broken/iterations/1` holds no `output_*` log",
        "1 folder(s) skipped (named above); the others were tabled",
    ] {
        assert!(out.stderr.contains(line), "no {line:?} in:\n{}", out.stderr);
    }
    let expected = fixture("layout/expected");
    for at in ["lab/a/exp", "lab/b/deeper/exp", "more/exp"] {
        assert!(
            out.stdout.contains(&format!("{at}: 3 run folders")),
            "{}",
            out.stdout
        );
        for rel in [
            "avg_comparison_results.json",
            "iterations/2/comparison_results.json",
        ] {
            assert_eq!(
                std::fs::read(t.path(at).join(rel)).unwrap(),
                std::fs::read(expected.join(rel)).unwrap(),
                "{at}/{rel} differs from the paper's scripts' output"
            );
        }
    }
    // Drawn at once, each chart named by its folder's path under the tree.
    t.run_with(["render", "lab", "--out", "figs", "--format", "svg"])
        .success()
        .stdout_has("wrote figs/a-exp-stages.svg")
        .stdout_has("wrote figs/b-deeper-exp-stages.svg");
}

/// A mistyped figure, recipe, benchmark or model name gets the nearest one it could have meant.
#[test]
fn a_mistyped_name_gets_a_did_you_mean() {
    let t = Test::new().write("figures/my-sweep.toml", SWEEP);
    t.run_with(["figure", "my-swep", "--engine", "fake", "--dry-run"])
        .failure()
        .stderr_has("no recipe `my-swep` (did you mean `my-sweep`?)");
    t.run_with(["figure", "71", "--engine", "fake", "--dry-run"])
        .failure()
        .stderr_has("no recipe `71` (did you mean `7`?)");
    t.run_with([
        "figure",
        "my-sweep",
        "--engine",
        "fake",
        "--dry-run",
        "--model",
        "qwen-05b",
    ])
    .failure()
    .stderr_has("has no run of model `qwen-05b` (did you mean `qwen-0.5b`?)");
    t.run_with(["models", "synth", "qwen4b"])
        .failure()
        .stderr_has("unknown model `qwen4b` (did you mean `qwen-4b`?)");
    t.run_with(["bench", "mock-capacit", "--dry-run"])
        .failure()
        .stderr_has("no benchmark `mock-capacit` (did you mean `mock-capacity`?)");
    let e = t
        .run_with(["figure", "zzz", "--engine", "fake", "--dry-run"])
        .failure();
    assert!(!e.stderr.contains("did you mean"), "{}", e.stderr);
}

/// A folder in the paper's layout, not made by repro, with a crashed run: `repro table DIR`
/// writes what the paper's `compare_logs.py` + `avg_results.py` write for it, byte for byte.
#[test]
fn any_folder_in_the_papers_layout_tables_as_the_papers_scripts_do() {
    let t = Test::new();
    let dir = t.path("exp");
    copy_tree(&fixture("layout/exp"), &dir);
    let out = t.run_with(["table", "exp"]).success();
    assert!(
        out.stderr
            .contains("iterations/2/output_model_qwen-1.8b_max-num-seqs_160.txt` is incomplete"),
        "the crashed run is named: {}",
        out.stderr
    );
    let expected = fixture("layout/expected");
    for rel in [
        "avg_comparison_results.json",
        "uncached/comparison_results.json",
        "iterations/1/comparison_results.json",
        "iterations/2/comparison_results.json",
    ] {
        assert_eq!(
            std::fs::read(dir.join(rel)).unwrap(),
            std::fs::read(expected.join(rel)).unwrap(),
            "{rel} differs from the paper's scripts' output"
        );
    }
    // Its default charts draw from it too.
    t.run_with(["render", "./exp", "--out", "figs", "--format", "svg"])
        .success()
        .stdout_has("exp-stages.svg");
}

#[test]
fn a_folder_not_in_the_papers_layout_is_refused_naming_what_is_missing() {
    let t = Test::new().write("flat/notes.txt", "hello\n");
    let e = t.run_with(["table", "./flat"]).failure();
    assert!(
        e.stderr.contains("`./flat` has no runs in the paper's layout: expected `./flat/iterations/<i>/output_*.txt`"),
        "{}",
        e.stderr
    );
    let t = t
        .write(
            "empty-iter/iterations/1/output_model_a.txt",
            "not a vllm log\n",
        )
        .write("empty-iter/iterations/2/notes.txt", "");
    let e = t.run_with(["table", "./empty-iter"]).failure();
    assert!(
        e.stderr.contains("iterations/2` holds no `output_*` log"),
        "{}",
        e.stderr
    );
    let t = t.write("bad/iterations/1/output_model_a.txt", "not a vllm log\n");
    let e = t.run_with(["table", "./bad"]).failure();
    assert!(
        e.stderr
            .contains("no log in `./bad/iterations/1` is a vLLM log"),
        "{}",
        e.stderr
    );
    assert!(
        !t.path("bad/iterations/1/comparison_results.json").exists(),
        "nothing written"
    );
}

/// `cache = ["cold", "warm"]` sweeps the state of vLLM's compile caches: a cold run gets fresh,
/// empty caches of its own (removed after it), a warm one the caches its config's warm-up
/// filled; the state is in the label, the key and the manifest, never an engine argument.
#[test]
fn the_compile_caches_are_a_sweepable_axis() {
    let recipe = r#"
title = "cold vs warm"
[run]
vllm = "0.10.1.1"
iterations = 2
env = { VLLM_USE_V1 = "1", VLLM_LOGGING_LEVEL = "DEBUG" }
default_params = { cache = ["cold", "warm"] }
configs = [{ model = "qwen-4b" }]
"#;
    let t = Test::new().write("figures/caches.toml", recipe);
    // The fake engine compiles on a cold cache and loads the compiled graphs on a warm one.
    t.run_with([
        "-q",
        "figure",
        "caches",
        "--engine",
        "fake",
        "--results",
        "fake",
    ])
    .success();
    let log = |state: &str| {
        std::fs::read_to_string(t.path(&format!(
            "fake/caches/iterations/2/output_model_qwen-4b_cache_{state}.txt"
        )))
        .unwrap()
    };
    assert!(log("cold").contains("Compiling a graph for dynamic shape takes"));
    assert!(log("warm").contains("Directly load the compiled graph(s)"));

    // The real engine's runs (a stand-in Python) get the caches' folders in their environment.
    let python = t.path("python");
    stand_in_python(&python);
    t.run_with([
        "-q".as_ref(),
        "figure".as_ref(),
        "caches".as_ref(),
        "--device".as_ref(),
        "cpu".as_ref(),
        "--no-prepare".as_ref(),
        "--python".as_ref(),
        python.as_os_str(),
        "--results".as_ref(),
        "real".as_ref(),
    ])
    .success();
    let root = |dir: &str, state: &str| -> String {
        let m: serde_json::Value = serde_json::from_slice(
            &std::fs::read(t.path(&format!(
                "real/caches/{dir}/manifests/output_model_qwen-4b_cache_{state}.json"
            )))
            .unwrap(),
        )
        .unwrap();
        assert!(
            !m["command"].to_string().contains("--cache"),
            "`cache` is no engine argument: {}",
            m["command"]
        );
        m["env"]["VLLM_CACHE_ROOT"].as_str().unwrap().to_string()
    };
    let (warm_up, warm) = (root("uncached", "warm"), root("iterations/2", "warm"));
    assert_eq!(
        warm_up, warm,
        "a warm run uses the caches its warm-up filled"
    );
    assert!(Path::new(&warm).is_absolute());
    let (cold_1, cold_2) = (root("iterations/1", "cold"), root("iterations/2", "cold"));
    assert_ne!(cold_1, cold_2, "every cold run has caches of its own");
    assert!(
        !Path::new(&cold_1).exists(),
        "a cold run's caches go with it"
    );

    let bad = recipe.replace("\"warm\"]", "\"lukewarm\"]");
    Test::new()
        .write("figures/caches.toml", bad)
        .args(["figure", "caches", "--engine", "fake", "--dry-run"])
        .run()
        .failure()
        .stderr_has("`cache` is \"cold\"")
        .stderr_has("figures/caches.toml:7:");
}

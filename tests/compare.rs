//! `repro compare A B`: two average tables, per stage the ratio B / A (`compare_2_avgs.py`).

use std::path::Path;

use serde_json::Value;

use crate::common::{fixture, published_figures, Test};

fn compare(a: &Path, b: &Path, extra: &[&str]) -> Test {
    Test::new().arg("compare").arg(a).arg(b).args(extra)
}

fn json(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

#[test]
fn figure_ten_s_parts_give_compare_2_avgs_py_s_numbers() {
    let Some(figures) = published_figures() else {
        return;
    };
    let (a, b) = (
        figures.join("figure-10/gpu0"),
        figures.join("figure-10/gpu1"),
    );
    let out = compare(&a, &b, &["--json"]).run().success();
    let ours = json(&out.stdout);
    let text = std::fs::read_to_string(fixture("compare/figure-10.compare_2_avgs.json")).unwrap();
    let script: Value = serde_json::from_str(&text).unwrap();
    let script = script.as_object().unwrap();
    let stages = ours["stages"].as_object().unwrap();
    assert_eq!(
        stages.keys().collect::<Vec<_>>(),
        script.keys().collect::<Vec<_>>(),
        "the script's nine stages, in its order"
    );
    for (stage, expected) in script {
        let mine = &stages[stage];
        // Exact: both sides are Python's float repr of the same doubles.
        assert_eq!(mine["mean"], expected["avg_speedup"], "{stage}");
        assert_eq!(mine["count"], 11, "{stage}");
        let rows = mine["rows"].as_array().unwrap();
        let want = expected["rows"].as_array().unwrap();
        assert_eq!(rows.len(), want.len(), "{stage}");
        for (row, want) in rows.iter().zip(want) {
            for key in ["model_name", "value1", "value2", "speedup"] {
                assert_eq!(row[key], want[key], "{stage} {key}");
            }
        }
    }
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    // The table prints the script's "Avg Speedup" to two decimals.
    let table = compare(&a, &b, &[]).run().success().stdout;
    for (stage, mean) in [
        ("tokenizer_init", "1.01x"),
        ("kv_cache_profiling", "0.93x"),
        ("graph_capturing", "1.20x"),
        ("actual_total_time", "0.99x"),
    ] {
        let line = table
            .lines()
            .find(|l| l.starts_with(stage))
            .unwrap_or_else(|| panic!("{stage}\n{table}"));
        assert!(line.contains(mean), "{line}");
    }
    assert!(
        table.contains("11 labels in both, paired by label"),
        "{table}"
    );
}

#[test]
fn labels_pair_by_name_and_the_odd_ones_are_named() {
    let (a, b) = (fixture("compare/a"), fixture("compare/b"));
    let out = compare(&a, &b, &["-v"]).run().success();
    let stderr = &out.stderr;
    for needle in [
        "1 label(s) only in A",
        "output_model_only-in-a.txt",
        "1 label(s) only in B",
        "output_model_only-in-b.txt",
        "load_weights, output_model_qwen-4b.txt: A is 0, so there is no ratio, left out of the mean",
        "graph_capturing, output_model_yi-6b.txt: no value in B, left out of the mean",
    ] {
        assert!(stderr.contains(needle), "{needle}\n{stderr}");
    }
    let stdout = &out.stdout;
    assert!(
        stdout.contains("3 labels in both, paired by label"),
        "{stdout}"
    );
    let line = |stage: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(stage))
            .unwrap_or_else(|| panic!("{stage}\n{stdout}"))
            .to_string()
    };
    // (3/2 + 5/4) / 2 over the two labels with a ratio; B's order does not matter.
    assert!(
        line("load_weights").contains("1.38x"),
        "{}",
        line("load_weights")
    );
    assert!(
        line("graph_capturing").contains("1.25x"),
        "{}",
        line("graph_capturing")
    );
    assert!(
        stdout.contains("  output_model_yi-6b.txt      A    4.0000  B    5.0000  1.25x"),
        "{stdout}"
    );

    let report = json(
        &compare(&a, &b, &["--json", "--stage", "load_weights"])
            .run()
            .success()
            .stdout,
    );
    let stage = &report["stages"]["load_weights"];
    assert_eq!(stage["mean"], 1.375);
    assert_eq!(stage["count"], 2);
    assert_eq!(stage["rows"][1]["speedup"], Value::Null);
    assert_eq!(stage["rows"][1]["problem"], "A is 0, so there is no ratio");
    assert_eq!(report["only_in_b"][0], "output_model_only-in-b.txt");
}

#[test]
fn csv_has_a_line_per_stage_and_label() {
    let out = compare(
        &fixture("compare/a"),
        &fixture("compare/b"),
        &[
            "--csv",
            "--stage",
            "load_weights",
            "--stage",
            "graph_capturing",
        ],
    )
    .run()
    .success()
    .stdout;
    assert_eq!(
        out,
        "stage,label,b_label,model_name,a,b,ratio,problem\n\
         load_weights,output_model_qwen-0.5b.txt,output_model_qwen-0.5b.txt,qwen-0.5b,2.0,3.0,1.5,\n\
         load_weights,output_model_qwen-4b.txt,output_model_qwen-4b.txt,qwen-4b,0.0,1.0,,\"A is 0, so there is no ratio\"\n\
         load_weights,output_model_yi-6b.txt,output_model_yi-6b.txt,yi-6b,4.0,5.0,1.25,\n\
         graph_capturing,output_model_qwen-0.5b.txt,output_model_qwen-0.5b.txt,qwen-0.5b,3.0,1.5,0.5,\n\
         graph_capturing,output_model_qwen-4b.txt,output_model_qwen-4b.txt,qwen-4b,1.5,3.0,2.0,\n\
         graph_capturing,output_model_yi-6b.txt,output_model_yi-6b.txt,yi-6b,2.0,,,no value in B\n"
    );
}

#[test]
fn runs_named_differently_pair_by_model() {
    let table = |label: &str, v: f64| {
        format!(
            "{{\"labels\": [\"output_model_{label}.txt\"], \"data\": {{\"load_weights\": [{v}]}}}}"
        )
    };
    let t = Test::new()
        .write(
            "case0/avg_comparison_results.json",
            table("qwen-14b_max_model_len_16752", 2.0),
        )
        .write("case1/avg_comparison_results.json", table("qwen-14b", 6.0));
    t.run_with(["compare", "case0", "case1"])
        .failure()
        .stderr_has("no label is in both tables (A has 1, B has 1): if their runs are named differently, try --by model");
    let out = t
        .run_with([
            "compare",
            "case0",
            "case1",
            "--by",
            "model",
            "--stage",
            "load_weights",
            "-v",
        ])
        .success();
    assert!(
        out.stdout.contains("output_model_qwen-14b_max_model_len_16752.txt (output_model_qwen-14b.txt)  A    2.0000  B    6.0000  3.00x"),
        "{}",
        out.stdout
    );
}

#[test]
fn the_chart_is_drawn_as_pdf_or_svg() {
    let (a, b) = (fixture("compare/a"), fixture("compare/b"));
    let t = compare(&a, &b, &["-q", "--out", "ratios.svg"]);
    t.run().success();
    let svg = std::fs::read_to_string(t.path("ratios.svg")).unwrap();
    assert!(
        svg.contains(">load_weights</text>") && svg.contains(">1.38</text>"),
        "{svg}"
    );
    let t = compare(&a, &b, &["--out", "ratios.pdf"]);
    t.run().success().stderr_has("wrote `ratios.pdf`");
    assert!(std::fs::read(t.path("ratios.pdf"))
        .unwrap()
        .starts_with(b"%PDF"));
    let t = compare(&a, &b, &["--out", "ratios.png"]);
    let out = t
        .run()
        .failure()
        .stderr_has("the chart is a .pdf or an .svg file");
    assert!(
        out.stdout.is_empty(),
        "nothing printed before the error: {}",
        out.stdout
    );
}

#[test]
fn bad_inputs_are_named() {
    compare(&fixture("compare/parts"), &fixture("compare/b"), &[])
        .run()
        .failure()
        .stderr_has("holds no avg_comparison_results.json; its parts gpu0, gpu1 do");
    compare(
        &fixture("compare/parts/gpu0"),
        &fixture("compare/parts/gpu1"),
        &[],
    )
    .run()
    .success();
    let t = Test::new()
        .write("x.json", "[1, 2]")
        .write("empty/.keep", "");
    t.run_with(["compare", "x.json", "x.json"])
        .failure()
        .stderr_has("`x.json` is not a comparison file");
    t.run_with(["compare", "empty", "x.json"])
        .failure()
        .stderr_has("`empty` holds no avg_comparison_results.json: give the file");
    t.run_with(["compare", "nope", "x.json"])
        .failure()
        .stderr_has("`nope` does not exist");
    compare(
        &fixture("compare/a"),
        &fixture("compare/b"),
        &["--stage", "warp"],
    )
    .run()
    .failure()
    .stderr_has("--stage `warp` is not a stage");
    let all = compare(
        &fixture("compare/a"),
        &fixture("compare/b"),
        &["--stage", "all", "--json"],
    )
    .run()
    .success()
    .stdout;
    assert_eq!(json(&all)["stages"].as_object().unwrap().len(), 18);
}

#[test]
fn help_shows_examples() {
    Test::new()
        .args(["compare", "--help"])
        .run()
        .success()
        .stdout_has("repro compare results/figure-10/gpu0 results/figure-10/gpu1");
}

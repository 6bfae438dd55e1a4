use crate::common::*;

#[test]
fn help_lists_examples() {
    Test::new()
        .arg("--help")
        .run()
        .success()
        .stdout_has("Examples:");
    Test::new()
        .args(["table", "--help"])
        .run()
        .success()
        .stdout_has("repro table 7");
}

#[test]
fn parse_prints_stage_timings() {
    let Some(figures) = published_figures() else {
        return;
    };
    let log = figures.join("figure-10/gpu0/iterations/1/output_model_qwen-4b.txt");
    Test::new()
        .arg("parse")
        .arg(&log)
        .run()
        .success()
        .stdout_has("load_weights")
        .stdout_has("0.970");
    let out = Test::new()
        .args(["parse", "--json"])
        .arg(&log)
        .run()
        .success();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v[0]["stages"]["load_weights"], 0.97);
    assert_eq!(v[0]["initialize_engine"], 26.18);
}

#[test]
fn parse_names_a_bad_log_and_fails() {
    let t = Test::new().write("bad.txt", "no timestamps at all\n");
    let path = t.path("bad.txt");
    t.arg("parse")
        .arg(&path)
        .run()
        .failure()
        .stderr_has("bad.txt")
        .stderr_has("line 1 has no timestamp");
}

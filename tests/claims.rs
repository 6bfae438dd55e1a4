//! `repro claims`: the paper's claims checked against the bundled published data and against
//! fake-engine runs, from the user's side.

use crate::common::*;

/// A test folder whose `results/` holds the bundled published data (`data/published.tar.zst`).
pub fn with_published_data() -> Test {
    let t = Test::new();
    let archive = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/published.tar.zst");
    t.run_with([
        "-q".as_ref(),
        "merge".as_ref(),
        archive.as_os_str(),
        "--results".as_ref(),
        "results".as_ref(),
    ])
    .success();
    t
}

/// Fake-engine runs of figure 2 and of figure 10's first part only, in `results/`.
pub fn with_fake_runs() -> Test {
    let t = Test::new();
    for figure in [&["2"][..], &["10", "--gpu", "0"][..]] {
        let mut args = vec!["-q", "figure"];
        args.extend_from_slice(figure);
        args.extend_from_slice(&[
            "--engine",
            "fake",
            "--iterations",
            "2",
            "--results",
            "results",
        ]);
        t.run_with(args).success();
    }
    t
}

#[test]
fn published_data_claims_table() {
    let t = with_published_data();
    let out = t.run_with(["claims", "--results", "results"]).success();
    insta::assert_snapshot!("published_data_claims", out.stdout);
}

#[test]
fn claims_json_has_each_verdict_value_and_missing_folder() {
    let t = with_published_data();
    let out = t
        .run_with(["claims", "--results", "results", "--json"])
        .success();
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let claims = json["claims"].as_array().unwrap();
    assert_eq!(claims.len(), 25);
    let by_id = |id: &str| claims.iter().find(|c| c["id"] == id).unwrap().clone();
    let slower = by_id("releases-slower");
    assert_eq!(slower["verdict"], "supported");
    let measured = slower["outcome"]["value"].as_f64().unwrap();
    assert!((measured - 34.77 / 8.17).abs() < 0.01, "{measured}");
    assert_eq!(slower["data"]["kind"], "not_made_by_repro");
    assert_eq!(slower["data"]["from"][0], "published.tar.zst");
    let tokenizer = by_id("tokenizer-linear");
    assert_eq!(tokenizer["verdict"], "no_data");
    assert_eq!(tokenizer["outcome"]["missing"], "results/figure-rest");
    assert_eq!(tokenizer["outcome"]["hint"], "repro figure rest");
    assert_eq!(tokenizer["compute"]["kind"], "pearson");
    let split = by_id("cpu-matters");
    assert_eq!(
        split["outcome"]["hint"],
        "repro figure 11 --cpu 0 and repro figure 11 --cpu 1"
    );
}

#[test]
fn claims_on_fake_runs_are_never_supported() {
    let t = with_fake_runs();
    let out = t.run_with(["claims", "--results", "results"]).success();
    let lines: Vec<&str> = out.stdout.lines().collect();
    for id in [
        "cpu-dominant",
        "torch-compile-share",
        "bootstrap-share",
        "weights-share",
    ] {
        let line = lines.iter().find(|l| l.contains(id)).unwrap();
        assert!(line.starts_with("checked on simulated data"), "{line}");
    }
    assert!(
        !lines
            .iter()
            .any(|l| l.starts_with("supported") || l.starts_with("NOT")),
        "a claim on simulated data was judged:\n{}",
        out.stdout
    );
    // Figure 10 has one part: the other one is named, with the command that makes it.
    let gpu = lines
        .iter()
        .find(|l| l.contains("gpu-barely-matters"))
        .unwrap();
    assert!(gpu.starts_with("no data here"), "{gpu}");
    assert!(
        gpu.contains("no `results/figure-10/gpu1/iterations`"),
        "{gpu}"
    );
    assert!(out
        .stdout
        .contains("no data for figure 10: repro figure 10 --gpu 1"));
    assert!(out
        .stdout
        .contains("data of figure 2, 10: simulated (fake engine)"));
    assert!(out
        .stdout
        .contains("0 supported, 0 NOT supported, 4 checked on simulated data"));
}

#[test]
fn a_claim_outside_its_tolerance_is_not_supported_with_both_values() {
    let t = with_published_data().write(
        "claims.toml",
        "schema = 1\n\n[[claim]]\nid = \"all-cpu\"\nfigure = \"2\"\nclaim = \"Start-up is almost all CPU.\"\nsource = \"a test\"\ncompute = { kind = \"share\", resource = \"CPU\" }\npaper = 0.99\nholds = { at_least = 0.95 }\n",
    );
    let out = t
        .run_with(["claims", "--results", "results", "-v"])
        .success();
    let line = out.stdout.lines().nth(1).unwrap();
    assert!(line.starts_with("NOT supported"), "{line}");
    assert!(
        line.contains("87.0%") && line.contains("99.0%") && line.contains("≥ 95.0%"),
        "{line}"
    );
    assert!(out.stdout.contains("    Start-up is almost all CPU."));
    assert!(out
        .stdout
        .contains("1 claims: 0 supported, 1 NOT supported"));
}

#[test]
fn a_bad_claims_file_names_the_line_and_prints_nothing() {
    let t = Test::new().write(
        "claims.toml",
        "schema = 1\n\n[[claim]]\nid = \"x\"\nfigure = \"7\"\nclaim = \"c\"\nsource = \"s\"\ncompute = { kind = \"part_ratio\", stage = \"load_weights\" }\npaper = 1.0\nholds = { at_least = 0.9 }\n",
    );
    std::fs::create_dir_all(t.path("results")).unwrap();
    let out = t.run_with(["claims", "--results", "results"]).failure();
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(
        out.stderr
            .contains("claim `x`: `part_ratio` needs a figure of kind `speedup_bars`, and figure 7 is drawn as `regression_bars`"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("claims.toml:8:"), "{}", out.stderr);
}

#[test]
fn a_missing_results_folder_is_named() {
    Test::new()
        .args(["claims", "--results", "nowhere"])
        .run()
        .failure()
        .stderr_has("`nowhere` does not exist");
}

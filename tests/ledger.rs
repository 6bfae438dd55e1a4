//! `repro parse --ledger` on the fixtures of every vLLM version's wording (tests/fixtures/ledger),
//! bad input, and `repro parse`'s completeness flag.

use crate::common::*;

fn ledger_fixture(name: &str) -> std::path::PathBuf {
    fixture(&format!("ledger/{name}"))
}

fn json_of(out: &Outcome) -> serde_json::Value {
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout))
}

#[test]
fn the_table_shows_last_line_and_slowest_rank_and_the_silences() {
    let out = Test::new()
        .args(["parse", "--ledger"])
        .arg(ledger_fixture("v0.9.2-serve-tp2-ansi.log"))
        .run()
        .success()
        .stdout_has("vLLM 0.9.2 (V1)")
        .stdout_has("complete: start-up finished: API server ready at line 40")
        .stdout_has("VllmWorker rank=1 pid=5171 (worker, rank 1 of 2, lines 13–32)")
        .stdout_has("-- no line, no stage");
    let row = out
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("load_weights_s "))
        .unwrap();
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(
        cells[..5],
        ["load_weights_s", "4.21", "s", "5.12", "2"],
        "{row}"
    );
    Test::new()
        .args(["parse", "--ledger"])
        .arg(ledger_fixture("v0.23-blockquote-paste.log"))
        .run()
        .success()
        .stdout_has("vLLM 0.23.1rc1.dev531+ga65f93fb2 (V1)")
        .stdout_has("-- no line, 231.000 s unknown");
}

#[test]
fn json_has_its_schema_version_and_every_run() {
    let out = Test::new()
        .args(["parse", "--ledger", "--json"])
        .arg(ledger_fixture("two-runs-cold-then-warm.log"))
        .arg(ledger_fixture("v0.6.6-serve-tp2.log"))
        .run()
        .success();
    let v = json_of(&out);
    assert_eq!(v["schema_version"], 1);
    let two = &v["logs"][0];
    assert_eq!(two["runs"].as_array().unwrap().len(), 2);
    assert_eq!(two["runs"][0]["summary"]["torch_compile_s"]["last"], 27.31);
    assert_eq!(
        two["runs"][1]["summary"]["graph_compile_cached_s"]["last"],
        4.61
    );
    let tp = &v["logs"][1]["runs"][0];
    assert_eq!(tp["vllm_version"], "0.6.6");
    assert_eq!(tp["summary"]["kv_cache_gib"]["last"], 0.58);
    assert_eq!(tp["summary"]["kv_cache_gib"]["slowest"], 0.99);
    assert_eq!(tp["summary"]["model_loading_s"]["derived"], true);
    let worker = &tp["processes"][1];
    assert_eq!(worker["id"], "VllmWorkerProcess pid=2291");
    assert_eq!(
        worker["values"]["model_loading_s"]["derived_from"],
        serde_json::json!([10, 11])
    );
    assert_eq!(v["errors"], serde_json::json!([]));
}

#[test]
fn bad_input_is_named_and_the_good_files_still_read() {
    let t = Test::new()
        .write("empty.log", "")
        .write("binary.log", [0x7f, b'E', b'L', b'F', 0, 1, 2])
        .write("dir/x.log", "INFO 01-01 00:00:00 [a.py:1] x\n");
    let (empty, binary, dir) = (t.path("empty.log"), t.path("binary.log"), t.path("dir"));
    let missing = t.path("missing.log");
    let out = t
        .args(["parse", "--ledger", "--json"])
        .arg(empty)
        .arg(binary)
        .arg(dir)
        .arg(ledger_fixture("not-vllm.log"))
        .arg(missing)
        .arg(ledger_fixture("v0.8.0-llm-harness.log"))
        .run()
        .failure()
        .stderr_has("empty.log` is empty")
        .stderr_has("binary.log` is not text")
        .stderr_has("dir` is a directory")
        .stderr_has("not-vllm.log`: no vLLM line found")
        .stderr_has("cannot read `")
        .stderr_has("missing.log");
    let v = json_of(&out);
    assert_eq!(v["errors"].as_array().unwrap().len(), 5);
    assert_eq!(v["logs"].as_array().unwrap().len(), 1);
    assert_eq!(
        v["logs"][0]["runs"][0]["summary"]["initialize_engine_s"]["last"],
        36.02
    );
}

#[test]
fn a_crashed_or_cut_log_is_flagged_while_the_papers_numbers_stay() {
    let crashed = ledger_fixture("crashed-v0.10.0-kv-cache.log");
    let out = Test::new()
        .args(["parse", "--json"])
        .arg(&crashed)
        .run()
        .success()
        .stderr_has("crashed-v0.10.0-kv-cache.log` looks cut or crashed")
        .stderr_has("line 8");
    let v = json_of(&out);
    assert_eq!(v[0]["complete"], false);
    assert!(v[0]["incomplete_reason"]
        .as_str()
        .unwrap()
        .contains("ValueError"));
    // Exactly what the paper's parser reads: the numbers before the crash.
    assert_eq!(v[0]["stages"]["load_weights"], 2.02);
    assert_eq!(v[0]["stages"]["model_loading"], 2.150114);
    Test::new()
        .args(["parse", "--ledger"])
        .arg(ledger_fixture("cut-mid-line.log"))
        .run()
        .success()
        .stderr_has("cut-mid-line.log` (lines 1–6) is not a complete start-up")
        .stdout_has("line 6 has no newline at the end");
    let out = Test::new()
        .args(["parse", "--json"])
        .arg(ledger_fixture("v0.10.1.1-paper-patched.log"))
        .run()
        .success();
    assert!(!out.stderr.contains("warning"), "{}", out.stderr);
    assert_eq!(json_of(&out)[0]["complete"], true);
}

#[test]
fn min_gap_needs_the_ledger_and_a_positive_number() {
    let log = ledger_fixture("v0.2.7-api-server.log");
    Test::new()
        .args(["parse", "--min-gap", "5"])
        .arg(&log)
        .run()
        .failure()
        .stderr_has("--ledger");
    Test::new()
        .args(["parse", "--ledger", "--min-gap", "0"])
        .arg(&log)
        .run()
        .failure()
        .stderr_has("--min-gap must be a positive number");
    let out = Test::new()
        .args(["parse", "--ledger", "--json", "--min-gap", "9"])
        .arg(&log)
        .run()
        .success();
    assert_eq!(
        json_of(&out)["logs"][0]["runs"][0]["timeline"]["gaps"],
        serde_json::json!([])
    );
}

/// On every published log, the ledger's `last` equals the paper parser's number wherever both
/// read one, except the wordings the paper's parser reads as 0 or misses (the point).
#[test]
fn the_ledger_agrees_with_the_paper_on_its_published_logs() {
    let Some(figures) = published_figures() else {
        return;
    };
    let logs: Vec<std::path::PathBuf> = walkdir::WalkDir::new(&figures)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("output_"))
        .map(|e| e.into_path())
        .collect();
    assert!(logs.len() > 300, "{} logs", logs.len());
    let paper = json_of(
        &Test::new()
            .args(["parse", "--json"])
            .args(&logs)
            .run()
            .success(),
    );
    let ledger = json_of(
        &Test::new()
            .args(["parse", "--ledger", "--json"])
            .args(&logs)
            .run()
            .success(),
    );
    let pairs = [
        ("load_weights", "load_weights_s"),
        ("model_loading", "model_loading_s"),
        ("init_engine", "init_engine_s"),
        ("torch.compile", "torch_compile_s"),
        ("graph_capturing", "graph_capture_s"),
        ("tokenizer_init", "tokenizer_init_s"),
        ("model_init", "model_init_s"),
        ("dynamo_transform_time", "dynamo_transform_s"),
        ("graph_compile_cached", "graph_compile_cached_s"),
        (
            "graph_compile_general_shape",
            "graph_compile_general_shape_s",
        ),
    ];
    let (mut same, mut differ) = (0, Vec::new());
    for (p, l) in paper
        .as_array()
        .unwrap()
        .iter()
        .zip(ledger["logs"].as_array().unwrap())
    {
        assert_eq!(p["log"], l["log"]);
        assert_eq!(p["complete"], true, "{}", p["log"]);
        let runs = l["runs"].as_array().unwrap();
        assert_eq!(runs.len(), 1, "{}", l["log"]);
        for (stage, key) in pairs {
            let ours = &runs[0]["summary"][key];
            if stage == "load_weights" && ours.is_null() {
                continue; // the paper deduces it from model_loading - model_init
            }
            let (theirs, ours) = (p["stages"][stage].as_f64(), ours["last"].as_f64());
            match (theirs, ours) {
                (None, None) => {}
                (Some(a), Some(b)) if (a - b).abs() < 1e-9 => same += 1,
                _ => differ.push(format!(
                    "{} {stage}: paper {theirs:?}, ledger {ours:?}",
                    p["log"]
                )),
            }
        }
    }
    assert!(same > 2000, "{same}");
    // Only figure 1's old versions differ: `GB` wordings the paper reads as 0 or not at all,
    // 0.8.0's cache line without a time (the paper's 0), and V0's spans only timestamps give.
    for d in &differ {
        assert!(d.contains("figure-1/"), "{d}");
    }
    assert!(differ.len() <= 12, "{differ:#?}");
}

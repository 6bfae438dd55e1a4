//! The ledger of every fixture in `tests/fixtures/ledger/`, checked against what a person reads
//! off the log.

use super::*;

fn text(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/ledger")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn ledger(name: &str) -> Ledger {
    ledger_of_text(name, &text(name), Options::default()).expect("a vLLM log")
}

fn only_run(l: &Ledger) -> &Run {
    assert_eq!(l.runs.len(), 1, "{:?}", l.warnings);
    &l.runs[0]
}

/// `(last, slowest, processes)` of a key.
fn summary(run: &Run, key: &str) -> (f64, f64, usize) {
    let s = run
        .summary
        .get(key)
        .unwrap_or_else(|| panic!("no {key} in {:?}", run.summary.keys().collect::<Vec<_>>()));
    (s.last, s.slowest, s.processes)
}

fn last(run: &Run, key: &str) -> f64 {
    summary(run, key).0
}

fn process<'a>(run: &'a Run, id: &str) -> &'a Process {
    run.processes
        .iter()
        .find(|p| p.id == id)
        .unwrap_or_else(|| {
            panic!(
                "no {id} in {:?}",
                run.processes.iter().map(|p| &p.id).collect::<Vec<_>>()
            )
        })
}

fn value<'a>(run: &'a Run, id: &str, key: &str) -> &'a Value {
    process(run, id)
        .values
        .get(key)
        .unwrap_or_else(|| panic!("{id} has no {key}"))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

#[test]
fn v0_2_api_server_no_version_blocks_and_uvicorn_ready() {
    let l = ledger("v0.2.7-api-server.log");
    assert_eq!((l.lines, l.untimed_lines, l.clock), (8, 5, Clock::Vllm));
    assert_eq!(l.resolution_s, Some(1.0));
    let run = only_run(&l);
    assert_eq!(run.vllm_version, None);
    assert_eq!(run.engine.as_deref(), Some("v0"));
    assert_eq!(last(run, "kv_cache_blocks"), 36950.0);
    assert_eq!(last(run, "kv_cache_cpu_blocks"), 7281.0);
    assert!(run.complete, "{}", run.completeness.reason);
    let ready = run.ready.as_ref().unwrap();
    // `Uvicorn running on` has no timestamp: the last one before it (line 4) is the time.
    assert_eq!(
        (ready.line, ready.kind.as_str(), ready.at_s),
        (8, "server", Some(8.0))
    );
    assert_eq!(last(run, "startup_s"), 8.0);
    let t = run.timeline.as_ref().unwrap();
    assert_eq!(t.gaps.len(), 1);
    assert_eq!((t.gaps[0].after_line, t.gaps[0].before_line), (3, 4));
    assert_eq!(t.gaps[0].unaccounted_s, 8.0);
}

#[test]
fn v0_4_ray_workers_get_their_own_entries_and_derived_spans() {
    let l = ledger("v0.4.3-ray-tp2.log");
    let run = only_run(&l);
    assert_eq!(run.vllm_version.as_deref(), Some("0.4.3"));
    let ids: Vec<&str> = run.processes.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["driver", "RayWorkerWrapper pid=4292"]);
    // `Loading model weights took 12.1234 GB` has no time: from the engine's banner (line 2).
    let driver = value(run, "driver", "model_loading_s");
    assert_eq!((driver.value, driver.derived_from), (14.0, Some([2, 7])));
    let worker = value(run, "RayWorkerWrapper pid=4292", "model_loading_s");
    assert_eq!((worker.value, worker.derived_from), (16.0, Some([2, 8])));
    assert_eq!(summary(run, "model_loading_s"), (16.0, 16.0, 2));
    assert!(run.summary["model_loading_s"].derived);
    assert_eq!(summary(run, "model_loading_gib"), (12.1234, 12.1234, 2));
    // The paper's rule takes the line printed last (the driver's 7 s), the slowest rank too.
    assert_eq!(summary(run, "graph_capture_s"), (7.0, 7.0, 2));
    assert_eq!(
        value(run, "RayWorkerWrapper pid=4292", "graph_capture_s").value,
        6.0
    );
    assert_eq!(
        value(run, "driver", "memory_profiling_s").derived_from,
        Some([7, 9])
    );
    assert_eq!(value(run, "driver", "init_engine_s").value, 14.0);
    let ready = run.ready.as_ref().unwrap();
    assert_eq!(
        (ready.line, ready.kind.as_str(), ready.at_s),
        (13, "last_step", Some(28.0))
    );
    assert!(run.complete);
    // Between `# GPU blocks` (line 9) and the capture's start (line 10) nothing is printed.
    let t = run.timeline.as_ref().unwrap();
    assert_eq!(t.unaccounted_s, 2.0);
    assert_eq!(
        (
            t.gaps[4].after_line,
            t.gaps[4].before_line,
            t.gaps[4].unaccounted_s
        ),
        (9, 10, 2.0)
    );
}

#[test]
fn v0_5_progress_bars_are_untimed_and_the_version_comes_from_the_api_server() {
    let l = ledger("v0.5.3-api-server.log");
    assert_eq!(l.untimed_lines, 5);
    let run = only_run(&l);
    assert_eq!(run.vllm_version.as_deref(), Some("0.5.3.post1"));
    assert_eq!(run.version_line, Some(1));
    assert_eq!(last(run, "model_loading_gib"), 14.9888);
    assert_eq!(
        value(run, "driver", "model_loading_s").derived_from,
        Some([3, 6])
    );
    assert_eq!(last(run, "model_loading_s"), 7.0);
    assert_eq!(last(run, "memory_profiling_s"), 2.0);
    assert_eq!(last(run, "init_engine_s"), 17.0);
    assert_eq!(last(run, "graph_capture_s"), 13.0);
    let ready = run.ready.as_ref().unwrap();
    assert_eq!((ready.line, ready.at_s), (15, Some(26.0)));
}

#[test]
fn v0_6_tensor_parallel_workers_memory_profiling_results_and_ranks() {
    let l = ledger("v0.6.6-serve-tp2.log");
    let run = only_run(&l);
    assert_eq!(run.vllm_version.as_deref(), Some("0.6.6"));
    let worker = process(run, "VllmWorkerProcess pid=2291");
    assert_eq!(
        (worker.role, worker.rank, worker.world_size),
        (Role::Worker, Some(1), Some(2))
    );
    assert_eq!(process(run, "driver").rank, Some(0));
    assert_eq!(summary(run, "memory_profiling_s"), (19.62, 19.62, 2));
    assert_eq!(summary(run, "kv_cache_gib"), (0.58, 0.99, 2));
    assert_eq!(value(run, "driver", "model_loading_s").value, 53.0);
    assert_eq!(
        value(run, "driver", "model_loading_s").derived_from,
        Some([9, 12])
    );
    assert_eq!(
        value(run, "VllmWorkerProcess pid=2291", "model_loading_s").value,
        51.0
    );
    assert_eq!(summary(run, "graph_capture_gib"), (1.10, 1.12, 2));
    assert_eq!(last(run, "init_engine_s"), 44.87);
    assert_eq!(last(run, "max_concurrency_x"), 0.03);
    assert_eq!(last(run, "serve_ready_after_engine_s"), 1.0);
    assert_eq!(run.ready.as_ref().unwrap().line, 29);
    assert_eq!(last(run, "startup_s"), 110.0);
}

#[test]
fn v0_7_crlf_and_a_multi_line_memory_report() {
    let l = ledger("v0.7.3-serve-crlf.log");
    assert_eq!(l.lines, 22);
    assert!(!l.cut_mid_line);
    let run = only_run(&l);
    assert_eq!(run.vllm_version.as_deref(), Some("0.7.3"));
    assert_eq!(last(run, "model_loading_s"), 5.512204);
    assert_eq!(last(run, "model_loading_gib"), 14.2487);
    assert_eq!(last(run, "memory_profiling_s"), 13.63);
    // Read from the report's third line, which has no timestamp of its own.
    assert_eq!(last(run, "kv_cache_gib"), 23.62);
    assert_eq!(run.summary["kv_cache_gib"].line, 11);
    assert_eq!(last(run, "kv_cache_blocks"), 27645.0);
    assert_eq!(last(run, "graph_capture_s"), 12.0);
    assert_eq!(last(run, "graph_capture_gib"), 0.31);
    assert_eq!(last(run, "init_engine_s"), 29.05);
    assert_eq!(run.ready.as_ref().unwrap().line, 22);
    assert!(run.complete);
}

#[test]
fn v0_8_gb_wording_an_untimed_cache_hit_and_the_harness_line() {
    let run = ledger("v0.8.0-llm-harness.log").runs.remove(0);
    assert_eq!(run.engine.as_deref(), Some("v1"));
    assert_eq!(last(&run, "model_loading_s"), 2.693511);
    assert_eq!(last(&run, "model_loading_gib"), 12.4037);
    assert_eq!(last(&run, "load_weights_s"), 2.51);
    assert_eq!(last(&run, "torch_compile_s"), 3.06);
    assert!(
        !run.summary.contains_key("graph_compile_cached_s"),
        "0.8.0 prints no time for it"
    );
    assert_eq!(last(&run, "kv_cache_tokens"), 140_928.0);
    assert_eq!(last(&run, "graph_capture_s"), 15.0);
    assert_eq!(last(&run, "init_engine_s"), 25.54);
    assert_eq!(last(&run, "initialize_engine_s"), 36.02);
    let ready = run.ready.as_ref().unwrap();
    assert_eq!((ready.line, ready.kind.as_str()), (17, "engine"));
    assert!(close(ready.at_s.unwrap(), 36.007));
}

#[test]
fn v0_9_two_ranks_last_line_versus_slowest_rank() {
    let l = ledger("v0.9.2-serve-tp2-ansi.log");
    let run = only_run(&l);
    let ids: Vec<&str> = run.processes.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "driver",
            "EngineCore_0 pid=5120",
            "VllmWorker rank=0 pid=5170",
            "VllmWorker rank=1 pid=5171"
        ]
    );
    assert_eq!(process(run, "EngineCore_0 pid=5120").role, Role::EngineCore);
    // Rank 1 printed its load first (line 17), rank 0 last (line 18): the paper keeps 4.21.
    assert_eq!(summary(run, "load_weights_s"), (4.21, 5.12, 2));
    assert_eq!(summary(run, "torch_compile_s"), (7.51, 7.63, 2));
    assert_eq!(summary(run, "graph_compile_cached_s"), (4.577, 4.577, 2));
    assert_eq!(summary(run, "kv_cache_gib"), (52.19, 52.21, 2));
    assert_eq!(summary(run, "memory_profiling_s"), (16.0, 17.0, 2));
    assert_eq!(last(run, "kv_cache_tokens"), 570_304.0);
    assert_eq!(last(run, "init_engine_s"), 37.93);
    assert_eq!(last(run, "startup_s"), 62.0);
    assert_eq!(last(run, "serve_ready_after_engine_s"), 2.0);
    let t = run.timeline.as_ref().unwrap();
    assert!(close(t.unaccounted_s, 19.47), "{}", t.unaccounted_s);
    let capture = t.gaps.iter().find(|g| g.after_line == 31).unwrap();
    assert_eq!((capture.duration_s, capture.unaccounted_s), (17.0, 0.0));
    assert_eq!(capture.covered_by[0], "graph_capture_s");
}

#[test]
fn v0_10_paper_patched_log_agrees_with_the_paper_parser() {
    let name = "v0.10.1.1-paper-patched.log";
    let run = ledger(name).runs.remove(0);
    let paper = crate::parse::parse_text(&text(name)).unwrap();
    use crate::parse::Stage;
    let pairs = [
        (Stage::TokenizerInit, "tokenizer_init_s"),
        (Stage::ModelInit, "model_init_s"),
        (Stage::LoadWeights, "load_weights_s"),
        (Stage::ModelLoading, "model_loading_s"),
        (Stage::DynamoTransformTime, "dynamo_transform_s"),
        (Stage::GraphCompileCached, "graph_compile_cached_s"),
        (Stage::TorchCompile, "torch_compile_s"),
        (Stage::GraphCapturing, "graph_capture_s"),
        (Stage::InitEngine, "init_engine_s"),
    ];
    for (stage, key) in pairs {
        assert_eq!(
            paper.stages.get(stage).map(|n| n.as_f64()),
            Some(last(&run, key)),
            "{key}"
        );
    }
    assert_eq!(last(&run, "memory_profiling_s"), 14.70);
    assert_eq!(last(&run, "kv_cache_gib"), 61.74);
    assert_eq!(last(&run, "initialize_engine_s"), 26.18);
    assert_eq!(run.vllm_version.as_deref(), Some("0.10.1.1"));
    assert!(run.complete);
}

#[test]
fn v0_11_docker_timestamps_are_the_clock() {
    let l = ledger("v0.11.2-docker-timestamps.log");
    assert_eq!(l.clock, Clock::Prefix);
    assert_eq!(l.resolution_s, Some(1e-6));
    assert!(
        l.warnings.iter().any(|w| w.contains("prefixed")),
        "{:?}",
        l.warnings
    );
    let run = only_run(&l);
    assert_eq!(last(run, "model_loading_s"), 27.200487);
    assert_eq!(last(run, "model_loading_gib"), 2.0513);
    assert_eq!(last(run, "graph_compile_general_shape_s"), 13.62);
    assert_eq!(last(run, "torch_compile_s"), 19.69);
    assert_eq!(last(run, "startup_s"), 71.396774);
    assert_eq!(last(run, "serve_ready_after_engine_s"), 1.503752);
    assert_eq!(run.ready.as_ref().unwrap().line, 26);
}

#[test]
fn v0_23_blockquoted_paste_new_wordings_and_a_four_minute_silence() {
    let l = ledger("v0.23-blockquote-paste.log");
    let run = only_run(&l);
    assert_eq!(
        run.vllm_version.as_deref(),
        Some("0.23.1rc1.dev531+ga65f93fb2")
    );
    assert_eq!(run.version_line, Some(7));
    assert_eq!(last(run, "torch_compile_s"), 75.32);
    assert_eq!(last(run, "initial_warmup_s"), 117.91);
    assert_eq!(last(run, "init_engine_s"), 443.17);
    assert_eq!(last(run, "init_engine_compilation_s"), 75.32);
    assert_eq!(last(run, "graph_compile_general_shape_s"), 59.23);
    assert_eq!(last(run, "model_loading_s"), 129.689615);
    assert_eq!(last(run, "weights_prefetch_s"), 0.77);
    assert_eq!(last(run, "mm_warmup_s"), 13.041);
    assert_eq!(last(run, "mm_warmup_readonly_s"), 0.604);
    assert_eq!(last(run, "graph_capture_estimate_gib"), 0.61);
    assert_eq!(last(run, "kv_cache_tokens"), 1_505_068.0);
    assert_eq!(last(run, "startup_s"), 630.0);
    let t = run.timeline.as_ref().unwrap();
    // 21:33:32 → 21:37:26 with no line: `Graph capturing finished in 3 secs` explains 3 s.
    let silence = t.gaps.iter().find(|g| g.after_line == 26).unwrap();
    assert_eq!(
        (
            silence.before_line,
            silence.duration_s,
            silence.unaccounted_s
        ),
        (27, 234.0, 231.0)
    );
    assert_eq!(silence.covered_by, ["graph_capture_s", "init_engine_s"]);
}

#[test]
fn a_crash_during_start_up_is_not_complete_and_names_the_error() {
    let l = ledger("crashed-v0.10.0-kv-cache.log");
    let run = only_run(&l);
    assert!(!run.complete);
    assert_eq!(run.ready, None);
    assert_eq!(run.completeness.error_line, Some(8));
    let error = run.completeness.error.as_deref().unwrap();
    assert!(
        error.starts_with("ValueError: To serve at least one request"),
        "{error}"
    );
    assert!(
        run.completeness.reason.contains("line 8"),
        "{}",
        run.completeness.reason
    );
    assert_eq!(last(run, "load_weights_s"), 2.02);
    assert!(!completeness(&text("crashed-v0.10.0-kv-cache.log")).complete);
}

#[test]
fn a_log_cut_mid_line_keeps_what_came_before_and_says_so() {
    let l = ledger("cut-mid-line.log");
    assert!(l.cut_mid_line);
    assert!(l.warnings[0].contains("line 6"), "{:?}", l.warnings);
    let run = only_run(&l);
    assert_eq!(last(run, "load_weights_s"), 2.88);
    // Half a number (`and 2.9`) is not read, and no span is made up from the half line.
    assert!(!run.summary.contains_key("model_loading_s"));
    assert!(!run.complete);
    assert!(
        run.completeness.reason.contains("line 6"),
        "{}",
        run.completeness.reason
    );
}

#[test]
fn two_runs_in_one_file_are_both_reported() {
    let name = "two-runs-cold-then-warm.log";
    let l = ledger(name);
    assert_eq!(l.runs.len(), 2);
    assert!(
        l.warnings.iter().any(|w| w.contains("2 runs")),
        "{:?}",
        l.warnings
    );
    let (cold, warm) = (&l.runs[0], &l.runs[1]);
    assert_eq!((cold.lines, warm.lines), ([1, 12], [13, 24]));
    assert_eq!(last(cold, "torch_compile_s"), 27.31);
    assert_eq!(last(cold, "graph_compile_general_shape_s"), 21.2);
    assert!(!cold.summary.contains_key("graph_compile_cached_s"));
    assert_eq!(last(warm, "torch_compile_s"), 6.11);
    assert_eq!(last(warm, "graph_compile_cached_s"), 4.61);
    assert_eq!(last(warm, "init_engine_s"), 14.10);
    assert_eq!(last(warm, "initialize_engine_s"), 25.02);
    assert!(cold.complete && warm.complete);
    assert_eq!(l.last_run().map(|r| r.lines), Some([13, 24]));
    assert!(completeness(&text(name)).complete);
}

#[test]
fn a_log_without_timestamps_still_gives_every_printed_duration() {
    let l = ledger("no-timestamps.log");
    assert_eq!(l.clock, Clock::None);
    let run = only_run(&l);
    assert_eq!(run.timeline, None);
    assert_eq!(last(run, "load_weights_s"), 5.43);
    assert_eq!(last(run, "model_loading_s"), 5.965132);
    assert_eq!(last(run, "dynamo_transform_s"), 4.2);
    // Two shapes compiled, 0.52 + 0.48 s: they add up.
    assert_eq!(value(run, "driver", "graph_compile_shapes_s").lines, 2);
    assert!(close(last(run, "graph_compile_shapes_s"), 1.0));
    assert_eq!(last(run, "graph_compile_general_shape_s"), 9.75);
    assert_eq!(last(run, "torch_compile_s"), 14.95);
    assert_eq!(last(run, "memory_profiling_s"), 16.02);
    assert_eq!(last(run, "init_engine_s"), 38.1);
    assert!(run.complete);
    assert_eq!(run.ready.as_ref().unwrap().at_s, None);
}

#[test]
fn ci_prefixes_and_the_cpu_builds_warm_up_silence() {
    let l = ledger("ci-prefix-cpu-build.log");
    assert_eq!(l.clock, Clock::Prefix);
    let run = only_run(&l);
    assert_eq!(run.vllm_version.as_deref(), Some("0.10.1.1"));
    assert_eq!(last(run, "init_engine_s"), 33.35);
    assert_eq!(last(run, "model_loading_s"), 0.781004);
    let t = run.timeline.as_ref().unwrap();
    let warmup = t.gaps.iter().find(|g| g.after_line == 10).unwrap();
    assert_eq!(warmup.duration_s, 33.22);
    assert_eq!(warmup.covered_by, ["init_engine_s"]);
    assert_eq!(warmup.unaccounted_s, 33.22);
    assert!(close(last(run, "startup_s"), 45.026544));
}

#[test]
fn not_a_vllm_log() {
    assert_eq!(
        ledger_of_text("x", &text("not-vllm.log"), Options::default()).err(),
        Some(2)
    );
    assert_eq!(ledger_of_text("x", "", Options::default()).err(), Some(0));
    assert!(!completeness("hello\n").complete);
}

#[test]
fn new_year_between_two_lines() {
    let log = "INFO 12-31 23:59:59.500 [a.py:1] Starting to load model m...\nINFO 01-01 00:00:02.000 [a.py:2] Model loading took 1.0 GiB and 2.5 seconds\n";
    let l = ledger_of_text("x", log, Options::default()).unwrap();
    let span = &l.runs[0].timeline.as_ref().unwrap().spans[0];
    assert_eq!(span.end_s, 2.5);
}

#[test]
fn the_table_fits_in_100_columns() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ledger");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let Ok(l) = ledger_of_file(&path, Options::default()) else {
            continue;
        };
        seen += 1;
        for line in table::render(&l).lines().skip(1) {
            assert!(line.chars().count() <= 100, "{}: {line:?}", path.display());
        }
    }
    assert!(seen >= 14, "{seen} fixtures");
}

#[test]
fn every_key_is_documented() {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/ledger.md"))
        .unwrap();
    for key in KEYS {
        assert!(
            doc.contains(&format!("`{}`", key.name)),
            "docs/ledger.md lacks `{}`",
            key.name
        );
    }
}

use super::*;
use crate::num::Num;

const NORMAL: &str = "\
DEBUG 02-16 13:27:42.012 [__init__.py:28] No plugins for group vllm.platform_plugins found.
INFO 02-16 13:27:42.046 [__init__.py:241] Automatically detected platform cuda.
DEBUG 02-16 13:27:43.525 [__init__.py:36] Available plugins for group vllm.general_plugins:
INFO 02-16 13:27:48.968 [scheduler.py:222] Chunked prefill is enabled with max_num_batched_tokens=2048.
INFO 02-16 13:27:49.216 [llm_engine.py:95] NEW: Init Tokenizer took 0.25 seconds
\u{1b}[1;36m(EngineCore_0 pid=51157)\u{1b}[0;0m INFO 02-16 13:27:49.234 [core.py:636] Waiting for init message from front-end.
\u{1b}[1;36m(EngineCore_0 pid=51157)\u{1b}[0;0m INFO 02-16 13:27:49.237 [core.py:74] Initializing a V1 LLM engine (v0.10.1.1) with config: model='./models/qwen-4b'
\u{1b}[1;36m(EngineCore_0 pid=51157)\u{1b}[0;0m INFO 02-16 13:27:51.012 [gpu_model_runner.py:1953] Starting to load model ./models/qwen-4b...
\u{1b}[1;36m(EngineCore_0 pid=51157)\u{1b}[0;0m INFO 02-16 13:27:51.361 [base_loader.py:48] NEW: Initializing Model took 0.13 seconds
\u{1b}[1;36m(EngineCore_0 pid=51157)\u{1b}[0;0m INFO 02-16 13:27:52.332 [default_loader.py:262] Loading weights took 0.97 seconds
\u{1b}[1;36m(EngineCore_0 pid=51157)\u{1b}[0;0m INFO 02-16 13:27:52.772 [gpu_model_runner.py:2007] Model loading took 7.4152 GiB and 1.103479 seconds
\u{1b}[1;36m(EngineCore_0 pid=51157)\u{1b}[0;0m INFO 02-16 13:28:00.078 [backends.py:559] Dynamo bytecode transform time: 7.09 s
\u{1b}[1;36m(EngineCore_0 pid=51157)\u{1b}[0;0m INFO 02-16 13:28:06.157 [backends.py:161] Directly load the compiled graph(s) for dynamic shape from the cache, took 5.747 s
\u{1b}[1;36m(EngineCore_0 pid=51157)\u{1b}[0;0m INFO 02-16 13:28:07.005 [monitor.py:34] torch.compile takes 7.09 s in total
\u{1b}[1;36m(EngineCore_0 pid=51157)\u{1b}[0;0m DEBUG 02-16 13:28:07.690 [gpu_worker.py:275] Memory profiling takes 14.70 seconds. Total non KV cache memory: 8.21GiB
\u{1b}[1;36m(EngineCore_0 pid=51157)\u{1b}[0;0m INFO 02-16 13:28:09.306 [gpu_model_runner.py:2708] Graph capturing finished in 1.33 secs, took 0.35 GiB
\u{1b}[1;36m(EngineCore_0 pid=51157)\u{1b}[0;0m INFO 02-16 13:28:09.313 [core.py:214] init engine (profile, create kv cache, warmup model) took 16.54 seconds
\u{1b}[1;36m(EngineCore_0 pid=51157)\u{1b}[0;0m DEBUG 02-16 13:28:09.698 [core.py:696] EngineCore exiting.
initialize_engine took 26.18 seconds
";

fn stage(log: &ParsedLog, stage: Stage) -> Option<f64> {
    log.stages.get(stage).map(Num::as_f64)
}

#[test]
fn normal_log_gives_every_stage() {
    let log = parse_text(NORMAL).unwrap();
    assert_eq!(stage(&log, Stage::DetectPlatform), Some(0.034));
    assert_eq!(stage(&log, Stage::LlmImports), Some(1.479));
    assert_eq!(stage(&log, Stage::GetModelInfo), Some(5.443));
    assert_eq!(stage(&log, Stage::WorkerInit), Some(1.778));
    assert_eq!(stage(&log, Stage::TokenizerInit), Some(0.25));
    assert_eq!(stage(&log, Stage::ModelInit), Some(0.13));
    assert_eq!(stage(&log, Stage::LoadWeights), Some(0.97));
    assert_eq!(stage(&log, Stage::ModelLoading), Some(1.103479));
    assert_eq!(stage(&log, Stage::DynamoTransformTime), Some(7.09));
    assert_eq!(stage(&log, Stage::GraphCompileGeneralShape), None);
    assert_eq!(stage(&log, Stage::GraphCompileCached), Some(5.747));
    assert_eq!(stage(&log, Stage::TorchCompile), Some(7.09));
    // 14.70 - (7.09 + 5.747), as Python computes it
    assert_eq!(
        stage(&log, Stage::KvCacheProfiling),
        Some(14.70 - (7.09 + 5.747))
    );
    assert_eq!(stage(&log, Stage::GraphCapturing), Some(1.33));
    assert_eq!(stage(&log, Stage::InitEngine), Some(16.54));
    let bootstrap = 0.034 + 1.479 + 5.443 + 1.778;
    assert_eq!(stage(&log, Stage::FrameworkBootstrap), Some(bootstrap));
    assert_eq!(
        stage(&log, Stage::TotalTime),
        Some(0.0 + bootstrap + 1.103479 + 16.54 + 0.25)
    );
    assert_eq!(stage(&log, Stage::ActualTotalTime), Some(27.686));
    assert_eq!(log.initialize_engine, Some(26.18));
    assert_eq!(log.vllm_version.as_deref(), Some("0.10.1.1"));
}

#[test]
fn missing_stages_are_none_and_sums_stay_python_ints() {
    let log = parse_text("INFO 01-01 00:00:00.000 start\nINFO 01-01 00:00:01.500 end\n").unwrap();
    assert_eq!(log.stages.get(Stage::LoadWeights), None);
    assert!(matches!(
        log.stages.get(Stage::FrameworkBootstrap),
        Some(Num::Int(0))
    ));
    assert!(matches!(
        log.stages.get(Stage::TotalTime),
        Some(Num::Int(0))
    ));
    assert_eq!(stage(&log, Stage::ActualTotalTime), Some(1.5));
}

#[test]
fn crashed_run_keeps_what_it_logged() {
    // A run that died during weight loading: no init_engine, no total beyond what was logged.
    let text: String = NORMAL
        .lines()
        .take(10)
        .map(|l| format!("{l}\n"))
        .collect::<String>()
        + "Traceback (most recent call last):\nRuntimeError: CUDA out of memory\n";
    let log = parse_text(&text).unwrap();
    assert_eq!(stage(&log, Stage::LoadWeights), Some(0.97));
    assert_eq!(stage(&log, Stage::InitEngine), None);
    assert_eq!(stage(&log, Stage::ActualTotalTime), Some(10.32));
}

#[test]
fn truncated_line_without_number_counts_as_python_zero() {
    let text = "INFO 01-01 00:00:00.000 x\nINFO 01-01 00:00:01.000 Loading weights took ";
    let log = parse_text(text).unwrap();
    assert!(matches!(
        log.stages.get(Stage::LoadWeights),
        Some(Num::Int(0))
    ));
}

#[test]
fn load_weights_deduced_when_not_logged() {
    let text = "INFO 01-01 00:00:00.000 Initializing Model took 0.5 seconds\n\
                INFO 01-01 00:00:02.000 Model loading took 3.0 GiB and 2.25 seconds\n";
    let log = parse_text(text).unwrap();
    assert_eq!(stage(&log, Stage::LoadWeights), Some(1.75));
}

#[test]
fn errors_the_paper_skips_the_log_for() {
    assert!(matches!(parse_text(""), Err(LogError::Empty)));
    assert!(matches!(
        parse_text("no timestamp here\nINFO 01-01 00:00:00.000 x\n"),
        Err(LogError::FirstLineWithoutTimestamp)
    ));
    assert!(matches!(
        parse_text("INFO 02-29 00:00:00.000 x\n"),
        Err(LogError::BadTimestamp { line: 1, .. })
    ));
    assert!(matches!(
        parse_text("INFO 01-01 00:00:00.000 Loading weights took 1.2.3 seconds\n"),
        Err(LogError::BadNumber { line: 1, .. })
    ));
    assert!(matches!(
        parse_text("INFO 01-01 00:00:00.000 No plugins for group x\ndetected platform cuda\n"),
        Err(LogError::MarkerWithoutTimestamp { line: 2, .. })
    ));
    assert!(matches!(
        decode(b"ok\n\xff\n"),
        Err(LogError::NotUtf8 { line: 2 })
    ));
}

#[test]
fn older_vllm_log_reads_engine_init_only() {
    let text = "INFO 03-01 10:00:00 llm_engine.py:87] Initializing an LLM engine with config\n\
                INFO 03-01 10:00:09 model_runner.py:104] Loading model weights took 12.5 GB\n\
                initialize_engine took 31.42 seconds\n";
    let log = parse_text(text).unwrap();
    assert_eq!(log.initialize_engine, Some(31.42));
    assert_eq!(stage(&log, Stage::ActualTotalTime), Some(9.0));
    assert_eq!(stage(&log, Stage::LoadWeights), None);
}

#[test]
fn universal_newlines() {
    assert_eq!(split_lines("a\r\nb\rc\nd"), vec!["a", "b", "c", "d"]);
    assert_eq!(split_lines("a\n"), vec!["a"]);
}

/// The byte-by-byte split the memchr one replaced, on every string of up to 8 characters
/// drawn from `a`, `\r` and `\n`.
#[test]
fn universal_newlines_as_the_byte_loop_splits() {
    fn byte_loop(text: &str) -> Vec<&str> {
        let (mut lines, bytes, mut start, mut i) = (Vec::new(), text.as_bytes(), 0, 0);
        while i < bytes.len() {
            if bytes[i] == b'\n' || bytes[i] == b'\r' {
                lines.push(&text[start..i]);
                if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                start = i + 1;
            }
            i += 1;
        }
        if start < bytes.len() {
            lines.push(&text[start..]);
        }
        lines
    }
    let mut texts = vec![String::new()];
    for _ in 0..8 {
        let longer: Vec<String> = texts
            .iter()
            .flat_map(|t| ["a", "\r", "\n"].map(|c| format!("{t}{c}")))
            .collect();
        for text in &longer {
            assert_eq!(split_lines(text), byte_loop(text), "{text:?}");
        }
        texts = longer;
    }
}

#[test]
fn the_line_that_ends_each_stage_is_known() {
    use super::stage_ended;
    assert_eq!(
        stage_ended(
            "INFO 11-23 12:00:00.000 [__init__.py:241] Automatically detected platform cuda."
        ),
        Some(Stage::DetectPlatform)
    );
    assert_eq!(
        stage_ended(
            "INFO 11-23 12:00:01.000 [default_loader.py:262] Loading weights took 2.10 seconds"
        ),
        Some(Stage::LoadWeights)
    );
    assert_eq!(stage_ended("DEBUG nothing here"), None);
}

//! The paper's `profile_log.py`, rule for rule: which line sets which stage, the timestamp
//! differences, the `x or 0` sums and the fix-ups at the end. Every quirk is kept on purpose,
//! because the published numbers were made with it (see each comment).

use super::ascii::TwoForms;
use super::words::Words;

use super::stage::{Stage, StageTimings};
use super::timestamp::{self, Timestamp};
use super::LogError;
use crate::num::Num;

/// A line that holds a duration, `(marker, regex with one group, stage)`, in the order of the
/// paper's `if/elif` chain: the first marker found on a line wins.
struct DurationRule {
    marker: &'static str,
    pattern: TwoForms,
    stage: Stage,
}

static DURATION_RULES: [DurationRule; 11] = [
    DurationRule {
        marker: "Loading weights took",
        pattern: TwoForms::new(r"Loading weights took ([\d.]+) seconds"),
        stage: Stage::LoadWeights,
    },
    DurationRule {
        marker: "Model loading took",
        pattern: TwoForms::new(r"GiB and ([\d.]+) seconds"),
        stage: Stage::ModelLoading,
    },
    DurationRule {
        marker: "Graph capturing finished",
        pattern: TwoForms::new(r"finished in ([\d.]+) secs"),
        stage: Stage::GraphCapturing,
    },
    DurationRule {
        marker: "init engine (profile, create kv cache, warmup model)",
        pattern: TwoForms::new(r"took ([\d.]+) seconds"),
        stage: Stage::InitEngine,
    },
    DurationRule {
        marker: "Dynamo bytecode transform time",
        pattern: TwoForms::new(r"time: ([\d.]+) s"),
        stage: Stage::DynamoTransformTime,
    },
    DurationRule {
        marker: "Compiling a graph for",
        pattern: TwoForms::new(r"takes ([\d.]+) s"),
        stage: Stage::GraphCompileGeneralShape,
    },
    DurationRule {
        marker: "Directly load the compiled",
        pattern: TwoForms::new(r"took ([\d.]+) s"),
        stage: Stage::GraphCompileCached,
    },
    DurationRule {
        marker: "torch.compile takes",
        pattern: TwoForms::new(r"takes ([\d.]+) s in total"),
        stage: Stage::TorchCompile,
    },
    DurationRule {
        marker: "Memory profiling takes",
        pattern: TwoForms::new(r"takes ([\d.]+) seconds"),
        stage: Stage::KvCacheProfiling,
    },
    DurationRule {
        marker: "Init Tokenizer took",
        pattern: TwoForms::new(r"took ([\d.]+) seconds"),
        stage: Stage::TokenizerInit,
    },
    DurationRule {
        marker: "Initializing Model took",
        pattern: TwoForms::new(r"took ([\d.]+) seconds"),
        stage: Stage::ModelInit,
    },
];

/// Python's `float()` of the captured text; `[\d.]+` can capture `1.2.3` or `.`, which Python
/// rejects and so does this.
fn extract_time(line: &str, regex: &TwoForms, line_no: usize) -> Result<Num, LogError> {
    match regex.for_text(line).captures(line) {
        // `extract_time` returns the int 0 when the marker is there but the pattern is not.
        None => Ok(Num::ZERO),
        Some(caps) => {
            let text = &caps[1];
            text.parse::<f64>()
                .map(Num::Float)
                .map_err(|_| LogError::BadNumber {
                    line: line_no,
                    text: text.to_string(),
                })
        }
    }
}

fn timestamp_at(line: &str, line_no: usize) -> Result<Option<Timestamp>, LogError> {
    timestamp::extract(line).map_err(|source| LogError::BadTimestamp {
        line: line_no,
        source,
    })
}

/// `end - start` where the paper subtracts: a marker line without a timestamp while the start is
/// known is a `TypeError` in Python, and an error here.
fn elapsed(
    end: Option<Timestamp>,
    start: Option<Timestamp>,
    marker: &'static str,
    line_no: usize,
) -> Result<Option<Num>, LogError> {
    match (start, end) {
        (None, _) => Ok(None),
        (Some(_), None) => Err(LogError::MarkerWithoutTimestamp {
            line: line_no,
            marker,
        }),
        (Some(start), Some(end)) => Ok(Some(Num::Float(end.seconds_since(start)))),
    }
}

/// Markers of the timestamp-difference stages (the second chain of `profile_log.py`).
#[derive(Default)]
struct Marks {
    detect_platform_start: Option<Timestamp>,
    detect_platform_end: Option<Timestamp>,
    llm_imports_end: Option<Timestamp>,
    worker_init_start: Option<Timestamp>,
}

/// The words of [`apply_marker_line`]'s branches.
const MARKER_LINE_WORDS: [&str; 6] = [
    "No plugins for group",
    "detected platform",
    "Available plugins for group",
    "Chunked prefill is",
    "Waiting for init message",
    "Starting to load model",
];

/// Every word a line must hold for [`stage_timings`] to take anything from it: the duration
/// rules' markers and the marker lines' words.
static MARKER_WORDS: Words = Words::new(|| {
    DURATION_RULES
        .iter()
        .map(|r| r.marker)
        .chain(MARKER_LINE_WORDS)
        .collect()
});

fn apply_marker_line(
    line: &str,
    line_no: usize,
    marks: &mut Marks,
    timings: &mut StageTimings,
) -> Result<(), LogError> {
    if line.contains("No plugins for group") {
        marks.detect_platform_start = timestamp_at(line, line_no)?;
    } else if line.contains("detected platform") {
        let end = timestamp_at(line, line_no)?;
        marks.detect_platform_end = end;
        if let Some(v) = elapsed(
            end,
            marks.detect_platform_start,
            "detected platform",
            line_no,
        )? {
            timings.set(Stage::DetectPlatform, Some(v));
        }
    } else if line.contains("Available plugins for group") {
        let end = timestamp_at(line, line_no)?;
        marks.llm_imports_end = end;
        if let Some(v) = elapsed(
            end,
            marks.detect_platform_end,
            "Available plugins for group",
            line_no,
        )? {
            timings.set(Stage::LlmImports, Some(v));
        }
    } else if line.contains("Chunked prefill is") {
        let end = timestamp_at(line, line_no)?;
        if let Some(v) = elapsed(end, marks.llm_imports_end, "Chunked prefill is", line_no)? {
            timings.set(Stage::GetModelInfo, Some(v));
        }
    } else if line.contains("Waiting for init message") {
        marks.worker_init_start = timestamp_at(line, line_no)?;
    } else if line.contains("Starting to load model") {
        let end = timestamp_at(line, line_no)?;
        if let Some(v) = elapsed(
            end,
            marks.worker_init_start,
            "Starting to load model",
            line_no,
        )? {
            timings.set(Stage::WorkerInit, Some(v));
        }
    }
    Ok(())
}

/// The markers of the lines that end a stage without printing its time: the stage is the span
/// from an earlier marker's timestamp to this one's.
const STAGE_END_MARKERS: [(&str, Stage); 4] = [
    ("detected platform", Stage::DetectPlatform),
    ("Available plugins for group", Stage::LlmImports),
    ("Chunked prefill is", Stage::GetModelInfo),
    ("Starting to load model", Stage::WorkerInit),
];

/// The stage a log line ends, by the parser's own markers (for progress: what runs next).
pub fn stage_ended(line: &str) -> Option<Stage> {
    DURATION_RULES
        .iter()
        .find(|rule| line.contains(rule.marker))
        .map(|rule| rule.stage)
        .or_else(|| {
            STAGE_END_MARKERS
                .iter()
                .find(|(marker, _)| line.contains(marker))
                .map(|(_, stage)| *stage)
        })
}

/// The indices of the lines of `text` (`lines`, its lines in order) that hold a marker word,
/// from one scan of the whole text: no word holds a line break, so each match lies inside a
/// line, and after a match the scan goes on at the next line. (A scan of each line was a
/// search started per line, most of the paper's parser's time.)
fn marker_lines(text: &str, lines: &[&str]) -> Vec<usize> {
    let base = text.as_ptr() as usize;
    let end_of = |line: &str| line.as_ptr() as usize - base + line.len();
    let mut found = Vec::new();
    let mut index = 0;
    let mut at = 0;
    while let Some(hit) = MARKER_WORDS.find_at(text, at) {
        while index < lines.len() && end_of(lines[index]) <= hit {
            index += 1;
        }
        let Some(line) = lines.get(index) else {
            break;
        };
        found.push(index);
        at = end_of(line);
        index += 1;
    }
    found
}

/// `profile_log.main` on the lines of one log (`lines`, the lines of `text`).
pub fn stage_timings(text: &str, lines: &[&str]) -> Result<StageTimings, LogError> {
    let mut timings = StageTimings::default();
    timings.set(Stage::TotalTime, Some(Num::ZERO));
    timings.set(Stage::ActualTotalTime, Some(Num::ZERO));
    let mut marks = Marks::default();

    // Most lines hold none of the markers: only those that do are read.
    for index in marker_lines(text, lines) {
        let line = lines[index];
        let line_no = index + 1;
        if let Some(rule_index) = DURATION_RULES
            .iter()
            .position(|rule| line.contains(rule.marker))
        {
            let value = extract_time(line, &DURATION_RULES[rule_index].pattern, line_no)?;
            timings.set(DURATION_RULES[rule_index].stage, Some(value));
        }
        apply_marker_line(line, line_no, &mut marks, &mut timings)?;
    }

    // KV cache profiling, as logged, includes torch.compile and loading the cached graphs.
    let cached = Num::or_zero(timings.get(Stage::GraphCompileCached));
    let compile = Num::or_zero(timings.get(Stage::TorchCompile));
    if let Some(kv) = timings.get(Stage::KvCacheProfiling) {
        timings.set(Stage::KvCacheProfiling, Some(kv - (compile + cached)));
    }

    // actual_total_time: from the first line's timestamp to the last timestamp in the log.
    let first_line = lines.first().ok_or(LogError::Empty)?;
    let first = timestamp_at(first_line, 1)?.ok_or(LogError::FirstLineWithoutTimestamp)?;
    let mut last = None;
    for (index, line) in lines.iter().enumerate().rev() {
        last = timestamp_at(line, index + 1)?;
        if last.is_some() {
            break;
        }
    }
    let last = last.expect("the first line has a timestamp, so some line does");
    timings.set(
        Stage::ActualTotalTime,
        Some(Num::Float(last.seconds_since(first))),
    );

    let bootstrap = [
        Stage::DetectPlatform,
        Stage::LlmImports,
        Stage::GetModelInfo,
        Stage::WorkerInit,
    ]
    .map(|stage| Num::or_zero(timings.get(stage)));
    let bootstrap = bootstrap[0] + bootstrap[1] + bootstrap[2] + bootstrap[3];
    timings.set(Stage::FrameworkBootstrap, Some(bootstrap));

    let mut total = Num::ZERO;
    for stage in [
        Stage::FrameworkBootstrap,
        Stage::ModelLoading,
        Stage::InitEngine,
        Stage::TokenizerInit,
    ] {
        if let Some(v) = timings.get(stage) {
            total = total + v;
        }
    }
    timings.set(Stage::TotalTime, Some(total));

    // Some loaders (bitsandbytes) do not log load_weights: the paper deduces it.
    if timings.get(Stage::LoadWeights).is_none() {
        if let (Some(loading), Some(init)) = (
            timings.get(Stage::ModelLoading),
            timings.get(Stage::ModelInit),
        ) {
            timings.set(Stage::LoadWeights, Some(loading - init));
        }
    }
    Ok(timings)
}

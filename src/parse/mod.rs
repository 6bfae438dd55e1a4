//! One vLLM log → its stage timings, with the paper's definitions (`profile_log.py`).
//!
//! `profile` holds the rules of the vLLM 0.10 logs with the paper's profiling patches (the V1
//! engine; older versions simply lack some lines, which become `None`). Figure 1 times older
//! releases by the harness's own `initialize_engine took X seconds` line, read by [`engine_init`].

mod ascii;
pub mod ledger;
mod profile;
mod stage;
mod timestamp;
mod words;

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

use ascii::TwoForms;

pub use ledger::{completeness, Completeness};
pub use profile::stage_ended;
pub use stage::{Stage, StageTimings, UnknownStage};
pub use timestamp::BadTimestamp;

/// Why a log could not be read; the paper's `compare_logs.py` skips such a log ("Error parsing").
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("the log is empty")]
    Empty,
    #[error("line 1 has no timestamp, so the run's total time is unknown (is this a vLLM log?)")]
    FirstLineWithoutTimestamp,
    #[error("line {line}: {source}")]
    BadTimestamp { line: usize, source: BadTimestamp },
    #[error("line {line}: `{text}` is not a number")]
    BadNumber { line: usize, text: String },
    #[error("line {line}: a `{marker}` line without a timestamp")]
    MarkerWithoutTimestamp { line: usize, marker: &'static str },
    #[error("line {line}: not UTF-8 text")]
    NotUtf8 { line: usize },
}

/// A log that could not be read, with its path.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("cannot read `{}`: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("`{}`: {source}", path.display())]
    Log { path: PathBuf, source: LogError },
}

/// What one log says.
#[derive(Debug, Clone, Serialize)]
pub struct ParsedLog {
    pub stages: StageTimings,
    /// `initialize_engine took X seconds`, printed by the engine harness (figure 1); the last
    /// one where a log holds several.
    pub initialize_engine: Option<f64>,
    /// From `Initializing a V1 LLM engine (v0.10.1.1)`, where the log says.
    pub vllm_version: Option<String>,
}

/// Python's universal newlines: `\n`, `\r\n` and `\r` all end a line.
pub fn split_lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let bytes = text.as_bytes();
    let mut start = 0;
    // The line ends found with SIMD (memchr), not byte by byte: this ran over every byte of
    // every log and was an eighth of `repro table`'s time.
    for i in memchr::memchr2_iter(b'\n', b'\r', bytes) {
        if i < start {
            continue; // the `\n` of a `\r\n`, already taken
        }
        lines.push(&text[start..i]);
        start = i + 1;
        if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
            start = i + 2;
        }
    }
    if start < bytes.len() {
        lines.push(&text[start..]);
    }
    lines
}

static ENGINE_INIT: TwoForms = TwoForms::new(r"initialize_engine took ([\d.]+) seconds");
static VLLM_VERSION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"LLM engine \(v([0-9][0-9A-Za-z.+_-]*)\)").expect("valid regex"));

/// The harness's `initialize_engine took X seconds` (figure 1's number), the last one.
pub fn engine_init(lines: &[&str]) -> Option<f64> {
    lines.iter().rev().find_map(|line| {
        ENGINE_INIT
            .for_text(line)
            .captures(line)
            .and_then(|c| c[1].parse().ok())
    })
}

fn vllm_version(lines: &[&str]) -> Option<String> {
    lines
        .iter()
        .find_map(|line| VLLM_VERSION.captures(line).map(|c| c[1].to_string()))
}

/// Parse the text of one log.
pub fn parse_text(text: &str) -> Result<ParsedLog, LogError> {
    let lines = split_lines(text);
    Ok(ParsedLog {
        stages: profile::stage_timings(text, &lines)?,
        initialize_engine: engine_init(&lines),
        vllm_version: vllm_version(&lines),
    })
}

/// Bytes → text as Python's `open(path, "r")` would decode them (UTF-8), naming the bad line.
pub fn decode(bytes: &[u8]) -> Result<&str, LogError> {
    std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1;
        LogError::NotUtf8 { line }
    })
}

/// Read and parse one log file.
pub fn parse_file(path: &Path) -> Result<ParsedLog, ParseError> {
    let bytes = std::fs::read(path).map_err(|source| ParseError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let log_error = |source| ParseError::Log {
        path: path.to_path_buf(),
        source,
    };
    parse_text(decode(&bytes).map_err(log_error)?).map_err(log_error)
}

/// Read and parse one log file, and say whether the engine got to the end of its start-up
/// (the paper's numbers are the same either way; a cut or crashed log's are partial).
pub fn parse_file_checked(path: &Path) -> Result<(ParsedLog, Completeness), ParseError> {
    let bytes = std::fs::read(path).map_err(|source| ParseError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_bytes_checked(path, &bytes)
}

/// [`parse_file_checked`] on bytes already read from `path`.
pub fn parse_bytes_checked(
    path: &Path,
    bytes: &[u8],
) -> Result<(ParsedLog, Completeness), ParseError> {
    let log_error = |source| ParseError::Log {
        path: path.to_path_buf(),
        source,
    };
    let text = decode(bytes).map_err(log_error)?;
    let parsed = parse_text(text).map_err(log_error)?;
    Ok((parsed, completeness(text)))
}

#[cfg(test)]
mod tests;

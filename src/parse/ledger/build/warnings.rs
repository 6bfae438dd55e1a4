//! What a reader of a ledger should know about the file (`Ledger::warnings`): a cut last
//! line, several runs, the clock the time line uses.

use super::{Clock, Read, Run};

/// The file's last line has no newline.
pub(super) fn cut_warning(total_lines: usize, cut_values: bool) -> String {
    let numbers = if cut_values {
        "; its numbers are not read"
    } else {
        ""
    };
    format!(
        "line {total_lines} has no newline at the end: the file was cut while the line was written{numbers}"
    )
}

/// The file holds more than one run.
pub(super) fn several_runs_warning(runs: &[Run]) -> Option<String> {
    if runs.len() < 2 {
        return None;
    }
    let spans: Vec<String> = runs
        .iter()
        .map(|r| format!("{}–{}", r.lines[0], r.lines[1]))
        .collect();
    Some(format!(
        "{} runs in one file (lines {}): each is reported; a single number (and `complete`) comes from the last",
        runs.len(),
        spans.join(", ")
    ))
}

/// No time line (no timestamps), or one on a clock other than vLLM's own.
pub(super) fn clock_warning(clock: Clock, reads: &[Read]) -> Option<&'static str> {
    match clock {
        Clock::None => Some("no line has a timestamp: the durations as printed, no time line"),
        Clock::Prefix if reads.iter().any(|r| r.line.vllm.is_some()) => Some(
            "the time line uses the timestamps the lines are prefixed with (docker, CI), not vLLM's own",
        ),
        _ => None,
    }
}

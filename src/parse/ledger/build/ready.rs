//! Where a run's start-up ended (the ready line of the API server, the engine or the harness,
//! or V0's last step) and whether it got there or crashed on the way, in words.

use super::{clip, Completeness, Marker, Read};

/// `0.6.4` → `(0, 6, 4)`; the leading numbers of a version.
fn version_tuple(v: &str) -> (u32, u32, u32) {
    let mut parts = v
        .split(|c: char| !c.is_ascii_digit())
        .map(|p| p.parse().unwrap_or(0));
    (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    )
}

fn marker_lines(reads: &[Read], wanted: fn(Marker) -> bool) -> Vec<usize> {
    reads
        .iter()
        .filter(|r| r.reading.marker.is_some_and(wanted))
        .map(|r| r.line.no)
        .collect()
}

pub(super) fn find_ready(
    reads: &[Read],
    engine: Option<&str>,
    version: Option<&str>,
) -> Option<(usize, &'static str)> {
    if let Some(&line) = marker_lines(reads, |m| m == Marker::ServerReady).last() {
        return Some((line, "server"));
    }
    if let Some(&line) = marker_lines(reads, |m| m == Marker::EngineReady).last() {
        return Some((line, "engine"));
    }
    if let Some(&line) = marker_lines(reads, |m| m == Marker::HarnessReady).last() {
        return Some((line, "harness"));
    }
    // V0 before 0.6.5 prints no ready line: its last start-up step (the CUDA graphs, or the
    // KV cache where graphs are off) is where the engine is ready.
    let old_v0 = engine != Some("v1") && version.is_none_or(|v| version_tuple(v) < (0, 6, 5));
    if old_v0 {
        let last = marker_lines(reads, |m| {
            matches!(m, Marker::GraphCaptured | Marker::KvCacheSized)
        });
        if let Some(&line) = last.last() {
            return Some((line, "last_step"));
        }
    }
    None
}

/// The message of the error a traceback ends with (`RuntimeError: …`).
fn error_after(reads: &[Read], from: usize) -> Option<(usize, String)> {
    reads
        .iter()
        .filter(|r| r.line.no >= from)
        .find(|r| is_exception(&r.line.message))
        .map(|r| (r.line.no, clip(r.line.message.trim(), 200)))
}

/// `ValueError: …`, `torch.OutOfMemoryError: …`: the line a Python traceback ends with.
fn is_exception(message: &str) -> bool {
    let m = message.trim_start();
    let Some((head, _)) = m.split_once(':') else {
        return false;
    };
    !head.is_empty()
        && !head.contains(' ')
        && (head.ends_with("Error") || head.ends_with("Exception") || head == "KeyboardInterrupt")
}

pub(super) fn judge(reads: &[Read], ready: Option<&(usize, &'static str)>) -> Completeness {
    let problems = marker_lines(reads, |m| matches!(m, Marker::Traceback | Marker::Fatal));
    let last_line = reads.last().map_or(0, |r| r.line.no);
    match ready {
        Some((line, kind)) => match problems.iter().find(|p| *p > line) {
            None => Completeness {
                complete: true,
                reason: format!(
                    "start-up finished: {} ready at line {line}",
                    kind_words(kind)
                ),
                error_line: None,
                error: None,
            },
            Some(&bad) => {
                let error = error_after(reads, bad);
                Completeness {
                    complete: false,
                    reason: format!(
                        "a traceback at line {bad}, after the {} was ready at line {line}{}",
                        kind_words(kind),
                        error
                            .as_ref()
                            .map_or(String::new(), |(_, e)| format!(": {e}"))
                    ),
                    error_line: Some(bad),
                    error: error.map(|(_, e)| e),
                }
            }
        },
        None => {
            let last_message = reads
                .iter()
                .rev()
                .find(|r| !r.line.message.trim().is_empty())
                .map(|r| clip(r.line.message.trim(), 60))
                .unwrap_or_default();
            match problems.first() {
                Some(&bad) => {
                    let error = error_after(reads, bad);
                    let what = reads
                        .iter()
                        .find(|r| r.line.no == bad)
                        .map(|r| clip(r.line.message.trim(), 60))
                        .unwrap_or_default();
                    Completeness {
                        complete: false,
                        reason: format!(
                            "crashed during start-up at line {bad} (`{what}`){}",
                            error.as_ref().map_or(String::new(), |(l, e)| format!("; line {l}: {}", clip(e, 120)))
                        ),
                        error_line: Some(bad),
                        error: error.map(|(_, e)| e),
                    }
                }
                None => Completeness {
                    complete: false,
                    reason: format!(
                        "cut before the engine was ready: no `init engine … took`, `initialize_engine took` or API-server line; the log stops at line {last_line} (`{last_message}`)"
                    ),
                    error_line: None,
                    error: None,
                },
            }
        }
    }
}

fn kind_words(kind: &str) -> &'static str {
    match kind {
        "server" => "API server",
        "engine" => "engine",
        "harness" => "harness's engine",
        _ => "V0 engine (its last start-up step)",
    }
}

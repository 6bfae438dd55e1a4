//! Whether a log's start-up reached its end, without building its ledger.
//!
//! `repro table` asks this of every log, and a whole ledger (every line taken apart, every
//! rule tried on it) cost four times the paper's own parser. The judgement needs few lines:
//! those that can carry a marker or a version (found by one scan of the text for the words
//! without which no rule matches), the lines that can name an engine-core process, the first
//! line with vLLM's header (is it vLLM at all?), the last lines (where and how the log stops)
//! and, after a traceback, the lines where its error may be. Only those are taken apart; the
//! same run split and [`super::build::run_completeness`] then judge them, so the answer is the
//! ledger's own (a test compares both on every fixture, cut at every line).

use std::collections::BTreeSet;

use super::build::{self, Read};
use super::line;
use super::rules::{self, Marker, Reading};
use super::Completeness;
use crate::parse::words::Words;

/// The words some line must hold for [`rules::read`] to find anything on it.
static TELLING: Words = Words::new(|| rules::telling_words().collect());

/// The judgement of the file's last run, as `ledger(…)` gives it; `None` where no line is
/// vLLM's (no header, nothing a rule reads).
pub fn completeness(text: &str) -> Option<Completeness> {
    let lines = split_newlines(text);
    // Colour codes never hold a line break, so the text without them keeps its lines, and a
    // word found there is on the message `line::split` reads (which takes them out too).
    let plain = line::without_colour(text);
    let plain_starts = line_starts(&plain);
    let mut wanted = telling_lines(&plain, &plain_starts);
    // The first line with vLLM's header: is it vLLM's at all (where nothing a rule reads says so).
    if let Some(i) =
        (0..lines.len()).find(|&i| line::pieces(i + 1, lines[i]).any(|l| l.level.is_some()))
    {
        wanted.insert(i);
    }
    // The last lines, up to the last one with a message: where and how the log stops.
    for i in (0..lines.len()).rev() {
        wanted.insert(i);
        if line::pieces(i + 1, lines[i]).any(|l| !l.message.trim().is_empty()) {
            break;
        }
    }
    let mut reads = read_lines(&lines, &wanted);
    // Every line from the first traceback on: the error a traceback ends with is one of them.
    let first_problem = reads
        .iter()
        .find(|r| matches!(r.reading.marker, Some(Marker::Traceback | Marker::Fatal)))
        .map(|r| r.line.no - 1);
    if let Some(from) = first_problem {
        wanted.extend(from..lines.len());
        reads = read_lines(&lines, &wanted);
    }
    forget_a_cut_number(text, &mut reads);
    if !reads
        .iter()
        .any(|r| r.line.level.is_some() || r.reading.is_vllm())
    {
        return None;
    }
    let mut last_run = build::split_runs(&reads).pop()?;
    // Without a ready line or an engine banner, whether an engine core process logs decides
    // (V0 before 0.6.5 has no ready line): every line that may name one.
    let run = &reads[last_run.clone()];
    let ready_or_banner = run.iter().any(|r| {
        matches!(
            r.reading.marker,
            Some(
                Marker::ServerReady
                    | Marker::EngineReady
                    | Marker::HarnessReady
                    | Marker::EngineBanner { .. }
            )
        )
    });
    if !ready_or_banner {
        let before = wanted.len();
        wanted.extend(
            plain
                .match_indices("EngineCore")
                .map(|(at, _)| line_at(&plain_starts, at)),
        );
        if wanted.len() > before {
            reads = read_lines(&lines, &wanted);
            forget_a_cut_number(text, &mut reads);
            last_run = build::split_runs(&reads).pop()?;
        }
    }
    Some(build::run_completeness(&reads[last_run]))
}

/// The lines (indices) holding a telling word: after a word is found, the search goes on at
/// the next line (which word, and how many, does not matter).
fn telling_lines(text: &str, starts: &[usize]) -> BTreeSet<usize> {
    let mut found = BTreeSet::new();
    let mut at = 0;
    while let Some(hit) = TELLING.find_at(text, at) {
        let line = line_at(starts, hit);
        found.insert(line);
        match starts.get(line + 1) {
            Some(&next) => at = next,
            None => break,
        }
    }
    found
}

/// `text.split('\n')`, the line ends found with memchr.
fn split_newlines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut start = 0;
    for end in memchr::memchr_iter(b'\n', text.as_bytes()) {
        lines.push(&text[start..end]);
        start = end + 1;
    }
    lines.push(&text[start..]);
    lines
}

/// The byte where each line (of `text.split('\n')`) starts.
fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|end| end + 1))
        .collect()
}

/// The index of the line holding byte `offset`.
fn line_at(starts: &[usize], offset: usize) -> usize {
    starts.partition_point(|&s| s <= offset) - 1
}

/// The pieces of the `wanted` lines (indices), in order, each read.
fn read_lines<'a>(lines: &[&'a str], wanted: &BTreeSet<usize>) -> Vec<Read<'a>> {
    wanted
        .iter()
        .flat_map(|&i| line::pieces(i + 1, lines[i]))
        .map(|line| Read {
            reading: rules::read(&line.message),
            line,
            t: None,
        })
        .collect()
}

/// A last line cut while it was written can hold half a number: the ledger reads nothing of
/// it (so it marks nothing either).
fn forget_a_cut_number(text: &str, reads: &mut [Read]) {
    if text.is_empty() || text.ends_with('\n') {
        return;
    }
    let total_lines = memchr::memchr_iter(b'\n', text.as_bytes()).count() + 1;
    if let Some(last) = reads.last_mut() {
        if last.line.no == total_lines && !last.reading.values.is_empty() {
            last.reading = Reading::default();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ledger's own judgement, the one this must equal.
    fn by_ledger(text: &str) -> Option<Completeness> {
        let ledger = build::ledger("", text, super::super::Options::default()).ok()?;
        ledger.runs.into_iter().last().map(|run| run.completeness)
    }

    fn fixtures() -> Vec<(String, String)> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        walkdir::WalkDir::new(dir)
            .into_iter()
            .flatten()
            .filter(|e| e.file_type().is_file())
            .filter(|e| {
                let name = e.file_name().to_string_lossy();
                name.ends_with(".log") || name.starts_with("output_")
            })
            .filter_map(|e| {
                let bytes = std::fs::read(e.path()).ok()?;
                Some((
                    e.path().display().to_string(),
                    String::from_utf8(bytes).ok()?,
                ))
            })
            .collect()
    }

    /// Every fixture log (the ledger's and the paper's layout), whole and cut after every line
    /// and in the middle of every line, judged the same both ways.
    #[test]
    fn equals_the_ledgers_judgement_on_every_log_cut_anywhere() {
        let logs = fixtures();
        assert!(logs.len() > 20, "{}", logs.len());
        let mut cases = 0;
        for (name, text) in &logs {
            let mut cuts: Vec<usize> = vec![text.len()];
            for (i, _) in text.match_indices('\n') {
                cuts.push(i + 1);
                cuts.push(i);
                let mid = text[..i].rfind('\n').map_or(0, |s| s + 1)
                    + (i - text[..i].rfind('\n').map_or(0, |s| s + 1)) / 2;
                if text.is_char_boundary(mid) {
                    cuts.push(mid);
                }
            }
            for cut in cuts {
                let part = &text[..cut];
                assert_eq!(
                    completeness(part),
                    by_ledger(part),
                    "{name} cut at byte {cut}"
                );
                cases += 1;
            }
        }
        assert!(cases > 1000, "{cases}");
    }

    #[test]
    fn colour_codes_inside_a_message_and_engine_core_tags() {
        for text in [
            "INFO 01-01 10:00:00 [core.py:1] init engine (profile, create kv cache, warmup model) took 3.0 seconds\n",
            "INFO 01-01 10:00:00 [core.py:1] init engine (profile, \x1b[1mcreate kv cache\x1b[0m, warmup model) took 3.0 seconds\n",
            "\x1b[1;36m(EngineCore_0 pid=1)\x1b[0;0m INFO 01-01 10:00:00 [gpu_worker.py:1] Graph capturing finished in 2 secs\n",
            "[1;36m(EngineCore_0 pid=1)[0;0m INFO 01-01 10:00:00 [x.py:1] hello\nTraceback (most recent call last):\n  File \"x\"\nRuntimeError: boom\n",
            "hello\nworld\n",
            "",
            "INFO 01-01 10:00:00 [x.py:1] Loading weights took 2.9",
        ] {
            assert_eq!(completeness(text), by_ledger(text), "{text:?}");
        }
    }
}

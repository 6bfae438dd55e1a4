//! One line of a log as pasted anywhere: ANSI colours, a blockquote (`> `), an outer timestamp
//! (docker `--timestamps`, CI runners, log collectors), a process prefix (`(EngineCore_0
//! pid=51157)`, `(VllmWorker rank=1 pid=7)`, `(RayWorkerWrapper pid=9, ip=10.0.0.2)`) and
//! vLLM's own header (`INFO 02-16 13:27:49.234 [core.py:636]`, or the older `INFO 02-16
//! 16:29:15 llm_engine.py:79]`), each optional, peeled off in that order.

use std::borrow::Cow;

use crate::parse::ascii::TwoForms;

/// The process a line came from, as its prefix names it; `None` for unprefixed lines.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProcessTag {
    /// `EngineCore_0`, `VllmWorker`, `Worker_TP1`, `RayWorkerWrapper`, `APIServer`, …
    pub name: String,
    /// `rank=N` where the prefix carries it (V1's `VllmWorker rank=N`).
    pub rank: Option<u32>,
    pub pid: u32,
    /// `ip=…` of Ray's remote workers.
    pub ip: Option<String>,
}

/// A time of day read from a line, microseconds on the line's clock.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stamp {
    pub micros: i64,
    /// Seconds between two possible values of this clock (1.0 where vLLM printed no
    /// milliseconds).
    pub resolution: f64,
}

/// One piece of a log line, its prefixes taken apart.
#[derive(Debug, Clone, PartialEq)]
pub struct Line<'a> {
    /// 1-based, counting `\n` as an editor does (`\r` progress bars stay on their line).
    pub no: usize,
    pub process: Option<ProcessTag>,
    /// An outer timestamp with a date (docker, CI), microseconds since 1970 UTC.
    pub outer: Option<Stamp>,
    /// vLLM's `MM-DD HH:MM:SS[.mmm]`, microseconds since the start of a leap year.
    pub vllm: Option<Stamp>,
    /// `INFO`, `DEBUG`, …, where the line has vLLM's header.
    pub level: Option<&'static str>,
    /// What is left after the prefixes and the header.
    pub message: Cow<'a, str>,
}

static QUOTE: TwoForms = TwoForms::new(r"^\s*(?:>\s?)+");
static OUTER: TwoForms = TwoForms::new(
    r"^\[?(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?\]?(?:\s+\|)?\s+",
);
static PROCESS: TwoForms =
    TwoForms::new(r"^\(([A-Za-z][\w.-]*)(?: rank=(\d+))? pid=(\d+)(?:, ip=([^)\s]+))?\)\s?");
static HEADER: TwoForms = TwoForms::new(
    r"^(DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL)\s+(\d{2})-(\d{2})\s+(\d{2}):(\d{2}):(\d{2})(?:\.(\d{3}))?\s+(?:\[[^\]]*\]|[\w./<>-]+:\d+\])\s?",
);
static BARE_STAMP: TwoForms =
    TwoForms::new(r"(\d{2})-(\d{2})\s(\d{2}):(\d{2}):(\d{2})(?:\.(\d{3}))?");

/// Days before each month in a leap year (vLLM prints no year, so 02-29 must be accepted).
const DAYS_BEFORE_MONTH: [i64; 12] = [0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335];
const DAYS_IN_MONTH: [u32; 12] = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

fn number(text: Option<regex::Match>) -> Option<u32> {
    text?.as_str().parse().ok()
}

/// `MM-DD HH:MM:SS[.mmm]` → microseconds since the start of a (leap) year; `None` if no such
/// date exists.
fn vllm_stamp(caps: &regex::Captures, first: usize) -> Option<Stamp> {
    let get = |i: usize| number(caps.get(first + i));
    let (month, day, hour, minute, second) = (get(0)?, get(1)?, get(2)?, get(3)?, get(4)?);
    if !(1..=12).contains(&month) || day == 0 || day > DAYS_IN_MONTH[month as usize - 1] {
        return None;
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let millis = caps.get(first + 5);
    let days = DAYS_BEFORE_MONTH[month as usize - 1] + day as i64 - 1;
    let secs = ((days * 24 + hour as i64) * 60 + minute as i64) * 60 + second as i64;
    let ms = millis
        .and_then(|m| m.as_str().parse::<i64>().ok())
        .unwrap_or(0);
    Some(Stamp {
        micros: secs * 1_000_000 + ms * 1000,
        resolution: if millis.is_some() { 0.001 } else { 1.0 },
    })
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's `days_from_civil`).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn outer_stamp(caps: &regex::Captures) -> Option<Stamp> {
    let year: i64 = caps.get(1)?.as_str().parse().ok()?;
    let get = |i: usize| number(caps.get(i));
    let (month, day, hour, minute, second) = (get(2)?, get(3)?, get(4)?, get(5)?, get(6)?);
    if !(1..=12).contains(&month) || day == 0 || day > DAYS_IN_MONTH[month as usize - 1] {
        return None;
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let (frac, resolution) = match caps.get(7) {
        Some(f) => {
            let digits = &f.as_str()[..f.as_str().len().min(6)];
            let value: i64 = digits.parse().ok()?;
            let scale = 10i64.pow(6 - digits.len() as u32);
            (value * scale, 10f64.powi(-(digits.len() as i32)))
        }
        None => (0, 1.0),
    };
    // An offset (`+08:00`) puts every line on UTC, so lines of one log always compare.
    let offset_minutes = match caps.get(8).map(|m| m.as_str()) {
        None | Some("Z") => 0,
        Some(text) => {
            let sign = if text.starts_with('-') { -1 } else { 1 };
            let digits: String = text[1..].chars().filter(char::is_ascii_digit).collect();
            let hours: i64 = digits.get(..2)?.parse().ok()?;
            let minutes: i64 = digits.get(2..)?.parse().unwrap_or(0);
            sign * (hours * 60 + minutes)
        }
    };
    let days = days_from_civil(year, month, day);
    let secs =
        ((days * 24 + hour as i64) * 60 + minute as i64) * 60 + second as i64 - offset_minutes * 60;
    Some(Stamp {
        micros: secs * 1_000_000 + frac,
        resolution,
    })
}

/// The first character of `text`, for the anchored patterns' cheap tests below: each regex is
/// tried only where its first character can match (the captures cost more than the tests).
fn first_char(text: &str) -> Option<char> {
    text.chars().next()
}

/// Take one piece of a log line apart.
pub fn split(no: usize, raw: &str) -> Line<'_> {
    let text = without_colour(raw);
    let mut rest: &str = &text;
    if rest.contains('>') {
        if let Some(m) = QUOTE.for_text(rest).find(rest) {
            rest = &rest[m.end()..];
        }
    }
    let mut outer = None;
    // `^\[?\d{4}-…`: a `[` or a digit first.
    if first_char(rest).is_some_and(|c| c == '[' || c.is_numeric()) {
        if let Some(caps) = OUTER.for_text(rest).captures(rest) {
            outer = outer_stamp(&caps);
            rest = &rest[caps.get(0).map_or(0, |m| m.end())..];
        }
    }
    let mut process = None;
    // `(EngineCore_DP0 pid=1) (Worker_TP1 pid=2) …`: a worker's line relayed by its engine core
    // names the worker last.
    while first_char(rest) == Some('(') {
        let Some(caps) = PROCESS.for_text(rest).captures(rest) else {
            break;
        };
        process = caps
            .get(3)
            .and_then(|p| p.as_str().parse().ok())
            .map(|pid| ProcessTag {
                name: caps[1].to_string(),
                rank: caps.get(2).and_then(|r| r.as_str().parse().ok()),
                pid,
                ip: caps.get(4).map(|ip| ip.as_str().to_string()),
            });
        rest = &rest[caps.get(0).map_or(0, |m| m.end())..];
    }
    let mut vllm = None;
    let mut level = None;
    // `^(DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL)`; a bare `MM-DD HH:MM:SS` needs `-` and `:`.
    let header = first_char(rest)
        .is_some_and(|c| matches!(c, 'D' | 'I' | 'W' | 'E' | 'C'))
        .then(|| HEADER.for_text(rest).captures(rest))
        .flatten();
    let bare = || {
        (header.is_none() && rest.contains('-') && rest.contains(':'))
            .then(|| BARE_STAMP.for_text(rest).captures(rest))
            .flatten()
    };
    if let Some(caps) = header {
        vllm = vllm_stamp(&caps, 2);
        level = Some(level_name(&caps[1]));
        rest = &rest[caps.get(0).map_or(0, |m| m.end())..];
    } else if let Some(caps) = bare() {
        // A timestamp near the start without vLLM's header (a custom logging format, as the
        // paper's parser allows): keep the time, keep the whole line as the message.
        if caps.get(0).is_some_and(|m| m.start() <= 40) {
            vllm = vllm_stamp(&caps, 1);
        }
    }
    let message = match &text {
        Cow::Borrowed(_) => {
            let start = raw.len() - rest.len();
            Cow::Borrowed(&raw[start..])
        }
        Cow::Owned(_) => Cow::Owned(rest.to_string()),
    };
    Line {
        no,
        process,
        outer,
        vllm,
        level,
        message,
    }
}

fn level_name(text: &str) -> &'static str {
    match text {
        "DEBUG" => "DEBUG",
        "INFO" => "INFO",
        "WARNING" | "WARN" => "WARNING",
        "ERROR" => "ERROR",
        _ => "CRITICAL",
    }
}

/// A log's lines: `\n` (or `\r\n`) ends a line; a `\r` inside one (a progress bar redrawn)
/// splits it into pieces that keep the line's number.
pub fn lines(text: &str) -> Vec<Line<'_>> {
    let mut out = Vec::new();
    for (index, line) in text.split('\n').enumerate() {
        out.extend(pieces(index + 1, line));
    }
    out
}

/// The non-blank pieces of line `no` (its text without the `\n`), each taken apart.
pub fn pieces(no: usize, line: &str) -> impl Iterator<Item = Line<'_>> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    line.split('\r')
        .filter(|piece| !piece.trim().is_empty())
        .map(move |piece| split(no, piece))
}

pub use super::colour::without_colour;

#[cfg(test)]
mod tests {
    use super::*;

    /// The cheap test before the outer stamp's pattern never says no where it would match.
    #[test]
    fn the_cheap_tests_before_each_pattern_never_miss_a_match() {
        for text in [
            "2025-01-01T10:00:00Z x",
            "[2025-01-01 10:00:00] x",
            "\u{663}\u{663}\u{663}\u{663}-01-01 10:00:00 x",
        ] {
            let c = first_char(text).unwrap();
            assert!(
                !OUTER.for_text(text).is_match(text) || c == '[' || c.is_numeric(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn peels_every_prefix_off() {
        let line = split(
            3,
            "> 2025-01-01T10:00:00.123456789Z \u{1b}[1;36m(VllmWorker rank=1 pid=77)\u{1b}[0;0m INFO 01-01 10:00:00.120 [gpu_model_runner.py:1] Loading weights took 2.54 seconds",
        );
        let tag = line.process.unwrap();
        assert_eq!(
            (tag.name.as_str(), tag.rank, tag.pid),
            ("VllmWorker", Some(1), 77)
        );
        assert_eq!(line.level, Some("INFO"));
        assert_eq!(line.message, "Loading weights took 2.54 seconds");
        let outer = line.outer.unwrap();
        let day = days_from_civil(2025, 1, 1) * 86_400 + 10 * 3600;
        assert_eq!(outer.micros, day * 1_000_000 + 123_456);
        assert_eq!(line.vllm.unwrap().resolution, 0.001);
    }

    #[test]
    fn old_header_without_brackets_or_millis() {
        let line = split(
            1,
            "INFO 02-16 16:29:23 model_runner.py:738] Graph capturing finished in 2 secs.",
        );
        assert_eq!(line.message, "Graph capturing finished in 2 secs.");
        let stamp = line.vllm.unwrap();
        assert_eq!(stamp.resolution, 1.0);
        let second = split(2, "INFO 02-16 16:29:25 model_runner.py:738] x")
            .vllm
            .unwrap();
        assert_eq!(second.micros - stamp.micros, 2_000_000);
    }

    #[test]
    fn pasted_colour_codes_without_escape_and_ray_prefixes() {
        let line = split(
            1,
            "[1;36m(EngineCore_DP0 pid=256452)[0;0m INFO 02-16 16:49:41.680 [core.py:644] Waiting",
        );
        assert_eq!(line.process.unwrap().name, "EngineCore_DP0");
        assert_eq!(line.message, "Waiting");
        let ray = split(
            1,
            "(RayWorkerWrapper pid=4292, ip=10.0.0.2) INFO 06-11 05:00:27 utils.py:608] Found nccl",
        );
        assert_eq!(ray.process.unwrap().ip.as_deref(), Some("10.0.0.2"));
        assert!(ray.vllm.is_some());
    }

    #[test]
    fn nested_prefixes_name_the_inner_process() {
        let line = split(
            1,
            "(EngineCore_DP0 pid=20129) (Worker_TP1 pid=20137) INFO 02-15 05:16:38 [x.py:1] y",
        );
        let tag = line.process.unwrap();
        assert_eq!((tag.name.as_str(), tag.pid), ("Worker_TP1", 20137));
        assert_eq!(line.message, "y");
    }

    #[test]
    fn outer_offsets_are_taken_to_utc() {
        let a = split(
            1,
            "2025-07-02T14:32:50.786405823+08:00 DEBUG 07-02 14:32:57 [x.py:1] a",
        );
        let b = split(1, "2025-07-02T06:32:50.786405Z b");
        assert_eq!(a.outer.unwrap().micros, b.outer.unwrap().micros);
        let piped = split(1, "2026-04-24 00:40:00.165 | (EngineCore pid=176) INFO 04-23 22:40:00 [monitor.py:48] torch.compile took 64.81 s in total");
        assert_eq!(piped.process.unwrap().pid, 176);
        assert_eq!(piped.message, "torch.compile took 64.81 s in total");
    }

    #[test]
    fn leap_day_and_untimed_lines() {
        assert!(split(1, "INFO 02-29 10:00:00 x.py:1] y").vllm.is_some());
        assert!(split(1, "INFO 02-30 10:00:00 x.py:1] y").vllm.is_none());
        let plain = split(1, "initialize_engine took 8.17 seconds");
        assert_eq!((plain.vllm, plain.outer), (None, None));
        assert_eq!(plain.message, "initialize_engine took 8.17 seconds");
    }

    #[test]
    fn carriage_returns_stay_on_their_line() {
        let all = lines("a\rb\r\nINFO 01-01 00:00:00 x.py:1] c\n\n");
        let numbers: Vec<usize> = all.iter().map(|l| l.no).collect();
        assert_eq!(numbers, [1, 1, 2]);
    }
}

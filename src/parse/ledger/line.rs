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
    let fields = [get(0)?, get(1)?, get(2)?, get(3)?, get(4)?];
    let millis = caps.get(first + 5);
    let ms = millis.and_then(|m| m.as_str().parse().ok()).unwrap_or(0);
    stamp_of(fields, ms, millis.is_some())
}

/// `[month, day, hour, minute, second]` and the milliseconds, where printed → the stamp.
fn stamp_of(fields: [u32; 5], millis: u32, has_millis: bool) -> Option<Stamp> {
    let [month, day, hour, minute, second] = fields;
    if !(1..=12).contains(&month) || day == 0 || day > DAYS_IN_MONTH[month as usize - 1] {
        return None;
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let days = DAYS_BEFORE_MONTH[month as usize - 1] + day as i64 - 1;
    let secs = ((days * 24 + hour as i64) * 60 + minute as i64) * 60 + second as i64;
    let ms = i64::from(millis);
    Some(Stamp {
        micros: secs * 1_000_000 + ms * 1000,
        resolution: if has_millis { 0.001 } else { 1.0 },
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

/// `\s` of the ASCII form of the patterns (Rust's `is_ascii_whitespace` leaves out `\x0B`).
fn is_space(byte: u8) -> bool {
    matches!(byte, b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | b' ')
}

/// The headers and prefixes of nearly every line, read by hand: each reader gives what its
/// pattern's captures give, or `None` where the text is anything but plain ASCII of the
/// expected shape (then the pattern decides), so it never answers otherwise than the pattern
/// (`the_readers_by_hand_agree_with_the_patterns`). The patterns' captures were most of the
/// cut/crash check's cost.
mod by_hand {
    use super::is_space;

    /// `\s+` from `at`: its end, where one or more spaces are there and no byte after them
    /// could be a space of the Unicode form.
    fn spaces(b: &[u8], at: usize) -> Option<usize> {
        let end = at + b.get(at..)?.iter().take_while(|c| is_space(**c)).count();
        (end > at && b.get(end).is_none_or(|c| c.is_ascii())).then_some(end)
    }

    /// `\d{N}` at `at`, ASCII digits only.
    fn digits<const N: usize>(b: &[u8], at: usize) -> Option<u32> {
        let field = b.get(at..at + N)?;
        field
            .iter()
            .all(u8::is_ascii_digit)
            .then(|| field.iter().fold(0, |n, c| n * 10 + u32::from(c - b'0')))
    }

    /// `\d+` at `at`: its end; `None` where it is empty or a non-ASCII byte follows.
    fn run_of_digits(b: &[u8], at: usize) -> Option<usize> {
        let end = at
            + b.get(at..)?
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count();
        (end > at && b.get(end).is_none_or(|c| c.is_ascii())).then_some(end)
    }

    fn byte_is(b: &[u8], at: usize, want: u8) -> Option<()> {
        (b.get(at) == Some(&want)).then_some(())
    }

    /// `\s?` at `at`: its end, `None` where a non-ASCII byte is there.
    fn optional_space(b: &[u8], at: usize) -> Option<usize> {
        match b.get(at) {
            Some(c) if is_space(*c) => Some(at + 1),
            Some(c) if !c.is_ascii() => None,
            _ => Some(at),
        }
    }

    /// What [`super::HEADER`] captures.
    pub struct Header {
        pub level: &'static str,
        /// Month, day, hour, minute, second.
        pub fields: [u32; 5],
        pub millis: Option<u32>,
        pub end: usize,
    }

    const LEVELS: [&str; 6] = ["DEBUG", "INFO", "WARNING", "WARN", "ERROR", "CRITICAL"];

    pub fn header(text: &str) -> Option<Header> {
        let b = text.as_bytes();
        let level = LEVELS.into_iter().find(|l| b.starts_with(l.as_bytes()))?;
        let at = spaces(b, level.len())?;
        let month = digits::<2>(b, at)?;
        byte_is(b, at + 2, b'-')?;
        let day = digits::<2>(b, at + 3)?;
        let at = spaces(b, at + 5)?;
        let hour = digits::<2>(b, at)?;
        byte_is(b, at + 2, b':')?;
        let minute = digits::<2>(b, at + 3)?;
        byte_is(b, at + 5, b':')?;
        let second = digits::<2>(b, at + 6)?;
        let mut at = at + 8;
        let millis = if b.get(at) == Some(&b'.') {
            let ms = digits::<3>(b, at + 1)?;
            at += 4;
            Some(ms)
        } else {
            None
        };
        let at = spaces(b, at)?;
        let at = if b.get(at) == Some(&b'[') {
            // `\[[^\]]*\]`: a `]` byte is never inside a longer character.
            at + 2 + memchr::memchr(b']', &b[at + 1..])?
        } else {
            // `[\w./<>-]+:\d+\]`
            let name = b[at..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || b"_./<>-".contains(c))
                .count();
            (name > 0).then_some(())?;
            byte_is(b, at + name, b':')?;
            let end = run_of_digits(b, at + name + 1)?;
            byte_is(b, end, b']')?;
            end + 1
        };
        Some(Header {
            level,
            fields: [month, day, hour, minute, second],
            millis,
            end: optional_space(b, at)?,
        })
    }

    /// What [`super::PROCESS`] captures: name, rank, pid, ip (as text), and its end.
    pub struct Process<'t> {
        pub name: &'t str,
        pub rank: Option<&'t str>,
        pub pid: &'t str,
        pub ip: Option<&'t str>,
        pub end: usize,
    }

    pub fn process(text: &str) -> Option<Process<'_>> {
        let b = text.as_bytes();
        byte_is(b, 0, b'(')?;
        b.get(1).filter(|c| c.is_ascii_alphabetic())?;
        let name_end = 2 + b[2..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
            .count();
        b.get(name_end).filter(|c| c.is_ascii())?;
        let mut at = name_end;
        let mut rank = None;
        if b[at..].starts_with(b" rank=") {
            let end = run_of_digits(b, at + 6)?;
            rank = Some(&text[at + 6..end]);
            at = end;
        }
        b[at..].starts_with(b" pid=").then_some(())?;
        let pid_end = run_of_digits(b, at + 5)?;
        let pid = &text[at + 5..pid_end];
        at = pid_end;
        let mut ip = None;
        if b[at..].starts_with(b", ip=") {
            let len = b[at + 5..]
                .iter()
                .take_while(|c| **c != b')' && !is_space(**c))
                .count();
            (len > 0 && b[at + 5..at + 5 + len].is_ascii()).then_some(())?;
            ip = Some(&text[at + 5..at + 5 + len]);
            at += 5 + len;
        }
        byte_is(b, at, b')')?;
        Some(Process {
            name: &text[1..name_end],
            rank,
            pid,
            ip,
            end: optional_space(b, at + 1)?,
        })
    }
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
        let Some(found) = by_hand::process(rest).or_else(|| process_by_pattern(rest)) else {
            break;
        };
        process = found.pid.parse().ok().map(|pid| ProcessTag {
            name: found.name.to_string(),
            rank: found.rank.and_then(|r| r.parse().ok()),
            pid,
            ip: found.ip.map(str::to_string),
        });
        rest = &rest[found.end..];
    }
    let mut vllm = None;
    let mut level = None;
    // `^(DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL)`; a bare `MM-DD HH:MM:SS` needs `-` and `:`.
    let header = first_char(rest)
        .is_some_and(|c| matches!(c, 'D' | 'I' | 'W' | 'E' | 'C'))
        .then(|| {
            by_hand::header(rest)
                .map(by_hand::Header::found)
                .or_else(|| header_by_pattern(rest))
        })
        .flatten();
    let bare = || {
        (header.is_none() && rest.contains('-') && rest.contains(':'))
            .then(|| BARE_STAMP.for_text(rest).captures(rest))
            .flatten()
    };
    if let Some(found) = header {
        vllm = found.stamp;
        level = Some(level_name(found.level));
        rest = &rest[found.end..];
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

/// vLLM's header as [`HEADER`] reads it: the level, the stamp, and its end.
struct FoundHeader<'t> {
    level: &'t str,
    stamp: Option<Stamp>,
    end: usize,
}

impl by_hand::Header {
    fn found(self) -> FoundHeader<'static> {
        FoundHeader {
            level: self.level,
            stamp: stamp_of(self.fields, self.millis.unwrap_or(0), self.millis.is_some()),
            end: self.end,
        }
    }
}

fn header_by_pattern(text: &str) -> Option<FoundHeader<'_>> {
    let caps = HEADER.for_text(text).captures(text)?;
    Some(FoundHeader {
        level: caps.get(1)?.as_str(),
        stamp: vllm_stamp(&caps, 2),
        end: caps.get(0)?.end(),
    })
}

fn process_by_pattern(text: &str) -> Option<by_hand::Process<'_>> {
    let caps = PROCESS.for_text(text).captures(text)?;
    Some(by_hand::Process {
        name: caps.get(1)?.as_str(),
        rank: caps.get(2).map(|m| m.as_str()),
        pid: caps.get(3)?.as_str(),
        ip: caps.get(4).map(|m| m.as_str()),
        end: caps.get(0)?.end(),
    })
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

    /// Every line of the ledger's fixtures (each piece as `split` sees it after each prefix),
    /// and each of them changed at a byte near its start in ways that break a header: where a
    /// reader by hand gives an answer, it is the pattern's; on the real lines it nearly always
    /// gives one.
    #[test]
    fn the_readers_by_hand_agree_with_the_patterns() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ledger");
        let mut texts = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            let text = String::from_utf8_lossy(&bytes).into_owned();
            for line in text.split(['\n', '\r']) {
                let line = without_colour(line).into_owned();
                // The line, and what is left after each process prefix and a first word.
                let mut rest = line.as_str();
                texts.push(rest.to_string());
                while let Some(found) = process_by_pattern(rest) {
                    rest = &rest[found.end..];
                    texts.push(rest.to_string());
                }
                if let Some((_, after)) = rest.split_once(' ') {
                    texts.push(after.to_string());
                }
            }
        }
        let real = texts.len();
        let swaps = [
            " ", "\t", "\u{b}", "\r", "x", "9", "]", ":", ".", "(", ")", "-", "é", "\u{a0}",
            "\u{663}",
        ];
        for i in 0..real {
            let text = texts[i].clone();
            if header_by_pattern(&text).is_none() && process_by_pattern(&text).is_none() {
                continue;
            }
            let ends: Vec<usize> = (0..=text.len().min(48))
                .filter(|&at| text.is_char_boundary(at))
                .collect();
            for pair in ends.windows(2) {
                for swap in swaps {
                    texts.push(format!("{}{swap}{}", &text[..pair[0]], &text[pair[1]..]));
                    texts.push(format!("{}{swap}{}", &text[..pair[0]], &text[pair[0]..]));
                }
                texts.push(format!("{}{}", &text[..pair[0]], &text[pair[1]..]));
            }
        }
        let (mut headers, mut by_hand_headers, mut processes, mut by_hand_processes) = (0, 0, 0, 0);
        for (i, text) in texts.iter().enumerate() {
            let pattern = header_by_pattern(text).map(|h| (h.level, h.stamp, h.end));
            if let Some(ours) = by_hand::header(text).map(by_hand::Header::found) {
                assert_eq!(
                    Some((ours.level, ours.stamp, ours.end)),
                    pattern,
                    "{text:?}"
                );
                by_hand_headers += usize::from(i < real);
            }
            headers += usize::from(i < real && pattern.is_some());
            let pattern = process_by_pattern(text).map(|p| (p.name, p.rank, p.pid, p.ip, p.end));
            if let Some(p) = by_hand::process(text) {
                assert_eq!(
                    Some((p.name, p.rank, p.pid, p.ip, p.end)),
                    pattern,
                    "{text:?}"
                );
                by_hand_processes += usize::from(i < real);
            }
            processes += usize::from(i < real && pattern.is_some());
        }
        assert!(texts.len() > 50_000, "{} texts", texts.len());
        assert!(
            headers > 150 && processes > 50,
            "{headers} headers, {processes} prefixes"
        );
        assert!(
            by_hand_headers * 100 >= headers * 95,
            "{by_hand_headers} of {headers}"
        );
        assert!(
            by_hand_processes * 100 >= processes * 95,
            "{by_hand_processes} of {processes}"
        );
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

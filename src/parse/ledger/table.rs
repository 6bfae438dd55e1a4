//! The ledger as text for a terminal, at most 100 columns wide: the summary, the processes,
//! the time line with its silences. Returns the text; printing is the caller's.

use std::fmt::Write;

use super::build::clip;
use super::{Clock, Gap, Ledger, Role, Run, Span};

/// A number as vLLM printed it (shortest form, at most 6 decimals).
pub fn number(x: f64) -> String {
    let rounded = (x * 1e6).round() / 1e6;
    if rounded == rounded.trunc() && rounded.abs() < 1e15 {
        format!("{}", rounded as i64)
    } else {
        format!("{rounded}")
    }
}

fn seconds(x: f64) -> String {
    format!("{x:.3}")
}

fn role_words(role: Role) -> &'static str {
    match role {
        Role::Driver => "driver",
        Role::ApiServer => "API server",
        Role::EngineCore => "engine core",
        Role::Worker => "worker",
    }
}

fn header(out: &mut String, ledger: &Ledger) {
    let clock = match ledger.clock {
        Clock::Vllm => "vLLM's timestamps",
        Clock::Prefix => "the lines' prefix timestamps",
        Clock::None => "none",
    };
    let resolution = match ledger.resolution_s {
        Some(r) if r >= 1.0 => ", to the second".to_string(),
        Some(r) if r > 0.0 => format!(", to {} ms", number(r * 1000.0)),
        _ => String::new(),
    };
    let _ = writeln!(out, "{}", ledger.log);
    let _ = writeln!(
        out,
        "  {} lines ({} without a timestamp); clock: {clock}{resolution}",
        ledger.lines, ledger.untimed_lines
    );
    for w in &ledger.warnings {
        let words: Vec<String> = format!("warning: {w}")
            .split(' ')
            .map(str::to_string)
            .collect();
        wrap_words(out, &words, "  ", "    ", 100);
    }
}

fn run_heading(out: &mut String, run: &Run, index: usize, count: usize) {
    let version = match (&run.vllm_version, &run.engine) {
        (Some(v), Some(e)) => format!("vLLM {v} ({})", e.to_uppercase()),
        (Some(v), None) => format!("vLLM {v}"),
        (None, Some(e)) => format!("vLLM, version not printed ({})", e.to_uppercase()),
        (None, None) => "vLLM, version not printed".into(),
    };
    let which = if count > 1 {
        format!("run {} of {count}, ", index + 1)
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "\n  {which}lines {}–{}: {version}",
        run.lines[0], run.lines[1]
    );
    let state = if run.complete {
        "complete"
    } else {
        "NOT COMPLETE"
    };
    let words: Vec<String> = format!("{state}: {}", run.completeness.reason)
        .split(' ')
        .map(str::to_string)
        .collect();
    wrap_words(out, &words, "  ", "    ", 100);
}

fn summary(out: &mut String, run: &Run) {
    if run.summary.is_empty() {
        let _ = writeln!(out, "  (no timed line)");
        return;
    }
    let _ = writeln!(
        out,
        "\n  {:<30} {:>12} {:<6} {:>12} {:>5}  from",
        "key", "last", "unit", "slowest", "procs"
    );
    for (key, s) in &run.summary {
        let from = match run
            .processes
            .iter()
            .flat_map(|p| p.values.get(key))
            .find(|v| v.line == s.line)
            .and_then(|v| v.derived_from)
        {
            Some([a, b]) => format!("lines {a}→{b}, timestamps"),
            None if s.derived => format!("to line {}, timestamps", s.line),
            None => format!("line {}", s.line),
        };
        let slowest = if s.processes > 1 {
            number(s.slowest)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "  {:<30} {:>12} {:<6} {:>12} {:>5}  {}",
            key,
            number(s.last),
            s.unit.symbol(),
            slowest,
            s.processes,
            clip(&from, 26)
        );
    }
}

fn processes(out: &mut String, run: &Run) {
    if run.processes.len() < 2 {
        return;
    }
    let _ = writeln!(out, "\n  per process");
    for p in &run.processes {
        let mut facts = vec![role_words(p.role).to_string()];
        if let (Some(rank), Some(world)) = (p.rank, p.world_size) {
            facts.push(format!("rank {rank} of {world}"));
        } else if let Some(rank) = p.rank {
            facts.push(format!("rank {rank}"));
        }
        facts.push(format!("lines {}–{}", p.lines[0], p.lines[1]));
        let _ = writeln!(out, "    {} ({})", p.id, facts.join(", "));
        let items: Vec<String> = p
            .values
            .iter()
            .map(|(k, v)| {
                let mark = if v.derived_from.is_some() { "*" } else { "" };
                format!("{k}={}{mark}", number(v.value))
            })
            .collect();
        let items: Vec<String> = items.iter().map(|i| format!("{i} ")).collect();
        wrap_words(out, &items, "      ", "      ", 100);
    }
}

/// Words joined by spaces, wrapped at `width` columns; the first line gets `first`, the others
/// `rest` in front.
fn wrap_words(out: &mut String, words: &[String], first: &str, rest: &str, width: usize) {
    let mut line = String::from(first);
    let mut empty = true;
    for word in words {
        if !empty && line.chars().count() + 1 + word.chars().count() > width {
            let _ = writeln!(out, "{}", line.trim_end());
            line = String::from(rest);
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    if !empty {
        let _ = writeln!(out, "{}", line.trim_end());
    }
}

fn timeline(out: &mut String, run: &Run) {
    let Some(t) = &run.timeline else {
        return;
    };
    let end = match &run.ready {
        Some(r) if r.at_s.is_some() => {
            format!("engine ready at {}, line {}", seconds(t.end_s), r.line)
        }
        _ => format!("not ready; the last timestamp is at {}", seconds(t.end_s)),
    };
    let _ = writeln!(
        out,
        "\n  time line (seconds from line {}; {end})",
        t.origin_line
    );
    let _ = writeln!(
        out,
        "  {:>8} {:>8} {:>8}  {:<30} where",
        "start", "end", "length", "what"
    );
    enum Row<'a> {
        Span(&'a Span),
        Gap(&'a Gap),
    }
    // Spans and gaps interleaved by start (a stable sort: spans first where they tie).
    let mut rows: Vec<(f64, Row)> = t.spans.iter().map(|s| (s.start_s, Row::Span(s))).collect();
    rows.extend(t.gaps.iter().map(|g| (g.start_s, Row::Gap(g))));
    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
    for (_, row) in rows {
        match row {
            Row::Span(s) => span_row(out, s),
            Row::Gap(g) => gap_row(out, g, t.min_gap_s),
        }
    }
    let _ = writeln!(
        out,
        "  silences of {} s or more: {} s, of which {} s no stage accounts for",
        number(t.min_gap_s),
        seconds(t.silent_s),
        seconds(t.unaccounted_s)
    );
}

/// A stage of the time line (`*` where only timestamps bracket it).
fn span_row(out: &mut String, s: &Span) {
    let what = if s.derived {
        format!("{} *", s.key)
    } else {
        s.key.clone()
    };
    let _ = writeln!(
        out,
        "  {:>8} {:>8} {:>8}  {:<30} {}",
        seconds(s.start_s),
        seconds(s.end_s),
        seconds(s.end_s - s.start_s),
        what,
        clip(&format!("{}, line {}", s.process, s.line), 38)
    );
}

/// A silence of the time line: inside no stage, inside stages but partly unknown, or covered.
fn gap_row(out: &mut String, g: &Gap, min_gap_s: f64) {
    let (what, inside) = if g.covered_by.is_empty() {
        ("-- no line, no stage".to_string(), String::new())
    } else if g.unaccounted_s >= min_gap_s {
        (
            format!("-- no line, {} s unknown", seconds(g.unaccounted_s)),
            format!(", in {}", g.covered_by.join(", ")),
        )
    } else {
        (
            "   (no log line)".to_string(),
            format!(", in {}", g.covered_by[0]),
        )
    };
    let _ = writeln!(
        out,
        "  {:>8} {:>8} {:>8}  {:<30} {}",
        seconds(g.start_s),
        seconds(g.end_s),
        seconds(g.duration_s),
        what,
        clip(
            &format!("lines {}→{}{inside}", g.after_line, g.before_line),
            38
        )
    );
}

/// The whole ledger as text.
pub fn render(ledger: &Ledger) -> String {
    let mut out = String::new();
    header(&mut out, ledger);
    for (i, run) in ledger.runs.iter().enumerate() {
        run_heading(&mut out, run, i, ledger.runs.len());
        summary(&mut out, run);
        processes(&mut out, run);
        timeline(&mut out, run);
    }
    out
}

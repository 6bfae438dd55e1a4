//! One time line per run: the stages as spans (a printed duration ends at its line; a derived
//! one runs between its two lines), and the silences between two consecutive timestamped lines
//! that are long enough to matter, with how much of each no stage accounts for.

use serde::{Deserialize, Serialize};

/// A stage on the time line, seconds from the run's first timestamp.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Span {
    pub key: String,
    /// The process that printed it (`run` for spans between processes).
    pub process: String,
    pub start_s: f64,
    pub end_s: f64,
    /// The line that ends it.
    pub line: usize,
    pub derived: bool,
}

/// Stages that hold the others (vLLM's `init engine` covers compile, profiling, warm-up and
/// capture): a silence inside one of them alone is still unexplained.
pub const UMBRELLAS: [&str; 3] = [
    "init_engine_s",
    "initialize_engine_s",
    "serve_ready_after_engine_s",
];

/// A stretch with no log line at all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gap {
    pub start_s: f64,
    pub end_s: f64,
    pub duration_s: f64,
    /// The last line before and the first line after the silence.
    pub after_line: usize,
    pub before_line: usize,
    /// Stages that overlap the silence, most overlap first (umbrella stages last).
    pub covered_by: Vec<String>,
    /// The part of the silence that no stage below the umbrellas ([`UMBRELLAS`]) covers.
    pub unaccounted_s: f64,
}

/// A run's time line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timeline {
    /// The line whose timestamp is 0.
    pub origin_line: usize,
    /// Where the time line ends: engine ready, else the last timestamped line.
    pub end_s: f64,
    pub spans: Vec<Span>,
    pub gaps: Vec<Gap>,
    /// Silences shorter than this are not listed.
    pub min_gap_s: f64,
    /// All listed gaps together.
    pub silent_s: f64,
    /// Of those, the time no stage (below the umbrellas) covers: unexplained start-up time.
    pub unaccounted_s: f64,
}

/// The stretches of `[a, b]` that none of the spans cover, in order.
fn uncovered(spans: &[Span], a: f64, b: f64) -> Vec<(f64, f64)> {
    let mut pieces: Vec<(f64, f64)> = spans
        .iter()
        .map(|s| (s.start_s.max(a), s.end_s.min(b)))
        .filter(|(x, y)| y > x)
        .collect();
    pieces.sort_by(|p, q| p.0.total_cmp(&q.0));
    let mut holes = Vec::new();
    let mut reach = a;
    for (x, y) in pieces {
        if x > reach {
            holes.push((reach, x));
        }
        reach = reach.max(y);
    }
    if b > reach {
        holes.push((reach, b));
    }
    holes
}

/// The length of `[a, b]` that the spans cover (their union, not their sum).
fn covered(spans: &[Span], a: f64, b: f64) -> f64 {
    (b - a)
        - uncovered(spans, a, b)
            .iter()
            .map(|(x, y)| y - x)
            .sum::<f64>()
}

impl Timeline {
    /// The stretches of a silence that no stage below the umbrellas covers: where its
    /// `unaccounted_s` lies (for drawing it).
    pub fn unaccounted_parts(&self, gap: &Gap) -> Vec<(f64, f64)> {
        let leaves: Vec<Span> = self
            .spans
            .iter()
            .filter(|s| !UMBRELLAS.contains(&s.key.as_str()))
            .cloned()
            .collect();
        uncovered(&leaves, gap.start_s, gap.end_s)
    }
}

fn round_ms(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// `times`: `(line, seconds)` of every timestamped line, in file order.
pub fn build(
    origin_line: usize,
    times: &[(usize, f64)],
    mut spans: Vec<Span>,
    ready_s: Option<f64>,
    min_gap_s: f64,
) -> Timeline {
    let last_s = times.iter().map(|t| t.1).fold(0.0, f64::max);
    let end_s = ready_s.unwrap_or(last_s);
    let mut sorted: Vec<(usize, f64)> = times.iter().copied().filter(|t| t.1 <= end_s).collect();
    sorted.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    let leaves: Vec<Span> = spans
        .iter()
        .filter(|s| !UMBRELLAS.contains(&s.key.as_str()))
        .cloned()
        .collect();
    let mut gaps = Vec::new();
    for pair in sorted.windows(2) {
        let ((after_line, a), (before_line, b)) = (pair[0], pair[1]);
        if b - a < min_gap_s {
            continue;
        }
        let mut overlaps: Vec<(f64, &str)> = spans
            .iter()
            .map(|s| (s.end_s.min(b) - s.start_s.max(a), s.key.as_str()))
            .filter(|(o, _)| *o > 0.0)
            .collect();
        let umbrella = |key: &str| UMBRELLAS.contains(&key);
        overlaps.sort_by(|x, y| umbrella(x.1).cmp(&umbrella(y.1)).then(y.0.total_cmp(&x.0)));
        let mut covered_by: Vec<String> = Vec::new();
        for (_, key) in overlaps {
            if !covered_by.iter().any(|k| k == key) {
                covered_by.push(key.to_string());
            }
        }
        gaps.push(Gap {
            start_s: a,
            end_s: b,
            duration_s: round_ms(b - a),
            after_line,
            before_line,
            covered_by,
            unaccounted_s: round_ms((b - a) - covered(&leaves, a, b)),
        });
    }
    spans.sort_by(|a, b| a.start_s.total_cmp(&b.start_s).then(a.line.cmp(&b.line)));
    for s in &mut spans {
        s.start_s = round_ms(s.start_s);
        s.end_s = round_ms(s.end_s);
    }
    Timeline {
        origin_line,
        end_s: round_ms(end_s),
        silent_s: round_ms(gaps.iter().map(|g| g.duration_s).sum()),
        unaccounted_s: round_ms(gaps.iter().map(|g| g.unaccounted_s).sum()),
        spans,
        gaps,
        min_gap_s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(key: &str, start_s: f64, end_s: f64) -> Span {
        Span {
            key: key.into(),
            process: "driver".into(),
            start_s,
            end_s,
            line: 1,
            derived: false,
        }
    }

    #[test]
    fn the_unaccounted_parts_are_the_holes_between_the_stages() {
        let spans = [
            span("a_s", 2.0, 4.0),
            span("b_s", 3.0, 5.0),
            span("c_s", 7.0, 12.0),
        ];
        assert_eq!(uncovered(&spans, 0.0, 10.0), [(0.0, 2.0), (5.0, 7.0)]);
        assert_eq!(uncovered(&spans, 3.0, 4.5), []);
        assert_eq!(covered(&spans, 0.0, 10.0), 6.0);
        assert_eq!(uncovered(&[], 1.0, 2.0), [(1.0, 2.0)]);
    }

    #[test]
    fn a_silence_is_explained_by_the_stage_around_it_or_not() {
        // Lines at 0, 1, 31 (30 s silence, load_weights covers 10 s of it), 32, ready at 40.
        let times = [
            (1, 0.0),
            (2, 1.0),
            (3, 31.0),
            (4, 32.0),
            (5, 40.0),
            (6, 50.0),
        ];
        let t = build(
            1,
            &times,
            vec![span("load_weights_s", 21.0, 31.0)],
            Some(40.0),
            2.0,
        );
        assert_eq!(t.end_s, 40.0);
        assert_eq!(t.gaps.len(), 2, "{:?}", t.gaps);
        let g = &t.gaps[0];
        assert_eq!((g.after_line, g.before_line, g.duration_s), (2, 3, 30.0));
        assert_eq!(g.covered_by, ["load_weights_s"]);
        assert_eq!(g.unaccounted_s, 20.0);
        assert_eq!(t.gaps[1].unaccounted_s, 8.0);
        assert_eq!(t.unaccounted_s, 28.0);
    }

    #[test]
    fn a_silence_inside_init_engine_alone_is_unexplained() {
        let times = [(1, 0.0), (2, 100.0)];
        let spans = vec![
            span("init_engine_s", 0.0, 100.0),
            span("graph_capture_s", 97.0, 100.0),
        ];
        let t = build(1, &times, spans, Some(100.0), 2.0);
        assert_eq!(t.gaps[0].covered_by, ["graph_capture_s", "init_engine_s"]);
        assert_eq!(t.gaps[0].unaccounted_s, 97.0);
    }

    #[test]
    fn overlapping_spans_count_once() {
        let spans = [
            span("a", 0.0, 10.0),
            span("b", 5.0, 12.0),
            span("c", 20.0, 25.0),
        ];
        assert_eq!(covered(&spans, 0.0, 30.0), 17.0);
        assert_eq!(covered(&spans, 11.0, 21.0), 2.0);
    }
}

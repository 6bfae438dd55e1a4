//! A start-up as a timeline: one bar per phase and process, from where it starts to where it
//! ends on the log's time line (seconds from its first timestamped line), in the colours of the
//! paper's figure 2 where a phase is one of its stages; the silences no stage accounts for on a
//! row of their own; a server's times from spawn below. Of one run, or a group's median (each
//! bar's start and end the medians over the runs that have it).

use serde::Serialize;

use super::group::Group;
use super::{short, RunPhases, FIRST_TOKEN, HEALTHY};
use crate::render::figure::{tight_layout, Axes, Axis, Figure, Paint, Side};
use crate::render::geom::Rect;
use crate::render::text::{Ha, TextStyle, Va};
use crate::render::{style, Render, RenderError};
use crate::stats;

/// What a bar is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BarKind {
    Stage,
    /// A silence no line and no stage accounts for.
    Unaccounted,
    /// repro's clock around a server, from its spawn.
    Server,
}

/// One bar of the timeline.
#[derive(Debug, Clone, Serialize)]
pub struct Bar {
    pub phase: String,
    /// `driver`, `EngineCore_0`, … (the pid left out: it differs per run).
    pub process: String,
    pub start_s: f64,
    pub end_s: f64,
    pub kind: BarKind,
}

/// The chart model.
#[derive(Debug, Clone, Serialize)]
pub struct Timeline {
    pub title: String,
    /// Rows top to bottom; several bars may share a row (the silences).
    pub rows: Vec<(String, Vec<Bar>)>,
}

/// Figure 2's colours for the ledger keys that are its stages; others from a cycle.
fn colour(phase: &str, i: usize) -> &'static str {
    match phase {
        "tokenizer_init_s" => "#117733",
        "model_init_s" => "#999933",
        "load_weights_s" | "model_loading_s" | "runai_stream_s" | "tensorizer_deserialize_s" => {
            "#CC6677"
        }
        "dynamo_transform_s" => "#882255",
        "graph_compile_cached_s" => "#332288",
        "graph_compile_general_shape_s" | "graph_compile_shapes_s" => "#6655AA",
        "torch_compile_s" => "#BB88AA",
        "memory_profiling_s" => "#AA4499",
        "graph_capture_s" => "#EE7733",
        "init_engine_s" | "initialize_engine_s" | "serve_ready_after_engine_s" | "startup_s" => {
            "#BBBBBB"
        }
        _ => ["#4477AA", "#66CCEE", "#CCBB44", "#44AA99"][i % 4],
    }
}

/// `EngineCore_0 pid=1541055` → `EngineCore_0`.
fn process_name(id: &str) -> String {
    id.split(" pid=").next().unwrap_or(id).trim().to_string()
}

/// The timeline of `group`'s run `run` (an index into its runs), or of its median.
pub fn timeline(group: &Group, runs: &[RunPhases], run: Option<usize>) -> Result<Timeline, String> {
    let members: Vec<&RunPhases> = match run {
        Some(i) => {
            let at = group.members.get(i).ok_or_else(|| {
                format!(
                    "group `{}` has {} runs: --run {i} is not one (0-based)",
                    group.id, group.n
                )
            })?;
            vec![&runs[*at]]
        }
        None => group.members.iter().map(|&i| &runs[i]).collect(),
    };
    let timed: Vec<&RunPhases> = members
        .iter()
        .copied()
        .filter(|r| r.timeline.is_some())
        .collect();
    if timed.is_empty() {
        return Err(format!(
            "group `{}` has no time line to draw (its logs carry no timestamps)",
            group.id
        ));
    }
    // Each (phase, process): the medians of its starts and ends over the runs that have it.
    type Ends = ((String, String), Vec<f64>, Vec<f64>);
    let mut keyed: Vec<Ends> = Vec::new();
    for r in &timed {
        for s in &r.timeline.as_ref().expect("timed").spans {
            let key = (s.key.clone(), process_name(&s.process));
            match keyed.iter_mut().find(|(k, _, _)| *k == key) {
                Some((_, a, b)) => {
                    a.push(s.start_s);
                    b.push(s.end_s);
                }
                None => keyed.push((key, vec![s.start_s], vec![s.end_s])),
            }
        }
    }
    let med = |v: &[f64]| stats::median(v).unwrap_or(0.0);
    let mut stages: Vec<Bar> = keyed
        .iter()
        .map(|((phase, process), a, b)| Bar {
            phase: phase.clone(),
            process: process.clone(),
            start_s: med(a),
            end_s: med(b),
            kind: BarKind::Stage,
        })
        .collect();
    stages.sort_by(|a, b| {
        a.start_s
            .total_cmp(&b.start_s)
            .then(b.end_s.total_cmp(&a.end_s))
    });
    let mut rows: Vec<(String, Vec<Bar>)> = stages
        .into_iter()
        .map(|b| (format!("{} ({})", short(&b.phase), b.process), vec![b]))
        .collect();
    // The silences of the run whose unaccounted time is the median one.
    let mut by_gaps: Vec<&RunPhases> = timed.clone();
    by_gaps.sort_by(|a, b| {
        let u = |r: &RunPhases| r.timeline.as_ref().map_or(0.0, |t| t.unaccounted_s);
        u(a).total_cmp(&u(b))
    });
    let middle = by_gaps[(by_gaps.len() - 1) / 2];
    let timeline = middle.timeline.as_ref().expect("timed");
    // Only the stretches no stage covers: a silence inside a printed stage is accounted for.
    let gaps: Vec<Bar> = timeline
        .gaps
        .iter()
        .flat_map(|g| timeline.unaccounted_parts(g))
        .filter(|(start, end)| end - start >= 0.01)
        .map(|(start_s, end_s)| Bar {
            phase: super::UNACCOUNTED.into(),
            process: "run".into(),
            start_s,
            end_s,
            kind: BarKind::Unaccounted,
        })
        .collect();
    if !gaps.is_empty() {
        rows.push(("unaccounted (no line, no stage)".into(), gaps));
    }
    for (phase, name) in [
        (HEALTHY, "healthy (from spawn)"),
        (FIRST_TOKEN, "1st token (from spawn)"),
    ] {
        let values: Vec<f64> = members
            .iter()
            .filter_map(|r| r.phases.get(phase).map(|p| p.0))
            .collect();
        if let Some(m) = stats::median(&values) {
            let bar = Bar {
                phase: phase.into(),
                process: "server".into(),
                start_s: 0.0,
                end_s: m,
                kind: BarKind::Server,
            };
            rows.push((name.into(), vec![bar]));
        }
    }
    let what = match run {
        Some(i) => format!("run {i} of {}", group.n),
        None if group.n == 1 => "1 run".to_string(),
        None => format!("median of {} runs", group.n),
    };
    Ok(Timeline {
        title: format!("Start-up of {} ({what})", group.id),
        rows,
    })
}

impl Render for Timeline {
    fn figure(&self) -> Result<Figure, RenderError> {
        let n = self.rows.len().max(1) as f64;
        let end = self
            .rows
            .iter()
            .flat_map(|(_, bars)| bars.iter().map(|b| b.end_s))
            .fold(0.0, f64::max)
            .max(1e-3);
        let height = 1.4 + 0.26 * n;
        tight_layout(|at| {
            let mut fig = Figure::new(8.0, height);
            let ax = fig.axes(at, (0.0, end * 1.12), (n - 0.5, -0.5));
            for (i, (_, bars)) in self.rows.iter().enumerate() {
                for b in bars {
                    draw_bar(&mut fig, &ax, i as f64, b, i);
                }
            }
            fig.frame(&ax);
            let ticks = self
                .rows
                .iter()
                .enumerate()
                .map(|(i, (label, _))| (i as f64, label.clone()))
                .collect();
            fig.axis(&ax, &Axis::new(Side::Left, ticks).tick_pt(8.0));
            let x = Axis::new(Side::Bottom, ax.auto_x_ticks(style::FONT_SIZE))
                .label("Seconds from the log's first line", 11.0);
            fig.axis(&ax, &x);
            let (tx, ty) = ax.at(0.5, 1.0);
            let title = TextStyle {
                pt: 11.0,
                ha: Ha::Center,
                va: Va::Bottom,
                ..TextStyle::default()
            };
            fig.text(&self.title, tx, ty - 6.0, &title);
            Ok(fig)
        })
    }
}

fn draw_bar(fig: &mut Figure, ax: &Axes, row: f64, b: &Bar, i: usize) {
    let r = Rect::spanning(ax.px(b.start_s, row - 0.35), ax.px(b.end_s, row + 0.35));
    let fill = match b.kind {
        BarKind::Stage => colour(&b.phase, i),
        BarKind::Unaccounted => "#DDDDDD",
        BarKind::Server => "#555555",
    };
    let paint = Paint {
        fill: Some(fill),
        edge: Some(("#000000", 0.5)),
        hatch: usize::from(b.kind == BarKind::Unaccounted) * 4,
        ..Paint::default()
    };
    fig.rect(r, &paint);
    if b.kind != BarKind::Unaccounted {
        let t = TextStyle {
            pt: 7.0,
            ha: Ha::Left,
            va: Va::Center,
            ..TextStyle::default()
        };
        let (x, y) = ax.px(b.end_s, row);
        fig.text(
            &format!("{}s", super::secs(b.end_s - b.start_s)),
            x + 3.0,
            y,
            &t,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timeline_draws_a_bar_per_row_with_its_length() {
        let bar = |phase: &str, a: f64, b: f64, kind| Bar {
            phase: phase.into(),
            process: "driver".into(),
            start_s: a,
            end_s: b,
            kind,
        };
        let t = Timeline {
            title: "Start-up of x".into(),
            rows: vec![
                (
                    "load_weights (driver)".into(),
                    vec![bar("load_weights_s", 1.0, 4.5, BarKind::Stage)],
                ),
                (
                    "unaccounted".into(),
                    vec![bar("unaccounted_s", 5.0, 9.0, BarKind::Unaccounted)],
                ),
                (
                    "healthy".into(),
                    vec![bar(HEALTHY, 0.0, 12.0, BarKind::Server)],
                ),
            ],
        };
        let svg = t.to_svg().unwrap();
        for needle in [
            "Start-up of x",
            "load_weights (driver)",
            "3.50s",
            "12.00s",
            "#CC6677",
        ] {
            assert!(svg.contains(needle), "SVG lacks {needle:?}");
        }
        crate::render::pdf::svg_to_pdf(&svg).unwrap();
        assert_eq!(process_name("EngineCore_0 pid=12"), "EngineCore_0");
    }
}

//! Start-up across releases: per phase and compile-cache state, the median (with its min–max)
//! of each vLLM version's runs, the versions in release order. A chart (one line per phase, cold
//! solid and warm dashed, whiskers for the range) and a table.

use std::collections::BTreeSet;

use serde::Serialize;

use super::group::Group;
use super::{short, Cache, UNACCOUNTED};
use crate::env::releases::version_order;
use crate::render::figure::{tight_layout, Axis, Figure, Side};
use crate::render::legend::{Handle, Legend, Occupied};
use crate::render::style::{self, pt};
use crate::render::text::{Ha, TextStyle, Va};
use crate::render::{Render, RenderError};

/// The phases a trend follows, where the runs have them.
const PHASES: [&str; 7] = [
    "startup_s",
    "model_loading_s",
    "torch_compile_s",
    "memory_profiling_s",
    "graph_capture_s",
    "init_engine_s",
    UNACCOUNTED,
];

/// One version's numbers of a phase.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Point {
    pub median_s: f64,
    pub min_s: f64,
    pub max_s: f64,
    pub n: usize,
}

/// A phase under one cache state, across the versions.
#[derive(Debug, Clone, Serialize)]
pub struct Line {
    pub phase: String,
    pub cache: Option<Cache>,
    /// One per version of [`Trend::versions`]; `null` where that version lacks the phase.
    pub points: Vec<Option<Point>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Trend {
    pub title: String,
    pub versions: Vec<String>,
    pub lines: Vec<Line>,
}

/// The trend of the groups' timed runs (the paper's `uncached` first runs left out where
/// others are there), pooled per version and cache state; `None` below two versions.
pub fn trend(groups: &[Group]) -> Option<Trend> {
    let timed: Vec<&Group> = groups.iter().filter(|g| !g.config.uncached).collect();
    let pool: Vec<&Group> = if timed.is_empty() {
        groups.iter().collect()
    } else {
        timed
    };
    let mut versions: Vec<String> = pool
        .iter()
        .filter_map(|g| g.config.vllm.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if versions.len() < 2 {
        return None;
    }
    versions.sort_by_key(|v| version_order(v));
    let caches: BTreeSet<Option<Cache>> = pool.iter().map(|g| g.config.cache).collect();
    let mut lines = Vec::new();
    for phase in PHASES {
        for &cache in &caches {
            let points: Vec<Option<Point>> = versions
                .iter()
                .map(|v| point(&pool, v, cache, phase))
                .collect();
            if points.iter().any(Option::is_some) {
                lines.push(Line {
                    phase: phase.to_string(),
                    cache,
                    points,
                });
            }
        }
    }
    Some(Trend {
        title: format!(
            "Start-up across vLLM releases ({} to {})",
            versions[0],
            versions[versions.len() - 1]
        ),
        versions,
        lines,
    })
}

/// The phase's values of every run of `version` under `cache`, pooled.
fn point(pool: &[&Group], version: &str, cache: Option<Cache>, phase: &str) -> Option<Point> {
    let values: Vec<f64> = pool
        .iter()
        .filter(|g| g.config.vllm.as_deref() == Some(version) && g.config.cache == cache)
        .filter_map(|g| g.phase(phase))
        .flat_map(|p| p.values_s.iter().copied())
        .collect();
    let q = |p: f64| crate::stats::quantile(&values, p);
    Some(Point {
        median_s: q(0.5)?,
        min_s: q(0.0)?,
        max_s: q(1.0)?,
        n: values.len(),
    })
}

fn line_name(l: &Line) -> String {
    match l.cache {
        Some(Cache::Warm) => format!("{} (warm, dashed)", short(&l.phase)),
        Some(c) => format!("{} ({})", short(&l.phase), c.as_str()),
        None => short(&l.phase).to_string(),
    }
}

/// The trend as a table: a row per phase and cache state, a column per version.
pub fn table(t: &Trend) -> String {
    let mut out = format!("{}: median (n) per version, seconds\n", t.title);
    // As wide as the longest row name (`memory_profiling (warm, dashed)` is 31), so columns line up.
    let names: Vec<String> = t.lines.iter().map(line_name).collect();
    let w = names.iter().map(|n| n.chars().count()).fold(28, usize::max);
    out.push_str(&format!("  {:<w$}", "phase"));
    for v in &t.versions {
        out.push_str(&format!(" {v:>14}"));
    }
    out.push('\n');
    for (l, name) in t.lines.iter().zip(&names) {
        out.push_str(&format!("  {name:<w$}"));
        for p in &l.points {
            let cell = p.map_or("-".to_string(), |p| {
                format!("{} ({})", super::secs(p.median_s), p.n)
            });
            out.push_str(&format!(" {cell:>14}"));
        }
        out.push('\n');
    }
    out
}

impl Render for Trend {
    fn figure(&self) -> Result<Figure, RenderError> {
        let n = self.versions.len() as f64;
        let top = self
            .lines
            .iter()
            .flat_map(|l| l.points.iter().flatten().map(|p| p.max_s))
            .fold(0.0, f64::max)
            .max(1e-3)
            * 1.08;
        let phases: Vec<&str> = PHASES
            .iter()
            .copied()
            .filter(|p| self.lines.iter().any(|l| l.phase == *p))
            .collect();
        let colour = |phase: &str| {
            let i = phases.iter().position(|p| *p == phase).unwrap_or(0);
            style::CYCLE[i % style::CYCLE.len()]
        };
        let names: Vec<String> = self.lines.iter().map(line_name).collect();
        tight_layout(|at| {
            let mut fig = Figure::new(8.0, 5.0);
            let ax = fig.axes(at, (-0.3, n - 0.7), (0.0, top));
            let mut occupied = Occupied::default();
            for l in &self.lines {
                let c = colour(&l.phase);
                let dashed = l.cache == Some(Cache::Warm);
                let pts: Vec<(f64, f64)> = l
                    .points
                    .iter()
                    .enumerate()
                    .filter_map(|(i, p)| p.map(|p| ax.px(i as f64, p.median_s)))
                    .collect();
                fig.line(&pts, c, style::LINE_WIDTH, dashed);
                for (i, p) in l.points.iter().enumerate() {
                    let Some(p) = p else { continue };
                    let (x, y) = ax.px(i as f64, p.median_s);
                    fig.circle((x, y), pt(style::MARKER_SIZE) / 2.0, c, 0.0);
                    fig.segment((x, ax.y_px(p.min_s)), (x, ax.y_px(p.max_s)), c, 1.0);
                }
                occupied.points.extend(pts);
            }
            fig.frame(&ax);
            let ticks = self
                .versions
                .iter()
                .enumerate()
                .map(|(i, v)| (i as f64, v.clone()))
                .collect();
            fig.axis(
                &ax,
                &Axis::new(Side::Bottom, ticks).label("vLLM release", 12.0),
            );
            let y = Axis::new(Side::Left, ax.auto_y_ticks(style::FONT_SIZE, false))
                .label("Seconds (median, min-max)", 12.0);
            fig.axis(&ax, &y);
            let (tx, ty) = ax.at(0.5, 1.0);
            let title = TextStyle {
                pt: 12.0,
                ha: Ha::Center,
                va: Va::Bottom,
                ..TextStyle::default()
            };
            fig.text(&self.title, tx, ty - 6.0, &title);
            let entries = self
                .lines
                .iter()
                .zip(&names)
                .map(|(l, name)| {
                    let handle = Handle::Line {
                        color: colour(&l.phase),
                        marker: true,
                    };
                    (name.as_str(), handle)
                })
                .collect();
            fig.legend(&ax, &Legend::new(entries, 8.0), &occupied);
            Ok(fig)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::group::groups;
    use super::super::{Config, PhaseSource, RunPhases};
    use super::*;

    fn run(vllm: &str, cache: Cache, startup: f64) -> RunPhases {
        RunPhases {
            source: format!("x/{vllm}.txt").into(),
            config: Config {
                experiment: format!("x/vllm-{vllm}"),
                label: "model_m".into(),
                uncached: false,
                model: None,
                vllm: Some(vllm.into()),
                cache: Some(cache),
                loader: None,
            },
            cache_from: None,
            paper: false,
            complete: true,
            phases: [("startup_s".to_string(), (startup, PhaseSource::Derived))]
                .into_iter()
                .collect(),
            timeline: None,
        }
    }

    #[test]
    fn versions_in_release_order_one_line_per_phase_and_cache() {
        let runs = vec![
            run("0.10.0", Cache::Cold, 30.0),
            run("0.10.0", Cache::Cold, 32.0),
            run("0.9.0", Cache::Cold, 40.0),
            run("0.9.0", Cache::Warm, 20.0),
        ];
        let t = trend(&groups(&runs)).unwrap();
        assert_eq!(t.versions, ["0.9.0", "0.10.0"]);
        assert_eq!(t.lines.len(), 2);
        let cold = &t.lines[0];
        assert_eq!(cold.cache, Some(Cache::Cold));
        let p = cold.points[1].unwrap();
        assert_eq!((p.median_s, p.min_s, p.max_s, p.n), (31.0, 30.0, 32.0, 2));
        assert!(t.lines[1].points[1].is_none(), "0.10.0 has no warm run");
        let text = table(&t);
        assert!(text.contains("startup (warm, dashed)"), "{text}");
        let svg = t.to_svg().unwrap();
        assert!(svg.contains("0.10.0") && svg.contains("vLLM release"));
        assert!(
            trend(&groups(&runs[..2])).is_none(),
            "one version is no trend"
        );
    }

    #[test]
    fn table_columns_line_up_past_the_longest_phase_name() {
        let mut runs = vec![
            run("0.9.0", Cache::Warm, 40.0),
            run("0.10.0", Cache::Warm, 30.0),
        ];
        for r in &mut runs {
            r.phases.insert(
                "memory_profiling_s".to_string(),
                (0.001, PhaseSource::Derived),
            );
        }
        let text = table(&trend(&groups(&runs)).unwrap());
        let rows: Vec<&str> = text.lines().skip(1).collect();
        assert!(
            rows.iter()
                .any(|r| r.contains("memory_profiling (warm, dashed)")),
            "{text}"
        );
        let widths: Vec<usize> = rows.iter().map(|r| r.chars().count()).collect();
        assert!(widths.windows(2).all(|w| w[0] == w[1]), "{text}");
    }
}

//! Lines with markers (the serving benchmarks' latency–throughput curves and CDFs) in the
//! paper's house style: 8 × 5 in, `tight_layout()`, matplotlib's colour cycle, lines of 1.5 pt
//! with round markers of 6 pt (where a line has few points), tick labels of 13 pt, axis labels
//! and the title of 15 pt, the legend of 13 pt where it covers least.

use super::figure::{tight_layout, Axes, Axis, Figure, Side};
use super::legend::{Handle, Legend, Occupied};
use super::style::{self, pt};
use super::text::{Ha, TextStyle, Va};
use super::{Render, RenderError};
use crate::figures::bench::LineChartData;

/// Lines with more points than this are drawn without markers (a CDF).
const MARKERS_UP_TO: usize = 30;

/// `lo..hi` around the values with matplotlib's 5 % margin; from 0 where every value is ≥ 0.
fn range(values: impl Iterator<Item = f64>, fixed_max: Option<f64>) -> std::ops::Range<f64> {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return 0.0..1.0;
    }
    if let Some(max) = fixed_max {
        hi = hi.max(max);
    }
    let lo = if lo >= 0.0 { 0.0 } else { lo };
    let span = hi - lo;
    if span <= 0.0 {
        return lo..lo + hi.abs().max(1.0);
    }
    let margin = style::AXES_MARGIN * span;
    lo - if lo < 0.0 { margin } else { 0.0 }..hi + margin
}

/// The frame, both axes with their ticks (13 pt) and labels (15 pt), and the title above:
/// what every chart of this house style draws around its marks.
pub(super) fn frame_axes_title(
    fig: &mut Figure,
    ax: &Axes,
    xlabel: &str,
    ylabel: &str,
    title: &str,
) {
    fig.frame(ax);
    let xa = Axis::new(Side::Bottom, ax.auto_x_ticks(13.0))
        .tick_pt(13.0)
        .label(xlabel, 15.0);
    fig.axis(ax, &xa);
    let ya = Axis::new(Side::Left, ax.auto_y_ticks(13.0, false))
        .tick_pt(13.0)
        .label(ylabel, 15.0);
    fig.axis(ax, &ya);
    // `ax.set_title`: centred, `axes.titlepad` (6 pt) above the frame.
    let (cx, top) = ax.at(0.5, 1.0);
    let style = TextStyle {
        pt: 15.0,
        ha: Ha::Center,
        va: Va::Baseline,
        ..TextStyle::default()
    };
    fig.text(title, cx, top - pt(6.0), &style);
}

impl Render for LineChartData {
    fn figure(&self) -> Result<Figure, RenderError> {
        let points = || self.series.iter().flat_map(|s| s.points.iter());
        let bars = || self.series.iter().flat_map(|s| s.bars.iter());
        let x = range(points().map(|p| p.0), None);
        let ys = points().map(|p| p.1).chain(bars().flat_map(|b| [b.1, b.2]));
        let y = range(ys, self.ymax);
        let color = |i: usize| style::CYCLE[i % style::CYCLE.len()];
        tight_layout(|at| {
            let mut fig = Figure::new(8.0, 5.0);
            let ax: Axes = fig.axes(at, (x.start, x.end), (y.start, y.end));
            let mut occupied = Occupied::default();
            for (i, s) in self.series.iter().enumerate() {
                let line: Vec<(f64, f64)> = s.points.iter().map(|&(a, b)| ax.px(a, b)).collect();
                fig.line(&line, color(i), style::LINE_WIDTH, false);
                if s.points.len() <= MARKERS_UP_TO {
                    for p in &line {
                        fig.circle(*p, pt(style::MARKER_SIZE) / 2.0, color(i), 0.0);
                    }
                }
                occupied.points.extend(line);
                // An interval: a vertical line with caps (matplotlib's errorbar, capsize 3).
                for &(bx, lo, hi) in &s.bars {
                    let (a, b) = (ax.px(bx, lo), ax.px(bx, hi));
                    fig.line(&[a, b], color(i), style::LINE_WIDTH, false);
                    occupied.points.extend([a, b]);
                    for end in [a, b] {
                        let cap = [(end.0 - pt(3.0), end.1), (end.0 + pt(3.0), end.1)];
                        fig.line(&cap, color(i), style::LINE_WIDTH, false);
                    }
                }
            }
            frame_axes_title(&mut fig, &ax, &self.xlabel, &self.ylabel, &self.title);
            if !self.series.is_empty() {
                let entries = self
                    .series
                    .iter()
                    .enumerate()
                    .map(|(i, s)| {
                        let handle = Handle::Line {
                            color: color(i),
                            marker: s.points.len() <= MARKERS_UP_TO,
                        };
                        (s.label.as_str(), handle)
                    })
                    .collect();
                fig.legend(&ax, &Legend::new(entries, 13.0), &occupied);
            }
            Ok(fig)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figures::bench::Series;

    #[test]
    fn draws_labels_legend_and_lines() {
        let data = LineChartData {
            title: "bench m: TTFT vs load".into(),
            xlabel: "Achieved request rate (req/s)".into(),
            ylabel: "TTFT (ms)".into(),
            series: vec![
                Series {
                    label: "TTFT p50".into(),
                    points: vec![(1.0, 10.0), (2.0, 30.0)],
                    bars: vec![(2.0, 25.0, 35.0)],
                },
                Series {
                    label: "TTFT p99".into(),
                    points: vec![(1.0, 20.0)],
                    bars: vec![],
                },
            ],
            ymax: None,
        };
        let svg = data.to_svg().unwrap();
        for needle in [
            "TTFT (ms)",
            "Achieved request rate (req/s)",
            "TTFT p50",
            "TTFT p99",
            "bench m: TTFT vs load",
            "<polyline",
            "<circle",
            ">10<",
        ] {
            assert!(svg.contains(needle), "SVG lacks {needle:?}");
        }
        assert!(crate::render::render_with_banner(&data, super::super::Format::Pdf, None).is_ok());
    }

    #[test]
    fn ranges_have_headroom_and_survive_one_point() {
        let r = range([1.0, 2.0].into_iter(), None);
        assert_eq!(r.start, 0.0);
        assert!(r.end > 2.0);
        let one = range([5.0].into_iter(), None);
        assert!(one.end > 5.0 && one.start == 0.0);
        let r = range(std::iter::empty(), None);
        assert_eq!(r, 0.0..1.0);
        assert!(range([0.5].into_iter(), Some(1.0)).end > 1.0);
    }
}

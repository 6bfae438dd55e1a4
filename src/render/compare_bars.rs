//! `repro compare --out`: per stage the mean ratio B / A as a bar with its standard error, each
//! label's ratio as a dot on it, and a dashed line at 1 (no difference).

use super::bars;
use super::figure::{bar_x_limits, tight_layout, y_limit, Axis, Figure, Paint, Side};
use super::style::BAR_WIDTH;
use super::text::{Ha, TextStyle, Va};
use super::{Render, RenderError};
use crate::compare::output::CompareChart;

const BAR: &str = "#1f77b4";
/// The total-time stages, grey as in the paper's figure 10.
const TOTAL: &str = "#666666";

fn fill(stage: &str) -> &'static str {
    if stage.contains("total_time") {
        TOTAL
    } else {
        BAR
    }
}

impl Render for CompareChart {
    fn figure(&self) -> Result<Figure, RenderError> {
        let n = self.bars.len().max(1) as f64;
        let x_limits = bar_x_limits(-BAR_WIDTH / 2.0, n - 1.0 + BAR_WIDTH / 2.0);
        let top = y_limit(self.bars.iter().flat_map(|b| {
            let bar = b.mean + b.stderr.unwrap_or(0.0);
            b.ratios.iter().copied().chain([bar, 1.0])
        }));
        tight_layout(|at| {
            let width = (1.5 + 0.8 * self.bars.len().max(4) as f64).min(16.0);
            let mut fig = Figure::new(width, 5.0);
            let ax = fig.axes(at, x_limits, (0.0, top));
            for (i, bar) in self.bars.iter().enumerate() {
                let paint = Paint::fill(fill(&bar.label));
                fig.bar(&ax, i as f64, BAR_WIDTH, (0.0, bar.mean), &paint);
            }
            // No difference: a dashed line at 1.
            let (x0, one) = ax.px(x_limits.0, 1.0);
            let (x1, _) = ax.px(x_limits.1, 1.0);
            fig.line(&[(x0, one), (x1, one)], "#d62728", 1.2, true);
            for (i, bar) in self.bars.iter().enumerate() {
                let m = bar.ratios.len();
                for (k, ratio) in bar.ratios.iter().enumerate() {
                    // Spread the dots across the bar so equal ratios stay visible.
                    let dx = if m > 1 {
                        -0.25 + 0.5 * k as f64 / (m - 1) as f64
                    } else {
                        0.0
                    };
                    fig.circle(ax.px(i as f64 + dx, *ratio), 3.0, "#404040", 0.5);
                }
                if let Some(err) = bar.stderr {
                    fig.error_bar(&ax, i as f64, bar.mean, err, 10.0);
                }
            }
            fig.frame(&ax);
            for (i, bar) in self.bars.iter().enumerate() {
                bars::value_inside(&mut fig, &ax, i as f64, bar.mean, None);
            }
            let ticks = bars::category_ticks(self.bars.iter().map(|b| &b.label));
            fig.axis(&ax, &Axis::new(Side::Bottom, ticks).turned(30.0, Ha::Right));
            bars::value_axis(&mut fig, &ax, &self.ylabel, 12.0);
            let (tx, ty) = ax.at(0.5, 1.0);
            let title = TextStyle {
                pt: 12.0,
                ha: Ha::Center,
                va: Va::Bottom,
                ..TextStyle::default()
            };
            fig.text(&self.title, tx, ty - 6.0, &title);
            Ok(fig)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::output::CompareBar;

    #[test]
    fn draws_bars_dots_and_the_line_at_one() {
        let chart = CompareChart {
            title: "B / A".into(),
            ylabel: "B / A".into(),
            bars: vec![
                CompareBar {
                    label: "load_weights".into(),
                    mean: 1.5,
                    stderr: Some(0.1),
                    ratios: vec![1.4, 1.6],
                },
                CompareBar {
                    label: "actual_total_time".into(),
                    mean: 0.8,
                    stderr: None,
                    ratios: vec![0.8],
                },
            ],
        };
        let svg = chart.to_svg().unwrap();
        assert_eq!(svg.matches("<circle").count(), 3);
        assert!(svg.contains("stroke-dasharray"));
        assert!(svg.contains("load_weights"), "{svg}");
        assert!(svg.contains("1.50"), "{svg}");
        crate::render::pdf::svg_to_pdf(&svg).unwrap();
    }
}

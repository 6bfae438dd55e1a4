//! `repro compare --out`: per stage the mean ratio B / A as a bar with its standard error, each
//! label's ratio as a dot on it, and a dashed line at 1 (no difference).

use super::svg::{self, Align, Baseline, Text};
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
    fn to_svg(&self) -> Result<String, RenderError> {
        let n = self.bars.len().max(1) as f64;
        let tops = self.bars.iter().flat_map(|b| {
            let bar = b.mean + b.stderr.unwrap_or(0.0);
            b.ratios.iter().copied().chain([bar, 1.0])
        });
        let ymax = svg::y_limit(tops);
        let (x_area, width) = (150, 110 + 80 * self.bars.len().max(4) as u32);
        svg::draw_svg(width, 560, |root, overlay| {
            let area = root.margin(40, 0, 20, 0);
            let mut chart = svg::bar_axes(
                &area,
                -0.6..n - 0.4,
                ymax,
                &self.ylabel,
                14.0,
                10.0,
                (x_area, 80),
            )?;
            for (i, bar) in self.bars.iter().enumerate() {
                svg::centered_bar(
                    &mut chart,
                    i as f64,
                    0.7,
                    bar.mean,
                    svg::color(fill(&bar.label))?,
                )?;
            }
            svg::spines(&chart, overlay);
            let (x0, one) = svg::px(&chart, -0.6, 1.0);
            let (x1, _) = svg::px(&chart, n - 0.4, 1.0);
            overlay.raw(&format!(
                "<line x1=\"{x0:.2}\" y1=\"{one:.2}\" x2=\"{x1:.2}\" y2=\"{one:.2}\" stroke=\"#d62728\" stroke-width=\"1.2\" stroke-dasharray=\"6 4\"/>\n"
            ));
            for (i, bar) in self.bars.iter().enumerate() {
                let x = i as f64;
                let m = bar.ratios.len();
                for (k, ratio) in bar.ratios.iter().enumerate() {
                    // Spread the dots across the bar so equal ratios stay visible.
                    let dx = if m > 1 {
                        -0.25 + 0.5 * k as f64 / (m - 1) as f64
                    } else {
                        0.0
                    };
                    let (cx, cy) = svg::px(&chart, x + dx, *ratio);
                    overlay.raw(&format!(
                        "<circle cx=\"{cx:.2}\" cy=\"{cy:.2}\" r=\"3\" fill=\"#000000\" fill-opacity=\"0.55\"/>\n"
                    ));
                }
                if let Some(err) = bar.stderr {
                    svg::error_bar(&chart, overlay, x, bar.mean, err, 14.0);
                }
                let (tx, ty) = svg::px(&chart, x, bar.mean / 2.0);
                svg::value_label(overlay, tx, ty, &format!("{:.2}", bar.mean), 10.0);
                let (lx, ly) = svg::px(&chart, x, 0.0);
                overlay.text(
                    lx,
                    ly + 8.0,
                    &bar.label,
                    Text {
                        pt: 10.0,
                        align: Align::End,
                        baseline: Baseline::Top,
                        rotate: 35.0,
                        ..Text::default()
                    },
                );
            }
            overlay.text(
                width as f64 / 2.0,
                12.0,
                &self.title,
                Text {
                    pt: 11.0,
                    baseline: Baseline::Top,
                    ..Text::default()
                },
            );
            Ok(())
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
        assert!(svg.contains(">load_weights</text>"));
        assert!(svg.contains(">1.50</text>"));
        crate::render::pdf::svg_to_pdf(&svg).unwrap();
    }
}

//! Figure 14: a group of bars per model, one bar per load format, with a legend.

use super::regression_bars::{text_px, x_ticks};
use super::svg::{self, Align, Baseline, Text, PX_PER_PT};
use super::{Render, RenderError};
use crate::figures::GroupedBarsData;

/// Bar width in group units (`width = 0.25`).
const WIDTH: f64 = 0.25;

impl Render for GroupedBarsData {
    fn to_svg(&self) -> Result<String, RenderError> {
        let groups = self.groups.len() as f64;
        let k = self.series.len() as f64;
        let ymax = svg::y_limit(
            self.series
                .iter()
                .flat_map(|s| s.means.iter().zip(&s.stderrs))
                .map(|(m, e)| m.unwrap_or(0.0) + e.unwrap_or(0.0)),
        );
        let half = k * WIDTH / 2.0;
        svg::draw_svg(800, 560, |root, overlay| {
            let mut chart = svg::bar_axes(
                root,
                -half - 0.1..groups - 1.0 + half + 0.1,
                ymax,
                &self.ylabel,
                15.0,
                10.0,
                (50, 80),
            )?;
            // Bar i of a group is centred at x + (i − (k − 1) / 2) · width.
            let offset = |i: usize| (i as f64 - (k - 1.0) / 2.0) * WIDTH;
            for (i, s) in self.series.iter().enumerate() {
                let fill = svg::color(&s.color)?;
                for (g, mean) in s.means.iter().enumerate() {
                    if let Some(m) = mean {
                        let x = g as f64 + offset(i);
                        svg::centered_bar(&mut chart, x, WIDTH, *m, fill)?;
                    }
                }
            }
            svg::spines(&chart, overlay);
            for (i, s) in self.series.iter().enumerate() {
                for (g, (mean, err)) in s.means.iter().zip(&s.stderrs).enumerate() {
                    let Some(m) = mean else { continue };
                    let x = g as f64 + offset(i);
                    if let Some(e) = err {
                        svg::error_bar(&chart, overlay, x, *m, *e, 10.0);
                    }
                    let (tx, ty) = svg::px(&chart, x, m / 2.0);
                    svg::value_label(overlay, tx, ty, &format!("{m:.2}"), 11.0);
                }
            }
            let positions = svg::at_indices(&self.groups);
            x_ticks(&chart, overlay, &positions, 15.0, 0.0);
            // Legend, upper right.
            let (xr, yr) = chart.plotting_area().get_pixel_range();
            let line = 13.0 * PX_PER_PT * 1.4;
            let widest = self
                .series
                .iter()
                .map(|s| text_px(&s.name, 13.0))
                .fold(0.0, f64::max);
            let (w, h) = (widest + 50.0, line * k + 12.0);
            let (lx, ly) = (xr.end as f64 - w - 8.0, yr.start as f64 + 8.0);
            overlay.rect((lx, ly), (w, h), "#ffffff", "#cccccc", 4.0);
            for (i, s) in self.series.iter().enumerate() {
                let y = ly + 6.0 + line * (i as f64 + 0.5);
                overlay.rect((lx + 8.0, y - 7.0), (26.0, 14.0), &s.color, &s.color, 0.0);
                overlay.text(
                    lx + 42.0,
                    y,
                    &s.name,
                    Text {
                        pt: 13.0,
                        align: Align::Start,
                        baseline: Baseline::Middle,
                        ..Text::default()
                    },
                );
            }
            Ok(())
        })
    }
}

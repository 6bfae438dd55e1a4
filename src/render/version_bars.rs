//! Figure 1: one bar per vLLM release, its startup time written on it.

use super::regression_bars::{tick_area, x_ticks};
use super::svg::{self, Text};
use super::{Render, RenderError};
use crate::figures::VersionBarsData;

/// matplotlib's default bar colour.
const BLUE: &str = "#1f77b4";

impl Render for VersionBarsData {
    fn to_svg(&self) -> Result<String, RenderError> {
        let n = self.bars.len() as f64;
        let ticks: Vec<&str> = self.bars.iter().map(|b| b.tick.as_str()).collect();
        let x_area = tick_area(&ticks, 13.0, 0.0, true);
        let ymax = svg::y_limit(self.bars.iter().map(|b| b.value));
        let height = 500 + x_area;
        svg::draw_svg(850, height, |root, overlay| {
            let mut chart = svg::bar_axes(
                root,
                -0.6..n - 0.4,
                ymax,
                &self.ylabel,
                15.0,
                13.0,
                (x_area, 80),
            )?;
            let blue = svg::color(BLUE)?;
            svg::column_bars(&mut chart, self.bars.iter().map(|b| (b.value, blue)))?;
            svg::spines(&chart, overlay);
            for (i, b) in self.bars.iter().enumerate() {
                let (tx, ty) = svg::px(&chart, i as f64, b.value / 2.0);
                svg::value_label(overlay, tx, ty, &b.text, 10.0);
            }
            let positions = svg::at_indices(&ticks);
            x_ticks(&chart, overlay, &positions, 13.0, 0.0);
            let (xr, _) = chart.plotting_area().get_pixel_range();
            overlay.text(
                (xr.start + xr.end) as f64 / 2.0,
                height as f64 - 8.0,
                &self.xlabel,
                Text {
                    pt: 15.0,
                    ..Text::default()
                },
            );
            Ok(())
        })
    }
}

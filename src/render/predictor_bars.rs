//! Figure 17: predicted and measured startup latency side by side per held-out model.

use super::regression_bars::{text_px, x_ticks};
use super::svg::{self, Align, Baseline, Text, PX_PER_PT};
use super::{Render, RenderError};
use crate::figures::PredictorBarsData;

const WIDTH: f64 = 0.35;
/// Where the predicted (left) and measured (right) bar of a model sit around its tick.
const SHIFT: [f64; 2] = [-WIDTH / 2.0, WIDTH / 2.0];
const SERIES: [(&str, &str); 2] = [("Predicted", "#1f77b4"), ("Truth", "#ff7f0e")];

impl Render for PredictorBarsData {
    fn to_svg(&self) -> Result<String, RenderError> {
        let n = self.models.len() as f64;
        let ymax = svg::y_limit(self.predicted.iter().chain(&self.truth).copied());
        svg::draw_svg(800, 560, |root, overlay| {
            let mut chart = svg::bar_axes(
                root,
                -0.6..n - 0.4,
                ymax,
                &self.ylabel,
                15.0,
                10.0,
                (50, 80),
            )?;
            let columns = [&self.predicted, &self.truth];
            for (s, values) in columns.iter().enumerate() {
                let fill = svg::color(SERIES[s].1)?;
                for (i, v) in values.iter().enumerate() {
                    svg::centered_bar(&mut chart, i as f64 + SHIFT[s], WIDTH, *v, fill)?;
                }
            }
            svg::spines(&chart, overlay);
            for (s, values) in columns.iter().enumerate() {
                for (i, v) in values.iter().enumerate() {
                    let (tx, ty) = svg::px(&chart, i as f64 + SHIFT[s], v / 2.0);
                    svg::value_label(overlay, tx, ty, &format!("{v:.2}"), 11.0);
                }
            }
            let positions = svg::at_indices(&self.models);
            x_ticks(&chart, overlay, &positions, 15.0, 0.0);
            let (xr, yr) = chart.plotting_area().get_pixel_range();
            let line = 13.0 * PX_PER_PT * 1.4;
            let w = text_px("Predicted", 13.0) + 50.0;
            let h = line * 2.0 + 12.0;
            let (lx, ly) = (xr.end as f64 - w - 8.0, yr.start as f64 + 8.0);
            overlay.rect((lx, ly), (w, h), "#ffffff", "#cccccc", 4.0);
            for (i, (name, color)) in SERIES.iter().enumerate() {
                let y = ly + 6.0 + line * (i as f64 + 0.5);
                overlay.rect((lx + 8.0, y - 7.0), (26.0, 14.0), color, color, 0.0);
                overlay.text(
                    lx + 42.0,
                    y,
                    name,
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

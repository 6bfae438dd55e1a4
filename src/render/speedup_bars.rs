//! Figures 10, 11, 13: mean ratio per stage with its standard error, `Total Time` grey
//! (`compare_2_archs` of `utils.py`).

use super::regression_bars::{left_overhang, tick_area, x_ticks};
use super::svg;
use super::{Render, RenderError};
use crate::figures::SpeedupBarsData;

impl Render for SpeedupBarsData {
    fn to_svg(&self) -> Result<String, RenderError> {
        let n = self.bars.len() as f64;
        let ticks: Vec<&str> = self.bars.iter().map(|b| b.label.as_str()).collect();
        let x_area = tick_area(&ticks, 13.0, 30.0, false);
        let ymax = svg::y_limit(self.bars.iter().map(|b| b.mean + b.stderr.unwrap_or(0.0)));
        let left = left_overhang(ticks.first().copied(), 13.0, 30.0);
        svg::draw_svg(820 + left, 500 + x_area, |root, overlay| {
            let area = root.margin(0, 0, left, 0);
            let mut chart = svg::bar_axes(
                &area,
                -0.6..n - 0.4,
                ymax,
                &self.ylabel,
                15.0,
                10.0,
                (x_area, 95),
            )?;
            let fills = self
                .bars
                .iter()
                .map(|b| svg::color(&b.color).map(|c| (b.mean, c)));
            svg::column_bars(&mut chart, fills.collect::<Result<Vec<_>, _>>()?)?;
            svg::spines(&chart, overlay);
            for (i, b) in self.bars.iter().enumerate() {
                let x = i as f64;
                if let Some(err) = b.stderr {
                    svg::error_bar(&chart, overlay, x, b.mean, err, 20.0);
                }
                let (tx, ty) = svg::px(&chart, x, b.mean / 2.0);
                svg::value_label(overlay, tx, ty, &format!("{:.2}", b.mean), 10.0);
            }
            let positions = svg::at_indices(&ticks);
            x_ticks(&chart, overlay, &positions, 13.0, 30.0);
            Ok(())
        })
    }
}

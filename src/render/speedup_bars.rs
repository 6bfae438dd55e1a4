//! Figures 10, 11, 13: mean ratio per stage with its standard error, `Total Time` grey
//! (`compare_2_archs` of `utils.py`: 8 × 5 in, `tight_layout()`, tick labels of 13 pt turned 30°
//! and right-aligned, the y label of 15 pt, values of 10 pt, caps of 10 pt).

use super::bars;
use super::figure::{bar_x_limits, tight_layout, y_limit, Axis, Figure, Paint, Side};
use super::style::BAR_WIDTH;
use super::text::Ha;
use super::{Render, RenderError};
use crate::figures::SpeedupBarsData;

impl Render for SpeedupBarsData {
    fn figure(&self) -> Result<Figure, RenderError> {
        let n = self.bars.len() as f64;
        let x_limits = bar_x_limits(-BAR_WIDTH / 2.0, n - 1.0 + BAR_WIDTH / 2.0);
        let top = y_limit(self.bars.iter().map(|b| b.mean + b.stderr.unwrap_or(0.0)));
        tight_layout(|at| {
            let mut fig = Figure::new(8.0, 5.0);
            let ax = fig.axes(at, x_limits, (0.0, top));
            for (i, b) in self.bars.iter().enumerate() {
                let fill = super::figure::color(&b.color)?;
                fig.bar(&ax, i as f64, BAR_WIDTH, (0.0, b.mean), &Paint::fill(fill));
            }
            for (i, b) in self.bars.iter().enumerate() {
                if let Some(err) = b.stderr {
                    fig.error_bar(&ax, i as f64, b.mean, err, 10.0);
                }
            }
            fig.frame(&ax);
            for (i, b) in self.bars.iter().enumerate() {
                bars::value_inside(&mut fig, &ax, i as f64, b.mean, None);
            }
            let ticks = bars::category_ticks(self.bars.iter().map(|b| &b.label));
            let x = Axis::new(Side::Bottom, ticks)
                .tick_pt(13.0)
                .turned(30.0, Ha::Right);
            fig.axis(&ax, &x);
            bars::value_axis(&mut fig, &ax, &self.ylabel, 15.0);
            Ok(fig)
        })
    }
}

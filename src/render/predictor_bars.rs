//! Figure 17: predicted and measured startup latency side by side per held-out model
//! (`figure-rest/plot.py`: 8 × 5 in, `tight_layout()`, bars 0.35 wide in C0 and C1, values of
//! 11 pt, tick labels of 15 pt, the legend of 13 pt where it covers least).

use super::bars;
use super::figure::{bar_x_limits, tight_layout, y_limit, Axis, Figure, Paint, Side};
use super::legend::{Handle, Legend, Occupied};
use super::style;
use super::{Render, RenderError};
use crate::figures::PredictorBarsData;

const WIDTH: f64 = 0.35;
/// Where the predicted (left) and measured (right) bar of a model sit around its tick.
const SHIFT: [f64; 2] = [-WIDTH / 2.0, WIDTH / 2.0];
const SERIES: [&str; 2] = ["Predicted", "Truth"];

impl Render for PredictorBarsData {
    fn figure(&self) -> Result<Figure, RenderError> {
        let n = self.models.len() as f64;
        let x_limits = bar_x_limits(-WIDTH, n - 1.0 + WIDTH);
        let top = y_limit(self.predicted.iter().chain(&self.truth).copied());
        let columns = [&self.predicted, &self.truth];
        tight_layout(|at| {
            let mut fig = Figure::new(8.0, 5.0);
            let ax = fig.axes(at, x_limits, (0.0, top));
            let mut occupied = Occupied::default();
            for (s, values) in columns.iter().enumerate() {
                for (i, v) in values.iter().enumerate() {
                    let x = i as f64 + SHIFT[s];
                    fig.bar(&ax, x, WIDTH, (0.0, *v), &Paint::fill(style::CYCLE[s]));
                    occupied.boxes.push(ax.bar_rect(x, WIDTH, 0.0, *v));
                }
            }
            fig.frame(&ax);
            for (s, values) in columns.iter().enumerate() {
                for (i, v) in values.iter().enumerate() {
                    let x = i as f64 + SHIFT[s];
                    occupied
                        .boxes
                        .extend(bars::value_inside(&mut fig, &ax, x, *v, Some(11.0)));
                }
            }
            let ticks = bars::category_ticks(self.models.iter());
            fig.axis(&ax, &Axis::new(Side::Bottom, ticks).tick_pt(15.0));
            bars::value_axis(&mut fig, &ax, &self.ylabel, 15.0);
            let entries = SERIES
                .iter()
                .enumerate()
                .map(|(s, name)| {
                    let handle = Handle::Patch {
                        fill: style::CYCLE[s],
                        edge: None,
                        hatch: 0,
                    };
                    (*name, handle)
                })
                .collect();
            fig.legend(&ax, &Legend::new(entries, 13.0), &occupied);
            Ok(fig)
        })
    }
}

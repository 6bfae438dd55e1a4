//! Figure 14 (and a benchmark's compare chart): a group of bars per model, one bar per load
//! format, with a legend (`figure-14/plot.py`: 8 × 5 in, `tight_layout()`, bars 0.25 wide, caps
//! of 5 pt, values of 11 pt, tick labels of 15 pt, the legend of 13 pt where it covers least).

use super::bars;
use super::figure::{bar_x_limits, tight_layout, y_limit, Axis, Figure, Paint, Side};
use super::legend::{Handle, Legend, Occupied};
use super::{Render, RenderError};
use crate::figures::GroupedBarsData;

/// Bar width in group units (`width = 0.25`); more than three series share 0.8.
fn bar_width(series: usize) -> f64 {
    (0.8 / series.max(1) as f64).min(0.25)
}

impl Render for GroupedBarsData {
    fn figure(&self) -> Result<Figure, RenderError> {
        let groups = self.groups.len() as f64;
        let k = self.series.len() as f64;
        let width = bar_width(self.series.len());
        // Bar i of a group is centred at x + (i − (k − 1) / 2) · width.
        let offset = |i: usize| (i as f64 - (k - 1.0) / 2.0) * width;
        let half = k * width / 2.0;
        let x_limits = bar_x_limits(-half, groups - 1.0 + half);
        let top = y_limit(
            self.series
                .iter()
                .flat_map(|s| s.means.iter().zip(&s.stderrs))
                .map(|(m, e)| m.unwrap_or(0.0) + e.unwrap_or(0.0)),
        );
        for s in &self.series {
            super::figure::color(&s.color)?;
        }
        tight_layout(|at| {
            let mut fig = Figure::new(8.0, 5.0);
            let ax = fig.axes(at, x_limits, (0.0, top));
            let mut occupied = Occupied::default();
            for (i, s) in self.series.iter().enumerate() {
                for (g, mean) in s.means.iter().enumerate() {
                    if let Some(m) = mean {
                        let x = g as f64 + offset(i);
                        fig.bar(&ax, x, width, (0.0, *m), &Paint::fill(&s.color));
                        occupied.boxes.push(ax.bar_rect(x, width, 0.0, *m));
                    }
                }
            }
            for (i, s) in self.series.iter().enumerate() {
                for (g, (mean, err)) in s.means.iter().zip(&s.stderrs).enumerate() {
                    if let (Some(m), Some(e)) = (mean, err) {
                        let x = g as f64 + offset(i);
                        fig.error_bar(&ax, x, *m, *e, 5.0);
                        occupied.points.push(ax.px(x, m + e));
                        occupied.points.push(ax.px(x, m - e));
                    }
                }
            }
            fig.frame(&ax);
            for (i, s) in self.series.iter().enumerate() {
                for (g, mean) in s.means.iter().enumerate() {
                    let Some(m) = mean else { continue };
                    let x = g as f64 + offset(i);
                    occupied
                        .boxes
                        .extend(bars::value_inside(&mut fig, &ax, x, *m, Some(11.0)));
                }
            }
            let ticks = bars::category_ticks(self.groups.iter());
            fig.axis(&ax, &Axis::new(Side::Bottom, ticks).tick_pt(15.0));
            bars::value_axis(&mut fig, &ax, &self.ylabel, 15.0);
            let entries = self
                .series
                .iter()
                .map(|s| {
                    let handle = Handle::Patch {
                        fill: &s.color,
                        edge: None,
                        hatch: 0,
                    };
                    (s.name.as_str(), handle)
                })
                .collect();
            fig.legend(&ax, &Legend::new(entries, 13.0), &occupied);
            Ok(fig)
        })
    }
}

//! Figure 1: one bar per vLLM release, its startup time written on it (`figure-1/plot.py`:
//! 8.5 × 5 in, default bars, ticks of 13 pt, labels of 15 pt, values of 10 pt).

use super::figure::{bar_x_limits, y_limit, Axis, Figure, Paint, Side};
use super::style::{self, BAR_WIDTH};
use super::text::{Ha, TextStyle, Va};
use super::{Render, RenderError};
use crate::figures::VersionBarsData;

impl Render for VersionBarsData {
    fn figure(&self) -> Result<Figure, RenderError> {
        let n = self.bars.len() as f64;
        let mut fig = Figure::new(8.5, 5.0);
        let ax = fig.axes(
            style::SUBPLOT,
            bar_x_limits(-BAR_WIDTH / 2.0, n - 1.0 + BAR_WIDTH / 2.0),
            (0.0, y_limit(self.bars.iter().map(|b| b.value))),
        );
        for (i, b) in self.bars.iter().enumerate() {
            fig.bar(
                &ax,
                i as f64,
                BAR_WIDTH,
                (0.0, b.value),
                &Paint::fill(style::CYCLE[0]),
            );
        }
        for (i, b) in self.bars.iter().enumerate() {
            let (x, y) = ax.px(i as f64, b.value / 2.0);
            let t = TextStyle {
                color: "#ffffff",
                ha: Ha::Center,
                va: Va::Bottom,
                ..TextStyle::default()
            };
            fig.text(&b.text, x, y, &t);
        }
        fig.frame(&ax);
        // plot.py's tick labels end in a newline: `f"{l}\n{release_dates[i]}\n"`.
        let ticks = self
            .bars
            .iter()
            .enumerate()
            .map(|(i, b)| (i as f64, format!("{}\n", b.tick)))
            .collect();
        let x = Axis::new(Side::Bottom, ticks)
            .tick_pt(13.0)
            .label(&self.xlabel, 15.0);
        fig.axis(&ax, &x);
        let y = Axis::new(Side::Left, ax.auto_y_ticks(13.0, false))
            .tick_pt(13.0)
            .label(&self.ylabel, 15.0);
        fig.axis(&ax, &y);
        Ok(fig)
    }
}

//! Figures 3–9, 15: bars with error bars and their values, an inset scatter with the dashed
//! least-squares line, and the `PCC = 0.96` box (`draw()` of `utils.py`: 7 × 5 in, tick labels
//! of 13 pt turned 30° and right-aligned, axis labels of 14 pt, values of 11 pt, caps of 10 pt).

use super::figure::{bar_x_limits, data_limits, Axes, Axis, Figure, Paint, Side};
use super::geom::Rect;
use super::style::{self, pt, BAR_WIDTH};
use super::text::{Ha, TextStyle, Va};
use super::{Render, RenderError};
use crate::figures::RegressionBarsData;

/// `capsize=10`.
const CAPSIZE: f64 = 10.0;

impl Render for RegressionBarsData {
    fn figure(&self) -> Result<Figure, RenderError> {
        let n = self.bars.len() as f64;
        let mut fig = Figure::new(7.0, 5.0);
        let ax = fig.axes(
            style::SUBPLOT,
            bar_x_limits(-BAR_WIDTH / 2.0, n - 1.0 + BAR_WIDTH / 2.0),
            (0.0, self.ymax),
        );
        for (i, b) in self.bars.iter().enumerate() {
            let fill = super::figure::color(&b.color)?;
            fig.bar(&ax, i as f64, BAR_WIDTH, (0.0, b.mean), &Paint::fill(fill));
        }
        for (i, b) in self.bars.iter().enumerate() {
            if let Some(err) = b.stderr {
                fig.error_bar(&ax, i as f64, b.mean, err, CAPSIZE);
            }
        }
        fig.frame(&ax);
        let top = self.top;
        for (i, b) in self.bars.iter().enumerate() {
            let mut y = b.mean / 2.0;
            if b.mean < 0.15 * top {
                y -= 0.02 * top;
            }
            let (tx, ty) = ax.px(i as f64, y);
            let t = TextStyle {
                pt: 11.0,
                color: "#ffffff",
                ha: Ha::Center,
                va: Va::Bottom,
                ..TextStyle::default()
            };
            fig.text(&format!("{:.2}", b.mean), tx, ty, &t);
        }
        let ticks = self
            .bars
            .iter()
            .enumerate()
            .map(|(i, b)| (i as f64, b.tick.clone()))
            .collect();
        let x = Axis::new(Side::Bottom, ticks)
            .tick_pt(13.0)
            .turned(self.tick_rotation, Ha::Right)
            .label(&self.xlabel, 14.0);
        fig.axis(&ax, &x);
        let y = Axis::new(Side::Left, ax.auto_y_ticks(style::FONT_SIZE, false))
            .label(&self.ylabel, 14.0);
        fig.axis(&ax, &y);
        self.inset(&mut fig, &ax);
        if let Some(pcc) = self.pcc {
            let (x, y) = ax.at(0.6, 0.95);
            let t = TextStyle {
                pt: 12.0,
                ha: Ha::Center,
                va: Va::Top,
                ..TextStyle::default()
            };
            let paint = Paint {
                fill: Some("#ffffff"),
                fill_opacity: Some(0.9),
                edge: Some(("#000000", style::PATCH_LINE_WIDTH)),
                ..Paint::default()
            };
            fig.boxed_text(&format!("PCC = {pcc:.2}"), x, y, &t, 0.3, paint);
        }
        Ok(fig)
    }
}

impl RegressionBarsData {
    /// `inset_axes(width="30%", height="30%", loc="upper left", bbox_to_anchor=(0.1, -0.04, 1,
    /// 1))`: 30 % of the axes each way, its corner `borderpad` (half a 10 pt font) inside the
    /// axes box moved right by 10 % and down by 4 %.
    fn inset(&self, fig: &mut Figure, ax: &Axes) {
        let f = ax.frame;
        let pad = pt(0.5 * style::FONT_SIZE);
        let x0 = f.x0 + 0.1 * f.width() + pad;
        let y0 = f.y0 + 0.04 * f.height() + pad;
        let frame = Rect {
            x0,
            y0,
            x1: x0 + 0.3 * f.width(),
            y1: y0 + 0.3 * f.height(),
        };
        let xs: Vec<f64> = self.bars.iter().map(|b| b.x_value).collect();
        let mut ys: Vec<f64> = self.bars.iter().map(|b| b.mean).collect();
        if let Some(fit) = self.fit {
            ys.extend(xs.iter().map(|&x| fit.at(x)));
        }
        let inset = Axes {
            frame,
            x: data_limits(xs.iter().copied()),
            y: data_limits(ys),
        };
        // `scatter(s=15)`: a marker of √15 pt across, its edge (1.5 pt, its colour) around it.
        for b in &self.bars {
            let r = pt(15f64.sqrt() / 2.0);
            fig.circle(inset.px(b.x_value, b.mean), r, &b.color, style::LINE_WIDTH);
        }
        if let Some(fit) = self.fit {
            let line: Vec<(f64, f64)> = xs.iter().map(|&x| inset.px(x, fit.at(x))).collect();
            fig.line(&line, "#000000", 1.0, true);
        }
        fig.frame(&inset);
        let x = Axis::new(Side::Bottom, inset.auto_x_ticks(8.0))
            .tick_pt(8.0)
            .label(&self.inset_xlabel, 10.0);
        fig.axis(&inset, &x);
        let y = Axis::new(Side::Left, inset.auto_y_ticks(8.0, false))
            .tick_pt(8.0)
            .label(&self.inset_ylabel, 10.0);
        fig.axis(&inset, &y);
    }
}

//! Figures 3–9, 15: bars with error bars and their values, an inset scatter with the dashed
//! least-squares line, and the `PCC = 0.96` box (`draw()` of `utils.py`).

use plotters::prelude::*;

use super::svg::{self, Align, Baseline, Overlay, Text, PX_PER_PT};
use super::{Render, RenderError};
use crate::figures::RegressionBarsData;

/// Width of the text, roughly (DejaVu Sans averages ~0.6 em per character).
pub(crate) fn text_px(s: &str, pt: f64) -> f64 {
    s.chars().count() as f64 * pt * PX_PER_PT * 0.6
}

/// Room under the axes for tick labels turned by `rotate` degrees (and an x label).
pub(crate) fn tick_area(ticks: &[&str], pt: f64, rotate: f64, xlabel: bool) -> u32 {
    let longest = ticks
        .iter()
        .flat_map(|t| t.split('\n'))
        .map(|t| text_px(t, pt))
        .fold(0.0, f64::max);
    let lines = ticks
        .iter()
        .map(|t| t.split('\n').count())
        .max()
        .unwrap_or(1) as f64;
    let line = pt * PX_PER_PT * 1.25;
    let rad = rotate.to_radians();
    let height = longest * rad.sin() + line * lines * rad.cos().max(0.3);
    (height + 16.0 + if xlabel { 30.0 } else { 0.0 }).ceil() as u32
}

/// How far the first turned tick label reaches left of the y-axis label area (matplotlib's
/// `bbox_inches="tight"` grows the page for it; here the canvas gets a left margin).
pub(crate) fn left_overhang(first_tick: Option<&str>, pt: f64, rotate: f64) -> u32 {
    let Some(tick) = first_tick else { return 0 };
    let reach = text_px(tick, pt) * rotate.to_radians().cos() - 110.0;
    reach.max(0.0).ceil() as u32
}

/// Tick marks and labels under the x axis at the given data positions.
pub(crate) fn x_ticks(
    chart: &svg::Chart<'_, '_>,
    overlay: &mut Overlay,
    ticks: &[(f64, &str)],
    pt: f64,
    rotate: f64,
) {
    for &(x, label) in ticks {
        let (tx, ty) = svg::px(chart, x, 0.0);
        overlay.line((tx, ty), (tx, ty + 5.0), "black", 1.0);
        let align = if rotate != 0.0 {
            Align::End
        } else {
            Align::Middle
        };
        overlay.text(
            tx,
            ty + 8.0,
            label,
            Text {
                pt,
                align,
                baseline: Baseline::Top,
                rotate,
                ..Text::default()
            },
        );
    }
}

impl Render for RegressionBarsData {
    fn to_svg(&self) -> Result<String, RenderError> {
        let n = self.bars.len() as f64;
        let ticks: Vec<&str> = self.bars.iter().map(|b| b.tick.as_str()).collect();
        let x_area = tick_area(&ticks, 13.0, self.tick_rotation, !self.xlabel.is_empty());
        let left = left_overhang(ticks.first().copied(), 13.0, self.tick_rotation);
        let width = 720 + left;
        let height = 500 + x_area;
        svg::draw_svg(width, height, |root, overlay| {
            let area = root.margin(0, 0, left, 0);
            let mut chart = svg::bar_axes(
                &area,
                -0.6..n - 0.4,
                self.ymax,
                &self.ylabel,
                14.0,
                10.0,
                (x_area, 95),
            )?;
            let fills = self
                .bars
                .iter()
                .map(|b| svg::color(&b.color).map(|c| (b.mean, c)));
            svg::column_bars(&mut chart, fills.collect::<Result<Vec<_>, _>>()?)?;
            svg::spines(&chart, overlay);
            let top = self.top;
            for (i, b) in self.bars.iter().enumerate() {
                let x = i as f64;
                if let Some(err) = b.stderr {
                    svg::error_bar(&chart, overlay, x, b.mean, err, 20.0);
                }
                let mut y = b.mean / 2.0;
                if b.mean < 0.15 * top {
                    y -= 0.02 * top;
                }
                let (tx, ty) = svg::px(&chart, x, y);
                svg::value_label(overlay, tx, ty, &format!("{:.2}", b.mean), 11.0);
            }
            let positions = svg::at_indices(&ticks);
            x_ticks(&chart, overlay, &positions, 13.0, self.tick_rotation);
            let (xr, yr) = chart.plotting_area().get_pixel_range();
            if !self.xlabel.is_empty() {
                overlay.text(
                    (xr.start + xr.end) as f64 / 2.0,
                    height as f64 - 8.0,
                    &self.xlabel,
                    Text {
                        pt: 14.0,
                        ..Text::default()
                    },
                );
            }
            self.inset(root, overlay, (xr.start, xr.end), (yr.start, yr.end))?;
            if let Some(pcc) = self.pcc {
                pcc_box(overlay, (xr.start, xr.end), (yr.start, yr.end), pcc);
            }
            Ok(())
        })
    }
}

/// The `PCC = r` box at axes fraction (0.6, 0.95), centred, hanging from its top.
fn pcc_box(overlay: &mut Overlay, (x0, x1): (i32, i32), (y0, y1): (i32, i32), pcc: f64) {
    let text = format!("PCC = {pcc:.2}");
    let cx = x0 as f64 + 0.6 * (x1 - x0) as f64;
    let top = y0 as f64 + 0.05 * (y1 - y0) as f64;
    let pad = 0.3 * 12.0 * PX_PER_PT;
    let w = text_px(&text, 12.0) + 2.0 * pad;
    let h = 12.0 * PX_PER_PT * 1.2 + 2.0 * pad;
    overlay.rect((cx - w / 2.0, top), (w, h), "#ffffff", "#000000", pad);
    overlay.text(
        cx,
        top + pad,
        &text,
        Text {
            pt: 12.0,
            baseline: Baseline::Top,
            ..Text::default()
        },
    );
}

impl RegressionBarsData {
    /// The inset: 30 % × 30 % of the axes, upper left, shifted right by 10 % of the axes.
    fn inset(
        &self,
        root: &svg::Area<'_>,
        overlay: &mut Overlay,
        (x0, x1): (i32, i32),
        (y0, y1): (i32, i32),
    ) -> Result<(), RenderError> {
        let (w, h) = ((x1 - x0) as f64, (y1 - y0) as f64);
        let pad = 0.5 * 10.0 * PX_PER_PT;
        let left = x0 as f64 + 0.1 * w + pad;
        let top = y0 as f64 + 0.04 * h + pad;
        let (iw, ih) = (0.3 * w, 0.3 * h);
        let (ya, xa) = (52.0, 40.0);
        let area = root.clone().shrink(
            ((left - ya) as i32, top as i32),
            ((iw + ya) as u32, (ih + xa) as u32),
        );
        let xs: Vec<f64> = self.bars.iter().map(|b| b.x_value).collect();
        let mut ys: Vec<f64> = self.bars.iter().map(|b| b.mean).collect();
        if let Some(fit) = self.fit {
            ys.extend(xs.iter().map(|&x| fit.at(x)));
        }
        let (xlo, xhi) = padded(&xs);
        let (ylo, yhi) = padded(&ys);
        let mut chart = ChartBuilder::on(&area)
            .x_label_area_size(xa as u32)
            .y_label_area_size(ya as u32)
            .build_cartesian_2d(xlo..xhi, ylo..yhi)
            .map_err(svg::plot_error)?;
        let (xd, yd) = (
            svg::tick_decimals(xhi - xlo).saturating_sub(1),
            svg::tick_decimals(yhi - ylo),
        );
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(4)
            .y_labels(4)
            .x_label_formatter(&|v| format!("{v:.xd$}"))
            .y_label_formatter(&|v| format!("{v:.yd$}"))
            .label_style(svg::font(8.0))
            .x_desc(self.inset_xlabel.as_str())
            .y_desc(self.inset_ylabel.as_str())
            .axis_desc_style(svg::font(10.0))
            .draw()
            .map_err(svg::plot_error)?;
        svg::spines(&chart, overlay);
        for b in &self.bars {
            let (cx, cy) = svg::px(&chart, b.x_value, b.mean);
            overlay.raw(&format!(
                "<circle cx=\"{cx:.2}\" cy=\"{cy:.2}\" r=\"3\" fill=\"{}\"/>\n",
                b.color
            ));
        }
        if let Some(fit) = self.fit {
            let lo = xs.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let (ax, ay) = svg::px(&chart, lo, fit.at(lo));
            let (bx, by) = svg::px(&chart, hi, fit.at(hi));
            overlay.raw(&format!(
                "<line x1=\"{ax:.2}\" y1=\"{ay:.2}\" x2=\"{bx:.2}\" y2=\"{by:.2}\" stroke=\"black\" stroke-width=\"1.4\" stroke-dasharray=\"5,2\"/>\n"
            ));
        }
        Ok(())
    }
}

/// A range around the values with 5 % margins (matplotlib's autoscale).
fn padded(values: &[f64]) -> (f64, f64) {
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !lo.is_finite() || !hi.is_finite() {
        return (0.0, 1.0);
    }
    let span = if hi > lo { hi - lo } else { hi.abs().max(1.0) };
    (lo - 0.05 * span, hi + 0.05 * span)
}

//! Axes as matplotlib places them: a frame on the canvas and the data range it shows, the axes
//! drawn on its sides, and the autoscaled limits of the paper's charts.

use super::geom::Rect;
use super::style;
use super::text::Ha;
use super::ticks;

/// Axes: a frame on the canvas and the data range it shows (`y.0` at the bottom; an inverted
/// axis has `y.0 > y.1`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Axes {
    pub frame: Rect,
    pub x: (f64, f64),
    pub y: (f64, f64),
}

/// Which side of the axes an axis is drawn on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Left,
    Right,
    Bottom,
}

/// One axis: tick marks, their labels and the axis label.
#[derive(Debug, Clone)]
pub struct Axis<'a> {
    pub side: Side,
    pub ticks: Vec<(f64, String)>,
    pub tick_pt: f64,
    pub rotation: f64,
    /// Horizontal alignment of x tick labels (`set_xticklabels(ha=…)`).
    pub ha: Ha,
    pub label: &'a str,
    pub label_pt: f64,
}

impl<'a> Axis<'a> {
    pub fn new(side: Side, ticks: Vec<(f64, String)>) -> Axis<'a> {
        Axis {
            side,
            ticks,
            tick_pt: style::FONT_SIZE,
            rotation: 0.0,
            ha: Ha::Center,
            label: "",
            label_pt: style::FONT_SIZE,
        }
    }

    pub fn tick_pt(mut self, pt: f64) -> Self {
        self.tick_pt = pt;
        self
    }

    pub fn label(mut self, label: &'a str, pt: f64) -> Self {
        self.label = label;
        self.label_pt = pt;
        self
    }

    pub fn turned(mut self, rotation: f64, ha: Ha) -> Self {
        self.rotation = rotation;
        self.ha = ha;
        self
    }
}

impl Axes {
    pub fn px(&self, x: f64, y: f64) -> (f64, f64) {
        (self.x_px(x), self.y_px(y))
    }

    pub fn x_px(&self, x: f64) -> f64 {
        let f = self.frame;
        f.x0 + (x - self.x.0) / (self.x.1 - self.x.0) * f.width()
    }

    pub fn y_px(&self, y: f64) -> f64 {
        let f = self.frame;
        f.y1 - (y - self.y.0) / (self.y.1 - self.y.0) * f.height()
    }

    /// A point at axes fractions (0, 0 bottom left; 1, 1 top right).
    pub fn at(&self, fx: f64, fy: f64) -> (f64, f64) {
        let f = self.frame;
        (f.x0 + fx * f.width(), f.y1 - fy * f.height())
    }

    pub fn width_pt(&self) -> f64 {
        self.frame.width() / style::PX_PER_PT
    }

    pub fn height_pt(&self) -> f64 {
        self.frame.height() / style::PX_PER_PT
    }

    /// matplotlib's automatic ticks of the y axis for labels of `tick_pt`.
    pub fn auto_y_ticks(&self, tick_pt: f64, integer: bool) -> Vec<(f64, String)> {
        let bins = ticks::auto_bins(self.height_pt(), tick_pt, false);
        ticks::ticks(self.y.0, self.y.1, bins, integer)
    }

    /// matplotlib's automatic ticks of the x axis for labels of `tick_pt`.
    pub fn auto_x_ticks(&self, tick_pt: f64) -> Vec<(f64, String)> {
        let bins = ticks::auto_bins(self.width_pt(), tick_pt, true);
        ticks::ticks(self.x.0, self.x.1, bins, false)
    }

    /// The data box of a bar (x centre, width, bottom, height) on the canvas.
    pub fn bar_rect(&self, x: f64, width: f64, bottom: f64, height: f64) -> Rect {
        Rect::spanning(
            self.px(x - width / 2.0, bottom),
            self.px(x + width / 2.0, bottom + height),
        )
    }
}

/// Autoscaled limits of categorical bars spanning `lo..hi` in x: matplotlib's 5 % margins.
pub fn bar_x_limits(lo: f64, hi: f64) -> (f64, f64) {
    let span = hi - lo;
    (
        lo - style::AXES_MARGIN * span,
        hi + style::AXES_MARGIN * span,
    )
}

/// Autoscaled limits around values: 5 % of their span on each side (a single value gets ±5 %).
pub fn data_limits(values: impl IntoIterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.into_iter().filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if hi - lo <= 0.0 {
        return ticks::nonsingular(lo, hi, 0.05);
    }
    let m = style::AXES_MARGIN * (hi - lo);
    (lo - m, hi + m)
}

/// A bar chart's y limits: from 0 to the highest bar or error bar plus 5 % (an empty chart: 1).
pub fn y_limit(tops: impl IntoIterator<Item = f64>) -> f64 {
    let top = tops.into_iter().fold(0.0, f64::max);
    if top > 0.0 {
        top * (1.0 + style::AXES_MARGIN)
    } else {
        1.0
    }
}

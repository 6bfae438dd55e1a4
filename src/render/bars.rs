//! What the bar charts draw alike: a bar's value written inside it, the categories under the
//! bars, the value axis on the left.

use super::figure::{Axes, Axis, Figure, Side};
use super::geom::Rect;
use super::style;
use super::text::{Ha, TextStyle, Va};

/// `value` (two decimals) in white at the middle of its bar at `x`, `pt` points (`None`: the
/// default size); the box it takes, where drawn.
pub fn value_inside(
    fig: &mut Figure,
    ax: &Axes,
    x: f64,
    value: f64,
    pt: Option<f64>,
) -> Option<Rect> {
    let (px, py) = ax.px(x, value / 2.0);
    let mut t = TextStyle {
        color: "#ffffff",
        ha: Ha::Center,
        va: Va::Bottom,
        ..TextStyle::default()
    };
    if let Some(pt) = pt {
        t.pt = pt;
    }
    fig.text(&format!("{value:.2}"), px, py, &t)
}

/// One tick per category, at 0, 1, 2, …
pub fn category_ticks<'a>(names: impl Iterator<Item = &'a String>) -> Vec<(f64, String)> {
    names
        .enumerate()
        .map(|(i, name)| (i as f64, name.clone()))
        .collect()
}

/// The value axis: automatic ticks, `ylabel` at `label_pt` points.
pub fn value_axis(fig: &mut Figure, ax: &Axes, ylabel: &str, label_pt: f64) {
    let y = Axis::new(Side::Left, ax.auto_y_ticks(style::FONT_SIZE, false)).label(ylabel, label_pt);
    fig.axis(ax, &y);
}

//! Figure 2: the stages of one startup stacked into one bar; CPU-dominant stages hatched `////`;
//! the time of each stage of 0.5 s or more written on it; the total above; two legends to the
//! right (`figure-2/plot.py`: 1.5 × 5.5 in, edges 1.1 pt, legends of 11 pt anchored in axes
//! fractions).

use super::figure::{bar_x_limits, Axes, Axis, Figure, Paint, Side};
use super::geom::Rect;
use super::legend::{Handle, Legend, Loc, Occupied};
use super::style::BAR_WIDTH;
use super::text::{Ha, TextStyle, Va};
use super::{style, Render, RenderError};
use crate::figures::StackedStagesData;

/// `linewidth=1.1` of the bars.
const EDGE: f64 = 1.1;
/// `hatch="////"`.
const HATCH: usize = 4;

impl Render for StackedStagesData {
    fn figure(&self) -> Result<Figure, RenderError> {
        let mut fig = Figure::new(1.5, 5.5);
        let ax = fig.axes(
            style::SUBPLOT,
            bar_x_limits(-BAR_WIDTH / 2.0, BAR_WIDTH / 2.0),
            (0.0, self.total + 2.0),
        );
        for s in &self.segments {
            let paint = Paint {
                fill: Some(super::figure::color(&s.color)?),
                edge: Some(("#000000", EDGE)),
                hatch: if s.hatched { HATCH } else { 0 },
                ..Paint::default()
            };
            fig.bar(&ax, 0.0, BAR_WIDTH, (s.bottom, s.value), &paint);
        }
        fig.frame(&ax);
        write_texts(self, &mut fig, &ax);
        let y_axis = Axis::new(Side::Left, ax.auto_y_ticks(13.0, false))
            .tick_pt(13.0)
            .label(&self.ylabel, 15.0);
        fig.axis(&ax, &y_axis);
        legends(self, &mut fig, &ax);
        Ok(fig)
    }
}

/// Each stage's time on its segment (white), and the total above the bar.
fn write_texts(data: &StackedStagesData, fig: &mut Figure, ax: &Axes) {
    let bold = |color| TextStyle {
        bold: true,
        color,
        ha: Ha::Center,
        ..TextStyle::default()
    };
    for s in &data.segments {
        if let Some(text) = &s.text {
            let (x, y) = ax.px(0.0, s.bottom + s.value / 2.0);
            let t = TextStyle {
                va: Va::Center,
                ..bold("#ffffff")
            };
            fig.text(text, x, y, &t);
        }
    }
    let (x, y) = ax.px(0.0, data.total + 0.5);
    let t = TextStyle {
        va: Va::Bottom,
        ..bold("#000000")
    };
    fig.text(&data.total_text, x, y, &t);
}

/// The two legends to the right: resource dominance (hatched or not), and the stages top to
/// bottom as the bar stacks them.
fn legends(data: &StackedStagesData, fig: &mut Figure, ax: &Axes) {
    let point = |fx: f64, fy: f64| {
        let (x, y) = ax.at(fx, fy);
        Rect {
            x0: x,
            x1: x,
            y0: y,
            y1: y,
        }
    };
    let dominance = Legend {
        title: Some("Resource Dominance"),
        title_left: true,
        loc: Loc::UpperRight,
        anchor: Some(point(2.5, 0.35)),
        border_axes_pad: 0.1,
        ..Legend::new(
            vec![
                (
                    "CPU-dominant",
                    Handle::Patch {
                        fill: "#ffffff",
                        edge: Some(style::PATCH_LINE_WIDTH),
                        hatch: HATCH,
                    },
                ),
                (
                    "GPU-dominant",
                    Handle::Patch {
                        fill: "#ffffff",
                        edge: Some(style::PATCH_LINE_WIDTH),
                        hatch: 0,
                    },
                ),
            ],
            11.0,
        )
    };
    fig.legend(ax, &dominance, &Occupied::default());
    // Stages top to bottom, as the bars stack.
    let stages = data
        .segments
        .iter()
        .rev()
        .map(|s| {
            let handle = Handle::Patch {
                fill: &s.color,
                edge: Some(EDGE),
                hatch: if s.hatched { HATCH } else { 0 },
            };
            (s.label.as_str(), handle)
        })
        .collect();
    let steps = Legend {
        loc: Loc::UpperRight,
        anchor: Some(point(3.6, 1.0)),
        ..Legend::new(stages, 11.0)
    };
    fig.legend(ax, &steps, &Occupied::default());
}

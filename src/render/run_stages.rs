//! Any experiment without a `[[plot]]`: one stacked bar of the stages per run, in figure 2's
//! colours, the total above each bar, the stages in a legend to the right (8 × 5 in,
//! `tight_layout()`, tick labels turned 30° and right-aligned, as the paper's bar charts).

use super::figure::{bar_x_limits, tight_layout, y_limit, Axes, Axis, Figure, Paint, Side};
use super::geom::Rect;
use super::legend::{Handle, Legend, Loc, Occupied};
use super::style::{self, BAR_WIDTH};
use super::text::{Ha, TextStyle, Va};
use super::{Render, RenderError};
use crate::figures::default::RunStagesData;

impl Render for RunStagesData {
    fn figure(&self) -> Result<Figure, RenderError> {
        let n = self.runs.len() as f64;
        let x_limits = bar_x_limits(-BAR_WIDTH / 2.0, n - 1.0 + BAR_WIDTH / 2.0);
        let stacked = |run: usize| self.stages.iter().map(|(_, _, v)| v[run]).sum::<f64>();
        let top = y_limit((0..self.runs.len()).map(|i| {
            stacked(i).max(self.totals[i].unwrap_or(0.0))
                * if self.runs.len() > 10 { 1.2 } else { 1.08 }
        }));
        for (_, color, _) in &self.stages {
            super::figure::color(color)?;
        }
        tight_layout(|at| {
            let mut fig = Figure::new(8.0, 5.0);
            let ax = fig.axes(at, x_limits, (0.0, top));
            stack_bars(self, &mut fig, &ax);
            fig.frame(&ax);
            // Many runs: the totals stand upright so they do not run into each other.
            let upright = self.runs.len() > 10;
            for (run, total) in self.totals.iter().enumerate() {
                let Some(total) = total else { continue };
                let (x, y) = ax.px(run as f64, stacked(run));
                let t = TextStyle {
                    pt: 9.0,
                    ha: if upright { Ha::Left } else { Ha::Center },
                    va: if upright { Va::Center } else { Va::Bottom },
                    rotation: if upright { 90.0 } else { 0.0 },
                    anchor_mode: upright,
                    ..TextStyle::default()
                };
                fig.text(&format!("{total:.2}s"), x, y - 2.0, &t);
            }
            let ticks = self
                .runs
                .iter()
                .enumerate()
                .map(|(i, r)| (i as f64, r.clone()))
                .collect();
            let turn = if upright { 90.0 } else { 30.0 };
            fig.axis(&ax, &Axis::new(Side::Bottom, ticks).turned(turn, Ha::Right));
            let y = Axis::new(Side::Left, ax.auto_y_ticks(style::FONT_SIZE, false))
                .label(&self.ylabel, 12.0);
            fig.axis(&ax, &y);
            let (tx, ty) = ax.at(0.5, 1.0);
            let title = TextStyle {
                pt: 12.0,
                ha: Ha::Center,
                va: Va::Bottom,
                ..TextStyle::default()
            };
            fig.text(&self.title, tx, ty - 6.0, &title);
            stage_legend(self, &mut fig, &ax);
            Ok(fig)
        })
    }
}

/// Each run's stages stacked into one bar.
fn stack_bars(data: &RunStagesData, fig: &mut Figure, ax: &Axes) {
    for run in 0..data.runs.len() {
        let mut bottom = 0.0;
        for (_, color, values) in &data.stages {
            let paint = Paint {
                fill: Some(color),
                edge: Some(("#000000", 0.5)),
                ..Paint::default()
            };
            fig.bar(ax, run as f64, BAR_WIDTH, (bottom, values[run]), &paint);
            bottom += values[run];
        }
    }
}

/// The stages in a legend outside the axes, to the right, top to bottom as the bars stack.
fn stage_legend(data: &RunStagesData, fig: &mut Figure, ax: &Axes) {
    // Top to bottom, as the bars stack.
    let entries = data
        .stages
        .iter()
        .rev()
        .map(|(label, color, _)| {
            let handle = Handle::Patch {
                fill: color,
                edge: Some(0.5),
                hatch: 0,
            };
            (label.as_str(), handle)
        })
        .collect();
    // Outside the axes, to the right: it covers no bar.
    let (lx, ly) = ax.at(1.02, 1.0);
    let legend = Legend {
        loc: Loc::UpperLeft,
        anchor: Some(Rect {
            x0: lx,
            x1: lx,
            y0: ly,
            y1: ly,
        }),
        border_axes_pad: 0.0,
        ..Legend::new(entries, 9.0)
    };
    fig.legend(ax, &legend, &Occupied::default());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_stacked_bar_per_run_with_its_total() {
        let data = RunStagesData {
            title: "my-sweep".into(),
            runs: vec!["16".into(), "160".into()],
            stages: vec![
                ("Loading Weights".into(), "#CC6677".into(), vec![1.0, 2.0]),
                ("Graph Capturing".into(), "#EE7733".into(), vec![0.5, 4.0]),
            ],
            totals: vec![Some(1.6), Some(6.25)],
            ylabel: "Time (s)".into(),
        };
        let svg = data.to_svg().unwrap();
        for needle in ["1.60s", "6.25s", "Loading Weights", "160", "my-sweep"] {
            assert!(svg.contains(needle), "SVG lacks {needle:?}");
        }
        crate::render::pdf::svg_to_pdf(&svg).unwrap();
    }
}

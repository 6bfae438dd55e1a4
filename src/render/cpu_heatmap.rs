//! Figure 12: per-core CPU usage over time as an image (viridis, 0–100 %), with a colorbar
//! (`figure-12/plot.py`: 10 × 6 in, `imshow(aspect="auto")`, `plt.colorbar` beside it,
//! `tight_layout()`, ticks of 12 pt, labels of 15 pt).

use super::figure::{tight_layout, Axes, Axis, Figure, Paint, Side};
use super::geom::Rect;
use super::style::Fractions;
use super::ticks;
use super::{viridis, Render, RenderError};
use crate::figures::CpuHeatmapData;

/// `plt.colorbar`'s defaults: `fraction=0.15`, `pad=0.05`, `aspect=20`.
const FRACTION: f64 = 0.15;
const PAD: f64 = 0.05;
const ASPECT: f64 = 20.0;

/// The image's axes and the colorbar's in the box the subplot fills (`make_axes_gridspec`: a
/// 1 × 2 grid with width ratios `1 − fraction − pad : fraction`, `wspace = 2·pad / (1 − pad)`;
/// the colorbar 1/20 as wide as it is tall, at the left of its cell).
fn split(fig: &Figure, at: Fractions) -> (Rect, Rect) {
    let spec = fig.rect_of(at);
    let wspace = 2.0 * PAD / (1.0 - PAD);
    let cell = spec.width() / (2.0 + wspace);
    let ratios = [1.0 - FRACTION - PAD, FRACTION];
    let norm = 2.0 * cell / (ratios[0] + ratios[1]);
    let image = Rect {
        x1: spec.x0 + ratios[0] * norm,
        ..spec
    };
    let x0 = image.x1 + wspace * cell;
    let bar = Rect {
        x0,
        x1: x0 + spec.height() / ASPECT,
        ..spec
    };
    (image, bar)
}

impl Render for CpuHeatmapData {
    fn figure(&self) -> Result<Figure, RenderError> {
        let interval = self.interval_s.max(f64::MIN_POSITIVE);
        let t_end = if self.samples.len() > 1 {
            self.duration()
        } else {
            interval
        };
        // imshow spans core 0 (top) to core n − 1 (bottom); one core still gets a unit of height.
        let bottom = (self.cores.saturating_sub(1) as f64).max(1.0);
        tight_layout(|at| {
            let mut fig = Figure::new(10.0, 6.0);
            let (image, bar) = split(&fig, at);
            let ax = Axes {
                frame: image,
                x: (0.0, t_end),
                y: (bottom, 0.0),
            };
            self.cells(&mut fig, &ax);
            fig.frame(&ax);
            let x = Axis::new(Side::Bottom, ax.auto_x_ticks(12.0))
                .tick_pt(12.0)
                .label(&self.xlabel, 15.0);
            fig.axis(&ax, &x);
            // Whole core numbers (matplotlib would also print 0.5 steps for two cores).
            let y = Axis::new(Side::Left, ax.auto_y_ticks(12.0, true))
                .tick_pt(12.0)
                .label(&self.ylabel, 15.0);
            fig.axis(&ax, &y);
            colorbar(&mut fig, bar, &self.colorbar_label);
            Ok(fig)
        })
    }
}

impl CpuHeatmapData {
    /// The image: row 0 (core 0) at the top; runs of one colour along a row merged into one box.
    fn cells(&self, fig: &mut Figure, ax: &Axes) {
        let n = self.samples.len();
        let rows = self.cores as f64;
        let (x_end, y_end) = (ax.x.1, ax.y.0);
        let (cw, rh) = (x_end / n as f64, y_end / rows);
        for core in 0..self.cores {
            let mut start = 0;
            while start < n {
                let c = viridis::color(self.samples[start][core], 100.0);
                let mut end = start + 1;
                while end < n && viridis::color(self.samples[end][core], 100.0) == c {
                    end += 1;
                }
                let r = Rect::spanning(
                    ax.px(start as f64 * cw, core as f64 * rh),
                    ax.px(end as f64 * cw, (core + 1) as f64 * rh),
                );
                // A hairline of the same colour closes the seams between neighbouring boxes.
                let paint = Paint {
                    edge: Some((c, 0.1)),
                    ..Paint::fill(c)
                };
                fig.rect(r, &paint);
                start = end;
            }
        }
    }
}

/// The colorbar: 256 bands of viridis from 0 (bottom) to 100 (top), its ticks on the right.
fn colorbar(fig: &mut Figure, frame: Rect, label: &str) {
    let ax = Axes {
        frame,
        x: (0.0, 1.0),
        y: (0.0, 100.0),
    };
    let steps = 256;
    for i in 0..steps {
        let (lo, hi) = (
            i as f64 * 100.0 / steps as f64,
            (i + 1) as f64 * 100.0 / steps as f64,
        );
        let c = viridis::color((lo + hi) / 2.0, 100.0);
        let r = Rect::spanning(ax.px(0.0, lo), ax.px(1.0, hi));
        let paint = Paint {
            edge: Some((c, 0.1)),
            ..Paint::fill(c)
        };
        fig.rect(r, &paint);
    }
    fig.frame(&ax);
    let bins = ticks::auto_bins(ax.height_pt(), 12.0, false);
    let axis = Axis::new(Side::Right, ticks::ticks(0.0, 100.0, bins, false))
        .tick_pt(12.0)
        .label(label, 15.0);
    fig.axis(&ax, &axis);
}

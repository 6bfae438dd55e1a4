//! Figure 12: per-core CPU usage over time as an image (viridis, 0–100 %), with a colorbar.

use plotters::prelude::*;

use super::svg::{self, Align, Baseline, Text};
use super::{Render, RenderError};
use crate::figures::CpuHeatmapData;

fn viridis(v: f64) -> RGBColor {
    ViridisRGB.get_color_normalized(v.clamp(0.0, 100.0) as f32, 0.0, 100.0)
}

fn hex(c: RGBColor) -> String {
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

/// Core ticks as matplotlib picks them for 0..n: steps of 10 for 64 cores.
fn core_ticks(cores: usize) -> Vec<usize> {
    let step = match cores {
        0..=10 => 1,
        11..=20 => 2,
        21..=50 => 5,
        51..=100 => 10,
        _ => 20,
    };
    (0..cores).step_by(step).collect()
}

impl Render for CpuHeatmapData {
    fn to_svg(&self) -> Result<String, RenderError> {
        let t_end = self.duration();
        // imshow spans core 0 (top) to core n − 1 (bottom); one core still gets a unit of height.
        let bottom = ((self.cores - 1) as f64).max(1.0);
        svg::draw_svg(1000, 600, |root, overlay| {
            let area = root.clone().shrink((0, 0), (860u32, 600u32));
            let mut chart = ChartBuilder::on(&area)
                .margin_top(12)
                .margin_right(12)
                .x_label_area_size(70)
                .y_label_area_size(80)
                .build_cartesian_2d(0.0..t_end, 0.0..bottom)
                .map_err(svg::plot_error)?;
            chart
                .configure_mesh()
                .disable_mesh()
                .disable_y_axis()
                .x_labels(10)
                .x_label_formatter(&|v| format!("{v:.0}"))
                .x_label_style(svg::font(12.0))
                .x_desc(self.xlabel.as_str())
                .axis_desc_style(svg::font(15.0))
                .draw()
                .map_err(svg::plot_error)?;
            // The image: row 0 (core 0) at the top; runs of one colour merged into one rect.
            let (n, rows) = (self.samples.len() as f64, self.cores as f64);
            let (cw, rh) = (t_end / n, bottom / rows);
            let mut cells = Vec::new();
            for core in 0..self.cores {
                let y1 = bottom - core as f64 * rh;
                let mut start = 0;
                while start < self.samples.len() {
                    let c = viridis(self.samples[start][core]);
                    let mut end = start + 1;
                    while end < self.samples.len() && viridis(self.samples[end][core]) == c {
                        end += 1;
                    }
                    cells.push(Rectangle::new(
                        [(start as f64 * cw, y1 - rh), (end as f64 * cw, y1)],
                        c.filled(),
                    ));
                    start = end;
                }
            }
            chart.draw_series(cells).map_err(svg::plot_error)?;
            svg::spines(&chart, overlay);
            let tick = Text {
                pt: 12.0,
                align: Align::End,
                baseline: Baseline::Middle,
                ..Text::default()
            };
            for core in core_ticks(self.cores) {
                let (x, y) = svg::px(&chart, 0.0, bottom - core as f64);
                overlay.line((x - 5.0, y), (x, y), "black", 1.0);
                overlay.text(x - 8.0, y, &core.to_string(), tick);
            }
            let (xr, yr) = chart.plotting_area().get_pixel_range();
            overlay.text(
                22.0,
                (yr.start + yr.end) as f64 / 2.0,
                &self.ylabel,
                Text {
                    pt: 15.0,
                    baseline: Baseline::Top,
                    rotate: 90.0,
                    ..Text::default()
                },
            );
            colorbar(
                overlay,
                xr.end as f64 + 30.0,
                (yr.start as f64, yr.end as f64),
                &self.colorbar_label,
            );
            Ok(())
        })
    }
}

/// A vertical colorbar from 0 (bottom) to 100 (top) with ticks every 20 and its label.
fn colorbar(overlay: &mut svg::Overlay, x: f64, (top, bottom): (f64, f64), label: &str) {
    let w = 22.0;
    let steps = 100;
    let h = (bottom - top) / steps as f64;
    for i in 0..steps {
        let v = (i as f64 + 0.5) * 100.0 / steps as f64;
        let y = bottom - (i + 1) as f64 * h;
        let c = hex(viridis(v));
        overlay.rect((x, y), (w, h + 0.5), &c, "none", 0.0);
    }
    overlay.rect((x, top), (w, bottom - top), "none", "#000000", 0.0);
    for t in (0..=100).step_by(20) {
        let y = bottom - t as f64 / 100.0 * (bottom - top);
        overlay.line((x + w, y), (x + w + 5.0, y), "black", 1.0);
        overlay.text(
            x + w + 8.0,
            y,
            &t.to_string(),
            Text {
                pt: 12.0,
                align: Align::Start,
                baseline: Baseline::Middle,
                ..Text::default()
            },
        );
    }
    overlay.text(
        x + w + 62.0,
        (top + bottom) / 2.0,
        label,
        Text {
            pt: 15.0,
            baseline: Baseline::Top,
            rotate: 90.0,
            ..Text::default()
        },
    );
}

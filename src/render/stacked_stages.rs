//! Figure 2: the stages of one startup stacked into one bar; CPU-dominant stages hatched `////`;
//! the time of each stage of 0.5 s or more written on it; the total above; two legends.

use super::regression_bars::text_px;
use super::svg::{self, Align, Baseline, Overlay, Text, PX_PER_PT};
use super::{Render, RenderError};
use crate::figures::StackedStagesData;

/// The `////` hatch: black diagonals 8 px apart.
const HATCH_DEFS: &str = r#"<defs><pattern id="hatch" patternUnits="userSpaceOnUse" width="8" height="8"><path d="M-1,1 l2,-2 M0,8 l8,-8 M7,9 l2,-2" stroke="black" stroke-width="0.6"/></pattern></defs>
"#;

/// A legend's patch: colour, optional hatch, black edge.
fn patch(overlay: &mut Overlay, x: f64, y: f64, fill: &str, hatched: bool) {
    overlay.rect((x, y), (26.0, 13.0), fill, "#000000", 0.0);
    if hatched {
        overlay.rect((x, y), (26.0, 13.0), "url(#hatch)", "#000000", 0.0);
    }
}

/// A framed legend with its upper left corner at `(x, y)`: `(label, colour, hatched)` entries.
fn legend(
    overlay: &mut Overlay,
    (x, y): (f64, f64),
    title: Option<&str>,
    entries: &[(&str, &str, bool)],
) -> (f64, f64) {
    let pt = 11.0;
    let line = pt * PX_PER_PT * 1.45;
    let rows = entries.len() as f64 + if title.is_some() { 1.0 } else { 0.0 };
    let widest = entries
        .iter()
        .map(|e| text_px(e.0, pt) + 40.0)
        .chain(title.map(|t| text_px(t, pt)))
        .fold(0.0, f64::max);
    let (w, h) = (widest + 16.0, line * rows + 10.0);
    overlay.rect((x, y), (w, h), "#ffffff", "#cccccc", 4.0);
    let mut row = 0.0;
    let text = |align| Text {
        pt,
        align,
        baseline: Baseline::Middle,
        ..Text::default()
    };
    if let Some(t) = title {
        overlay.text(x + 8.0, y + 5.0 + line * 0.5, t, text(Align::Start));
        row += 1.0;
    }
    for (label, fill, hatched) in entries {
        let cy = y + 5.0 + line * (row + 0.5);
        patch(overlay, x + 8.0, cy - 6.5, fill, *hatched);
        overlay.text(x + 42.0, cy, label, text(Align::Start));
        row += 1.0;
    }
    (w, h)
}

impl Render for StackedStagesData {
    fn to_svg(&self) -> Result<String, RenderError> {
        let widest = self
            .segments
            .iter()
            .map(|s| text_px(&s.label, 11.0))
            .fold(0.0, f64::max);
        let axes_right = 80 + 130;
        let width = axes_right + 30 + widest as u32 + 70;
        let ymax = self.total + 2.0;
        svg::draw_svg(width, 560, |root, overlay| {
            overlay.raw(HATCH_DEFS);
            let area = root.clone().shrink((0, 0), (axes_right, 560));
            let mut chart =
                svg::bar_axes(&area, -0.55..0.55, ymax, &self.ylabel, 15.0, 13.0, (10, 80))?;
            for s in &self.segments {
                svg::bar(
                    &mut chart,
                    (-0.4, s.bottom),
                    (0.4, s.bottom + s.value),
                    svg::color(&s.color)?,
                )?;
            }
            for s in &self.segments {
                let (x0, y0) = svg::px(&chart, -0.4, s.bottom + s.value);
                let (x1, y1) = svg::px(&chart, 0.4, s.bottom);
                if s.hatched {
                    overlay.rect((x0, y0), (x1 - x0, y1 - y0), "url(#hatch)", "#000000", 0.0);
                } else {
                    overlay.rect((x0, y0), (x1 - x0, y1 - y0), "none", "#000000", 0.0);
                }
            }
            svg::spines(&chart, overlay);
            let bold_white = Text {
                pt: 10.0,
                baseline: Baseline::Middle,
                color: "#ffffff",
                bold: true,
                ..Text::default()
            };
            for s in &self.segments {
                if let Some(text) = &s.text {
                    let (tx, ty) = svg::px(&chart, 0.0, s.bottom + s.value / 2.0);
                    overlay.text(tx, ty, text, bold_white);
                }
            }
            let (tx, ty) = svg::px(&chart, 0.0, self.total + 0.5);
            overlay.text(
                tx,
                ty,
                &self.total_text,
                Text {
                    pt: 10.0,
                    bold: true,
                    ..Text::default()
                },
            );
            let (xr, yr) = chart.plotting_area().get_pixel_range();
            let (lx, top) = (xr.end as f64 + 20.0, yr.start as f64);
            // Stages top to bottom, as the bars stack.
            let entries: Vec<(&str, &str, bool)> = self
                .segments
                .iter()
                .rev()
                .map(|s| (s.label.as_str(), s.color.as_str(), s.hatched))
                .collect();
            let (_, h) = legend(overlay, (lx, top), None, &entries);
            legend(
                overlay,
                (lx, top + h + 16.0),
                Some("Resource Dominance"),
                &[
                    ("CPU-dominant", "#ffffff", true),
                    ("GPU-dominant", "#ffffff", false),
                ],
            );
            Ok(())
        })
    }
}

//! What the renderers share: the canvas (plotters' SVG backend writing into a string), the text
//! plotters cannot draw (turned by any angle, several lines, boxed), colours and axis helpers.
//!
//! Sizes: 100 px per inch (the PDF page is made at 100 dpi), so a matplotlib figure of 7 × 5 in is
//! 700 × 500 px and a font of `pt` points is `pt · 100 / 72` px.

use std::fmt::Write;

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::RenderError;

pub type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
pub type Chart<'a, 'b> =
    ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Pixels per point.
pub const PX_PER_PT: f64 = 100.0 / 72.0;

/// The font every text uses; the PDF step loads only DejaVu Sans.
pub const FONT: &str = "DejaVu Sans";

/// A plotters font of `pt` points (plotters writes `font-size = size / 1.24`).
pub fn font(pt: f64) -> TextStyle<'static> {
    (FONT, pt * PX_PER_PT * 1.24).into_font().into()
}

/// Any plotters error, as text.
pub fn plot_error(e: impl std::fmt::Display) -> RenderError {
    RenderError::Plot(e.to_string())
}

/// `#RRGGBB` → colour.
pub fn color(hex: &str) -> Result<RGBColor, RenderError> {
    let bad = || RenderError::Color(hex.to_string());
    let digits = hex.strip_prefix('#').ok_or_else(bad)?;
    if digits.len() != 6 {
        return Err(bad());
    }
    let byte = |i: usize| u8::from_str_radix(&digits[i..i + 2], 16).map_err(|_| bad());
    Ok(RGBColor(byte(0)?, byte(2)?, byte(4)?))
}

/// Where a text's anchor point is on the text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Align {
    Start,
    Middle,
    End,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Baseline {
    Top,
    Middle,
    Bottom,
}

/// How a text looks.
#[derive(Debug, Clone, Copy)]
pub struct Text<'a> {
    pub pt: f64,
    pub align: Align,
    pub baseline: Baseline,
    /// Degrees, counter-clockwise (matplotlib's `rotation`).
    pub rotate: f64,
    pub color: &'a str,
    pub bold: bool,
}

impl Default for Text<'_> {
    fn default() -> Self {
        Text {
            pt: 10.0,
            align: Align::Middle,
            baseline: Baseline::Bottom,
            rotate: 0.0,
            color: "#000000",
            bold: false,
        }
    }
}

/// SVG elements drawn over what plotters drew.
#[derive(Debug, Default)]
pub struct Overlay {
    body: String,
}

pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

impl Overlay {
    /// A text at pixel `(x, y)`; `\n` starts a new line below.
    pub fn text(&mut self, x: f64, y: f64, s: &str, t: Text<'_>) {
        let anchor = match t.align {
            Align::Start => "start",
            Align::Middle => "middle",
            Align::End => "end",
        };
        let lines: Vec<&str> = s.split('\n').collect();
        let line_px = t.pt * PX_PER_PT * 1.2;
        // Shift so the block (not its first line) sits on the baseline asked for.
        let block = line_px * (lines.len() as f64 - 1.0);
        let (dy, shift) = match t.baseline {
            Baseline::Top => (0.76, 0.0),
            Baseline::Middle => (0.36, -block / 2.0),
            Baseline::Bottom => (-0.22, -block),
        };
        let weight = if t.bold { r#" font-weight="bold""# } else { "" };
        let transform = if t.rotate != 0.0 {
            format!(r#" transform="rotate({:.2} {x:.2} {y:.2})""#, -t.rotate)
        } else {
            String::new()
        };
        for (i, line) in lines.iter().enumerate() {
            let ly = y + shift + line_px * i as f64;
            let _ = write!(
                self.body,
                r#"<text x="{x:.2}" y="{ly:.2}" dy="{dy}em" text-anchor="{anchor}" font-family="{FONT}" font-size="{:.2}" fill="{}"{weight}{transform}>{}</text>"#,
                t.pt * PX_PER_PT,
                t.color,
                escape(line)
            );
            self.body.push('\n');
        }
    }

    /// A rectangle (`rx` rounds its corners).
    pub fn rect(
        &mut self,
        (x, y): (f64, f64),
        (w, h): (f64, f64),
        fill: &str,
        stroke: &str,
        rx: f64,
    ) {
        let _ = writeln!(
            self.body,
            r#"<rect x="{x:.2}" y="{y:.2}" width="{w:.2}" height="{h:.2}" rx="{rx:.2}" fill="{fill}" stroke="{stroke}" stroke-width="1"/>"#
        );
    }

    /// A straight line.
    pub fn line(&mut self, (x0, y0): (f64, f64), (x1, y1): (f64, f64), stroke: &str, width: f64) {
        let _ = writeln!(
            self.body,
            r#"<line x1="{x0:.2}" y1="{y0:.2}" x2="{x1:.2}" y2="{y1:.2}" stroke="{stroke}" stroke-width="{width:.2}"/>"#
        );
    }

    /// Raw SVG.
    pub fn raw(&mut self, svg: &str) {
        self.body.push_str(svg);
    }
}

/// Draw with plotters on a `width × height` canvas, then add the overlay: the SVG document.
pub fn draw_svg(
    width: u32,
    height: u32,
    draw: impl FnOnce(&Area<'_>, &mut Overlay) -> Result<(), RenderError>,
) -> Result<String, RenderError> {
    let mut buf = String::new();
    let mut overlay = Overlay::default();
    {
        let root = SVGBackend::with_string(&mut buf, (width, height)).into_drawing_area();
        draw(&root, &mut overlay)?;
        root.present().map_err(plot_error)?;
    }
    let end = buf
        .rfind("</svg>")
        .ok_or_else(|| RenderError::Plot("plotters wrote no `</svg>`".into()))?;
    buf.insert_str(end, &overlay.body);
    Ok(buf)
}

/// Decimals for the tick labels of an axis from 0 to `max` (about 5 ticks).
pub fn tick_decimals(max: f64) -> usize {
    if max <= 0.0 || !max.is_finite() {
        return 1;
    }
    let step = (max / 5.0).log10().floor();
    if step >= 0.0 {
        0
    } else {
        (-step) as usize
    }
}

/// A chart with a plain y axis from 0 to `ymax` (labelled, ticks of `tick_pt` points), an x range
/// without labels, on `area` less the given label sizes.
pub fn bar_axes<'a, 'b>(
    area: &'a Area<'b>,
    x: std::ops::Range<f64>,
    ymax: f64,
    ylabel: &str,
    label_pt: f64,
    tick_pt: f64,
    (x_area, y_area): (u32, u32),
) -> Result<Chart<'a, 'b>, RenderError> {
    let mut chart = ChartBuilder::on(area)
        .margin_top(12)
        .margin_right(12)
        .x_label_area_size(x_area)
        .y_label_area_size(y_area)
        .build_cartesian_2d(x, 0.0..ymax)
        .map_err(plot_error)?;
    let decimals = tick_decimals(ymax);
    chart
        .configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_labels(10)
        .y_label_formatter(&|v| format!("{v:.decimals$}"))
        .y_label_style(font(tick_pt))
        .y_desc(ylabel)
        .axis_desc_style(font(label_pt))
        .draw()
        .map_err(plot_error)?;
    Ok(chart)
}

/// The frame's bottom line (the x axis without labels) and the box's other sides, as
/// matplotlib draws its four spines.
pub fn spines(chart: &Chart<'_, '_>, overlay: &mut Overlay) {
    let (xr, yr) = chart.plotting_area().get_pixel_range();
    let (x0, x1, y0, y1) = (
        xr.start as f64,
        xr.end as f64,
        yr.start as f64,
        yr.end as f64,
    );
    overlay.raw(&format!(
        r#"<rect x="{x0}" y="{y0}" width="{}" height="{}" fill="none" stroke="black" stroke-width="1"/>"#,
        x1 - x0,
        y1 - y0
    ));
    overlay.raw("\n");
}

/// Pixel position of a data point.
pub fn px(chart: &Chart<'_, '_>, x: f64, y: f64) -> (f64, f64) {
    let (a, b) = chart.backend_coord(&(x, y));
    (a as f64, b as f64)
}

/// An error bar from `mean − err` to `mean + err` at `x`, with caps `cap_pt` points long
/// (matplotlib's caps are `2 · capsize` points wide).
pub fn error_bar(
    chart: &Chart<'_, '_>,
    overlay: &mut Overlay,
    x: f64,
    mean: f64,
    err: f64,
    cap_pt: f64,
) {
    let (cx, lo) = px(chart, x, mean - err);
    let (_, hi) = px(chart, x, mean + err);
    let half = cap_pt * PX_PER_PT / 2.0;
    overlay.line((cx, lo), (cx, hi), "black", 1.5);
    overlay.line((cx - half, lo), (cx + half, lo), "black", 1.5);
    overlay.line((cx - half, hi), (cx + half, hi), "black", 1.5);
}

/// A filled bar from `(x0, y0)` to `(x1, y1)` in data units.
pub fn bar(
    chart: &mut Chart<'_, '_>,
    (x0, y0): (f64, f64),
    (x1, y1): (f64, f64),
    fill: RGBColor,
) -> Result<(), RenderError> {
    chart
        .draw_series(std::iter::once(Rectangle::new(
            [(x0, y0), (x1, y1)],
            fill.filled(),
        )))
        .map_err(plot_error)?;
    Ok(())
}

/// A bar's value written in white inside it (the paper's `ax.text(…, color="white")`).
pub fn value_label(overlay: &mut Overlay, x: f64, y: f64, text: &str, pt: f64) {
    overlay.text(
        x,
        y,
        text,
        Text {
            pt,
            color: "#ffffff",
            ..Text::default()
        },
    );
}

/// One bar per value, 0.8 wide, centred on x = 0, 1, 2, … (matplotlib's categorical bars).
pub fn column_bars(
    chart: &mut Chart<'_, '_>,
    bars: impl IntoIterator<Item = (f64, RGBColor)>,
) -> Result<(), RenderError> {
    for (i, (height, fill)) in bars.into_iter().enumerate() {
        centered_bar(chart, i as f64, 0.8, height, fill)?;
    }
    Ok(())
}

/// A bar from 0 to `height`, `width` wide, centred on `x` (matplotlib's `ax.bar(x, height)`).
pub fn centered_bar(
    chart: &mut Chart<'_, '_>,
    x: f64,
    width: f64,
    height: f64,
    fill: RGBColor,
) -> Result<(), RenderError> {
    bar(
        chart,
        (x - width / 2.0, 0.0),
        (x + width / 2.0, height),
        fill,
    )
}

/// The top of a bar chart's y axis: matplotlib's autoscale leaves 5 % above the highest bar
/// (or error bar); an empty chart gets 1.
pub fn y_limit(tops: impl IntoIterator<Item = f64>) -> f64 {
    let top = tops.into_iter().fold(0.0, f64::max);
    if top > 0.0 {
        top * 1.05
    } else {
        1.0
    }
}

/// Tick positions 0, 1, 2, … for one label per bar.
pub fn at_indices<S: AsRef<str>>(labels: &[S]) -> Vec<(f64, &str)> {
    labels
        .iter()
        .enumerate()
        .map(|(i, t)| (i as f64, t.as_ref()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_follow_the_range() {
        assert_eq!(tick_decimals(1.6), 1);
        assert_eq!(tick_decimals(25.0), 0);
        assert_eq!(tick_decimals(0.15), 2);
    }

    #[test]
    fn colors_parse() {
        assert_eq!(color("#4477AA").unwrap(), RGBColor(0x44, 0x77, 0xAA));
        assert!(color("blue").is_err());
    }
}

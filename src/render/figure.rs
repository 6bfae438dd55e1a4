//! A page drawn as matplotlib draws it: a figure of a size in inches, axes placed by fractions of
//! it, and the marks the paper's figures use (bars, error bars, hatches, spines, ticks, labels,
//! legends, text boxes). Everything drawn widens the figure's bounding box; the SVG is cut to that
//! box plus 0.1 in, as `savefig(bbox_inches="tight")` cuts the paper's pages.

use std::fmt::Write;

pub use super::axes::{bar_x_limits, data_limits, y_limit, Axes, Axis, Side};
use super::geom::Rect;
use super::style::{self, pt, Fractions, PX_PER_IN};
use super::text::{self, Ha, Layout, TextStyle, Va};
use super::RenderError;

/// An SVG document being drawn, and the box of everything drawn so far.
#[derive(Debug)]
pub struct Figure {
    width: f64,
    height: f64,
    defs: String,
    body: String,
    extent: Option<Rect>,
}

/// How a box is painted.
#[derive(Debug, Clone, Copy, Default)]
pub struct Paint<'a> {
    pub fill: Option<&'a str>,
    pub fill_opacity: Option<f64>,
    /// Colour and width in points.
    pub edge: Option<(&'a str, f64)>,
    /// Slashes of a `////` hatch over the fill (0: none).
    pub hatch: usize,
    /// Corner radius, px.
    pub radius: f64,
}

impl<'a> Paint<'a> {
    pub fn fill(color: &'a str) -> Paint<'a> {
        Paint {
            fill: Some(color),
            ..Paint::default()
        }
    }
}

/// `#RRGGBB`, checked (a recipe's colours reach the SVG this way).
pub fn color(hex: &str) -> Result<&str, RenderError> {
    let digits = hex.strip_prefix('#').unwrap_or("");
    if digits.len() == 6 && digits.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(hex)
    } else {
        Err(RenderError::Color(hex.to_string()))
    }
}

pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

impl Figure {
    /// A figure of `width × height` inches (matplotlib's `figsize`).
    pub fn new(width_in: f64, height_in: f64) -> Figure {
        Figure {
            width: width_in * PX_PER_IN,
            height: height_in * PX_PER_IN,
            defs: String::new(),
            body: String::new(),
            extent: None,
        }
    }

    /// Axes filling the given fractions of the figure, with these view limits.
    pub fn axes(&self, at: Fractions, x: (f64, f64), y: (f64, f64)) -> Axes {
        Axes {
            frame: self.rect_of(at),
            x,
            y,
        }
    }

    /// The canvas box of figure fractions (y up).
    pub fn rect_of(&self, f: Fractions) -> Rect {
        Rect {
            x0: f.left * self.width,
            x1: f.right * self.width,
            y0: (1.0 - f.top) * self.height,
            y1: (1.0 - f.bottom) * self.height,
        }
    }

    /// Figure fractions of a canvas box.
    pub fn fractions_of(&self, r: &Rect) -> Fractions {
        Fractions {
            left: r.x0 / self.width,
            right: r.x1 / self.width,
            top: 1.0 - r.y0 / self.height,
            bottom: 1.0 - r.y1 / self.height,
        }
    }

    pub fn size_px(&self) -> (f64, f64) {
        (self.width, self.height)
    }

    /// The box of everything drawn (canvas px); `None` for an empty figure.
    pub fn extent(&self) -> Option<Rect> {
        self.extent
    }

    fn grow(&mut self, r: Rect) {
        self.extent = Some(match self.extent {
            Some(e) => e.union(&r),
            None => r,
        });
    }

    /// Draw `s` with its anchor at `(x, y)`; its box (for layout), if it has one.
    pub fn text(&mut self, s: &str, x: f64, y: f64, t: &TextStyle<'_>) -> Option<Rect> {
        let layout = text::layout(s, x, y, t)?;
        self.put_text(&layout, t);
        Some(layout.bbox)
    }

    fn put_text(&mut self, layout: &Layout, t: &TextStyle<'_>) {
        self.body.push_str(&text_elements(layout, t));
        self.grow(layout.bbox);
    }

    /// A box, painted.
    pub fn rect(&mut self, r: Rect, paint: &Paint<'_>) {
        let fill = paint.fill.unwrap_or("none");
        let mut attrs = format!(r#" fill="{fill}""#);
        if let Some(o) = paint.fill_opacity {
            let _ = write!(attrs, r#" fill-opacity="{o}""#);
        }
        match paint.edge {
            Some((c, w)) => {
                let _ = write!(attrs, r#" stroke="{c}" stroke-width="{:.2}""#, pt(w));
            }
            None => attrs.push_str(r#" stroke="none""#),
        }
        if paint.radius > 0.0 {
            let _ = write!(attrs, r#" rx="{:.2}""#, paint.radius);
        }
        let _ = writeln!(
            self.body,
            r#"<rect x="{:.2}" y="{:.2}" width="{:.2}" height="{:.2}"{attrs}/>"#,
            r.x0,
            r.y0,
            r.width(),
            r.height()
        );
        if paint.hatch > 0 {
            let id = self.hatch_pattern(paint.hatch);
            let _ = writeln!(
                self.body,
                r#"<rect x="{:.2}" y="{:.2}" width="{:.2}" height="{:.2}" fill="url(#{id})" stroke="none"/>"#,
                r.x0,
                r.y0,
                r.width(),
                r.height()
            );
        }
        self.grow(r);
    }

    /// The `/`×`slashes` hatch as a pattern: lines of slope 1, `2 / (slashes · 6)` in apart
    /// (matplotlib's `NorthEastHatch`), black, 1 pt wide.
    fn hatch_pattern(&mut self, slashes: usize) -> String {
        let id = format!("hatch{slashes}");
        if self.defs.contains(&format!(r#"id="{id}""#)) {
            return id;
        }
        let s = 2.0 / (slashes as f64 * style::HATCH_DENSITY) * PX_PER_IN;
        let _ = writeln!(
            self.defs,
            r#"<pattern id="{id}" patternUnits="userSpaceOnUse" width="{s:.3}" height="{s:.3}"><path d="M-1,1 l2,-2 M0,{s:.3} L{s:.3},0 M{a:.3},{b:.3} l2,-2" stroke="black" stroke-width="{w:.2}"/></pattern>"#,
            a = s - 1.0,
            b = s + 1.0,
            w = pt(style::HATCH_LINE_WIDTH),
        );
        id
    }

    /// A polyline through canvas points, `width` points wide, optionally dashed (in line widths).
    pub fn line(&mut self, points: &[(f64, f64)], color: &str, width: f64, dashed: bool) {
        if points.len() < 2 {
            return;
        }
        let coords: Vec<String> = points
            .iter()
            .map(|(x, y)| format!("{x:.2},{y:.2}"))
            .collect();
        let dash = if dashed {
            format!(
                r#" stroke-dasharray="{:.2},{:.2}""#,
                pt(style::DASH.0 * width),
                pt(style::DASH.1 * width)
            )
        } else {
            String::new()
        };
        let _ = writeln!(
            self.body,
            r#"<polyline points="{}" fill="none" stroke="{color}" stroke-width="{:.2}"{dash}/>"#,
            coords.join(" "),
            pt(width)
        );
        let mut r = Rect::spanning(points[0], points[1]);
        for p in &points[2..] {
            r = r.union(&Rect::spanning(*p, *p));
        }
        self.grow(r);
    }

    /// A straight segment.
    pub fn segment(&mut self, a: (f64, f64), b: (f64, f64), color: &str, width: f64) {
        let _ = writeln!(
            self.body,
            r#"<line x1="{:.2}" y1="{:.2}" x2="{:.2}" y2="{:.2}" stroke="{color}" stroke-width="{:.2}"/>"#,
            a.0,
            a.1,
            b.0,
            b.1,
            pt(width)
        );
        self.grow(Rect::spanning(a, b));
    }

    /// A filled circle of radius `r` px with an edge of its colour (matplotlib's markers).
    pub fn circle(&mut self, (cx, cy): (f64, f64), r: f64, color: &str, edge_pt: f64) {
        let _ = writeln!(
            self.body,
            r#"<circle cx="{cx:.2}" cy="{cy:.2}" r="{r:.2}" fill="{color}" stroke="{color}" stroke-width="{:.2}"/>"#,
            pt(edge_pt)
        );
        self.grow(Rect::spanning((cx - r, cy - r), (cx + r, cy + r)));
    }

    /// A circle's outline only (a mark around a point that leaves the point seen).
    pub fn ring(&mut self, (cx, cy): (f64, f64), r: f64, color: &str, width_pt: f64) {
        let _ = writeln!(
            self.body,
            r#"<circle cx="{cx:.2}" cy="{cy:.2}" r="{r:.2}" fill="none" stroke="{color}" stroke-width="{:.2}"/>"#,
            pt(width_pt)
        );
        let reach = r + pt(width_pt) / 2.0;
        self.grow(Rect::spanning(
            (cx - reach, cy - reach),
            (cx + reach, cy + reach),
        ));
    }

    /// The SVG: cut to what was drawn plus `savefig.pad_inches`, with `banner` (bold, red)
    /// above it in a band of its own, so it covers nothing.
    pub fn to_svg(&self, banner: Option<&str>) -> String {
        let pad = style::TIGHT_PAD_IN * PX_PER_IN;
        let content = self
            .extent
            .unwrap_or(Rect {
                x0: 0.0,
                y0: 0.0,
                x1: self.width,
                y1: self.height,
            })
            .padded(pad);
        let width = content.width();
        let (band, band_height) = banner.map_or((String::new(), 0.0), |b| banner_band(b, width));
        let height = content.height() + band_height;
        let mut svg = String::new();
        let _ = writeln!(
            svg,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.2}" height="{height:.2}" viewBox="0 0 {width:.2} {height:.2}">"#
        );
        if !self.defs.is_empty() {
            let _ = writeln!(svg, "<defs>\n{}</defs>", self.defs);
        }
        svg.push_str(&band);
        let _ = writeln!(
            svg,
            r#"<g transform="translate({:.2} {:.2})">"#,
            -content.x0,
            band_height - content.y0
        );
        svg.push_str(&self.body);
        svg.push_str("</g>\n</svg>\n");
        svg
    }
}

/// The `<text>` elements of a laid-out text, one per line.
fn text_elements(layout: &Layout, t: &TextStyle<'_>) -> String {
    let mut out = String::new();
    let weight = if t.bold { r#" font-weight="bold""# } else { "" };
    for (line, lx, ly) in layout.lines.iter().filter(|l| !l.0.is_empty()) {
        let turn = if t.rotation != 0.0 {
            format!(r#" transform="rotate({:.2} {lx:.2} {ly:.2})""#, -t.rotation)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            r#"<text x="{lx:.2}" y="{ly:.2}" font-family="{}" font-size="{:.2}" fill="{}"{weight}{turn}>{}</text>"#,
            style::FONT,
            pt(t.pt),
            t.color,
            escape(line)
        );
    }
    out
}

/// The banner's text, wrapped to a page `width` px wide, and the height of its band.
fn banner_band(banner: &str, width: f64) -> (String, f64) {
    let t = TextStyle {
        pt: BANNER_PT,
        bold: true,
        color: BANNER_COLOR,
        ha: Ha::Center,
        va: Va::Top,
        ..TextStyle::default()
    };
    let margin = pt(BANNER_MARGIN_PT);
    let wrapped = wrap(banner, (width - 2.0 * margin) / style::PX_PER_PT, BANNER_PT);
    match text::layout(&wrapped, width / 2.0, margin, &t) {
        Some(layout) => (text_elements(&layout, &t), layout.bbox.y1 + margin),
        None => (String::new(), 0.0),
    }
}

const BANNER_PT: f64 = 10.0;
const BANNER_MARGIN_PT: f64 = 3.0;
const BANNER_COLOR: &str = "#C00000";

/// `s` broken at spaces into lines no wider than `width_pt`.
fn wrap(s: &str, width_pt: f64, font_pt: f64) -> String {
    let mut lines: Vec<String> = Vec::new();
    for word in s.split(' ') {
        match lines.last_mut() {
            Some(line)
                if text::measure(&format!("{line} {word}"), font_pt, true).width <= width_pt =>
            {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    lines.join("\n")
}

/// Draw at matplotlib's default subplot position, then again where `tight_layout()` moves it:
/// what is drawn around the axes (tick labels, axis labels, legends) ends 1.08 font sizes from
/// the figure's edges. `spec` is the box the axes (and a colorbar beside them) fill.
pub fn tight_layout(
    draw: impl Fn(Fractions) -> Result<Figure, RenderError>,
) -> Result<Figure, RenderError> {
    let first = draw(style::SUBPLOT)?;
    let Some(extent) = first.extent() else {
        return Ok(first);
    };
    let spec = first.rect_of(style::SUBPLOT);
    let (w, h) = first.size_px();
    let pad = pt(style::TIGHT_LAYOUT_PAD * style::FONT_SIZE);
    let left = (spec.x0 - extent.x0).max(0.0) + pad;
    let right = (extent.x1 - spec.x1).max(0.0) + pad;
    let top = (spec.y0 - extent.y0).max(0.0) + pad;
    let bottom = (extent.y1 - spec.y1).max(0.0) + pad;
    draw(Fractions {
        left: left / w,
        right: 1.0 - right / w,
        top: 1.0 - top / h,
        bottom: bottom / h,
    })
}

impl Figure {
    /// A bar from `bottom` to `bottom + height`, `width` wide, centred on `x`.
    pub fn bar(&mut self, ax: &Axes, x: f64, width: f64, (bottom, height): (f64, f64), p: &Paint) {
        self.rect(ax.bar_rect(x, width, bottom, height), p);
    }

    /// An error bar from `mean − err` to `mean + err` at `x`: a 1.5 pt line, caps `2 · capsize`
    /// points long and 1 pt thick (matplotlib's `ax.bar(yerr=…, capsize=…)`).
    pub fn error_bar(&mut self, ax: &Axes, x: f64, mean: f64, err: f64, capsize: f64) {
        let (cx, lo) = ax.px(x, mean - err);
        let hi = ax.y_px(mean + err);
        self.segment((cx, lo), (cx, hi), "#000000", style::LINE_WIDTH);
        let half = pt(capsize);
        for y in [lo, hi] {
            self.segment((cx - half, y), (cx + half, y), "#000000", style::CAP_WIDTH);
        }
    }

    /// The four spines.
    pub fn frame(&mut self, ax: &Axes) {
        let f = ax.frame;
        let corners = [
            (f.x0, f.y0),
            (f.x1, f.y0),
            (f.x1, f.y1),
            (f.x0, f.y1),
            (f.x0, f.y0),
        ];
        let _ = writeln!(
            self.body,
            r##"<rect x="{:.2}" y="{:.2}" width="{:.2}" height="{:.2}" fill="none" stroke="#000000" stroke-width="{:.2}"/>"##,
            f.x0,
            f.y0,
            f.width(),
            f.height(),
            pt(style::AXES_LINE_WIDTH)
        );
        self.grow(Rect::spanning(corners[0], corners[2]));
    }

    /// An axis: tick marks pointing out, labels past them, the axis label past the labels.
    pub fn axis(&mut self, ax: &Axes, a: &Axis<'_>) {
        let boxes: Vec<Rect> = a
            .ticks
            .iter()
            .filter_map(|(v, label)| self.tick(ax, a, *v, label))
            .collect();
        if a.label.is_empty() {
            return;
        }
        // The label sits `labelpad` past the tick labels, or past the spine and its ticks.
        let (f, out) = (ax.frame, pt(style::TICK_LENGTH));
        let spine = match a.side {
            Side::Bottom => Rect::spanning((f.x0, f.y1), (f.x1, f.y1 + out)),
            Side::Left => Rect::spanning((f.x0 - out, f.y0), (f.x0, f.y1)),
            Side::Right => Rect::spanning((f.x1, f.y0), (f.x1 + out, f.y1)),
        };
        let around = boxes.iter().fold(spine, |acc, b| acc.union(b));
        let pad = pt(style::LABEL_PAD);
        let label = TextStyle {
            pt: a.label_pt,
            ha: Ha::Center,
            ..TextStyle::default()
        };
        let (x, y, t) = match a.side {
            Side::Bottom => {
                let t = TextStyle {
                    va: Va::Top,
                    ..label
                };
                ((f.x0 + f.x1) / 2.0, around.y1 + pad, t)
            }
            Side::Left | Side::Right => {
                let (x, va) = match a.side {
                    Side::Left => (around.x0 - pad, Va::Bottom),
                    _ => (around.x1 + pad, Va::Top),
                };
                let t = TextStyle {
                    va,
                    rotation: 90.0,
                    anchor_mode: true,
                    ..label
                };
                (x, (f.y0 + f.y1) / 2.0, t)
            }
        };
        self.text(a.label, x, y, &t);
    }

    /// One tick: its mark pointing out of the axes, its label past it; the label's box.
    fn tick(&mut self, ax: &Axes, a: &Axis<'_>, v: f64, label: &str) -> Option<Rect> {
        let f = ax.frame;
        let out = pt(style::TICK_LENGTH);
        let gap = out + pt(style::TICK_PAD);
        let style = TextStyle {
            pt: a.tick_pt,
            rotation: a.rotation,
            ..TextStyle::default()
        };
        let (mark, at, t) = match a.side {
            Side::Bottom => {
                let x = ax.x_px(v);
                let t = TextStyle {
                    ha: a.ha,
                    va: Va::Top,
                    ..style
                };
                (((x, f.y1), (x, f.y1 + out)), (x, f.y1 + gap), t)
            }
            Side::Left | Side::Right => {
                let y = ax.y_px(v);
                let (edge, sign, ha) = match a.side {
                    Side::Left => (f.x0, -1.0, Ha::Right),
                    _ => (f.x1, 1.0, Ha::Left),
                };
                let t = TextStyle {
                    ha,
                    va: Va::CenterBaseline,
                    ..style
                };
                (
                    ((edge, y), (edge + sign * out, y)),
                    (edge + sign * gap, y),
                    t,
                )
            }
        };
        self.tick_mark(mark.0, mark.1);
        self.text(label, at.0, at.1, &t)
    }

    fn tick_mark(&mut self, a: (f64, f64), b: (f64, f64)) {
        self.segment(a, b, "#000000", style::AXES_LINE_WIDTH);
    }

    /// A text with a box around it (`ax.text(…, bbox=dict(boxstyle="round,pad=…"))`): the box
    /// is the text's box grown by `pad` font sizes, its corners rounded by as much.
    pub fn boxed_text(
        &mut self,
        s: &str,
        x: f64,
        y: f64,
        t: &TextStyle<'_>,
        pad: f64,
        box_paint: Paint<'_>,
    ) {
        let Some(layout) = text::layout(s, x, y, t) else {
            return;
        };
        let p = pt(pad * t.pt);
        let paint = Paint {
            radius: p,
            ..box_paint
        };
        self.rect(layout.bbox.padded(p), &paint);
        self.put_text(&layout, t);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_is_what_is_drawn_plus_a_tenth_of_an_inch() {
        let mut f = Figure::new(7.0, 5.0);
        f.rect(
            Rect {
                x0: 100.0,
                y0: 50.0,
                x1: 300.0,
                y1: 150.0,
            },
            &Paint::fill("#4477AA"),
        );
        let svg = f.to_svg(None);
        assert!(svg.contains(r#"width="220.00" height="120.00""#), "{svg}");
        assert!(svg.contains("translate(-90.00 -40.00)"), "{svg}");
    }

    #[test]
    fn the_banner_gets_a_band_above_the_drawing() {
        let mut f = Figure::new(7.0, 5.0);
        let drawn = Rect {
            x0: 0.0,
            y0: 0.0,
            x1: 500.0,
            y1: 300.0,
        };
        f.rect(drawn, &Paint::fill("#4477AA"));
        let banner = "FAKE ENGINE (`--engine fake`): simulated timings";
        let (text, band) = banner_band(banner, 520.0);
        assert!(band > pt(BANNER_PT) && text.contains("FAKE ENGINE"));
        let with = f.to_svg(Some(banner));
        // The page grows by the band and the drawing moves down by it: nothing is covered.
        assert!(
            with.contains(&format!(r#"height="{:.2}""#, 320.0 + band)),
            "{with}"
        );
        assert!(
            with.contains(&format!("translate(10.00 {:.2})", band + 10.0)),
            "{with}"
        );
    }

    #[test]
    fn long_banners_wrap_to_the_page() {
        let w = wrap(
            "aaa bbb ccc",
            text::measure("aaa bbb", 10.0, true).width + 0.1,
            10.0,
        );
        assert_eq!(w, "aaa bbb\nccc");
    }

    #[test]
    fn colours_are_checked() {
        assert_eq!(color("#4477AA").unwrap(), "#4477AA");
        assert!(color("blue").is_err() && color("#12345").is_err());
    }
}

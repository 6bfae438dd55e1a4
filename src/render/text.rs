//! Text as matplotlib lays it out: widths from DejaVu Sans's advances and kerning, heights from
//! its glyph outlines (what `ft2font` reports to the PDF backend, unhinted), lines 1.2 apart,
//! alignment on the box of the turned text, and the box itself for the tight bounding box.

use std::sync::OnceLock;

use ttf_parser::{Face, GlyphId};

use super::geom::Rect;
use super::style::{self, LINE_SPACING};

/// Width, height and descent of one line, in points (matplotlib's
/// `get_text_width_height_descent`): height is ink top to ink bottom, descent ink below the baseline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Extent {
    pub width: f64,
    pub height: f64,
    pub descent: f64,
}

fn face(bold: bool) -> &'static Face<'static> {
    static REGULAR: OnceLock<Face<'static>> = OnceLock::new();
    static BOLD: OnceLock<Face<'static>> = OnceLock::new();
    let (cell, bytes) = if bold {
        (&BOLD, dejavu::sans::bold())
    } else {
        (&REGULAR, dejavu::sans::regular())
    };
    cell.get_or_init(|| Face::parse(bytes, 0).expect("the bundled DejaVu Sans parses"))
}

/// The `kern` table's adjustment between two glyphs, in font units (what FreeType applies).
fn kerning(face: &Face<'_>, left: GlyphId, right: GlyphId) -> i16 {
    let Some(kern) = face.tables().kern else {
        return 0;
    };
    kern.subtables
        .into_iter()
        .filter(|s| s.horizontal && !s.variable)
        .find_map(|s| s.glyphs_kerning(left, right))
        .unwrap_or(0)
}

/// What [`measure`] needs of one glyph: its id (for kerning), advance and ink's vertical extent.
#[derive(Debug, Clone, Copy)]
struct Glyph {
    id: GlyphId,
    advance: u16,
    /// `(y_min, y_max)` of the outline, font units; `None` for a glyph without ink (a space).
    ink: Option<(i16, i16)>,
}

fn glyph_of(face: &Face<'_>, c: char) -> Glyph {
    let id = face.glyph_index(c).unwrap_or(GlyphId(0));
    Glyph {
        id,
        advance: face.glyph_hor_advance(id).unwrap_or(0),
        // The bounding box walks the glyph's whole outline: the cost of a chart's text.
        ink: face.glyph_bounding_box(id).map(|b| (b.y_min, b.y_max)),
    }
}

/// Printable ASCII's glyphs of one face, looked up once a process: every chart measures its
/// labels and legends letter by letter, and outlining a glyph each time was a third of `render`.
fn ascii_glyphs(bold: bool) -> &'static [Glyph; 128] {
    static REGULAR: OnceLock<[Glyph; 128]> = OnceLock::new();
    static BOLD: OnceLock<[Glyph; 128]> = OnceLock::new();
    let cell = if bold { &BOLD } else { &REGULAR };
    cell.get_or_init(|| {
        let face = face(bold);
        std::array::from_fn(|i| glyph_of(face, char::from(i as u8)))
    })
}

/// One line of text at `pt` points.
pub fn measure(s: &str, pt: f64, bold: bool) -> Extent {
    let face = face(bold);
    let ascii = ascii_glyphs(bold);
    let scale = pt / f64::from(face.units_per_em());
    let (mut pen, mut top, mut bottom) = (0.0_f64, f64::NEG_INFINITY, f64::INFINITY);
    let mut previous: Option<GlyphId> = None;
    for c in s.chars() {
        let glyph = match ascii.get(c as usize) {
            Some(g) => *g,
            None => glyph_of(face, c),
        };
        if let Some(left) = previous {
            pen += f64::from(kerning(face, left, glyph.id));
        }
        if let Some((y_min, y_max)) = glyph.ink {
            top = top.max(f64::from(y_max));
            bottom = bottom.min(f64::from(y_min));
        }
        pen += f64::from(glyph.advance);
        previous = Some(glyph.id);
    }
    if top < bottom {
        return Extent {
            width: pen * scale,
            height: 0.0,
            descent: 0.0,
        };
    }
    let bottom = bottom.min(0.0);
    Extent {
        width: pen * scale,
        height: (top - bottom) * scale,
        descent: -bottom * scale,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ha {
    Left,
    Center,
    Right,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Va {
    Top,
    Center,
    /// Half the first line's ascent above the baseline (y tick labels).
    CenterBaseline,
    Baseline,
    Bottom,
}

/// How a text looks and where its anchor is on it.
#[derive(Debug, Clone, Copy)]
pub struct TextStyle<'a> {
    pub pt: f64,
    pub bold: bool,
    pub color: &'a str,
    pub ha: Ha,
    pub va: Va,
    /// Degrees, counter-clockwise.
    pub rotation: f64,
    /// matplotlib's `rotation_mode="anchor"`: align the unturned text, then turn it about the
    /// anchor (axis labels); otherwise turn it, then align its box (tick labels).
    pub anchor_mode: bool,
}

impl Default for TextStyle<'_> {
    fn default() -> Self {
        TextStyle {
            pt: style::FONT_SIZE,
            bold: false,
            color: "#000000",
            ha: Ha::Left,
            va: Va::Baseline,
            rotation: 0.0,
            anchor_mode: false,
        }
    }
}

/// A laid-out text: where each line's baseline starts (canvas px, y down) and the box it covers.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub lines: Vec<(String, f64, f64)>,
    pub bbox: Rect,
}

/// Lay `s` out with its anchor at canvas pixel `(x, y)`; `\n` starts a new line. `None` for an
/// empty text (matplotlib leaves it out of the bounding box).
pub fn layout(s: &str, x: f64, y: f64, t: &TextStyle<'_>) -> Option<Layout> {
    if s.is_empty() {
        return None;
    }
    // Points, y up, origin at the top left of the unturned block (matplotlib's `_get_layout`).
    let lp = measure("lp", t.pt, t.bold);
    let min_dy = (lp.height - lp.descent) * LINE_SPACING;
    let mut lines = Vec::new();
    let (mut this_y, mut baseline, mut descent) = (0.0, 0.0, 0.0);
    for (i, line) in s.split('\n').enumerate() {
        let e = if line.is_empty() {
            Extent {
                width: 0.0,
                height: 0.0,
                descent: 0.0,
            }
        } else {
            measure(line, t.pt, t.bold)
        };
        let (h, d) = (e.height.max(lp.height), e.descent.max(lp.descent));
        baseline = (h - d) - this_y;
        if i == 0 {
            this_y = -(h - d);
        } else {
            this_y -= min_dy.max((h - d) * LINE_SPACING);
        }
        lines.push((line.to_string(), e.width, this_y));
        this_y -= d;
        descent = d;
    }
    let width = lines.iter().map(|l| l.1).fold(0.0, f64::max);
    let (ymin, ymax) = (lines.last().map_or(0.0, |l| l.2) - descent, 0.0);
    let (sin, cos) = t.rotation.to_radians().sin_cos();
    let turn = |px: f64, py: f64| (px * cos - py * sin, px * sin + py * cos);
    let corners = [(0.0, ymin), (0.0, ymax), (width, ymax), (width, ymin)].map(|(a, b)| turn(a, b));
    let xs = corners.map(|c| c.0);
    let ys = corners.map(|c| c.1);
    let min = |v: [f64; 4]| v.into_iter().fold(f64::INFINITY, f64::min);
    let max = |v: [f64; 4]| v.into_iter().fold(f64::NEG_INFINITY, f64::max);
    let (xr0, xr1, yr0, yr1) = (min(xs), max(xs), min(ys), max(ys));
    let pick_x = |lo: f64, hi: f64| match t.ha {
        Ha::Left => lo,
        Ha::Center => (lo + hi) / 2.0,
        Ha::Right => hi,
    };
    let pick_y = |lo: f64, hi: f64| match t.va {
        Va::Top => hi,
        Va::Center => (lo + hi) / 2.0,
        Va::Baseline => hi - baseline,
        Va::CenterBaseline => hi - baseline / 2.0,
        Va::Bottom => lo,
    };
    let (ox, oy) = if t.anchor_mode {
        turn(pick_x(0.0, width), pick_y(ymin, ymax))
    } else {
        (pick_x(xr0, xr1), pick_y(yr0, yr1))
    };
    // Points (y up, relative to the anchor) → canvas pixels (y down).
    let to_px = |(a, b): (f64, f64)| (x + style::pt(a - ox), y - style::pt(b - oy));
    let placed = lines
        .into_iter()
        .map(|(text, w, by)| {
            let dx = match t.ha {
                Ha::Left => 0.0,
                Ha::Center => (width - w) / 2.0,
                Ha::Right => width - w,
            };
            let (px, py) = to_px(turn(dx, by));
            (text, px, py)
        })
        .collect();
    let (x0, y1) = to_px((xr0, yr0));
    let (x1, y0) = to_px((xr1, yr1));
    Some(Layout {
        lines: placed,
        bbox: Rect { x0, y0, x1, y1 },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// matplotlib 3.10's `FT2Font.get_width_height` / `get_descent` for DejaVu Sans at 10 pt,
    /// 72 dpi, no hinting (what its PDF backend measures with).
    #[test]
    fn extents_match_matplotlib() {
        for (s, w, h, d) in [
            ("lp", 9.125, 9.671875, 2.078125),
            ("Qwen-0.5B", 54.90625, 8.71875, 1.296875),
            ("0.0", 15.890625, 7.5625, 0.140625),
            ("Time (s)", 40.65625, 8.90625, 1.3125),
            ("AVA", 19.25, 7.296875, 0.0),
            ("Total: 20.95s", 63.71875, 7.734375, 0.140625),
        ] {
            let e = measure(s, 10.0, false);
            assert!((e.width - w).abs() < 0.05, "{s}: width {} vs {w}", e.width);
            assert!(
                (e.height - h).abs() < 0.05,
                "{s}: height {} vs {h}",
                e.height
            );
            assert!(
                (e.descent - d).abs() < 0.05,
                "{s}: descent {} vs {d}",
                e.descent
            );
        }
    }

    /// The looked-up glyphs are the face's own, for every character a chart may hold.
    #[test]
    fn the_ascii_glyphs_are_the_faces_own() {
        for bold in [false, true] {
            let face = face(bold);
            for (i, g) in ascii_glyphs(bold).iter().enumerate() {
                let c = char::from(i as u8);
                let direct = face.glyph_index(c).unwrap_or(GlyphId(0));
                assert_eq!(g.id, direct, "{c:?}");
                assert_eq!(Some(g.advance), face.glyph_hor_advance(direct).or(Some(0)));
                assert_eq!(
                    g.ink,
                    face.glyph_bounding_box(direct).map(|b| (b.y_min, b.y_max))
                );
            }
        }
        // Beyond ASCII the face is asked each time; the same answer either way.
        let e = measure("µs ≥ 1.0×", 10.0, false);
        assert!(e.width > 0.0 && e.height > 0.0, "{e:?}");
    }

    #[test]
    fn a_right_aligned_turned_label_ends_its_box_at_the_anchor() {
        let t = TextStyle {
            pt: 13.0,
            ha: Ha::Right,
            va: Va::Top,
            rotation: 30.0,
            ..TextStyle::default()
        };
        let l = layout("Load Weights", 100.0, 50.0, &t).unwrap();
        assert!((l.bbox.x1 - 100.0).abs() < 1e-9 && (l.bbox.y0 - 50.0).abs() < 1e-9);
        assert!(l.bbox.x0 < 0.0, "the label reaches left: {:?}", l.bbox);
    }

    #[test]
    fn lines_stack_down_and_empty_text_has_no_box() {
        let l = layout("a\nb\n", 0.0, 0.0, &TextStyle::default()).unwrap();
        assert_eq!(l.lines.len(), 3);
        assert!(l.lines[1].2 > l.lines[0].2 && l.lines[2].2 > l.lines[1].2);
        assert!(layout("", 0.0, 0.0, &TextStyle::default()).is_none());
    }
}

//! Legends as matplotlib packs them: a handle (2 × 0.7 font sizes) and its text per row, rows
//! 0.5 font sizes apart, 0.4 of padding inside a rounded, translucent frame, placed at one of the
//! `loc` corners of the axes (or of a `bbox_to_anchor` box) 0.5 font sizes in, or — `best` — at
//! the first of those that covers the fewest marks.

use super::figure::{Axes, Figure, Paint};
use super::geom::Rect;
use super::style::{self, pt};
use super::text::{self, TextStyle, Va};

/// What a legend entry shows beside its text.
#[derive(Debug, Clone)]
pub enum Handle<'a> {
    /// A patch of the bar: fill, black edge of this width (points) or none, hatch slashes.
    Patch {
        fill: &'a str,
        edge: Option<f64>,
        hatch: usize,
    },
    /// A line with a round marker or not.
    Line { color: &'a str, marker: bool },
}

/// Where a legend goes: matplotlib's `loc` codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loc {
    /// The first of the other places that covers the fewest marks (`loc="best"`).
    Best,
    UpperRight,
    UpperLeft,
    LowerLeft,
    LowerRight,
    Right,
    CenterLeft,
    CenterRight,
    LowerCenter,
    UpperCenter,
    Center,
}

impl Loc {
    /// The places `best` tries, in matplotlib's order.
    const TRIED: [Loc; 10] = [
        Loc::UpperRight,
        Loc::UpperLeft,
        Loc::LowerLeft,
        Loc::LowerRight,
        Loc::Right,
        Loc::CenterLeft,
        Loc::CenterRight,
        Loc::LowerCenter,
        Loc::UpperCenter,
        Loc::Center,
    ];

    /// The legend's fractional corner (x right, y down) that is put at the same fraction of the
    /// box it is placed in.
    fn anchor(self) -> (f64, f64) {
        match self {
            Loc::Best | Loc::UpperRight => (1.0, 0.0),
            Loc::UpperLeft => (0.0, 0.0),
            Loc::LowerLeft => (0.0, 1.0),
            Loc::LowerRight => (1.0, 1.0),
            Loc::Right | Loc::CenterRight => (1.0, 0.5),
            Loc::CenterLeft => (0.0, 0.5),
            Loc::LowerCenter => (0.5, 1.0),
            Loc::UpperCenter => (0.5, 0.0),
            Loc::Center => (0.5, 0.5),
        }
    }
}

/// A legend: its entries, font size, title, and where it is placed.
#[derive(Debug, Clone)]
pub struct Legend<'a> {
    pub entries: Vec<(&'a str, Handle<'a>)>,
    pub pt: f64,
    pub title: Option<&'a str>,
    pub title_pt: f64,
    /// The title flush left (`alignment="left"`) or centred.
    pub title_left: bool,
    pub loc: Loc,
    /// Placed in this canvas box (`bbox_to_anchor`; a point is a box of no size); the axes'
    /// frame where `None`.
    pub anchor: Option<Rect>,
    /// `borderaxespad`, in font sizes.
    pub border_axes_pad: f64,
}

impl<'a> Legend<'a> {
    pub fn new(entries: Vec<(&'a str, Handle<'a>)>, pt: f64) -> Legend<'a> {
        Legend {
            entries,
            pt,
            title: None,
            title_pt: style::FONT_SIZE,
            title_left: false,
            loc: Loc::Best,
            anchor: None,
            border_axes_pad: style::LEGEND_BORDER_AXES_PAD,
        }
    }
}

/// Marks a `best` legend should not cover: bars, texts (their boxes) and points.
#[derive(Debug, Default, Clone)]
pub struct Occupied {
    pub boxes: Vec<Rect>,
    pub points: Vec<(f64, f64)>,
}

impl Occupied {
    fn badness(&self, r: &Rect) -> usize {
        self.boxes.iter().filter(|b| b.overlaps(r)).count()
            + self.points.iter().filter(|p| r.contains(**p)).count()
    }
}

/// The sizes of a legend's parts, in canvas px.
struct Packed {
    /// Per entry: height above the baseline, below it.
    rows: Vec<(f64, f64)>,
    /// The title: its width and height.
    title: Option<(f64, f64)>,
    /// Inside the border padding.
    inner_width: f64,
    size: (f64, f64),
}

impl Legend<'_> {
    fn font(&self) -> f64 {
        pt(self.pt)
    }

    /// A row is as tall as its text (at least "lp" tall) or its handle, whichever reaches
    /// higher above the baseline, plus the text's descent (matplotlib's baseline packing).
    fn pack(&self) -> Packed {
        let f = self.font();
        let lp = text::measure("lp", self.pt, false);
        let mut widest: f64 = 0.0;
        let rows = self
            .entries
            .iter()
            .map(|(label, _)| {
                let e = text::measure(label, self.pt, false);
                widest = widest.max(pt(e.width));
                let (h, d) = (pt(e.height.max(lp.height)), pt(e.descent.max(lp.descent)));
                ((h - d).max(style::LEGEND_HANDLE_HEIGHT * f), d)
            })
            .collect::<Vec<_>>();
        let title = self.title.map(|t| {
            let lp = text::measure("lp", self.title_pt, false);
            let e = text::measure(t, self.title_pt, false);
            (pt(e.width), pt(e.height.max(lp.height)))
        });
        let sep = style::LEGEND_LABEL_SPACING * f;
        let body_width = self.text_offset() + widest;
        let inner_width = title.map_or(body_width, |t| body_width.max(t.0));
        let body_height: f64 = rows.iter().map(|(a, d)| a + d).sum::<f64>()
            + sep * rows.len().saturating_sub(1) as f64;
        let title_height = title.map_or(0.0, |t| t.1 + sep);
        let border = 2.0 * style::LEGEND_BORDER_PAD * f;
        Packed {
            rows,
            title,
            inner_width,
            size: (inner_width + border, body_height + title_height + border),
        }
    }

    /// From a row's left edge to its text: the handle and `handletextpad`.
    fn text_offset(&self) -> f64 {
        (style::LEGEND_HANDLE_LENGTH + style::LEGEND_HANDLE_TEXT_PAD) * self.font()
    }

    /// The frame of a `(w, h)` legend at `loc` of its parent box.
    fn place(&self, ax: &Axes, loc: Loc, (w, h): (f64, f64)) -> Rect {
        let parent = self.anchor.unwrap_or(ax.frame);
        let inset = parent.padded(-self.border_axes_pad * self.font());
        let (fx, fy) = loc.anchor();
        let x0 = inset.x0 + fx * (inset.width() - w);
        let y0 = inset.y0 + fy * (inset.height() - h);
        Rect {
            x0,
            y0,
            x1: x0 + w,
            y1: y0 + h,
        }
    }

    /// `loc`'s frame, or for `best` the first place that covers the fewest marks.
    fn frame(&self, ax: &Axes, size: (f64, f64), occupied: &Occupied) -> Rect {
        if self.loc != Loc::Best {
            return self.place(ax, self.loc, size);
        }
        let mut best = (usize::MAX, self.place(ax, Loc::UpperRight, size));
        for loc in Loc::TRIED {
            let r = self.place(ax, loc, size);
            let bad = occupied.badness(&r);
            if bad < best.0 {
                best = (bad, r);
            }
            if bad == 0 {
                break;
            }
        }
        best.1
    }
}

impl Figure {
    /// Draw a legend (`ax.legend(…)`) on top of what is drawn; its frame.
    pub fn legend(&mut self, ax: &Axes, l: &Legend<'_>, occupied: &Occupied) -> Rect {
        let packed = l.pack();
        let frame = l.frame(ax, packed.size, occupied);
        let f = l.font();
        self.rect(
            frame,
            &Paint {
                fill: Some("#ffffff"),
                fill_opacity: Some(style::LEGEND_ALPHA),
                edge: Some((style::LEGEND_EDGE, style::PATCH_LINE_WIDTH)),
                radius: style::LEGEND_ROUNDING * f,
                ..Paint::default()
            },
        );
        let border = style::LEGEND_BORDER_PAD * f;
        let sep = style::LEGEND_LABEL_SPACING * f;
        let (x, mut y) = (frame.x0 + border, frame.y0 + border);
        if let (Some(t), Some((tw, th))) = (l.title, packed.title) {
            let tx = if l.title_left {
                x
            } else {
                x + (packed.inner_width - tw) / 2.0
            };
            let style = TextStyle {
                pt: l.title_pt,
                va: Va::Top,
                ..TextStyle::default()
            };
            self.text(t, tx, y, &style);
            y += th + sep;
        }
        for ((label, handle), (above, below)) in l.entries.iter().zip(&packed.rows) {
            let baseline = y + above;
            self.handle(handle, x, baseline, f);
            let t = TextStyle {
                pt: l.pt,
                ..TextStyle::default()
            };
            self.text(label, x + l.text_offset(), baseline, &t);
            y = baseline + below + sep;
        }
        frame
    }

    /// A legend handle from `x`, standing on `baseline`, for a font of `f` px.
    fn handle(&mut self, handle: &Handle<'_>, x: f64, baseline: f64, f: f64) {
        let (w, h) = (
            style::LEGEND_HANDLE_LENGTH * f,
            style::LEGEND_HANDLE_HEIGHT * f,
        );
        match handle {
            Handle::Patch { fill, edge, hatch } => {
                let r = Rect {
                    x0: x,
                    x1: x + w,
                    y0: baseline - h,
                    y1: baseline,
                };
                let paint = Paint {
                    fill: Some(fill),
                    edge: edge.map(|w| ("#000000", w)),
                    hatch: *hatch,
                    ..Paint::default()
                };
                self.rect(r, &paint);
            }
            Handle::Line { color, marker } => {
                let cy = baseline - h / 2.0;
                self.line(&[(x, cy), (x + w, cy)], color, style::LINE_WIDTH, false);
                if *marker {
                    self.circle((x + w / 2.0, cy), pt(style::MARKER_SIZE) / 2.0, color, 0.0);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn axes() -> Axes {
        Axes {
            frame: Rect {
                x0: 100.0,
                y0: 100.0,
                x1: 600.0,
                y1: 400.0,
            },
            x: (0.0, 1.0),
            y: (0.0, 1.0),
        }
    }

    fn legend() -> Legend<'static> {
        let patch = Handle::Patch {
            fill: "#1f77b4",
            edge: None,
            hatch: 0,
        };
        Legend::new(
            vec![("Safetensors", patch.clone()), ("Tensorizer", patch)],
            13.0,
        )
    }

    #[test]
    fn upper_right_sits_half_a_font_inside_the_corner() {
        let l = Legend {
            loc: Loc::UpperRight,
            ..legend()
        };
        let r = Figure::new(7.0, 5.0).legend(&axes(), &l, &Occupied::default());
        let pad = 0.5 * pt(13.0);
        assert!((r.x1 - (600.0 - pad)).abs() < 1e-9 && (r.y0 - (100.0 + pad)).abs() < 1e-9);
        // matplotlib 3.10 draws figure 14's legend (these and "Runai Streamer", 13 pt) 203.8 ×
        // 87.5 px at 100 dpi.
        let patch = Handle::Patch {
            fill: "#1f77b4",
            edge: None,
            hatch: 0,
        };
        let mut three = legend();
        three.entries.push(("Runai Streamer", patch));
        let (w, h) = three.pack().size;
        assert!((w / 203.8 - 1.0).abs() < 0.03, "{w} px wide");
        assert!((h / 87.5 - 1.0).abs() < 0.04, "{h} px high");
        assert!((r.height() - legend().pack().size.1).abs() < 1e-9);
    }

    #[test]
    fn best_moves_off_the_bars_it_would_cover() {
        let ax = axes();
        let size = legend().pack().size;
        let upper_right = legend().place(&ax, Loc::UpperRight, size);
        let covered = Occupied {
            boxes: vec![upper_right],
            points: vec![],
        };
        let r = Figure::new(7.0, 5.0).legend(&ax, &legend(), &covered);
        assert_eq!(r, legend().place(&ax, Loc::UpperLeft, size));
    }
}

//! The paper's style: matplotlib's default rcParams that its `plot.py` scripts draw with (they set
//! font sizes and little else), in one place. Lengths are points unless named otherwise; the
//! canvas has 100 px per inch (`PX_PER_IN`), so a point is `100 / 72` px.

/// Canvas pixels per inch: a figure of 7 × 5 in is 700 × 500 px (the PDF is made at 100 dpi).
pub const PX_PER_IN: f64 = 100.0;
/// Canvas pixels per point.
pub const PX_PER_PT: f64 = PX_PER_IN / 72.0;

/// Points → canvas pixels.
pub fn pt(points: f64) -> f64 {
    points * PX_PER_PT
}

/// `font.family`: DejaVu Sans, matplotlib's default (the PDF step embeds it).
pub const FONT: &str = "DejaVu Sans";
/// `font.size`: what `fontsize` is where a script sets none (tick labels, legends, inset labels).
pub const FONT_SIZE: f64 = 10.0;
/// `text.linespacing`.
pub const LINE_SPACING: f64 = 1.2;

/// `figure.subplot.{left,bottom,right,top}`: where the axes sit, as fractions of the figure.
pub const SUBPLOT: Fractions = Fractions {
    left: 0.125,
    bottom: 0.11,
    right: 0.9,
    top: 0.88,
};
/// `savefig.pad_inches`: the margin `bbox_inches="tight"` leaves around what is drawn.
pub const TIGHT_PAD_IN: f64 = 0.1;
/// `tight_layout(pad=1.08)`: its margin, in font sizes (of `font.size`).
pub const TIGHT_LAYOUT_PAD: f64 = 1.08;

/// `axes.linewidth` (the frame) and `{x,y}tick.major.width`.
pub const AXES_LINE_WIDTH: f64 = 0.8;
/// `{x,y}tick.major.size`: tick marks point out of the axes this far.
pub const TICK_LENGTH: f64 = 3.5;
/// `{x,y}tick.major.pad`: between a tick mark and its label.
pub const TICK_PAD: f64 = 3.5;
/// `axes.labelpad`: between the tick labels and the axis label.
pub const LABEL_PAD: f64 = 4.0;
/// `axes.{x,y}margin`: autoscaling leaves this fraction of the data span on each side.
pub const AXES_MARGIN: f64 = 0.05;

/// `ax.bar`'s default width (in data units: categorical bars sit at 0, 1, 2, …).
pub const BAR_WIDTH: f64 = 0.8;
/// `lines.linewidth`: error bars' lines and plotted lines.
pub const LINE_WIDTH: f64 = 1.5;
/// `lines.markeredgewidth`: the caps of error bars.
pub const CAP_WIDTH: f64 = 1.0;
/// `lines.markersize`: a plotted line's markers (diameter).
pub const MARKER_SIZE: f64 = 6.0;
/// `lines.dashed_pattern`, in line widths.
pub const DASH: (f64, f64) = (3.7, 1.6);
/// `patch.linewidth`: edges of boxes (text boxes, legend frames).
pub const PATCH_LINE_WIDTH: f64 = 1.0;
/// `hatch.linewidth`.
pub const HATCH_LINE_WIDTH: f64 = 1.0;
/// Lines per inch per `/` of a hatch pattern (matplotlib's hatch density): `////` draws 24.
pub const HATCH_DENSITY: f64 = 6.0;

/// Legend defaults (`legend.*`), in font sizes of the legend's text.
pub const LEGEND_BORDER_PAD: f64 = 0.4;
pub const LEGEND_LABEL_SPACING: f64 = 0.5;
pub const LEGEND_HANDLE_LENGTH: f64 = 2.0;
pub const LEGEND_HANDLE_HEIGHT: f64 = 0.7;
pub const LEGEND_HANDLE_TEXT_PAD: f64 = 0.8;
pub const LEGEND_BORDER_AXES_PAD: f64 = 0.5;
/// `legend.edgecolor` (`0.8`) and `legend.framealpha`.
pub const LEGEND_EDGE: &str = "#cccccc";
pub const LEGEND_ALPHA: f64 = 0.8;
/// `legend.fancybox`: corners rounded by this many font sizes.
pub const LEGEND_ROUNDING: f64 = 0.2;

/// matplotlib's colour cycle (`tab10`: C0, C1, …).
pub const CYCLE: [&str; 10] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf",
];

/// A rectangle given by its edges as fractions of the figure, y up (matplotlib's convention).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fractions {
    pub left: f64,
    pub bottom: f64,
    pub right: f64,
    pub top: f64,
}

//! Lines with markers (the serving benchmarks' latency–throughput curves and CDFs): a title, axis
//! labels, a legend, x and y ranges with headroom.

use plotters::prelude::*;

use super::svg::{self, plot_error};
use super::{Render, RenderError};
use crate::figures::bench::LineChartData;

/// Colours of the lines, in turn (Paul Tol's bright scheme, as the bar charts use).
const PALETTE: [&str; 7] = [
    "#4477AA", "#EE6677", "#228833", "#CCBB44", "#66CCEE", "#AA3377", "#BBBBBB",
];

/// `lo..hi` around the values with 8 % headroom; from 0 where every value is ≥ 0.
fn range(values: impl Iterator<Item = f64>, fixed_max: Option<f64>) -> std::ops::Range<f64> {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return 0.0..1.0;
    }
    if let Some(max) = fixed_max {
        hi = hi.max(max);
    }
    let lo = if lo >= 0.0 { 0.0 } else { lo };
    let span = hi - lo;
    if span <= 0.0 {
        return lo..lo + hi.abs().max(1.0);
    }
    lo - if lo < 0.0 { span * 0.08 } else { 0.0 }..hi + span * 0.08
}

impl Render for LineChartData {
    fn to_svg(&self) -> Result<String, RenderError> {
        let points = || self.series.iter().flat_map(|s| s.points.iter());
        let x = range(points().map(|p| p.0), None);
        let y = range(points().map(|p| p.1), self.ymax);
        let (xd, yd) = (svg::tick_decimals(x.end), svg::tick_decimals(y.end));
        svg::draw_svg(820, 560, |root, _overlay| {
            let mut chart = ChartBuilder::on(root)
                .caption(&self.title, svg::font(14.0))
                .margin(12)
                .margin_right(24)
                .x_label_area_size(60)
                .y_label_area_size(85)
                .build_cartesian_2d(x, y)
                .map_err(plot_error)?;
            chart
                .configure_mesh()
                .light_line_style(WHITE.mix(0.0))
                .bold_line_style(BLACK.mix(0.08))
                .x_labels(8)
                .y_labels(8)
                .x_label_formatter(&|v| format!("{v:.xd$}"))
                .y_label_formatter(&|v| format!("{v:.yd$}"))
                .label_style(svg::font(10.0))
                .x_desc(&self.xlabel)
                .y_desc(&self.ylabel)
                .axis_desc_style(svg::font(13.0))
                .draw()
                .map_err(plot_error)?;
            for (i, s) in self.series.iter().enumerate() {
                let c = svg::color(PALETTE[i % PALETTE.len()])?;
                let style = c.stroke_width(2);
                chart
                    .draw_series(LineSeries::new(s.points.iter().copied(), style))
                    .map_err(plot_error)?
                    .label(s.label.as_str())
                    .legend(move |(lx, ly)| {
                        PathElement::new(vec![(lx, ly), (lx + 20, ly)], c.stroke_width(2))
                    });
                chart
                    .draw_series(s.points.iter().map(|&p| Circle::new(p, 4, c.filled())))
                    .map_err(plot_error)?;
            }
            if !self.series.is_empty() {
                chart
                    .configure_series_labels()
                    .position(SeriesLabelPosition::UpperLeft)
                    .background_style(WHITE.mix(0.85))
                    .border_style(BLACK.mix(0.4))
                    .label_font(svg::font(10.0))
                    .draw()
                    .map_err(plot_error)?;
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figures::bench::Series;

    #[test]
    fn draws_labels_legend_and_lines() {
        let data = LineChartData {
            title: "bench m: TTFT vs load".into(),
            xlabel: "Achieved request rate (req/s)".into(),
            ylabel: "TTFT (ms)".into(),
            series: vec![
                Series {
                    label: "TTFT p50".into(),
                    points: vec![(1.0, 10.0), (2.0, 30.0)],
                },
                Series {
                    label: "TTFT p99".into(),
                    points: vec![(1.0, 20.0)],
                },
            ],
            ymax: None,
        };
        let svg = data.to_svg().unwrap();
        for needle in [
            "TTFT (ms)",
            "Achieved request rate (req/s)",
            "TTFT p50",
            "TTFT p99",
            "bench m: TTFT vs load",
            "<polyline",
            "<circle",
        ] {
            assert!(svg.contains(needle), "SVG lacks {needle:?}");
        }
        assert!(crate::render::render_with_banner(&data, super::super::Format::Pdf, None).is_ok());
    }

    #[test]
    fn ranges_have_headroom_and_survive_one_point() {
        let r = range([1.0, 2.0].into_iter(), None);
        assert_eq!(r.start, 0.0);
        assert!(r.end > 2.0);
        let one = range([5.0].into_iter(), None);
        assert!(one.end > 5.0 && one.start == 0.0);
        let r = range(std::iter::empty(), None);
        assert_eq!(r, 0.0..1.0);
        assert!(range([0.5].into_iter(), Some(1.0)).end > 1.0);
    }
}

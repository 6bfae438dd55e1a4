//! A sweep's Pareto chart (vLLM's `plot_pareto`): every run a grey point labelled with its
//! name, the frontier joined in the colour cycle's first colour, each knee ringed and named.

use super::figure::{tight_layout, Axes, Figure};
use super::legend::{Handle, Legend, Occupied};
use super::style::{self, pt};
use super::text::{Ha, TextStyle, Va};
use super::{Render, RenderError};
use crate::figures::bench::ParetoChartData;

const GREY: &str = "#808080";
const KNEE: &str = "#d62728";

/// From 0 to the largest value with matplotlib's 5 % margin (both axes are rates).
fn upto(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let hi = values.filter(|v| v.is_finite()).fold(0.0, f64::max);
    if hi <= 0.0 {
        return (0.0, 1.0);
    }
    (0.0, hi * (1.0 + style::AXES_MARGIN))
}

impl Render for ParetoChartData {
    fn figure(&self) -> Result<Figure, RenderError> {
        let points = &self.pareto.points;
        let x = upto(points.iter().map(|p| p.tokens_per_user));
        let y = upto(points.iter().map(|p| p.tokens_per_device));
        let mut frontier: Vec<&crate::bench::pareto::ParetoPoint> =
            points.iter().filter(|p| p.on_frontier).collect();
        frontier.sort_by(|a, b| a.tokens_per_user.total_cmp(&b.tokens_per_user));
        let knees: Vec<&crate::bench::pareto::ParetoPoint> = points
            .iter()
            .filter(|p| {
                self.pareto
                    .knees
                    .iter()
                    .any(|k| k.label == p.label && k.config == p.config)
            })
            .collect();
        tight_layout(|at| {
            let mut fig = Figure::new(8.0, 5.0);
            let ax: Axes = fig.axes(at, x, y);
            let mut occupied = Occupied::default();
            let px = |p: &crate::bench::pareto::ParetoPoint| {
                ax.px(p.tokens_per_user, p.tokens_per_device)
            };
            let line: Vec<(f64, f64)> = frontier.iter().map(|p| px(p)).collect();
            fig.line(&line, style::CYCLE[0], style::LINE_WIDTH, false);
            for p in points {
                let colour = if p.on_frontier { style::CYCLE[0] } else { GREY };
                fig.circle(px(p), pt(style::MARKER_SIZE) / 2.0, colour, 0.0);
                occupied.points.push(px(p));
            }
            for p in &knees {
                fig.ring(px(p), pt(style::MARKER_SIZE) * 1.2, KNEE, 1.5);
            }
            // Each point named beside it: above right, else the first other corner where the
            // name covers no name already placed (two runs can sit on one spot).
            let mut placed: Vec<super::geom::Rect> = Vec::new();
            for p in points {
                let (cx, cy) = px(p);
                let corners = [
                    (Ha::Left, Va::Bottom, cx + pt(4.0), cy - pt(3.0)),
                    (Ha::Left, Va::Top, cx + pt(4.0), cy + pt(3.0)),
                    (Ha::Right, Va::Bottom, cx - pt(4.0), cy - pt(3.0)),
                    (Ha::Right, Va::Top, cx - pt(4.0), cy + pt(3.0)),
                ];
                let styled = |ha, va| TextStyle {
                    pt: 9.0,
                    ha,
                    va,
                    color: "#404040",
                    ..TextStyle::default()
                };
                let free = corners.iter().find(|(ha, va, x, y)| {
                    super::text::layout(&p.label, *x, *y, &styled(*ha, *va))
                        .is_some_and(|l| !placed.iter().any(|r| r.overlaps(&l.bbox)))
                });
                let (ha, va, x, y) = *free.unwrap_or(&corners[0]);
                if let Some(r) = fig.text(&p.label, x, y, &styled(ha, va)) {
                    occupied.boxes.push(r);
                    placed.push(r);
                }
            }
            super::line_chart::frame_axes_title(
                &mut fig,
                &ax,
                "Output tokens/s per user",
                "Output tokens/s per device",
                &self.title,
            );
            let mut entries = vec![(
                "Pareto frontier",
                Handle::Line {
                    color: style::CYCLE[0],
                    marker: true,
                },
            )];
            if points.iter().any(|p| !p.on_frontier) {
                entries.push((
                    "other runs",
                    Handle::Line {
                        color: GREY,
                        marker: true,
                    },
                ));
            }
            if !knees.is_empty() {
                entries.push((
                    "knee (more load adds < 5%)",
                    Handle::Line {
                        color: KNEE,
                        marker: true,
                    },
                ));
            }
            fig.legend(&ax, &Legend::new(entries, 13.0), &occupied);
            Ok(fig)
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::bench::pareto::{Knee, Pareto, ParetoPoint};
    use crate::figures::bench::ParetoChartData;
    use crate::render::Render;

    #[test]
    fn draws_every_run_named_the_frontier_and_the_knee() {
        let point = |label: &str, per_user: f64, per_device: f64, on_frontier: bool| ParetoPoint {
            label: label.into(),
            config: String::new(),
            load: 1.0,
            users: 1.0,
            tokens_per_user: per_user,
            tokens_per_device: per_device,
            on_frontier,
        };
        let data = ParetoChartData {
            title: "bench m: throughput per user against per device".into(),
            pareto: Pareto {
                points: vec![
                    point("rate_1.0", 50.0, 50.0, true),
                    point("rate_4.0", 30.0, 90.0, true),
                    point("rate_8.0", 20.0, 85.0, false),
                ],
                knees: vec![Knee {
                    config: String::new(),
                    label: "rate_4.0".into(),
                    load: 4.0,
                    tokens_per_device: 90.0,
                    highest: 90.0,
                }],
                still_rising: vec![],
                definitions: Default::default(),
            },
        };
        let svg = data.to_svg().unwrap();
        for needle in [
            "rate_1.0",
            "rate_8.0",
            "Pareto frontier",
            "knee (more load adds",
            "Output tokens/s per user",
            "Output tokens/s per device",
            "<polyline",
        ] {
            assert!(svg.contains(needle), "SVG lacks {needle:?}");
        }
        assert!(crate::render::render_with_banner(&data, super::super::Format::Pdf, None).is_ok());
    }
}
